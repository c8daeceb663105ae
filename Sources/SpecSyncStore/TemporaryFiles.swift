import SpecSyncSys
import Synchronization
import SystemPackage

/// Names of our temporary files, `<prefix><target name>.<pid>.<8 hex digits>`, and removal of stale ones.
struct TemporaryFiles {
    let prefix: String
    let staleAge: Duration

    func name(for targetName: String) -> String {
        let random = UInt32(truncatingIfNeeded: Self.nameBits.withLock { $0.next() })
        // Put together as bytes: interpolation and String(radix:) took 4,000 instructions per file written.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(prefix.utf8.count + targetName.utf8.count + 20)
        bytes.append(contentsOf: prefix.utf8)
        bytes.append(contentsOf: targetName.utf8)
        bytes.append(UInt8(ascii: "."))
        var pid = UInt32(truncatingIfNeeded: Sys.processID)
        let digitsStart = bytes.count
        repeat {
            bytes.insert(UInt8(ascii: "0") + UInt8(pid % 10), at: digitsStart)
            pid /= 10
        } while pid > 0
        bytes.append(UInt8(ascii: "."))
        for shift in stride(from: 28, through: 0, by: -4) {
            let digit = UInt8((random >> UInt32(shift)) & 0xF)
            bytes.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True only for names this store could have produced: prefix, non-empty target name, decimal pid,
    /// exactly eight lowercase hex digits.
    static func isTemporaryName(_ name: String, prefix: String) -> Bool {
        guard !prefix.isEmpty, name.hasBytePrefix(prefix) else { return false }
        let rest = name.utf8.dropFirst(prefix.utf8.count)
        let parts = rest.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return false }
        let random = parts[parts.count - 1]
        let pid = parts[parts.count - 2]
        let targetLength = rest.count - random.count - pid.count - 2
        return targetLength > 0
            && random.count == 8 && random.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
            && !pid.isEmpty && pid.count <= 10 && pid.allSatisfy { (0x30...0x39).contains($0) }
    }

    /// Removes our temporary files in `directory` left by a process that no longer exists (the pid in
    /// the name; after a crash or kill -9 they are removed at once), or whose last status change (ctime:
    /// the last write, or the exchange that displaced a file) is older than `staleAge`. The pid check
    /// sees our pid namespace only: a writer on another host sharing the directory looks dead, and
    /// losing its temp fails that one write (its target is untouched). Only regular files matching our
    /// name pattern; never anything else. Best effort: a failure here must not fail the write.
    ///
    /// A directory is swept at most once per min(staleAge, 60 s) per process: listing a directory of
    /// 10,000 specs for each of 5,000 writes would make `fmt` quadratic, and a temp only becomes stale
    /// after `staleAge` anyway.
    func removeStale(in directory: String) {
        let now = Sys.wallClockNanoseconds()
        let (seconds, attoseconds) = staleAge.components
        let maximumAge = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        guard Self.sweeps.claim(directory, now: now, interval: min(maximumAge, 60_000_000_000)) else { return }
        guard let names = try? Sys.directoryEntries(directory) else { return }
        for name in names where Self.isTemporaryName(name, prefix: prefix) {
            let path = PathParts.join(directory, name)
            guard let status = try? Sys.lstat(path), status.identity.isRegularFile else { continue }
            if now - status.identity.changeTimeNanoseconds >= maximumAge || Self.writerIsGone(name) {
                try? Sys.unlink(path)
            }
        }
    }
}

extension TemporaryFiles {
    /// True when the pid in a temporary's name is not a running process (and not ours).
    static func writerIsGone(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]), pid > 0, pid != Sys.processID else { return false }
        return (try? Sys.processExists(pid)) == false
    }
}

extension SpecStore {
    /// Removes temporaries in `directory` left by dead processes or older than `staleTempAge` (the
    /// watcher calls this for its tree at start-up; writes do it for their directory).
    public func removeStaleTemporaries(in directory: String) {
        sweepStaleTemporaries(in: directory)
    }
}

/// When this process last swept each directory for stale temporaries.
final class SweepLog: Sendable {
    private let lastSweep = Mutex<[String: Int64]>([:])

    /// True (and recorded) when `directory` was not swept within `interval` nanoseconds.
    func claim(_ directory: String, now: Int64, interval: Int64) -> Bool {
        lastSweep.withLock { log in
            if let last = log[directory], now - last < interval, now >= last { return false }
            log[directory] = now
            return true
        }
    }
}

extension TemporaryFiles {
    static let sweeps = SweepLog()

    /// The random part of names: seeded once from the system generator, then SplitMix64 (the system
    /// generator is one getrandom(2) per call: a system call per file written). A name only has to be
    /// unlikely to be taken; one that is (`O_EXCL` fails) is drawn again. The names are predictable to
    /// someone who has seen a few; pre-creating them needs write access to the directory, which can
    /// stop a write in simpler ways (its lock file), and `O_EXCL | O_NOFOLLOW` still refuses symlinks.
    static let nameBits = Mutex(SplitMix64(seed: UInt64.random(in: .min ... .max)))
}
