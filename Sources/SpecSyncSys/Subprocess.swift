#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// What a finished child process left: its status and everything it wrote.
public struct SubprocessResult: Sendable, Equatable {
    /// The exit status, or the signal number when a signal ended it (what Foundation's Process reported).
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]
}

extension Sys {
    /// Runs `executable` (an absolute path) with `arguments` in `workingDirectory`, feeds it `input`, and
    /// waits for it: posix_spawn, not Foundation's Process, so the CLI does not link full Foundation.
    ///
    /// One thread drives all three pipes with poll(2), so a child that answers a large question with a
    /// large answer cannot deadlock against us. The child starts with default signal dispositions and an
    /// empty mask (`watch` ignores SIGINT/SIGTERM, which exec would otherwise pass on), and without our
    /// descriptors. SIGPIPE from a child that stops reading early is kept from killing us.
    public static func runProcess(_ executable: String, _ arguments: [String], workingDirectory: String,
                                  input: [UInt8]? = nil) throws(SysError) -> SubprocessResult {
        let stdin = try pipe()
        let stdout: (read: Int32, write: Int32)
        let stderr: (read: Int32, write: Int32)
        do throws(SysError) {
            stdout = try pipe()
            do throws(SysError) { stderr = try pipe() } catch {
                closeAll([stdout.read, stdout.write]); throw error
            }
        } catch {
            closeAll([stdin.read, stdin.write]); throw error
        }
        let pid: pid_t
        do throws(SysError) {
            pid = try spawn(executable, arguments, workingDirectory: workingDirectory,
                            stdin: stdin.read, stdout: stdout.write, stderr: stderr.write)
        } catch {
            closeAll([stdin.read, stdin.write, stdout.read, stdout.write, stderr.read, stderr.write])
            throw error
        }
        closeAll([stdin.read, stdout.write, stderr.write])
        let streams: (stdout: [UInt8], stderr: [UInt8])
        do throws(SysError) {
            streams = try exchange(input: input ?? [], stdin: stdin.write, stdout: stdout.read, stderr: stderr.read)
        } catch {
            _ = try? waitForExit(pid)
            throw error
        }
        return SubprocessResult(status: try waitForExit(pid), stdout: streams.stdout, stderr: streams.stderr)
    }

