#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SpecSyncStore
import SpecSyncSys
import SpecSyncSysTestSupport
import XCTest

/// Records the wrapped system calls made while it is installed (debug builds; `SysFaults` hook), so
/// a test can tell a syncfs barrier from per-file fsyncs.
final class CallLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(call: SysCall, path: String?)] = []

    /// Installs the hook; `SysFaults.reset()` (every test's tearDown) removes it.
    static func install() -> CallLog {
        let log = CallLog()
        SysFaults.setBeforeCall { call, path in log.record(call, path) }
        return log
    }

    private func record(_ call: SysCall, _ path: String?) {
        lock.lock()
        entries.append((call, path))
        lock.unlock()
    }

    func count(_ call: SysCall, pathContains fragment: String? = nil) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.filter { entry in
            entry.call == call && (fragment.map { entry.path?.contains($0) ?? false } ?? true)
        }.count
    }
}

/// Spec-like content for batch tests, naming the file so a misplaced version cannot pass.
func batchContent(_ name: String, _ version: String) -> [UInt8] {
    Array("id: \(name)\nversion: \(version)\nsummary: \(String(repeating: version, count: 60))\n".utf8)
}

func counterFile(_ value: Int) -> String { "id: TAND-counter\ncounter: \(value)\n" }

/// The value of the "counter: N" line (what specsync-testchild's increment modes maintain).
func counterValue(_ path: String) throws -> Int? {
    try text(path).split(separator: "\n").first { $0.hasPrefix("counter: ") }.flatMap { Int($0.dropFirst(9)) }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

extension Result where Success == UpdateResult {
    var replacedIdentity: FileIdentity? {
        if case .success(.replaced(let identity)) = self { return identity }
        return nil
    }

    var isUnchanged: Bool {
        if case .success(.unchanged) = self { return true }
        return false
    }
}
