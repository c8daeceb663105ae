#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex with one condition variable whose timed waits run on CLOCK_MONOTONIC, so a
/// wall-clock jump can neither stretch nor cut a settle window. Public because a `WatchClock` is
/// handed the watcher's lock to wait on.
public final class ConditionLock: @unchecked Sendable {  // unchecked: a pthread mutex and condition variable: the synchronization itself
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Blocks until signalled (or spuriously woken: callers re-check their predicate).
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// Blocks until signalled, spuriously woken, or `timeout` has passed.
    public func wait(timeout: Duration) {
        guard timeout > .zero else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let (seconds, attoseconds) = timeout.components
        // Cap at a day: the loop recomputes its deadline after every wake-up anyway.
        let cappedSeconds = min(seconds, 86_400)
        var deadline = timespec(tv_sec: now.tv_sec + Int(cappedSeconds),
                                tv_nsec: now.tv_nsec + Int(attoseconds / 1_000_000_000))
        if deadline.tv_nsec >= 1_000_000_000 {
            deadline.tv_sec += 1
            deadline.tv_nsec -= 1_000_000_000
        }
        pthread_cond_timedwait(condition, mutex, &deadline)
    }

    public func signal() { pthread_cond_signal(condition) }
    public func broadcast() { pthread_cond_broadcast(condition) }
}

/// A joinable OS thread running one closure. Not Foundation's `Thread`: the watcher stays free of
/// Foundation so a daemon watching 100,000 files keeps a small resident set.
final class JoinableThread: @unchecked Sendable {  // unchecked: the pthread handle is written once before start and read by join
    private final class Box {
        let name: String
        let body: () -> Void
        init(name: String, body: @escaping () -> Void) { self.name = name; self.body = body }
    }

    private var handle: pthread_t
    private var joined = false

    /// Returns nil when the system cannot create a thread (EAGAIN: process or memory limits).
    init?(name: String, _ body: @escaping () -> Void) {
        let box = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            guard let argument else { return nil }
            let box = Unmanaged<Box>.fromOpaque(argument).takeRetainedValue()
            nameCurrentThread(box.name)
            box.body()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            return nil
        }
        self.handle = handle
    }

    func join() {
        guard !joined else { return }
        joined = true
        pthread_join(handle, nil)
    }

    deinit {
        if !joined { pthread_detach(handle) }
    }
}

/// The kernel thread id of the calling thread (for /proc/self/task/<tid>/…), read from
/// /proc/thread-self because glibc's gettid() is not visible to Swift.
func currentKernelThreadID() -> Int32? {
    var buffer = [CChar](repeating: 0, count: 64)
    let length = readlink("/proc/thread-self", &buffer, buffer.count - 1)
    guard length > 0 else { return nil }
    let target = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let last = target.split(separator: "/").last else { return nil }
    return Int32(last)
}

/// Names the calling thread (visible in ps, top, /proc) through /proc/thread-self/comm, because
/// glibc's pthread_setname_np is not visible to Swift. Linux keeps at most 15 bytes.
func nameCurrentThread(_ name: String) {
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    _ = close(fd)
}
