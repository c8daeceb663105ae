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

limits:
  max_file_bytes: 1048576
  max_depth: 64
  max_alias_nodes: 10000

"""#
}
