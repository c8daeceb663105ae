import XCTest
@testable import SpecSyncCore
@testable import SpecSyncSchema

/// One or more tests per supported keyword: a valid instance, invalid ones, and the exact
/// `line:column pointer message` of every diagnostic.
final class SchemaKeywordTests: XCTestCase {
    // MARK: type

    func testTypeNamesIncludingIntegerVersusNumberAndNull() throws {
        let schema = ##"""
        {"properties": {"a": {"type": "integer"}, "b": {"type": "number"}, "c": {"type": ["string", "null"]},
                        "d": {"type": "boolean"}, "e": {"type": "array"}, "f": {"type": "object"}}}
        """##
        // 1.0 is an integer in draft 2020-12.
        XCTAssertEqual(try check(schema, "a: 1.0\nb: 2\nc: null\nd: true\ne: []\nf: {}\n"), [])
        XCTAssertEqual(try check(schema, "a: -3\nb: 2.5e3\nc: text\n"), [])
        XCTAssertEqual(try check(schema, """
            a: 1.5
            b: "2"
            c: 3
            d: no
            e: {}
            f: [1]
            """), [
            "1:4 /a a: expected integer, got number 1.5",
            "2:4 /b b: expected number, got string \"2\" (it is quoted, so it is a string; remove the quotes to make it a number)",
            "3:4 /c c: expected string or null, got integer 3 (put it in quotes to make it a string: \"3\")",
            "4:4 /d d: expected boolean, got string \"no\" (YAML 1.2 reads this as a string; write true or false)",
            "5:4 /e e: expected list, got a mapping",
            "6:4 /f f: expected mapping, got a list",
        ])
    }

    func testTypeHintsForYAMLHabits() throws {
        let schema = ##"{"properties": {"flag": {"type": "boolean"}, "n": {"type": "integer"}, "s": {"type": "string"}, "z": {"type": "null"}}}"##
        XCTAssertEqual(try check(schema, "flag: On\nn: 1_000\ns: true\nz: 'null'\n"), [
            "1:7 /flag flag: expected boolean, got string \"On\" (YAML 1.2 reads this as a string; write true or false)",
            "2:4 /n n: expected integer, got string \"1_000\" (YAML 1.2 reads digits with underscores as a string; write the number without them)",
            "3:4 /s s: expected string, got boolean true (put it in quotes to make it a string: \"true\")",
            "4:4 /z z: expected null, got string \"null\" (it is quoted, so it is a string; remove the quotes for null)",
        ])
        XCTAssertEqual(try check(schema, "flag: 'false'\nn: '12'\ns:\n"), [
            "1:7 /flag flag: expected boolean, got string \"false\" (it is quoted, so it is a string; remove the quotes)",
            "2:4 /n n: expected integer, got string \"12\" (it is quoted, so it is a string; remove the quotes to make it a number)",
            "3:3 /s s: expected string, got an empty value",
        ])
        // A quoted yes is a deliberate string: no YAML 1.1 hint.
        XCTAssertEqual(try check(schema, "flag: \"yes\"\n"), ["1:7 /flag flag: expected boolean, got string \"yes\""])
    }

    func testTypeAtTheRootHasNoLabel() throws {
        XCTAssertEqual(try check(##"{"type": "object"}"##, "- a\n"), ["1:1 / expected mapping, got a list"])
    }

    // MARK: properties, additionalProperties

    func testPropertiesValidateOnlyTheirKeys() throws {
        let schema = ##"{"properties": {"name": {"type": "string"}, "size": {"type": "integer"}}}"##
        XCTAssertEqual(try check(schema, "name: x\nsize: 3\nother: [any]\n"), [])
        XCTAssertEqual(try check(schema, "other: 1\nsize: big\n"), ["2:7 /size size: expected integer, got string \"big\""])
    }

    func testAdditionalPropertiesFalseReportsAtTheKey() throws {
        let schema = ##"{"properties": {"name": {}, "size": {}, "inner": {"properties": {"x": {}}, "additionalProperties": false}}, "additionalProperties": false}"##
        XCTAssertEqual(try check(schema, "name: 1\ninner: {x: 2}\n"), [])
        XCTAssertEqual(try check(schema, """
            name: x
            sise: 3
            colour: red
            inner:
              y: 1
            """), [
            "2:1 /sise unknown key \"sise\"; did you mean size?",
            "3:1 /colour unknown key \"colour\"; allowed keys: name, size, inner",
            "5:3 /inner/y inner: unknown key \"y\"; allowed keys: x",
        ])
    }

    func testAdditionalPropertiesSchemaAppliesToUnlistedKeys() throws {
        let schema = ##"{"properties": {"id": {"type": "string"}}, "additionalProperties": {"type": "integer"}}"##
        XCTAssertEqual(try check(schema, "id: a\nx: 1\ny: 2\n"), [])
        XCTAssertEqual(try check(schema, "id: 5\nx: one\n"), [
            "1:5 /id id: expected string, got integer 5 (put it in quotes to make it a string: \"5\")",
            "2:4 /x x: expected integer, got string \"one\"",
        ])
    }

    func testPropertyWithFalseSchemaIsForbidden() throws {
        XCTAssertEqual(try check(##"{"properties": {"legacy": false}}"##, "ok: 1\nlegacy: 2\n"),
                       ["2:1 /legacy key \"legacy\" is not allowed here; remove it"])
    }

    // MARK: required

    func testMissingRequiredKeysAreReportedAtTheMappingStart() throws {
        let schema = ##"{"required": ["id", "title"], "properties": {"id": {}, "title": {}, "outer": {"required": ["b", "z"], "properties": {"b": {}}}}}"##
        XCTAssertEqual(try check(schema, "id: 1\ntitle: 2\n"), [])
        XCTAssertEqual(try check(schema, """
            id: x
            titel: y
            outer:
              a: 1
            """), [
            "1:1 / missing required key \"title\" (is \"titel\" a misspelling of it?)",
            "4:3 /outer outer: missing required key \"b\"",
            "4:3 /outer outer: missing required key \"z\"",
        ])
        // Required keys need not be listed under properties.
        XCTAssertEqual(try check(##"{"required": ["z"]}"##, "z: null\n"), [])
        XCTAssertEqual(try check(##"{"required": ["z"]}"##, "{}\n"), ["1:1 / missing required key \"z\""])
    }

    // MARK: items, prefixItems

    func testItemsApplyToEveryElement() throws {
        let schema = ##"{"items": {"type": "integer"}}"##
        XCTAssertEqual(try check(schema, "- 1\n- 2\n"), [])
        XCTAssertEqual(try check(schema, "- 1\n- x\n- 3\n- [4]\n"), [
            "2:3 /1 [1]: expected integer, got string \"x\"",
            "4:3 /3 [3]: expected integer, got a list",
        ])
    }

    func testPrefixItemsWithClosedTail() throws {
        let schema = ##"{"prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false}"##
        XCTAssertEqual(try check(schema, "[a, 1]\n"), [])
        XCTAssertEqual(try check(schema, "[a]\n"), [])
        XCTAssertEqual(try check(schema, "[1, \"a\", true, null]\n"), [
            "1:2 /0 [0]: expected string, got integer 1 (put it in quotes to make it a string: \"1\")",
            "1:5 /1 [1]: expected integer, got string \"a\"",
            "1:10 /2 has 4 items, but at most 2 are allowed; remove the extra items",
        ])
    }

    func testPrefixItemsWithOpenTailSchema() throws {
        let schema = ##"{"prefixItems": [{"const": "head"}], "items": {"type": "integer"}}"##
        XCTAssertEqual(try check(schema, "[head, 1, 2]\n"), [])
        XCTAssertEqual(try check(schema, "[tail, x]\n"), [
            "1:2 /0 [0]: expected \"head\", got \"tail\"",
            "1:8 /1 [1]: expected integer, got string \"x\"",
        ])
    }

    // MARK: enum, const

    func testEnumUsesJSONEqualityAndSuggestsTheClosestValue() throws {
        let schema = ##"{"properties": {"s": {"enum": ["draft", "ready", null, 1]}}}"##
        for ok in ["s: draft", "s: ~", "s: 1.0", "s: 1"] {
            XCTAssertEqual(try check(schema, ok + "\n"), [], ok)
        }
        XCTAssertEqual(try check(schema, "s: redy\n"), ["1:4 /s s: \"redy\" is not one of: draft, ready, null, 1; did you mean ready?"])
        XCTAssertEqual(try check(schema, "s: \"1\"\n"), ["1:4 /s s: \"1\" is not one of: draft, ready, null, 1"])
        XCTAssertEqual(try check(schema, "s: [draft]\n"), ["1:4 /s s: a list is not one of: draft, ready, null, 1"])
    }

    func testConstComparesStructuredValues() throws {
        let schema = ##"{"properties": {"c": {"const": {"a": [1, 2]}}}}"##
        XCTAssertEqual(try check(schema, "c: {a: [1, 2.0]}\n"), [])
        XCTAssertEqual(try check(schema, "c:\n  a: [1]\n"), ["2:3 /c c: expected {\"a\": [1, 2]}, got a mapping"])
        XCTAssertEqual(try check(##"{"const": null}"##, "~\n"), [])
    }

    // MARK: pattern, minLength, maxLength

    func testPatternIsASearchAndIgnoresNonStrings() throws {
        let schema = ##"{"properties": {"p": {"pattern": "^x"}}}"##
        XCTAssertEqual(try check(schema, "p: xy\n"), [])
        XCTAssertEqual(try check(schema, "p: 5\n"), [])
        XCTAssertEqual(try check(schema, "p: yx\n"), ["1:4 /p p: \"yx\" does not match the pattern ^x"])
        XCTAssertEqual(try check(##"{"properties": {"p": {"pattern": "b"}}}"##, "p: abc\n"), [])
    }

    func testLengthsCountCodePoints() throws {
        let schema = ##"{"properties": {"s": {"minLength": 2, "maxLength": 3}, "t": {"minLength": 1}}}"##
        XCTAssertEqual(try check(schema, "s: é😀\n"), [])
        XCTAssertEqual(try check(schema, "s: \"😀😀😀\"\n"), [])
        XCTAssertEqual(try check(schema, "s: a\n"), ["1:4 /s s: is too short: 1 character, at least 2 required"])
        XCTAssertEqual(try check(schema, "s: abcd\n"), ["1:4 /s s: is too long: 4 characters, at most 3 allowed"])
        XCTAssertEqual(try check(schema, "s: 😀😀😀😀\n"), ["1:4 /s s: is too long: 4 characters, at most 3 allowed"])
        XCTAssertEqual(try check(schema, "t: ''\n"), ["1:4 /t t: must not be empty"])
    }

    // MARK: minimum, maximum, exclusiveMinimum, exclusiveMaximum

    func testNumericBounds() throws {
        let schema = ##"{"properties": {"n": {"type": "integer", "minimum": 1, "maximum": 10}, "x": {"exclusiveMinimum": 0, "exclusiveMaximum": 1}, "h": {"minimum": 0.5}}}"##
        XCTAssertEqual(try check(schema, "n: 1\nx: 0.5\nh: 0.5\n"), [])
        XCTAssertEqual(try check(schema, "n: 10.0\nx: 1e-9\nh: 1\n"), [])
        XCTAssertEqual(try check(schema, "n: 0\nx: 0\nh: 0\n"), [
            "1:4 /n n: expected integer ≥ 1, got 0",
            "2:4 /x x: expected number > 0, got 0",
            "3:4 /h h: expected number ≥ 0.5, got 0",
        ])
        XCTAssertEqual(try check(schema, "n: 11\nx: 1.0\n"), [
            "1:4 /n n: expected integer ≤ 10, got 11",
            "2:4 /x x: expected number < 1, got 1.0",
        ])
        // Bounds ignore values of other types; NaN satisfies no bound.
        XCTAssertEqual(try check(schema, "x: text\n"), [])
        XCTAssertEqual(try check(schema, "h: .nan\n"), ["1:4 /h h: expected number ≥ 0.5, got .nan"])
    }

    func testNumberComparisonIsExactAcrossIntAndDouble() {
        XCTAssertEqual(JSONNumber.compare(.int(Int.max), .double(9_223_372_036_854_775_807.0)), -1)
        XCTAssertEqual(JSONNumber.compare(.int(9_007_199_254_740_993), .double(9_007_199_254_740_992.0)), 1)
        XCTAssertEqual(JSONNumber.compare(.int(-1), .double(-0.5)), -1)
        XCTAssertEqual(JSONNumber.compare(.double(2.0), .int(2)), 0)
        XCTAssertEqual(JSONNumber.compare(.int(Int.min), .double(-1e300)), 1)
        XCTAssertNil(JSONNumber.compare(.int(1), .double(.nan)))
    }

    // MARK: minItems, maxItems, uniqueItems

    func testItemCounts() throws {
        let schema = ##"{"minItems": 1, "maxItems": 2}"##
        XCTAssertEqual(try check(schema, "[a]\n"), [])
        XCTAssertEqual(try check(schema, "[]\n"), ["1:1 / expected at least 1 item, got 0"])
        XCTAssertEqual(try check(schema, "- 1\n- 2\n- 3\n"), ["1:1 / expected at most 2 items, got 3"])
    }

    func testUniqueItemsReportsEachDuplicate() throws {
        let schema = ##"{"uniqueItems": true}"##
        XCTAssertEqual(try check(schema, "[1, \"1\", true, {a: 1}, {a: 2}]\n"), [])
        XCTAssertEqual(try check(schema, "[1, 2, 1.0, {a: 1}, {a: 1.0}]\n"), [
            "1:8 /2 [2]: duplicate of item 0 (the items of this list must be unique)",
            "1:21 /4 [4]: duplicate of item 3 (the items of this list must be unique)",
        ])
    }

    // MARK: minProperties, maxProperties

    func testKeyCounts() throws {
        let schema = ##"{"properties": {"m": {"minProperties": 2, "maxProperties": 3}}}"##
        XCTAssertEqual(try check(schema, "m: {a: 1, b: 2}\n"), [])
        XCTAssertEqual(try check(schema, "m:\n  a: 1\n"), ["2:3 /m m: expected at least 2 keys, got 1"])
        XCTAssertEqual(try check(schema, "m: {a: 1, b: 2, c: 3, d: 4}\n"), ["1:4 /m m: expected at most 3 keys, got 4"])
    }

    // MARK: $ref

    func testRefIntoDefsAndOtherPointers() throws {
        let schema = ##"""
        {"$defs": {"pos": {"type": "integer", "minimum": 1}, "a/b": {"type": "string"}, "c%d": {"const": 1}},
         "properties": {"p": {"$ref": "#/$defs/pos"}, "q": {"$ref": "#/properties/p"},
                        "r": {"$ref": "#/$defs/a~1b"}, "s": {"$ref": "#/$defs/c%25d"}}}
        """##
        XCTAssertEqual(try check(schema, "p: 1\nq: 2\nr: x\ns: 1\n"), [])
        XCTAssertEqual(try check(schema, "p: 0\nq: -1\nr: 1\ns: 2\n"), [
            "1:4 /p p: expected integer ≥ 1, got 0",
            "2:4 /q q: expected integer ≥ 1, got -1",
            "3:4 /r r: expected string, got integer 1 (put it in quotes to make it a string: \"1\")",
            "4:4 /s s: expected 1, got 2",
        ])
    }

    func testRecursiveRefToTheRoot() throws {
        let schema = ##"{"properties": {"child": {"$ref": "#"}, "name": {"type": "string"}}, "additionalProperties": false}"##
        XCTAssertEqual(try check(schema, "child:\n  child:\n    name: x\n"), [])
        XCTAssertEqual(try check(schema, "child:\n  child:\n    bogus: 1\n    name: 2\n"), [
            "3:5 /child/child/bogus child.child: unknown key \"bogus\"; allowed keys: child, name",
            "4:11 /child/child/name child.child.name: expected string, got integer 2 (put it in quotes to make it a string: \"2\")",
        ])
    }

    func testRefThroughTheRootID() throws {
        let schema = ##"{"$id": "https://example.com/s.json", "$defs": {"n": {"type": "null"}}, "$ref": "https://example.com/s.json#/$defs/n"}"##
        XCTAssertEqual(try check(schema, "~\n"), [])
        XCTAssertEqual(try check(schema, "1\n"), ["1:1 / expected null, got integer 1"])
    }

    // MARK: allOf, anyOf, oneOf, not

    func testAllOfReportsEveryFailingBranchSorted() throws {
        let schema = ##"{"allOf": [{"properties": {"b": {"type": "string"}}}, {"required": ["a"]}, {"properties": {"a": {"type": "string"}}}]}"##
        XCTAssertEqual(try check(schema, "a: x\nb: y\n"), [])
        XCTAssertEqual(try check(schema, "c: 1\nb: 2\n"), [
            "1:1 / missing required key \"a\"",
            "2:4 /b b: expected string, got integer 2 (put it in quotes to make it a string: \"2\")",
        ])
    }

    func testAnyOfReportsTheAlternativeMeantForThisKindOfValue() throws {
        let schema = ##"{"items": {"anyOf": [{"type": "string", "minLength": 1}, {"type": "object", "required": ["path"]}]}}"##
        XCTAssertEqual(try check(schema, "- a.txt\n- path: b.txt\n"), [])
        XCTAssertEqual(try check(schema, "- 5\n- {x: 1}\n- ''\n"), [
            "1:3 /0 [0]: expected string or mapping, got integer 5 (put it in quotes to make it a string: \"5\")",
            "2:3 /1 [1]: missing required key \"path\"",
            "3:3 /2 [2]: must not be empty",
        ])
    }

    func testAnyOfOfConstantsReadsLikeAnEnum() throws {
        let schema = ##"{"anyOf": [{"const": "a"}, {"enum": ["b", "c"]}]}"##
        XCTAssertEqual(try check(schema, "c\n"), [])
        XCTAssertEqual(try check(schema, "d\n"), ["1:1 / \"d\" is not one of: a, b, c"])
    }

    func testAnyOfWithSeveralCandidatesReportsTheClosestOne() throws {
        let schema = ##"{"anyOf": [{"type": "object", "required": ["a", "b", "c"]}, {"type": "object", "required": ["d"]}]}"##
        XCTAssertEqual(try check(schema, "d: 1\n"), [])
        XCTAssertEqual(try check(schema, "a: 1\n"), ["1:1 / missing required key \"d\""])
        XCTAssertEqual(try check(schema, "a: 1\nb: 2\n"), ["1:1 / missing required key \"c\""])
    }

    func testOneOfNeedsExactlyOneMatch() throws {
        let schema = ##"{"oneOf": [{"type": "integer"}, {"minimum": 0}]}"##
        XCTAssertEqual(try check(schema, "-1\n"), [])
        XCTAssertEqual(try check(schema, "0.5\n"), [])
        XCTAssertEqual(try check(schema, "5\n"), ["1:1 / matches alternatives 1 and 2 of the oneOf at #/oneOf in the schema, but must match exactly one"])
        XCTAssertEqual(try check(schema, "-1.5\n"), ["1:1 / expected number ≥ 0, got -1.5"])
    }

    func testNotDescribesWhatIsForbidden() throws {
        let schema = ##"{"properties": {"a": {"not": {"const": "x"}}, "b": {"not": {"type": "string"}}, "c": {"not": {"required": ["z"]}}, "d": {"not": {"minimum": 3}}}}"##
        XCTAssertEqual(try check(schema, "a: y\nb: 1\nc: {y: 1}\nd: 2\n"), [])
        XCTAssertEqual(try check(schema, "a: x\nb: s\nc: {z: 1}\nd: 4\n"), [
            "1:4 /a a: must not be \"x\"",
            "2:4 /b b: must not be a string",
            "3:4 /c c: must not have the key \"z\"",
            "4:4 /d d: must not match the schema at #/properties/d/not",
        ])
    }

    // MARK: Boolean schemas

    func testBooleanSchemas() throws {
        XCTAssertEqual(try check("true", "anything: [1, 2]\n"), [])
        XCTAssertEqual(try check("false", "a: 1\n"), ["1:1 / no value is allowed here"])
        XCTAssertEqual(try check(##"{"properties": {"a": {"items": false}}}"##, "a: []\n"), [])
        XCTAssertEqual(try check(##"{"properties": {"a": {"items": false}}}"##, "a: [1]\n"), ["1:5 /a/0 a: has 1 item, but at most 0 are allowed; remove the extra items"])
    }

    // MARK: Annotations

    func testAnnotationKeywordsAreAcceptedAndDoNotValidate() throws {
        let schema = ##"""
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://example.com/x", "$comment": "c",
         "title": "t", "description": "d", "default": 1, "examples": [1], "deprecated": true,
         "readOnly": false, "writeOnly": false, "definitions": {"unused": {"type": "string"}},
         "properties": {"a": {"default": "not an integer", "type": "integer"}}}
        """##
        XCTAssertEqual(try check(schema, "a: 1\n"), [])
        XCTAssertEqual(try check(schema, "a: b\n"), ["1:4 /a a: expected integer, got string \"b\""])
    }

    // MARK: Reporting

    func testEveryViolationIsReportedSortedByPosition() throws {
        let schema = ##"""
        {"properties": {"list": {"items": {"properties": {"n": {"type": "integer"}}, "required": ["n"]}}, "top": {"type": "string"}},
         "required": ["top", "missing"]}
        """##
        XCTAssertEqual(try check(schema, """
            list:
              - n: a
              - {}
              - n: 2
              - n: [b]
            top: 1
            """), [
            "1:1 / missing required key \"missing\"",
            "2:8 /list/0/n list[0].n: expected integer, got string \"a\"",
            "3:5 /list/1 list[1]: missing required key \"n\"",
            "5:8 /list/3/n list[3].n: expected integer, got a list",
            "6:6 /top top: expected string, got integer 1 (put it in quotes to make it a string: \"1\")",
        ])
    }

    func testLabelsQuoteUnusualKeys() {
        XCTAssertEqual(readableLabel([.key("a b"), .index(2), .key("x.y"), .key("ok_key")]), "[\"a b\"][2][\"x.y\"].ok_key")
        XCTAssertEqual(readableLabel([]), "")
    }
}
