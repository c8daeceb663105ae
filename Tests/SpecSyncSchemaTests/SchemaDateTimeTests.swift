import XCTest
@testable import SpecSyncCore
@testable import SpecSyncSchema

final class SchemaDateTimeTests: XCTestCase {
    func testValidDateTimes() {
        for text in [
            "2025-03-02T09:15:00Z",
            "2025-03-02t09:15:00z",                // RFC 3339 5.6: T and Z may be lower case
            "2024-02-29T00:00:00Z",                // leap year
            "2000-02-29T12:00:00+00:00",           // divisible by 400: leap year
            "2025-03-02T09:15:00.123456789-07:30", // any number of fraction digits
            "2025-12-31T23:59:59.5+14:00",
            "0001-01-01T00:00:00Z",
            "1998-12-31T23:59:60Z",                // leap second, UTC
            "1998-12-31T15:59:60.123-08:00",       // the same leap second in another zone
            "1999-01-01T01:29:60+01:30",
        ] {
            XCTAssertNil(DateTimeFormat.problem(in: text), text)
        }
    }

    func testInvalidDateTimesSayWhatIsWrong() {
        let cases: [(String, String)] = [
            ("2025-02-29T00:00:00Z", "2025 is not a leap year, so February has 28 days"),
            ("1900-02-29T00:00:00Z", "1900 is not a leap year, so February has 28 days"),
            ("2024-02-30T00:00:00Z", "day 30 does not exist: February has 29 days"),
            ("2025-04-31T00:00:00Z", "day 31 does not exist: April has 30 days"),
            ("2025-01-00T00:00:00Z", "day 00 does not exist: January has 31 days"),
            ("2025-13-01T00:00:00Z", "month 13 does not exist (01-12)"),
            ("2025-00-01T00:00:00Z", "month 00 does not exist (01-12)"),
            ("2025-03-02T24:00:00Z", "hour 24 is out of range (00-23)"),
            ("2025-03-02T23:60:00Z", "minute 60 is out of range (00-59)"),
            ("2025-03-02T23:59:61Z", "second 61 is out of range (00-59, 60 for a leap second)"),
            ("1998-12-31T23:58:60Z", "second 60 is only valid for a leap second, at 23:59:60 UTC"),
            ("1998-12-31T23:59:60+01:00", "second 60 is only valid for a leap second, at 23:59:60 UTC"),
            ("2025-03-02T09:15:00+24:00", "time zone offset hour 24 is out of range (00-23)"),
            ("2025-03-02T09:15:00+01:60", "time zone offset minute 60 is out of range (00-59)"),
            ("2025-03-02T09:15:00+0100", "the time zone offset must look like +hh:mm or -hh:mm"),
            ("2025-03-02T09:15:00", "missing the time zone: add Z for UTC or an offset like +01:00"),
            ("2025-03-02T09:15:00.Z", "a fraction of a second needs at least one digit after the '.'"),
            ("2025-03-02 09:15:00Z", "use T between the date and the time, not a space (e.g. 2025-03-02T09:15:00Z)"),
            ("2025-03-02", "missing the time: a date-time needs Thh:mm:ss and a time zone, e.g. 2025-03-02T09:15:00Z"),
        ]
        for (text, problem) in cases {
            XCTAssertEqual(DateTimeFormat.problem(in: text), problem, text)
        }
        let shape = "expected an RFC 3339 date-time YYYY-MM-DDThh:mm:ss with Z or an offset, e.g. 2025-03-02T09:15:00Z"
        for text in ["", "2025-3-2T09:15:00Z", "2025-03-02T09:15Z", "+2025-03-02T09:15:00Z", "২০২৫-03-02T09:15:00Z",
                     "2025/03/02T09:15:00Z", "2025-03-02T09:15:00X"] {
            XCTAssertEqual(DateTimeFormat.problem(in: text), shape, text)
        }
        XCTAssertEqual(DateTimeFormat.problem(in: "2025-03-02T09:15:00Z "), "unexpected characters after the time zone; \(shape)")
    }

    func testFormatIsCheckedOnlyOnStringsAndReportedAtTheValue() throws {
        let schema = ##"{"properties": {"at": {"format": "date-time"}, "list": {"items": {"format": "date-time"}}}}"##
        XCTAssertEqual(try check(schema, "at: \"2025-03-02T09:15:00Z\"\nlist: [1, null]\n"), [])
        XCTAssertEqual(try check(schema, """
            at: 2025-02-29T09:15:00Z
            list:
              - "2025-03-02T09:15:00Z"
              - '2025-03-02T09:15:00'
            """), [
            "1:5 /at at: \"2025-02-29T09:15:00Z\" is not a valid date-time: 2025 is not a leap year, so February has 28 days",
            "4:5 /list/1 list[1]: \"2025-03-02T09:15:00\" is not a valid date-time: missing the time zone: add Z for UTC or an offset like +01:00",
        ])
    }
}
