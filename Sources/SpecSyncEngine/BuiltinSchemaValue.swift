// Generated from config/task-spec.schema.json by scripts/generate-embedded (a test keeps the two identical):
// the schema as data, so start-up does not parse its text (a tenth of an editor's `fmt -`).
import SpecSyncCore

enum BuiltinSchemaValue {
    static let value: JSONValue = .object(JSONObject([
        ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
        ("title", .string("Tandemonium task spec")),
        ("description", .string("One task per file (.tandemonium/specs/TAND-012.yaml). specsync writes keys in the order of \"properties\" below; keys not listed here are allowed and kept after them.")),
        ("type", .string("object")),
        ("required", .array([
            .string("id"),
            .string("title"),
        ])),
        ("properties", .object(JSONObject([
            ("id", .object(JSONObject([
                ("description", .string("1-64 letters, digits, - or _, e.g. TAND-012")),
                ("type", .string("string")),
                ("pattern", .string("^[A-Za-z0-9_-]{1,64}$")),
            ]))),
            ("title", .object(JSONObject([
                ("description", .string("a short, non-empty name for the task")),
                ("type", .string("string")),
                ("minLength", .integer(1)),
            ]))),
            ("status", .object(JSONObject([
                ("description", .string("where the task is in its life cycle")),
                ("type", .string("string")),
                ("enum", .array([
                    .string("draft"),
                    .string("refining"),
                    .string("ready"),
                    .string("todo"),
                    .string("pending"),
                    .string("assigned"),
                    .string("working"),
                    .string("in_progress"),
                    .string("blocked"),
                    .string("paused"),
                    .string("review"),
                    .string("done"),
                    .string("completed"),
                    .string("rejected"),
                    .string("failed"),
                ])),
            ]))),
            ("created_at", .object(JSONObject([
                ("description", .string("RFC 3339 date-time in quotes, e.g. \"2025-03-02T09:15:00Z\"")),
                ("type", .string("string")),
                ("format", .string("date-time")),
            ]))),
            ("quick_mode", .object(JSONObject([
                ("description", .string("true when the task skipped PM refinement")),
                ("type", .string("boolean")),
            ]))),
            ("strategic_context", .object(JSONObject([
                ("$ref", .string("#/$defs/strategicContext")),
            ]))),
            ("user_story", .object(JSONObject([
                ("description", .string("null, or the story with the hash of its text")),
                ("anyOf", .array([
                    .object(JSONObject([
                        ("type", .string("null")),
                    ])),
                    .object(JSONObject([
                        ("$ref", .string("#/$defs/userStory")),
                    ])),
                ])),
            ]))),
            ("summary", .object(JSONObject([
                ("description", .string("what the task is about, usually a literal block (|)")),
                ("type", .string("string")),
            ]))),
            ("requirements", .object(JSONObject([
                ("$ref", .string("#/$defs/stringList")),
            ]))),
            ("acceptance_criteria", .object(JSONObject([
                ("type", .string("array")),
                ("items", .object(JSONObject([
                    ("$ref", .string("#/$defs/acceptanceCriterion")),
                ]))),
            ]))),
            ("files_to_modify", .object(JSONObject([
                ("type", .string("array")),
                ("items", .object(JSONObject([
                    ("$ref", .string("#/$defs/fileToModify")),
                ]))),
            ]))),
            ("complexity", .object(JSONObject([
                ("type", .string("string")),
                ("enum", .array([
                    .string("low"),
                    .string("medium"),
                    .string("high"),
                    .string("unknown"),
                ])),
            ]))),
            ("estimated_minutes", .object(JSONObject([
                ("description", .string("whole minutes, or null when unknown")),
                ("type", .array([
                    .string("integer"),
                    .string("null"),
                ])),
                ("minimum", .integer(0)),
            ]))),
            ("priority", .object(JSONObject([
                ("description", .string("1 is the highest priority")),
                ("type", .string("integer")),
                ("minimum", .integer(1)),
            ]))),
            ("review_feedback", .object(JSONObject([
                ("$ref", .string("#/$defs/stringList")),
            ]))),
            ("mvp_explanation", .object(JSONObject([
                ("$ref", .string("#/$defs/stringList")),
            ]))),
            ("mvp_override", .object(JSONObject([
                ("description", .string("set to acknowledged when the task goes ahead although it is outside the MVP")),
                ("const", .string("acknowledged")),
            ]))),
        ]))),
        ("$defs", .object(JSONObject([
            ("stringList", .object(JSONObject([
                ("type", .string("array")),
                ("items", .object(JSONObject([
                    ("type", .string("string")),
                ]))),
            ]))),
            ("nullableString", .object(JSONObject([
                ("type", .array([
                    .string("string"),
                    .string("null"),
                ])),
            ]))),
            ("strategicContext", .object(JSONObject([
                ("description", .string("where the task comes from in the product plan")),
                ("type", .string("object")),
                ("properties", .object(JSONObject([
                    ("cuj_id", .object(JSONObject([
                        ("$ref", .string("#/$defs/nullableString")),
                    ]))),
                    ("cuj_name", .object(JSONObject([
                        ("$ref", .string("#/$defs/nullableString")),
                    ]))),
                    ("feature_id", .object(JSONObject([
                        ("description", .string("kebab-case, e.g. csv-export")),
                        ("type", .array([
                            .string("string"),
                            .string("null"),
                        ])),
                        ("pattern", .string("^[a-z0-9]+(-[a-z0-9]+)*$")),
                    ]))),
                    ("mvp_included", .object(JSONObject([
                        ("type", .array([
                            .string("boolean"),
                            .string("null"),
                        ])),
                    ]))),
                    ("mvp_status", .object(JSONObject([
                        ("$ref", .string("#/$defs/nullableString")),
                    ]))),
                ]))),
            ]))),
            ("userStory", .object(JSONObject([
                ("type", .string("object")),
                ("required", .array([
                    .string("text"),
                    .string("hash"),
                ])),
                ("properties", .object(JSONObject([
                    ("text", .object(JSONObject([
                        ("type", .string("string")),
                    ]))),
                    ("hash", .object(JSONObject([
                        ("description", .string("8 lowercase hex digits")),
                        ("type", .string("string")),
                        ("pattern", .string("^[0-9a-f]{8}$")),
                    ]))),
                ]))),
            ]))),
            ("acceptanceCriterion", .object(JSONObject([
                ("type", .string("object")),
                ("required", .array([
                    .string("id"),
                    .string("description"),
                ])),
                ("properties", .object(JSONObject([
                    ("id", .object(JSONObject([
                        ("description", .string("ac- and a number, e.g. ac-1")),
                        ("type", .string("string")),
                        ("pattern", .string("^ac-[0-9]+$")),
                    ]))),
                    ("description", .object(JSONObject([
                        ("type", .string("string")),
                        ("minLength", .integer(1)),
                    ]))),
                ]))),
            ]))),
            ("fileToModify", .object(JSONObject([
                ("description", .string("a path, or what to do with a path")),
                ("anyOf", .array([
                    .object(JSONObject([
                        ("type", .string("string")),
                        ("minLength", .integer(1)),
                    ])),
                    .object(JSONObject([
                        ("$ref", .string("#/$defs/fileChange")),
                    ])),
                ])),
            ]))),
            ("fileChange", .object(JSONObject([
                ("type", .string("object")),
                ("required", .array([
                    .string("action"),
                    .string("path"),
                ])),
                ("properties", .object(JSONObject([
                    ("action", .object(JSONObject([
                        ("type", .string("string")),
                        ("enum", .array([
                            .string("create"),
                            .string("modify"),
                            .string("delete"),
                        ])),
                    ]))),
                    ("path", .object(JSONObject([
                        ("type", .string("string")),
                        ("minLength", .integer(1)),
                    ]))),
                    ("description", .object(JSONObject([
                        ("type", .string("string")),
                    ]))),
                ]))),
            ]))),
        ]))),
    ]))
}
