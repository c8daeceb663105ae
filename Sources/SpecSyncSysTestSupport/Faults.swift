#if canImport(Glibc)
import Glibc
#endif
import SpecSyncSys
import Synchronization
import SystemPackage

/// One fault to inject into the named call.
public struct InjectedFault: Sendable, Equatable {
    public var call: SysCall
    public var effect: FaultEffect
    /// How many matching calls it hits; `Int.max` means every one.
    public var count: Int
    /// Matching calls let through before the first hit (e.g. skip the file's fsync, hit the directory's).
    public var skip: Int
    /// Only calls whose path contains this substring match.
    public var pathContains: String?

    public init(call: SysCall, effect: FaultEffect, count: Int = 1, skip: Int = 0, pathContains: String? = nil) {
        self.call = call
        self.effect = effect
        self.count = count
        self.skip = skip
        self.pathContains = pathContains
    }
}

public struct FaultSpecError: Error, CustomStringConvertible, Equatable {
    public var item: String
    public var description: String {
        "bad fault specification '\(item)' in \(SysFaults.environmentVariable): expected "
            + "CALL=ERRNO[*COUNT|*always][@SKIP] or CALL=short:BYTES[*COUNT], e.g. fsync=EIO or write=EINTR*3; "
            + "calls: \(SysCall.allCases.map(\.rawValue).joined(separator: ", "))"
    }
}

/// Fault injection for tests: makes a named syscall fail with a chosen errno a number of times, so
/// EINTR, EIO and ENOSPC paths run deterministically. Works through `Sys.interpose`, so only in debug
/// builds (release builds compile the check out). Test child processes call `installFromEnvironment()`
/// to pick faults up from `SPECSYNC_FAULTS`, e.g. `SPECSYNC_FAULTS="fsync=EIO"` or
/// `"write=EINTR*3,fsync=EIO@1"`.
public enum SysFaults {
    public static let environmentVariable = "SPECSYNC_FAULTS"
    public typealias Hook = @Sendable (_ call: SysCall, _ path: String?) -> Void

    public static var isAvailable: Bool { Sys.isInterposable }

    public static func inject(_ fault: InjectedFault) {
        _ = installed
        state.withLock { $0.faults.append(fault) }
    }

    public static func inject(_ call: SysCall, _ errno: Errno, count: Int = 1, skip: Int = 0,
                              pathContains: String? = nil) {
        inject(InjectedFault(call: call, effect: .fail(errno), count: count, skip: skip, pathContains: pathContains))
    }

    /// Runs `hook` before every wrapped call (outside any lock; it may do I/O but should not
    /// recurse into the same call). Used to step into a race window deterministically.
    public static func setBeforeCall(_ hook: Hook?) {
        _ = installed
        state.withLock { $0.hook = hook }
    }

    /// Injects the faults `SPECSYNC_FAULTS` names; a malformed value is reported on stderr, since a typo
    /// would silently test nothing. For child processes, first thing in main.
    public static func installFromEnvironment() {
        guard let raw = getenv(environmentVariable) else { return }
        do {
            for fault in try parse(String(cString: raw)) { inject(fault) }
        } catch {
            let message = "specsync: \(error)\n"
            _ = message.withCString { Glibc.write(2, $0, strlen($0)) }
        }
    }

    /// Removes all faults (including those from the environment) and the hook.
    public static func reset() {
        state.withLock { $0 = State(faults: [], hook: nil) }
    }

    /// Faults not yet used up: lets a test check that the path it meant to hit actually ran.
    public static var pendingFaultCount: Int {
        state.withLock { $0.faults.count }
    }

    public static func parse(_ spec: String) throws(FaultSpecError) -> [InjectedFault] {
        var faults: [InjectedFault] = []
        for rawItem in spec.split(separator: ",") {
            let item = rawItem.trimmingWhitespace()
            if item.isEmpty { continue }
            guard let eq = item.firstIndex(of: "="), let call = SysCall(rawValue: String(item[..<eq])) else {
                throw FaultSpecError(item: item)
            }
            var rest = Substring(item[item.index(after: eq)...])
            var skip = 0
            if let at = rest.lastIndex(of: "@") {
                guard let value = Int(rest[rest.index(after: at)...]), value >= 0 else { throw FaultSpecError(item: item) }
                skip = value
                rest = rest[..<at]
            }
            var count = 1
            if let star = rest.lastIndex(of: "*") {
                let countText = rest[rest.index(after: star)...]
                if countText == "always" {
                    count = Int.max
                } else {
                    guard let value = Int(countText), value > 0 else { throw FaultSpecError(item: item) }
                    count = value
                }
                rest = rest[..<star]
            }
            let effect: FaultEffect
            if rest.hasPrefix("short:") {
                guard let bytes = Int(rest.dropFirst("short:".count)), bytes > 0 else { throw FaultSpecError(item: item) }
                effect = .shortTransfer(maxBytes: bytes)
            } else if let errno = Errno(symbolicName: String(rest)) {
                effect = .fail(errno)
            } else {
                throw FaultSpecError(item: item)
            }
            faults.append(InjectedFault(call: call, effect: effect, count: count, skip: skip))
        }
        return faults
    }

    /// Takes the effect for this call, if a fault matches. Called once per attempt of every wrapped call.
    fileprivate static func consume(_ call: SysCall, path: String?) -> FaultEffect? {
        let (hook, effect) = state.withLock { state -> (Hook?, FaultEffect?) in
            guard let index = state.faults.firstIndex(where: {
                $0.call == call && ($0.pathContains.map { path?.contains($0) ?? false } ?? true)
            }) else { return (state.hook, nil) }
            if state.faults[index].skip > 0 {
                state.faults[index].skip -= 1
                return (state.hook, nil)
            }
            let effect = state.faults[index].effect
            if state.faults[index].count != Int.max {
                state.faults[index].count -= 1
                if state.faults[index].count == 0 { state.faults.remove(at: index) }
            }
            return (state.hook, effect)
        }
        hook?(call, path)
        return effect
    }

    private struct State {
        var faults: [InjectedFault]
        var hook: Hook?
    }

    private static let state = Mutex(State(faults: [], hook: nil))

    /// The registry becomes Sys's interposer the first time a fault or hook is set (once: a lazy global).
    private static let installed: Void = Sys.interpose(Registry())

    private struct Registry: SysInterposer {
        func intercept(_ call: SysCall, path: String?) -> FaultEffect? { SysFaults.consume(call, path: path) }
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
