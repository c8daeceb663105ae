import Synchronization
import SystemPackage

/// What an interposer does to one call.
public enum FaultEffect: Sendable, Equatable {
    /// The call fails with this errno without reaching the kernel.
    case fail(Errno)
    /// read/pread/write move at most this many bytes (short transfers, as pipes and signals cause).
    case shortTransfer(maxBytes: Int)
}

/// Sees every wrapped call before it reaches the kernel and may make it fail: how tests run the EINTR,
/// EIO and ENOSPC paths deterministically (the fault registry is SpecSyncSysTestSupport's `SysFaults`).
public protocol SysInterposer: Sendable {
    /// Called once per attempt of every wrapped call (outside any lock of Sys's); nil lets it through.
    func intercept(_ call: SysCall, path: String?) -> FaultEffect?
}

extension Sys {
    /// Installs (or with nil removes) the one interposer. Debug builds only: release builds compile the
    /// check out, so this does nothing there and production has no way to make a call fail.
    public static func interpose(_ interposer: (any SysInterposer)?) {
        #if DEBUG
        installedInterposer.withLock { $0 = interposer }
        #endif
    }

    /// Whether `interpose` has any effect in this build.
    public static var isInterposable: Bool {
        #if DEBUG
        return true
        #else
        return false
        #endif
    }
}

#if DEBUG
private let installedInterposer = Mutex<(any SysInterposer)?>(nil)

/// The effect for this attempt of `call`, if an interposer is installed and wants one.
func interposedEffect(_ call: SysCall, path: String?) -> FaultEffect? {
    guard let interposer = installedInterposer.withLock({ $0 }) else { return nil }
    return interposer.intercept(call, path: path)
}
#endif
