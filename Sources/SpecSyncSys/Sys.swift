#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The Linux system calls specsync uses, each wrapped once: typed errors naming the call and path,
/// EINTR retried or not per call (decided here, in one place), and a fault-injection point
/// (`SysInterposer`, debug builds) in front of every call.
public enum Sys {

    // MARK: Descriptors

    /// open(2), always with O_CLOEXEC. `permissions` applies only when the file is created (minus umask).
    public static func open(_ path: String, _ access: AccessMode, _ options: OpenOptions = [],
                            permissions: UInt32 = 0o644) throws(SysError) -> Descriptor {
        let accessFlags: Int32
        switch access {
        case .readOnly: accessFlags = O_RDONLY
        case .writeOnly: accessFlags = O_WRONLY
        case .readWrite: accessFlags = O_RDWR
        }
        let flags = accessFlags | options.rawValue | O_CLOEXEC
        let fd = try perform(.open, path) { _ in FileName.withCString(path) { Glibc.open($0, flags, mode_t(permissions)) } }
        return Descriptor(rawValue: fd, path: path)
    }

    /// close(2). Never retried: on Linux the descriptor is gone even when close reports an error,
    /// and a retry could close a descriptor another thread just opened.
    public static func close(_ fd: Descriptor) throws(SysError) {
        #if DEBUG
        let injected = interposedEffect(.close, path: fd.path)
        #endif
        let result = Glibc.close(fd.rawValue)
        let realErrno = Glibc.errno
        #if DEBUG
        if case .fail(let errno)? = injected { throw SysError(call: .close, path: fd.path, errno: errno) }
        #endif
        if result == -1 { throw SysError(call: .close, path: fd.path, errno: Errno(rawValue: realErrno)) }
    }

    /// Closes where a close error cannot change the outcome (read-only descriptors, cleanup after a failure).
    public static func closeIgnoringErrors(_ fd: Descriptor) {
        _ = Glibc.close(fd.rawValue)
    }

    /// One read(2); returns the byte count (0 at end of file). EINTR retried.
    public static func read(_ fd: Descriptor, into buffer: UnsafeMutableRawBufferPointer) throws(SysError) -> Int {
        try perform(.read, fd.path) { limit in
            Glibc.read(fd.rawValue, buffer.baseAddress, min(buffer.count, limit ?? Int.max))
        }
    }

    /// Reads from the current offset to end of file, or until `limit` bytes are in: callers pass their
    /// maximum + 1, so input that is too large (a pipe, a file that grows or lies about its size) costs
    /// at most that much memory and is recognized by its length.
    public static func readAll(_ fd: Descriptor, limit: Int = Int.max) throws(SysError) -> [UInt8] {
        try readChunks(limit: limit) { (chunk: UnsafeMutableRawBufferPointer, _: Int) throws(SysError) -> Int in
            try read(fd, into: chunk)
        }
    }

    /// Reads the file from offset 0 with pread(2), leaving the descriptor's offset alone; stops at end
    /// of file or after `limit` bytes (see `readAll`).
    ///
    /// `expectedSize` is the size an fstat of the regular file just reported. A read that comes back
    /// short with exactly that many bytes read is the end of the file, so the read of 0 bytes that
    /// would confirm it is skipped (a quarter of the reads of every spec `fmt` writes). Anything else — a
    /// file that grew or shrank since, a size of 0 from /proc, a short read part-way — reads on to 0.
    public static func preadAll(_ fd: Descriptor, limit: Int = Int.max, expectedSize: Int64? = nil) throws(SysError) -> [UInt8] {
        try readChunks(limit: limit, endsAt: expectedSize.flatMap { $0 > 0 ? Int(exactly: $0) : nil }) {
            (chunk: UnsafeMutableRawBufferPointer, offset: Int) throws(SysError) -> Int in
            try perform(.pread, fd.path) { injected in
                Glibc.pread(fd.rawValue, chunk.baseAddress, min(chunk.count, injected ?? Int.max), off_t(offset))
            }
        }
    }

    private static func readChunks(limit: Int, endsAt expectedSize: Int? = nil,
                                   _ readChunk: (UnsafeMutableRawBufferPointer, Int) throws(SysError) -> Int) throws(SysError) -> [UInt8] {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { chunk.deallocate() }
        var result: [UInt8] = []
        while result.count < limit {
            let wanted = min(chunk.count, limit - result.count)
            let count = try readChunk(UnsafeMutableRawBufferPointer(rebasing: chunk[0..<wanted]), result.count)
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
            if count < wanted && result.count == expectedSize { break }
        }
        return result
    }

