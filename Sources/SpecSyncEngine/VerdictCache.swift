#if canImport(Glibc)
import Glibc
#endif
import SpecSyncStore
import SpecSyncSys

/// What the watcher's last start-up pass found valid (canonical or not), so the next start need not read
/// those files again: each with the identity it had then (device, inode, size, mode, mtime, ctime). A file whose
/// identity is still exactly that has not been written, renamed over or chmod-ed since — a program can set
/// a file's mtime but not its ctime. Invalid files are never recorded: they are read and reported at
/// every start. Entries belong to one context (the binary, the limits, the schema); any change there
/// drops them all.
struct VerdictCache: Sendable {
    /// A valid file as it was found: its identity, and whether it was in canonical form.
    struct Verdict: Sendable, Equatable {
        var identity: FileIdentity
        var canonical: Bool
    }

    static let header = "specsync-verdicts 3"
    /// A file changed less than this before the pass began is not recorded: a write in the same
    /// timestamp tick as our read could leave every stamp as it was (git's "racy" entries). Three
    /// seconds: the coarsest timestamps kept on the file systems trusted here are a second, and the
    /// kernel's timestamp clock may lag the wall clock by a tick.
    static let settledNanoseconds: Int64 = 3_000_000_000
    /// A cache bigger than this is not read (100,000 entries take about 10 MB).
    static let maxBytes = 64 << 20

    private(set) var entries: [String: Verdict]

    init(entries: [String: Verdict] = [:]) {
        self.entries = entries
    }

    /// The verdict recorded for `path`, if the file still has the identity it had then.
    func verdict(_ path: String, now identity: FileIdentity) -> Verdict? {
        guard let verdict = entries[path], verdict.identity == identity else { return nil }
        return verdict
    }

    // MARK: Text form

    /// `specsync-verdicts 3 <context>` then one line per file: device, inode, size, mode, mtime and ctime
    /// (ns) in decimal, `c` (canonical) or `n` (valid, not canonical), then the path to the end of the
    /// line; last, `end <hash>`: FNV-1a of everything before that line. Paths holding a line break are
    /// left out.
    static func encode(context: String, _ entries: [(path: String, verdict: Verdict)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + entries.count * 96)
        out.append(contentsOf: "\(header) \(context)\n".utf8)
        for (path, verdict) in entries where !path.utf8.contains(0x0A) {
            let id = verdict.identity
            out.append(contentsOf: "\(id.device) \(id.inode) \(id.size) \(id.mode) \(id.modificationTimeNanoseconds) \(id.changeTimeNanoseconds) \(verdict.canonical ? "c" : "n") \(path)\n".utf8)
        }
        out.append(contentsOf: "end \(hex(fnv1a(out)))\n".utf8)
        return out
    }

