// Generated from config/specsync.yaml by scripts/generate-embedded (a test keeps the two identical):
// the defaults travel inside the binary so specsync runs anywhere.
enum DefaultConfiguration {
    static let yaml = #"""
# specsync configuration — the defaults. Copy to .specsync.yaml in your project root and change what
# you need; keys you leave out keep these values. Unknown keys are errors.

# Directory holding the specs, relative to the project root (where .specsync.yaml lives).
# null: found as Tandemonium's Go tools (Coldwine) find it — .coldwine/tasks if that folder exists,
# else .tandemonium/specs.
specs_dir: null

# Which files under specs_dir are specs (globs relative to specs_dir; `**` spans directories).
include:
  - "**/*.yaml"
  - "**/*.yml"
exclude: []

# JSON Schema (draft 2020-12, JSON or YAML) the specs must satisfy, relative to the project root.
# null: the built-in Tandemonium task-spec schema (the same as config/task-spec.schema.json).
schema: null

# How long a write waits for another writer's lock on <file>.lock before giving up.
lock_timeout_ms: 10000

# Watcher: how long a file must be quiet after its last change before it is processed.
settle_ms: 50

# Watcher: what to do with the existing files at start-up: fix (normalize valid files), check
# (report only), or off (only react to changes).
startup: fix

# Bounds on what one file may cost; a file over a limit is reported and left as it is. A task spec is
# a few KB and a few hundred nodes: within these defaults any file is processed in well under 100 ms,
# so one hostile or runaway file cannot stall the watcher (scripts/bench-worst).
limits:
  # Size in bytes (256 KiB).
  max_file_bytes: 262144
  # Nesting of mappings and lists.
  max_depth: 64
  # Nodes that aliases (*name) may add when expanded: the guard against "billion laughs".
  max_alias_nodes: 10000
  # Scalars, keys, mappings and lists in one file.
  max_nodes: 50000
  # Problems listed per file; one more line says where the unlisted ones begin.
  max_diagnostics: 100

"""#
}