    /// pipe2(2) with O_CLOEXEC: only the dup2'd copies reach the child.
    private static func pipe() throws(SysError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        if let pipe2 = SpawnExtensions.pipe2 {
            _ = try perform(.pipe, nil) { _ in pipe2(&fds, O_CLOEXEC) }
            return (fds[0], fds[1])
        }
        // Without pipe2 (never on glibc ≥ 2.9): close-on-exec set right after, a small window for a
        // concurrent spawn elsewhere to inherit them.
        _ = try perform(.pipe, nil) { _ in Glibc.pipe(&fds) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    private static func closeAll(_ fds: [Int32]) {
        for fd in fds where fd >= 0 { _ = Glibc.close(fd) }
    }

    private static func spawn(_ executable: String, _ arguments: [String], workingDirectory: String,
                              stdin: Int32, stdout: Int32, stderr: Int32) throws(SysError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Descriptors opened without O_CLOEXEC by C libraries (libinotifytools' inotify descriptor).
        if let closeFrom = SpawnExtensions.addCloseFrom { _ = closeFrom(&actions, 3) }
        guard let addChdir = SpawnExtensions.addChdir else {
            throw SysError(call: .posixSpawn, path: workingDirectory, errno: .noFunction)
        }
        let chdirResult = FileName.withCString(workingDirectory) { addChdir(&actions, $0) }
        guard chdirResult == 0 else {
            throw SysError(call: .posixSpawn, path: workingDirectory, errno: Errno(rawValue: chdirResult))
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { FileName.withCString($0) { strdup($0) } }
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        #if DEBUG
        if case .fail(let errno)? = interposedEffect(.posixSpawn, path: executable) {
            throw SysError(call: .posixSpawn, path: executable, errno: errno)
        }
        #endif
        let result = FileName.withCString(executable) { path in
            (argv + [nil]).withUnsafeBufferPointer { argvPointer in
                posix_spawn(&pid, path, &actions, &attributes, argvPointer.baseAddress!, environ)
            }
        }
        // posix_spawn returns the error instead of setting errno (the child's exec failure included).
        guard result == 0 else { throw SysError(call: .posixSpawn, path: executable, errno: Errno(rawValue: result)) }
        return pid
    }

    /// Writes `input` to the child's stdin and reads its stdout and stderr until both reach end of file.
    /// Closes all three descriptors.
    private static func exchange(input: [UInt8], stdin: Int32, stdout: Int32,
                                 stderr: Int32) throws(SysError) -> (stdout: [UInt8], stderr: [UInt8]) {
        var stdinFD = stdin, stdoutFD = stdout, stderrFD = stderr
        defer { closeAll([stdinFD, stdoutFD, stderrFD]) }
        var written = 0
        if input.isEmpty {
            closeAll([stdinFD]); stdinFD = -1
        } else {
            _ = fcntl(stdinFD, F_SETFL, fcntl(stdinFD, F_GETFL) | O_NONBLOCK)
        }
        var out: [UInt8] = [], err: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { chunk.deallocate() }
        // A write to a pipe whose reader has exited raises SIGPIPE in this thread; blocked, it becomes EPIPE.
        var pipeSignal = sigset_t(), previousMask = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previousMask)
        defer {
            // Discard the SIGPIPE we may have caused before unblocking, so it is not delivered then.
            var none = timespec(tv_sec: 0, tv_nsec: 0)
            if sigismember(&previousMask, SIGPIPE) == 0 {
                while sigtimedwait(&pipeSignal, nil, &none) == SIGPIPE {}
            }
            pthread_sigmask(SIG_SETMASK, &previousMask, nil)
        }
        while stdinFD >= 0 || stdoutFD >= 0 || stderrFD >= 0 {
            var polled = [pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0),
                          pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0),
                          pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)]
            _ = try perform(.poll, nil) { _ in poll(&polled, nfds_t(polled.count), -1) }
            if stdinFD >= 0 && polled[0].revents != 0 {
                let count = input.withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress! + written, $0.count - written) }
                if count > 0 { written += count }
                let failed = count < 0 && errno != EAGAIN && errno != EINTR
                // EPIPE: the child stopped reading; what it wrote still counts.
                if written == input.count || failed { closeAll([stdinFD]); stdinFD = -1 }
            }
            for (index, fd) in [(1, stdoutFD), (2, stderrFD)] where fd >= 0 && polled[index].revents != 0 {
                let count = try perform(.read, nil) { _ in Glibc.read(fd, chunk.baseAddress, chunk.count) }
                if count == 0 {
                    closeAll([fd])
                    if index == 1 { stdoutFD = -1 } else { stderrFD = -1 }
                } else if index == 1 {
                    out.append(contentsOf: chunk[0..<count])
                } else {
                    err.append(contentsOf: chunk[0..<count])
                }
            }
        }
        return (out, err)
    }

    private static func waitForExit(_ pid: pid_t) throws(SysError) -> Int32 {
        var status: Int32 = 0
        _ = try perform(.waitpid, nil) { _ in waitpid(pid, &status, 0) }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : signal  // WIFEXITED ? WEXITSTATUS : WTERMSIG
    }
}

/// glibc declares these only under _GNU_SOURCE / __USE_MISC, which the Swift Glibc module leaves out:
/// looked up at run time. addchdir_np is in glibc 2.29+, addclosefrom_np in 2.34+, pipe2 in 2.9+.
private enum SpawnExtensions {
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    static let addChdir: AddChdir? = dynamicSymbol("posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChdir.self) }
    static let addCloseFrom: AddCloseFrom? = dynamicSymbol("posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }
    static let pipe2: Pipe2? = dynamicSymbol("pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
}
