#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

extension Sys {
    /// Whether some process has the file behind `fd` open for writing right now: a writer that writes
    /// in place without lock or temp file (Coldwine's `task` commands) and is part-way through a save.
    ///
    /// Asks the kernel with a read lease (fcntl F_SETLEASE F_RDLCK), which is refused with EAGAIN
    /// exactly when the file is open for writing anywhere, and drops it at once. `fd` must be open
    /// read-only. Returns nil where the kernel cannot tell us: leases disabled, a file system without
    /// them, or a file we do not own (unprivileged leases need the owner's uid).
    ///
    /// While the lease is held (microseconds), a writer opening the file waits for us to drop it, and the
    /// kernel signals us: the descriptor is pointed at `LeaseSignal`, a real-time signal with a
    /// do-nothing handler installed with SA_RESTART, instead of SIGIO, whose default would kill us.
    public static func isOpenForWriting(_ fd: Descriptor) -> Bool? {
        guard let signal = try? LeaseSignal.installed.get() else { return nil }
        do throws(SysError) {
            _ = try perform(.fcntl, fd.path) { _ in fcntlInt(fd.rawValue, F_SETSIG, signal) }
            _ = try perform(.fcntl, fd.path) { _ in fcntlInt(fd.rawValue, F_SETLEASE, Int32(F_RDLCK)) }
        } catch where error.errno == .resourceTemporarilyUnavailable {
            return true
        } catch {
            return nil
        }
        _ = fcntlInt(fd.rawValue, F_SETLEASE, Int32(F_UNLCK))
        return false
    }
}

private let F_SETSIG: Int32 = 10
private let F_SETLEASE: Int32 = 1024

private func fcntlInt(_ fd: Int32, _ command: Int32, _ argument: Int32) -> Int32 {
    fcntl(fd, command, argument)
}

/// The signal a lease break raises (SIGRTMAX-4). Restartable: a lease break may land while any thread
/// is in any system call, and none of them should see EINTR because of it.
enum LeaseSignal {
    static let installed = installDoNothingHandler(__libc_current_sigrtmax() - 4, flags: SA_RESTART)
}
