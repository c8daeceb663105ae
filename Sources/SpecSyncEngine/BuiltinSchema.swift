// Generated from config/task-spec.schema.json by scripts/generate-embedded (a test keeps the two identical):
// the schema and its key order travel inside the binary so specsync runs anywhere.
enum BuiltinSchema {
    static let json = #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Tandemonium task spec",
  "description": "One task per file (.tandemonium/specs/TAND-012.yaml). specsync writes keys in the order of \"properties\" below; keys not listed here are allowed and kept after them.",
  "type": "object",
  "required": ["id", "title"],
  "properties": {
    "id": {
      "description": "1-64 letters, digits, - or _, e.g. TAND-012",
      "type": "string",
      "pattern": "^[A-Za-z0-9_-]{1,64}$"
    },
    "title": {
      "description": "a short, non-empty name for the task",
      "type": "string",
      "minLength": 1
    },
    "status": {
      "description": "where the task is in its life cycle",
      "type": "string",
      "enum": ["draft", "refining", "ready", "todo", "pending", "assigned", "working", "in_progress", "blocked", "paused", "review", "done", "completed", "rejected", "failed"]
    },
    "created_at": {
      "description": "RFC 3339 date-time in quotes, e.g. \"2025-03-02T09:15:00Z\"",
      "type": "string",
      "format": "date-time"
    },
    "quick_mode": {
      "description": "true when the task skipped PM refinement",
      "type": "boolean"
    },
    "strategic_context": {
      "$ref": "#/$defs/strategicContext"
    },
    "user_story": {
      "description": "null, or the story with the hash of its text",
      "anyOf": [
        { "type": "null" },
        { "$ref": "#/$defs/userStory" }
      ]
    },
    "summary": {
      "description": "what the task is about, usually a literal block (|)",
      "type": "string"
    },
    "requirements": {
      "$ref": "#/$defs/stringList"
    },
    "acceptance_criteria": {
      "type": "array",
      "items": { "$ref": "#/$defs/acceptanceCriterion" }
    },
    "files_to_modify": {
      "type": "array",
      "items": { "$ref": "#/$defs/fileToModify" }
    },
    "complexity": {
      "type": "string",
      "enum": ["low", "medium", "high", "unknown"]
    },
    "estimated_minutes": {
      "description": "whole minutes, or null when unknown",
      "type": ["integer", "null"],
      "minimum": 0
    },
    "priority": {
      "description": "1 is the highest priority",
      "type": "integer",
      "minimum": 1
    },
    "review_feedback": {
      "$ref": "#/$defs/stringList"
    },
    "mvp_explanation": {
      "$ref": "#/$defs/stringList"
    },
    "mvp_override": {
      "description": "set to acknowledged when the task goes ahead although it is outside the MVP",
      "const": "acknowledged"
    }
  },
  "$defs": {
    "stringList": {
      "type": "array",
      "items": { "type": "string" }
    },
    "nullableString": {
      "type": ["string", "null"]
    },
    "strategicContext": {
      "description": "where the task comes from in the product plan",
      "type": "object",
      "properties": {
        "cuj_id": { "$ref": "#/$defs/nullableString" },
        "cuj_name": { "$ref": "#/$defs/nullableString" },
        "feature_id": {
          "description": "kebab-case, e.g. csv-export",
          "type": ["string", "null"],
          "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"
        },
        "mvp_included": { "type": ["boolean", "null"] },
        "mvp_status": { "$ref": "#/$defs/nullableString" }
      }
    },
    "userStory": {
      "type": "object",
      "required": ["text", "hash"],
      "properties": {
        "text": { "type": "string" },
        "hash": {
          "description": "8 lowercase hex digits",
          "type": "string",
          "pattern": "^[0-9a-f]{8}$"
        }
      }
    },
    "acceptanceCriterion": {
      "type": "object",
      "required": ["id", "description"],
      "properties": {
        "id": {
          "description": "ac- and a number, e.g. ac-1",
          "type": "string",
          "pattern": "^ac-[0-9]+$"
        },
        "description": { "type": "string", "minLength": 1 }
      }
    },
    "fileToModify": {
      "description": "a path, or what to do with a path",
      "anyOf": [
        { "type": "string", "minLength": 1 },
        { "$ref": "#/$defs/fileChange" }
      ]
    },
    "fileChange": {
      "type": "object",
      "required": ["action", "path"],
      "properties": {
        "action": { "type": "string", "enum": ["create", "modify", "delete"] },
        "path": { "type": "string", "minLength": 1 },
        "description": { "type": "string" }
      }
    }
  }
}

"""#
}
