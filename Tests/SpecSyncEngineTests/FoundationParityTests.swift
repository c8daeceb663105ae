import Foundation
import XCTest
@testable import SpecSyncEngine
import SpecSyncSys

/// The engine no longer links full Foundation; these pin its replacements to Foundation's own answers
/// (tests may link it), so paths, messages and event lines stay byte for byte what they were.
final class FoundationParityTests: XCTestCase {
    func testPathArithmeticMatchesNSString() {
        // (Foundation traps on a one-character relative name, "a" or "a//": not asked here.)
        let paths = ["", "/", "//", "ab", "/a", "/a/", "/a//b", "ab/b", "ab/b/", "/a/b/c", "./a", "../a", "/a/./b/../c",
                     "ab//", "/ä/ß/x.yaml", "~/x", "ab/../../b", "/../a", "/a/b/..", "x/.", "/tmp///"]
        for path in paths {
            XCTAssertEqual(PathNames.parent(path), (path as NSString).deletingLastPathComponent, "parent of \(path)")
            for component in ["", "b", "b/c", "/b", ".git"] {
                XCTAssertEqual(PathNames.appending(path, component), (path as NSString).appendingPathComponent(component),
                               "\(path) + \(component)")
            }
            if !path.hasPrefix("~") {
                XCTAssertEqual(PathNames.resolvingSymlinks(path), (path as NSString).resolvingSymlinksInPath, "resolve \(path)")
            }
            XCTAssertEqual(PathNames.standardized(path), (path as NSString).standardizingPath, "standardize \(path)")
        }
    }

    func testSymlinkResolutionMatchesNSString() throws {
        let root = try realDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/real/specs", withIntermediateDirectories: true)
        XCTAssertEqual(symlink(root + "/real", root + "/link"), 0)
        XCTAssertEqual(symlink(root + "/link", root + "/chain"), 0)
        XCTAssertEqual(symlink(root + "/nowhere", root + "/dangling"), 0)
        for path in ["/link", "/link/specs", "/chain/specs/", "/link/specs/../specs", "/link/missing/x.yaml",
                     "/dangling", "/dangling/x", "/real/specs", "//link///specs"] {
            XCTAssertEqual(PathNames.resolvingSymlinks(root + path), ((root + path) as NSString).resolvingSymlinksInPath, path)
            XCTAssertEqual(PathNames.standardized(root + path), ((root + path) as NSString).standardizingPath, path)
        }
    }

    func testTextEditsMatchFoundation() {
        let texts = ["", "\n", " a b \n", "\t\u{00A0}x\u{2028}\r\n", "\u{0085}y\u{3000}", "main\n\n", "a:b,c%d\r\ne\n",
                     "it's 'quoted'", "é\u{301}\r\n"]
        for text in texts {
            XCTAssertEqual(text.trimmingNewlines(), text.trimmingCharacters(in: .newlines), text.debugDescription)
            XCTAssertEqual(text.trimmingWhitespace(), text.trimmingCharacters(in: .whitespaces), text.debugDescription)
            XCTAssertEqual(text.trimmingWhitespaceAndNewlines(), text.trimmingCharacters(in: .whitespacesAndNewlines),
                           text.debugDescription)
            for (target, replacement) in [("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), ("'", "'\\''"), ("%", "%25"), ("aa", "b")] {
                XCTAssertEqual(text.replacingEvery(target, with: replacement),
                               text.replacingOccurrences(of: target, with: replacement), text.debugDescription)
            }
        }
        XCTAssertEqual("aaa".replacingEvery("aa", with: "b"), "aaa".replacingOccurrences(of: "aa", with: "b"))
    }

    func testNumbersMatchStringFormat() {
        for value in [0, 0.04, 0.05, 0.15, 1.25, 4.9499, 999.96, 1234.5678, 1e7 + 0.5] {
            XCTAssertEqual(fixedPoint(value, digits: 1), String(format: "%.1f", value))
            XCTAssertEqual(fixedPoint(value, digits: 2), String(format: "%.2f", value))
            XCTAssertEqual(fixedPoint(value, digits: 3), String(format: "%.3f", value))
        }
    }

    func testTimestampMatchesISO8601DateFormatter() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // Whole milliseconds: a Date (a Double) cannot carry the nanoseconds exactly, and both truncate.
        for milliseconds: Int64 in [0, 1, 999, 1_000, 86_399_999, 951_782_400_123, 1_798_761_599_999, 4_102_444_800_000,
                                    -1, -86_400_001] {
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            XCTAssertEqual(EventLog.timestamp(nanosecondsSinceEpoch: milliseconds * 1_000_000 + 400_000),
                           formatter.string(from: date), "\(milliseconds) ms")
        }
        let now = EventLog.timestamp()
        XCTAssertEqual(now.count, "2026-01-02T03:04:05.678Z".count)
        XCTAssertTrue(now.hasSuffix("Z"))
    }

    func testCurrentDirectoryMatchesFileManager() {
        XCTAssertEqual(ProcessContext.currentDirectory, FileManager.default.currentDirectoryPath)
    }

    private func realDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "parity-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return try Sys.realpath(path)
    }
}
