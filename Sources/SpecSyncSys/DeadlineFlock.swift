#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

extension Sys {
    /// flock(2) LOCK_EX that waits in the kernel, queued like any other blocking flock waiter (a Go
    /// writer's `syscall.Flock`, `flock(1)`), until `deadline`. Returns false when the deadline passes
    /// first. The lock is tried at least once, also when the deadline has already passed.
    ///
    /// The wait is bounded by a one-shot CLOCK_MONOTONIC timer aimed at this thread only
    /// (SIGEV_THREAD_ID) that raises `DeadlineSignal.number`, whose handler does nothing and is
    /// installed without SA_RESTART: the blocked flock returns EINTR, nothing else in the process is
    /// touched. Polling with LOCK_NB instead would let blocked waiters win every hand-over.
    public static func flockExclusive(_ fd: Descriptor, until deadline: ContinuousClock.Instant) throws(SysError) -> Bool {
        if try flock(fd, .exclusive, nonBlocking: true) { return true }
        let clock = ContinuousClock()
        let signal = try DeadlineSignal.prepare()
        let unblocked = DeadlineSignal.unblockOnThisThread(signal)
        defer { DeadlineSignal.restore(unblocked) }
        while true {
            let remaining = deadline - clock.now
            if remaining <= .zero { return try flock(fd, .exclusive, nonBlocking: true) }
            let timer = try ThreadTimer(signal: signal, after: remaining)
            do throws(SysError) {
                _ = try perform(.flock, fd.path, retryOnInterrupt: false) { _ in flockBlocking(fd.rawValue) }
                timer.cancel()
                return true
            } catch where error.errno == .interrupted {
                // The deadline timer, or an unrelated signal: the loop decides by the clock.
                timer.cancel()
            } catch {
                timer.cancel()
                throw error
            }
        }
    }
}

private func flockBlocking(_ fd: Int32) -> Int32 { flock(fd, LOCK_EX) }

/// The real-time signal that ends a bounded flock wait (SIGRTMAX-3, leaving the top ones to the
/// application), with a do-nothing handler installed once per process.
enum DeadlineSignal {
    private static let installed: Result<Int32, SysError> = {
        let number = __libc_current_sigrtmax() - 3
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0  // no SA_RESTART: the blocked flock must return EINTR
        sigemptyset(&action.sa_mask)
        guard sigaction(number, &action, nil) == 0 else {
            return .failure(SysError(call: .sigaction, path: nil, errno: Errno(rawValue: errno)))
        }
        return .success(number)
    }()

    static func prepare() throws(SysError) -> Int32 { try installed.get() }

    /// Thread pools may block signals; the timer's signal must reach this thread while it waits.
    static func unblockOnThisThread(_ number: Int32) -> sigset_t? {
        var set = sigset_t(), previous = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, number)
        guard pthread_sigmask(SIG_UNBLOCK, &set, &previous) == 0 else { return nil }
        return sigismember(&previous, number) == 1 ? previous : nil
    }

    static func restore(_ previous: sigset_t?) {
        guard var previous else { return }
        _ = pthread_sigmask(SIG_SETMASK, &previous, nil)
    }
}

/// A one-shot timer that signals the creating thread after a delay. `cancel` deletes it; once
/// timer_delete returns, a signal it already raised has been delivered (on the syscall's return to
/// user space), so no stray EINTR reaches later calls.
private struct ThreadTimer {
    private let timer: timer_t?

    init(signal: Int32, after delay: Duration) throws(SysError) {
        var event = sigevent()
        event.sigev_notify = Int32(SIGEV_THREAD_ID)
        event.sigev_signo = signal
        event._sigev_un._tid = ThreadID.current()
        var created: timer_t?
        guard timer_create(CLOCK_MONOTONIC, &event, &created) == 0 else {
            throw SysError(call: .timerCreate, path: nil, errno: Errno(rawValue: errno))
        }
        timer = created
        let (seconds, attoseconds) = delay.components
        var nanoseconds = Int(attoseconds / 1_000_000_000)
        if seconds == 0 && nanoseconds == 0 { nanoseconds = 1 }  // zero would disarm
        var spec = itimerspec(it_interval: timespec(), it_value: timespec(tv_sec: Int(seconds), tv_nsec: nanoseconds))
        guard timer_settime(created, 0, &spec, nil) == 0 else {
            let failure = Errno(rawValue: errno)
            timer_delete(created)
            throw SysError(call: .timerCreate, path: nil, errno: failure)
        }
    }

    func cancel() { timer_delete(timer) }
}

/// gettid(2): glibc declares it only under _GNU_SOURCE, so it is looked up at run time (glibc 2.30+),
/// falling back to the raw system call.
private enum ThreadID {
    typealias Wrapper = @convention(c) () -> Int32
    typealias RawSyscall = @convention(c) (Int) -> Int

    private static let wrapper: Wrapper? = dynamicSymbol("gettid").map { unsafeBitCast($0, to: Wrapper.self) }
    private static let rawSyscall: RawSyscall? = dynamicSymbol("syscall").map { unsafeBitCast($0, to: RawSyscall.self) }

    static func current() -> Int32 {
        if let wrapper { return wrapper() }
        #if arch(x86_64)
        let number = 186
        #elseif arch(arm64)
        let number = 178
        #else
        let number = -1
        #endif
        if let rawSyscall, number >= 0 { return Int32(truncatingIfNeeded: rawSyscall(number)) }
        return getpid()
    }
}
