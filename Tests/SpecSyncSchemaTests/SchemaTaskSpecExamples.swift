/// The sample specs from the issue (/work/shared/examples), verbatim, plus a deliberately broken one.
enum TaskSpecExamples {
    static let tand012 = #"""
    # .tandemonium/specs/TAND-012.yaml — a full spec, as the planning tool writes it
    ---
    id: "TAND-012"
    title: "Export monthly report as CSV"
    created_at: "2025-03-02T09:15:00Z"

    # Where this task comes from
    strategic_context:
      cuj_id: "CUJ-3"            # see journeys.md
      cuj_name: "Month-end close"
      feature_id: "csv-export"   # kebab-case
      mvp_included: true

    user_story:
      text: "As a bookkeeper, I want the monthly report as CSV so that I can import it into my ledger."
      hash: "5d41402a"

    summary: |
      Add a CSV export next to the existing PDF export.
      Columns follow the on-screen table.

    requirements:
      - "One row per invoice line"
      - "UTF-8 with a header row"

    acceptance_criteria:
      - id: "ac-1"
        description: "export_csv(report) returns bytes"
      - id: "ac-2"
        description: "Round trip through the importer keeps every amount"

    files_to_modify:
      - action: "create"
        path: "src/reports/csv_export.py"
        description: "The exporter"
      - action: "modify"
        path: "src/reports/__init__.py"
        description: "Export the new function"

    complexity: "low"            # low | medium | high
    estimated_minutes: 40
    priority: 2
    """# + "\n"

    static let tand013 = #"""
    # quick task: no refinement happened
    id: TAND-013
    title: Fix login timeout on slow networks
    created_at: "2025-03-02T10:00:00Z"
    status: assigned
    quick_mode: true
    strategic_context:
      cuj_id: null
      cuj_name: null
      feature_id: null
      mvp_status: unknown
    user_story: null
    summary: |
      Fix login timeout on slow networks

      (Quick task - no PM refinement performed)
    requirements:
      - "Raw input: fix login timeout on slow networks"
    acceptance_criteria: []
    files_to_modify: []
    complexity: unknown
    estimated_minutes: null
    priority: 2
    """# + "\n"

    static let tand014 = #"""
    priority: 1
    title:    'Cache avatar thumbnails'   
    id: TAND-014
    # reviewer asked for a size cap
    review_feedback:
        - "Cap the cache at 50 MB"
        - 'Evict least recently used first'
    status: review
    acceptance_criteria:
        -   id: ac-1
            description: Thumbnails load from cache on the second visit
    complexity: medium
    files_to_modify: [src/avatars/cache.swift, src/avatars/loader.swift]
    summary: "Keep a disk cache of avatar thumbnails.\nInvalidate when the avatar URL changes.\n"
    """# + "\n"

    /// One of everything the issue calls out as wrong but still valid YAML.
    static let broken = """
    id: "TAND 12"
    title: ""
    status: reviw
    created_at: "2025-02-29T10:00:00Z"
    quick_mode: yes
    strategic_context:
      feature_id: PDF_render
      mvp_included: "true"
    user_story:
      text: Export the report
      hash: 5D41402A
    acceptance_criteria:
      - description: no id here
      - id: AC-2
        description: wrong id shape
    files_to_modify:
      - 5
      - action: create
      - action: remove
        path: a.txt
    estimated_minutes: "40"
    priority: high
    mvp_override: ack
    """
}