    /// Writes all bytes: loops over short writes, retries EINTR.
    public static func writeAll(_ fd: Descriptor, _ bytes: [UInt8]) throws(SysError) {
        var offset = 0
        while offset < bytes.count {
            let remaining = bytes.count - offset
            let written = try perform(.write, fd.path) { limit in
                bytes.withUnsafeBytes { buffer in
                    Glibc.write(fd.rawValue, buffer.baseAddress! + offset, min(remaining, limit ?? Int.max))
                }
            }
            // write(2) returning 0 for a non-empty buffer would loop forever; treat it as the device failing.
            if written == 0 { throw SysError(call: .write, path: fd.path, errno: .ioError) }
            offset += written
        }
    }

    /// fsync(2). Never retried, not even on EINTR: after a failed fsync the kernel may already have
    /// dropped the dirty pages and cleared the error, so a "successful" retry would be a lie.
    public static func fsync(_ fd: Descriptor) throws(SysError) {
        _ = try perform(.fsync, fd.path, retryOnInterrupt: false) { _ in Glibc.fsync(fd.rawValue) }
    }

    /// syncfs(2): writes back every dirty inode and its data on the file system holding `fd`, and waits
    /// (on ext4/xfs a journal commit), so it makes all files written there durable in one call. Errors
    /// are reported since Linux 5.8 for writeback failures since `fd` was opened (the superblock's error
    /// sequence is sampled at open), so open `fd` before writing the files it must cover. Never retried,
    /// for the same reason as `fsync`. ENOSYS when the C library and the kernel interface are missing or
    /// a sandbox filters the call.
    public static func syncfs(_ fd: Descriptor) throws(SysError) {
        _ = try perform(.syncfs, fd.path, retryOnInterrupt: false) { _ in Syncfs.call(fd.rawValue) }
    }

    public static func fchmod(_ fd: Descriptor, _ permissions: UInt32) throws(SysError) {
        _ = try perform(.fchmod, fd.path) { _ in Glibc.fchmod(fd.rawValue, mode_t(permissions)) }
    }

    public static func fchown(_ fd: Descriptor, owner: UInt32, group: UInt32) throws(SysError) {
        _ = try perform(.fchown, fd.path) { _ in Glibc.fchown(fd.rawValue, uid_t(owner), gid_t(group)) }
    }

    public static func fstat(_ fd: Descriptor) throws(SysError) -> FileStatus {
        var st = Glibc.stat()
        _ = try perform(.fstat, fd.path) { _ in fstatCall(fd.rawValue, &st) }
        return FileStatus(st)
    }

    // MARK: Paths

    /// stat(2): follows symlinks.
    public static func stat(_ path: String) throws(SysError) -> FileStatus {
        var st = Glibc.stat()
        _ = try perform(.stat, path) { _ in FileName.withCString(path) { statCall($0, &st) } }
        return FileStatus(st)
    }

    /// lstat(2): describes a symlink itself.
    public static func lstat(_ path: String) throws(SysError) -> FileStatus {
        var st = Glibc.stat()
        _ = try perform(.lstat, path) { _ in FileName.withCString(path) { lstatCall($0, &st) } }
        return FileStatus(st)
    }

    public static func rename(_ source: String, _ destination: String) throws(SysError) {
        _ = try perform(.rename, "\(source) -> \(destination)") { _ in FileName.withCString(source) { s in FileName.withCString(destination) { Glibc.rename(s, $0) } } }
    }

    /// renameat2(2) with RENAME_EXCHANGE / RENAME_NOREPLACE. Glibc's Swift module does not export the
    /// wrapper, so it is looked up at run time, falling back to the raw system call; without either
    /// the call fails with ENOSYS.
    public static func renameat2(_ source: String, _ destination: String, _ flags: RenameFlags) throws(SysError) {
        _ = try perform(.renameat2, "\(source) -> \(destination)") { _ in
            FileName.withCString(source) { s in FileName.withCString(destination) { Renameat2.call(s, $0, flags.rawValue) } }
        }
    }

    /// mkdir(2); `permissions` minus umask.
    public static func mkdir(_ path: String, permissions: UInt32 = 0o777) throws(SysError) {
        _ = try perform(.mkdir, path) { _ in FileName.withCString(path) { Glibc.mkdir($0, mode_t(permissions)) } }
    }