    /// The entries of `bytes` for the paths in `wanted` (nil: all), or none when it is not a cache of
    /// this format and context, or is damaged anywhere: a flipped byte could turn a `n` into a `c`, so
    /// the hash must match and every line must parse.
    static func decode(_ bytes: [UInt8], context: String, wanted: Set<String>? = nil) -> [String: Verdict] {
        let expected = Array("\(header) \(context)\n".utf8)
        guard bytes.count >= expected.count, bytes[0..<expected.count].elementsEqual(expected) else { return [:] }
        // The last line: `end <16 hex digits>`.
        let trailerLength = 4 + 16 + 1
        guard bytes.count >= expected.count + trailerLength, bytes.last == 0x0A else { return [:] }
        let bodyEnd = bytes.count - trailerLength
        guard bytes[bodyEnd..<(bodyEnd + 4)].elementsEqual(Array("end ".utf8)),
              String(decoding: bytes[(bodyEnd + 4)..<(bytes.count - 1)], as: UTF8.self) == hex(fnv1a(Array(bytes[..<bodyEnd]))) else {
            return [:]
        }
        var entries: [String: Verdict] = [:]
        var i = expected.count
        let n = bodyEnd
        func unsigned() -> UInt64? {
            var value: UInt64 = 0
            var digits = 0
            while i < n, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                // A number beyond 64 bits is damage, not a trap (the file is only ours by convention).
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(bytes[i] - 0x30))
                guard !o1, !o2 else { return nil }
                value = sum
                digits += 1
                i += 1
            }
            guard digits > 0, i < n, bytes[i] == 0x20 else { return nil }
            i += 1
            return value
        }
        func number() -> Int64? {
            var negative = false
            if i < n, bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            guard let magnitude = unsigned(), magnitude <= UInt64(Int64.max) else { return nil }
            return negative ? -Int64(magnitude) : Int64(magnitude)
        }
        while i < n {
            guard let device = unsigned(), let inode = unsigned(), let size = number(), let mode = number(),
                  let mtime = number(), let ctime = number(), mode >= 0, mode <= Int64(UInt32.max),
                  i + 1 < n, bytes[i] == UInt8(ascii: "c") || bytes[i] == UInt8(ascii: "n"), bytes[i + 1] == 0x20 else { return [:] }
            let canonical = bytes[i] == UInt8(ascii: "c")
            i += 2
            let start = i
            while i < n, bytes[i] != 0x0A { i += 1 }
            guard i < n, i > start else { return [:] }
            let path = String(decoding: bytes[start..<i], as: UTF8.self)
            i += 1
            // Only the tree's files are kept: memory follows the tree, not the file.
            if let wanted, !wanted.contains(path) { continue }
            let identity = FileIdentity(device: device, inode: inode, size: size, mode: UInt32(mode),
                                        modificationTimeNanoseconds: mtime, changeTimeNanoseconds: ctime)
            entries[path] = Verdict(identity: identity, canonical: canonical)
        }
        return entries
    }

    // MARK: Which file systems

    /// File systems whose ctime is the local kernel's, kept on disk, and fresh on every stat: there a
    /// same identity means an untouched file. Not NFS (attributes cached up to a minute, stamps from the
    /// server's clock), FUSE (sshfs reports mtime as ctime), vfat or exfat (no change time on disk).
    static let trustedFileSystems: Set<String> = ["ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "f2fs", "zfs", "bcachefs"]

    /// Which of `devices` (st_dev) hold a trusted file system, by /proc/self/mountinfo.
    static func trustedDevices(among devices: Set<UInt64>, mountinfo: [UInt8]) -> Set<UInt64> {
        var trusted = Set<UInt64>()
        for line in mountinfo.split(separator: 0x0A) {
            let fields = line.split(separator: 0x20, omittingEmptySubsequences: true)
            guard fields.count > 2, let separator = fields.firstIndex(where: { $0.elementsEqual([UInt8(ascii: "-")]) }),
                  separator + 1 < fields.count else { continue }
            let numbers = fields[2].split(separator: UInt8(ascii: ":"))
            guard numbers.count == 2, let major = UInt64(String(decoding: numbers[0], as: UTF8.self)),
                  let minor = UInt64(String(decoding: numbers[1], as: UTF8.self)),
                  trustedFileSystems.contains(String(decoding: fields[separator + 1], as: UTF8.self)) else { continue }
            for device in devices where FileIdentity.deviceNumbers(device) == (major, minor) { trusted.insert(device) }
        }
        return trusted
    }

    // MARK: Where it lives

    /// `$XDG_CACHE_HOME/specsync/`, else `~/.cache/specsync/`, one file per watched root (named by a hash
    /// of its path); nil when neither variable names a directory path.
    static func location(forRoot root: String) -> String? {
        func variable(_ name: String) -> String? {
            guard let raw = getenv(name) else { return nil }
            let value = String(cString: raw)
            return value.isAbsolutePath ? value : nil
        }
        guard let base = variable("XDG_CACHE_HOME") ?? variable("HOME").map({ $0 + "/.cache" }) else { return nil }
        return base + "/specsync/verdicts-" + hex(fnv1a(Array(root.utf8))) + ".txt"
    }

    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }
}
