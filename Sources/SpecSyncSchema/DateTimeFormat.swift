import SpecSyncCore

// RFC 3339 `date-time` (section 5.6), as JSON Schema's `format: date-time` defines it:
//   YYYY-MM-DD "T" hh:mm:ss [.fraction] ("Z" / ("+" / "-") hh:mm)
// `T` and `Z` may be lower case (RFC 3339 5.6 note). Dates must exist (leap years included);
// second 60 is accepted only where a leap second can be, at 23:59:60 UTC.

enum DateTimeFormat {
    /// nil when `text` is a valid RFC 3339 date-time, otherwise what is wrong with it.
    static func problem(in text: String) -> String? {
        var text = text
        return text.withUTF8 { problem(in: $0) }
    }

    static let example = "e.g. 2025-03-02T09:15:00Z"

    static func problem(in b: UnsafeBufferPointer<UInt8>) -> String? {
        let shape = "expected an RFC 3339 date-time YYYY-MM-DDThh:mm:ss with Z or an offset, \(example)"
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var value = 0
            for i in at..<(at + count) {
                let d = b[i]
                guard d >= 0x30 && d <= 0x39 else { return nil }
                value = value * 10 + Int(d - 0x30)
            }
            return value
        }
        func byte(_ at: Int) -> UInt8? { at < b.count ? b[at] : nil }

        guard let year = digits(0, 4), byte(4) == UInt8(ascii: "-"),
              let month = digits(5, 2), byte(7) == UInt8(ascii: "-"),
              let day = digits(8, 2) else {
            return shape
        }
        guard let separator = byte(10) else {
            return "missing the time: a date-time needs Thh:mm:ss and a time zone, \(example)"
        }
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") else {
            if separator == UInt8(ascii: " ") { return "use T between the date and the time, not a space (\(example))" }
            return shape
        }
        guard let hour = digits(11, 2), byte(13) == UInt8(ascii: ":"),
              let minute = digits(14, 2), byte(16) == UInt8(ascii: ":"),
              let second = digits(17, 2) else {
            return shape
        }
        var i = 19
        if byte(i) == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while let d = byte(i), d >= 0x30 && d <= 0x39 { i += 1 }
            if i == fractionStart { return "a fraction of a second needs at least one digit after the '.'" }
        }
        var offsetMinutes = 0
        switch byte(i) {
        case nil:
            return "missing the time zone: add Z for UTC or an offset like +01:00"
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = byte(i) == UInt8(ascii: "-") ? -1 : 1
            guard let oh = digits(i + 1, 2), byte(i + 3) == UInt8(ascii: ":"), let om = digits(i + 4, 2) else {
                return "the time zone offset must look like +hh:mm or -hh:mm"
            }
            if oh > 23 { return "time zone offset hour \(two(oh)) is out of range (00-23)" }
            if om > 59 { return "time zone offset minute \(two(om)) is out of range (00-59)" }
            offsetMinutes = sign * (oh * 60 + om)
            i += 6
        default:
            return shape
        }
        if i != b.count { return "unexpected characters after the time zone; \(shape)" }

        if month < 1 || month > 12 { return "month \(two(month)) does not exist (01-12)" }
        let lastDay = daysIn(month: month, year: year)
        if day < 1 || day > lastDay {
            if day >= 1 && month == 2 && day == 29 {
                return "\(year) is not a leap year, so February has 28 days"
            }
            return "day \(two(day)) does not exist: \(monthNames[month - 1]) has \(lastDay) days"
        }
        if hour > 23 { return "hour \(two(hour)) is out of range (00-23)" }
        if minute > 59 { return "minute \(two(minute)) is out of range (00-59)" }
        if second > 60 { return "second \(two(second)) is out of range (00-59, 60 for a leap second)" }
        if second == 60 {
            // A leap second is inserted at 23:59:60 UTC; convert the local time to UTC to check.
            let utcMinutes = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440
            if utcMinutes != 23 * 60 + 59 {
                return "second 60 is only valid for a leap second, at 23:59:60 UTC"
            }
        }
        return nil
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July",
                             "August", "September", "October", "November", "December"]

    static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
}