    /// chmod(2), following symlinks.
    public static func chmod(_ path: String, _ permissions: UInt32) throws(SysError) {
        _ = try perform(.chmod, path) { _ in FileName.withCString(path) { Glibc.chmod($0, mode_t(permissions)) } }
    }

    public static func unlink(_ path: String) throws(SysError) {
        _ = try perform(.unlink, path) { _ in FileName.withCString(path) { Glibc.unlink($0) } }
    }

    public static func readlink(_ path: String) throws(SysError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = try perform(.readlink, path) { _ in FileName.withCString(path) { Glibc.readlink($0, &buffer, buffer.count - 1) } }
        return FileName.decode(buffer[0..<count].map { UInt8(bitPattern: $0) })
    }

    public static func realpath(_ path: String) throws(SysError) -> String {
        var resolved: UnsafeMutablePointer<CChar>?
        _ = try perform(.realpath, path) { _ -> Int32 in
            resolved = FileName.withCString(path) { Glibc.realpath($0, nil) }
            return resolved == nil ? -1 : 0
        }
        defer { free(resolved) }
        return FileName.decode(cString: resolved!)
    }

    /// Names in a directory (opendir/readdir), without "." and "..".
    public static func directoryEntries(_ path: String) throws(SysError) -> [String] {
        var dir: OpaquePointer?
        _ = try perform(.opendir, path) { _ -> Int32 in
            dir = FileName.withCString(path) { Glibc.opendir($0) }
            return dir == nil ? -1 : 0
        }
        guard let dir else { throw SysError(call: .opendir, path: path, errno: .ioError) }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            var entry: UnsafeMutablePointer<dirent>?
            _ = try perform(.readdir, path) { _ -> Int32 in
                Glibc.errno = 0
                entry = Glibc.readdir(dir)
                // NULL with errno 0 is the end of the directory, not an error.
                return entry == nil && Glibc.errno != 0 ? -1 : 0
            }
            guard let entry else { return names }
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { FileName.decode(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    // MARK: Locks

    public enum LockOperation: Sendable {
        case exclusive, shared, unlock
    }

    /// flock(2). With `nonBlocking`, returns false when another open file description holds a
    /// conflicting lock (EWOULDBLOCK) instead of waiting. EINTR retried.
    public static func flock(_ fd: Descriptor, _ operation: LockOperation, nonBlocking: Bool) throws(SysError) -> Bool {
        var op: Int32
        switch operation {
        case .exclusive: op = LOCK_EX
        case .shared: op = LOCK_SH
        case .unlock: op = LOCK_UN
        }
        if nonBlocking { op |= LOCK_NB }
        do throws(SysError) {
            _ = try perform(.flock, fd.path) { _ in flockCall(fd.rawValue, op) }
            return true
        } catch where error.errno == .wouldBlock && nonBlocking {
            return false
        }
    }

    // MARK: Process and time

    public static var processID: Int32 { getpid() }

    /// Processors online (sysconf(3)), at least 1: how many threads CPU work is spread over.
    public static var processorCount: Int {
        max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// getcwd(3); "" when the working directory is gone or unreachable (Foundation's
    /// `currentDirectoryPath` had no error either, and every caller then fails on the path itself).
    public static func currentDirectory() -> String {
        guard let path = getcwd(nil, 0) else { return "" }
        defer { free(path) }
        return FileName.decode(cString: path)
    }

    /// Whether a process with this id exists in our pid namespace (kill(pid, 0): EPERM still means it
    /// exists). Throws for any other failure.
    public static func processExists(_ pid: Int32) throws(SysError) -> Bool {
        do {
            _ = try perform(.kill, nil) { _ in Glibc.kill(pid, 0) }
            return true
        } catch where error.errno == .noSuchProcess {
            return false
        } catch where error.errno == .notPermitted {
            return true
        }
    }

    /// The soft limit on open descriptors (RLIMIT_NOFILE); nil when unlimited.
    public static func openFileLimit() throws(SysError) -> Int? {
        var limit = rlimit()
        _ = try perform(.getrlimit, nil) { _ in getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) }
        return limit.rlim_cur == rlim_t.max ? nil : Int(clamping: limit.rlim_cur)
    }

    /// Wall-clock time in nanoseconds since the epoch (comparable with file timestamps).
    public static func wallClockNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Sleeps for the whole duration, resuming after signals.
    public static func sleep(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        guard seconds > 0 || attoseconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && Glibc.errno == EINTR {
            request = remaining
        }
    }
}

// The C functions share their names with `struct stat` / `struct flock` and with Sys's own methods;
// these file-level forwarders keep the call sites unambiguous.
private func statCall(_ path: UnsafePointer<CChar>, _ st: inout stat) -> Int32 { stat(path, &st) }
private func lstatCall(_ path: UnsafePointer<CChar>, _ st: inout stat) -> Int32 { lstat(path, &st) }
private func fstatCall(_ fd: Int32, _ st: inout stat) -> Int32 { fstat(fd, &st) }
private func flockCall(_ fd: Int32, _ operation: Int32) -> Int32 { flock(fd, operation) }

extension FileStatus {
    init(_ st: Glibc.stat) {
        self.init(identity: FileIdentity(st), ownerID: UInt32(st.st_uid), groupID: UInt32(st.st_gid),
                  linkCount: UInt64(st.st_nlink))
    }
}

extension Errno {
    static var wouldBlock: Errno { .resourceTemporarilyUnavailable }
}

/// The single path every wrapped call takes: injected faults first (debug builds), then the call,
/// retried on EINTR when `retryOnInterrupt`. `body` receives a byte limit when a short transfer is injected.
@inline(__always)
func perform<R: FixedWidthInteger>(_ call: SysCall, _ path: String?, retryOnInterrupt: Bool = true,
                                   _ body: (_ transferLimit: Int?) -> R) throws(SysError) -> R {
    while true {
        var limit: Int?
        #if DEBUG
        switch interposedEffect(call, path: path) {
        case .none:
            break
        case .fail(let errno)?:
            if errno == .interrupted && retryOnInterrupt { continue }
            throw SysError(call: call, path: path, errno: errno)
        case .shortTransfer(let maxBytes)?:
            limit = maxBytes
        }
        #endif
        let result = body(limit)
        if result != -1 { return result }
        let errno = Errno(rawValue: Glibc.errno)
        if errno == .interrupted && retryOnInterrupt { continue }
        throw SysError(call: call, path: path, errno: errno)
    }
}

/// Finds renameat2 once: the glibc wrapper (2.28+), else syscall(2) with the architecture's number.
private enum Renameat2 {
    typealias Wrapper = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    typealias RawSyscall = @convention(c) (Int, Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int

    static let wrapper: Wrapper? = dynamicSymbol("renameat2").map { unsafeBitCast($0, to: Wrapper.self) }
    static let rawSyscall: RawSyscall? = dynamicSymbol("syscall").map { unsafeBitCast($0, to: RawSyscall.self) }

    static var syscallNumber: Int? {
        #if arch(x86_64)
        return 316
        #elseif arch(arm64)
        return 276
        #else
        return nil
        #endif
    }

    static func call(_ source: UnsafePointer<CChar>, _ destination: UnsafePointer<CChar>, _ flags: UInt32) -> Int32 {
        if let wrapper { return wrapper(AT_FDCWD, source, AT_FDCWD, destination, flags) }
        if let rawSyscall, let number = syscallNumber {
            return Int32(truncatingIfNeeded: rawSyscall(number, AT_FDCWD, source, AT_FDCWD, destination, flags))
        }
        Glibc.errno = ENOSYS
        return -1
    }

}

/// syncfs is declared by glibc only under _GNU_SOURCE, which the Swift Glibc module leaves out: looked up
/// at run time like renameat2, falling back to the raw system call.
private enum Syncfs {
    typealias Wrapper = @convention(c) (Int32) -> Int32
    typealias RawSyscall = @convention(c) (Int, Int32) -> Int

    static let wrapper: Wrapper? = dynamicSymbol("syncfs").map { unsafeBitCast($0, to: Wrapper.self) }
    static let rawSyscall: RawSyscall? = dynamicSymbol("syscall").map { unsafeBitCast($0, to: RawSyscall.self) }

    static var syscallNumber: Int? {
        #if arch(x86_64)
        return 306
        #elseif arch(arm64)
        return 267
        #else
        return nil
        #endif
    }

    static func call(_ fd: Int32) -> Int32 {
        if let wrapper { return wrapper(fd) }
        if let rawSyscall, let number = syscallNumber {
            return Int32(truncatingIfNeeded: rawSyscall(number, fd))
        }
        Glibc.errno = ENOSYS
        return -1
    }

}

/// A C library function the Swift Glibc module does not declare (it leaves out _GNU_SOURCE), looked up
/// in the running process.
func dynamicSymbol(_ name: String) -> UnsafeMutableRawPointer? {
    guard let handle = dlopen(nil, RTLD_NOW) else { return nil }
    return dlsym(handle, name)
}
