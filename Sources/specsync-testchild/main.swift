// Child process for the store's end-to-end tests (real processes, real flock, real SIGKILL) and the
// write benchmark. Modes:
//   replace PATH CONTENT_FILE [--lock-timeout-ms N] [--stale-age-ms N]  one locked durable replace
//   rewrite-loop PATH VERSION_A VERSION_B      prints "ready", then replaces PATH alternately forever
//   increment PATH COUNT                       COUNT locked increments of the "counter: N" line
//   hold-lock PATH                             takes PATH's lock, prints "held", holds it until stdin EOF
//   hold-open PATH                             opens PATH for writing, prints "opened"; for each stdin line
//                                              "write TEXT" truncates and writes TEXT in place ("written")
//   write-in-place PATH CONTENT_FILE           an editor that truncates and rewrites in place (no lock)
//   rename-in PATH CONTENT_FILE                an editor that writes a copy and renames it over PATH (no lock)
//   bench-write DIR [ITERATIONS] [BYTES]       times locked durable replaces of a BYTES-sized file
//   bench-batch DIR [FILES] [BYTES] [RUNS]     rewrites FILES files of BYTES each in DIR with `update` per
//                                              file and with `updateMany`; prints the medians over RUNS
//   batch-loop DIR VERSIONS COUNT              prints "ready", then flips DIR/TAND-N.yaml (N < COUNT) between
//                                              VERSIONS/TAND-N.a and VERSIONS/TAND-N.b with updateMany, forever
//   increment-many ROUNDS PATH…                ROUNDS updateMany calls, each incrementing every PATH's counter
//   update-many [--pause-before CALL] PATH…    one updateMany replacing each existing PATH with "batch NAME"; with
//                                              --pause-before, prints "before CALL N ARGUMENT" ahead of every CALL
//                                              and waits for a line on stdin (a barrier the test steps through).
//                                              Prints one "PATH: replaced|unchanged|changed|unresolved STRANDED|
//                                              error DESCRIPTION" line per file
//   foreign-saves MUTEX COUNT PATH…            COUNT saves by rename-into-place, no spec lock (an editor);
//                                              processes sharing MUTEX (flock) take turns and number their saves
//                                              with one counter kept in MUTEX; save N goes to PATH[N % count]
//   stamp-loop PATH…                           prints "ready", then updateMany over PATHs (appending "stamped\n"
//                                              where missing) until stdin ends; prints "changed N", "rounds N"
// Exit status: 0 done, 2 store error (description on stderr), 3 usage.
#if canImport(Glibc)
import Glibc
#endif
import SpecSyncStore
import SpecSyncSys
import SpecSyncSysTestSupport
import Synchronization

func say(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { Glibc.write(1, $0, strlen($0)) }
}

func complain(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
}

func usage() -> Never {
    complain("usage: specsync-testchild replace|rewrite-loop|increment|increment-many|update-many|foreign-saves|stamp-loop|hold-lock|hold-open|write-in-place|rename-in|batch-loop|bench-write|bench-batch …")
    exit(3)
}

func option(_ name: String, in arguments: [String]) -> Int? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return Int(arguments[index + 1])
}

func readContent(_ path: String) throws -> [UInt8] {
    try SpecStore().read(path).bytes
}

/// Simulates a foreign editor: plain syscalls, no lock, no fsync.
func foreignWrite(_ path: String, _ bytes: [UInt8], flags: Int32) -> Bool {
    let fd = open(path, flags | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count
}

func counterIncremented(_ bytes: [UInt8]?) -> [UInt8] {
    var lines = String(decoding: bytes ?? [], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        .map(String.init)
    if let index = lines.firstIndex(where: { $0.hasPrefix("counter: ") }), let value = Int(lines[index].dropFirst(9)) {
        lines[index] = "counter: \(value + 1)"
    } else {
        lines.insert("counter: 1", at: 0)
    }
    return Array(lines.joined(separator: "\n").utf8)
}

func benchmark(directory: String, iterations: Int, size: Int) throws {
    let store = SpecStore()
    let path = directory + "/bench.yaml"
    let versions: [[UInt8]] = [UInt8(ascii: "a"), UInt8(ascii: "b")].map { letter in
        (0..<size).map { $0 % 64 == 63 ? UInt8(ascii: "\n") : letter }
    }
    for index in 0..<20 { try store.replace(path, with: versions[index % 2]) }
    let clock = ContinuousClock()
    var samples: [Duration] = []
    for index in 0..<iterations {
        let start = clock.now
        try store.replace(path, with: versions[index % 2])
        samples.append(clock.now - start)
    }
    samples.sort()
    let total = samples.reduce(Duration.zero, +)
    say("durable locked replace of a \(size)-byte file in \(directory), \(iterations) runs:")
    say("  median \(microseconds(samples[samples.count / 2])) µs, p10 \(microseconds(samples[samples.count / 10])) µs, "
        + "p90 \(microseconds(samples[samples.count * 9 / 10])) µs, mean \(microseconds(total / iterations)) µs")
}

func microseconds(_ duration: Duration) -> Int {
    let (seconds, attoseconds) = duration.components
    return Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000)
}

/// Version "a" or "b" of batch test file `number`: spec-like lines of different lengths per version,
/// naming the file in every line, so a torn, mixed or misplaced file cannot pass for either version.
func batchVersion(_ letter: String, number: Int, bytes: Int) -> [UInt8] {
    var text = "id: TAND-\(number)\nversion: \(letter)\n"
    var line = 0
    while text.utf8.count < bytes {
        text += "  - \(letter) requirement \(line) of file \(number): "
            + String(repeating: letter, count: letter == "a" ? 20 : 31) + "\n"
        line += 1
    }
    return Array(text.utf8)
}

func batchFile(_ directory: String, _ number: Int) -> String { "\(directory)/TAND-\(number).yaml" }

/// Each run rewrites two fresh directories of FILES files, one with `update` per file and one with
/// `updateMany` (order alternating between runs), so neither method inherits the other's leftovers.
/// All directories are made before the first timing and removed after the last: on ext4 without a
/// journal, inodes freed in the last minutes slow down every inode allocation in their block group.
func benchmarkBatch(directory: String, files: Int, size: Int, runs: Int) throws {
    let store = SpecStore()
    let clock = ContinuousClock()
    var single: [Duration] = []
    var batched: [Duration] = []
    func specPaths(in runDirectory: String) -> [String] { (0..<files).map { batchFile(runDirectory, $0) } }
    let directories = (0..<runs).map { run in ["update", "updateMany"].map { "\(directory)/\($0).\(run)" } }
    for runDirectory in directories.joined() {
        guard mkdir(runDirectory, 0o755) == 0 else {
            throw SysError(call: .open, path: runDirectory, errno: .init(rawValue: errno))
        }
        let oldVersions = (0..<files).map { batchVersion("a", number: $0, bytes: size) }
        let paths = specPaths(in: runDirectory)
        let numbers = Dictionary(uniqueKeysWithValues: paths.enumerated().map { ($1, $0) })
        for case .failure(let error) in store.updateMany(paths, { path, _ in numbers[path].map { oldVersions[$0] } }) {
            throw error
        }
    }
    let newVersions = (0..<files).map { batchVersion("b", number: $0, bytes: size) }
    for (run, pair) in directories.enumerated() {
        func timeSingle() throws {
            let start = clock.now
            for (number, path) in specPaths(in: pair[0]).enumerated() {
                guard case .replaced = try store.update(path, { _ in newVersions[number] }) else {
                    throw StoreError.invalidPath(path: path, reason: "update left it unchanged")
                }
            }
            single.append(clock.now - start)
        }
        func timeBatched() throws {
            let paths = specPaths(in: pair[1])
            let numbers = Dictionary(uniqueKeysWithValues: paths.enumerated().map { ($1, $0) })
            let start = clock.now
            let results = store.updateMany(paths) { path, _ in numbers[path].map { newVersions[$0] } }
            batched.append(clock.now - start)
            for result in results {
                guard case .replaced = try result.get() else {
                    throw StoreError.invalidPath(path: "", reason: "updateMany left a file unchanged")
                }
            }
        }
        if run % 2 == 0 { try timeSingle(); try timeBatched() } else { try timeBatched(); try timeSingle() }
    }
    for runDirectory in directories.joined() {
        for path in specPaths(in: runDirectory) { try? Sys.unlink(path); try? Sys.unlink(SpecStore.lockPath(for: path)) }
        rmdir(runDirectory)
    }
    func report(_ name: String, _ samples: [Duration]) {
        let sorted = samples.sorted()
        let median = sorted[sorted.count / 2]
        let perFile = Double(microseconds(median)) / Double(files)
        say("  \(name): median \(microseconds(median) / 1000) ms (min \(microseconds(sorted[0]) / 1000), "
            + "max \(microseconds(sorted[sorted.count - 1]) / 1000)), \(Int(perFile.rounded())) µs/file")
    }
    say("locked durable rewrite of \(files) files of \(size) bytes in one directory (under \(directory)), \(runs) runs:")
    report("update per file", single)
    report("updateMany     ", batched)
    let ratio = Double(microseconds(single.sorted()[single.count / 2])) / Double(max(1, microseconds(batched.sorted()[batched.count / 2])))
    say("  updateMany is \(Int((ratio * 10).rounded()) / 10).\(Int((ratio * 10).rounded()) % 10)x faster")
}

/// Before every wrapped `call`, says where it is and waits for a line on stdin: the parent test does
/// its foreign write at exactly that moment (debug builds only; SysFaults is compiled out otherwise).
func pauseBefore(_ call: SysCall) {
    let count = Mutex(0)
    SysFaults.setBeforeCall { made, argument in
        guard made == call else { return }
        let number = count.withLock { value -> Int in
            value += 1
            return value
        }
        say("before \(call) \(number) \(argument ?? "")")
        _ = readLine()
    }
}

func describe(_ result: Result<UpdateResult, Error>) -> String {
    switch result {
    case .success(.replaced): return "replaced"
    case .success(.unchanged): return "unchanged"
    case .failure(StoreError.changedDuringUpdate): return "changed"
    case .failure(StoreError.unresolvedExchange(_, let stranded)): return "unresolved \(stranded)"
    case .failure(let error): return "error \(error)"
    }
}

/// Plain flock(2) on the writers' shared counter file; returns the next sequence number.
func nextSequenceNumber(_ mutex: Int32) -> Int? {
    var buffer = [UInt8](repeating: 0, count: 32)
    let count = pread(mutex, &buffer, buffer.count, 0)
    guard count >= 0 else { return nil }
    let next = (Int(String(decoding: buffer[0..<count], as: UTF8.self)) ?? 0) + 1
    let text = Array(String(next).utf8)
    guard ftruncate(mutex, 0) == 0, text.withUnsafeBytes({ pwrite(mutex, $0.baseAddress, $0.count, 0) }) == text.count else {
        return nil
    }
    return next
}

/// What foreign save number `sequence` writes (sizes vary, so a mix-up cannot pass unnoticed).
func foreignSave(_ sequence: Int) -> [UInt8] {
    Array("seq: \(sequence)\nbody: \(String(repeating: "x", count: sequence % 97))\n".utf8)
}

// Faults a test asks for in SPECSYNC_FAULTS (fsync=EIO…): the child's calls fail as the test wants.
SysFaults.installFromEnvironment()
let arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first else { usage() }

do {
    switch mode {
    case "replace":
        guard arguments.count >= 3 else { usage() }
        var configuration = StoreConfiguration()
        if let milliseconds = option("--lock-timeout-ms", in: arguments) { configuration.lockTimeout = .milliseconds(milliseconds) }
        if let milliseconds = option("--stale-age-ms", in: arguments) { configuration.staleTempAge = .milliseconds(milliseconds) }
        try SpecStore(configuration: configuration).replace(arguments[1], with: try readContent(arguments[2]))

    case "rewrite-loop":
        guard arguments.count == 4 else { usage() }
        let versions = [try readContent(arguments[2]), try readContent(arguments[3])]
        let store = SpecStore()
        say("ready")
        var index = 0
        while true {
            try store.replace(arguments[1], with: versions[index % 2])
            index += 1
        }

    case "increment":
        guard arguments.count == 3, let count = Int(arguments[2]) else { usage() }
        let store = SpecStore(configuration: StoreConfiguration(lockTimeout: .seconds(60)))
        for _ in 0..<count {
            _ = try store.update(arguments[1]) { counterIncremented($0) }
        }

    case "hold-lock":
        guard arguments.count == 2 else { usage() }
        try SpecStore().withLock(arguments[1]) {
            say("held")
            while readLine() != nil {}
        }

    case "hold-open":
        guard arguments.count == 2 else { usage() }
        let fd = open(arguments[1], O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { complain("open \(arguments[1]) failed: errno \(errno)"); exit(2) }
        say("opened")
        while let line = readLine() {
            guard line.hasPrefix("write ") else { continue }
            let bytes = Array((line.dropFirst(6) + "\n").utf8)
            guard ftruncate(fd, 0) == 0,
                  bytes.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else {
                complain("in-place write failed: errno \(errno)")
                exit(2)
            }
            say("written")
        }

    case "write-in-place":
        guard arguments.count == 3 else { usage() }
        guard foreignWrite(arguments[1], try readContent(arguments[2]), flags: O_WRONLY | O_TRUNC) else {
            complain("write-in-place failed: errno \(errno)")
            exit(2)
        }

    case "rename-in":
        guard arguments.count == 3 else { usage() }
        let copy = arguments[1] + ".editor-copy"
        guard foreignWrite(copy, try readContent(arguments[2]), flags: O_WRONLY | O_CREAT | O_TRUNC),
              rename(copy, arguments[1]) == 0 else {
            complain("rename-in failed: errno \(errno)")
            exit(2)
        }

    case "bench-write":
        guard arguments.count >= 2 else { usage() }
        try benchmark(directory: arguments[1], iterations: arguments.count > 2 ? Int(arguments[2]) ?? 300 : 300,
                      size: arguments.count > 3 ? Int(arguments[3]) ?? 2048 : 2048)

    case "bench-batch":
        guard arguments.count >= 2 else { usage() }
        func number(_ index: Int, _ fallback: Int) -> Int { arguments.count > index ? Int(arguments[index]) ?? fallback : fallback }
        try benchmarkBatch(directory: arguments[1], files: number(2, 10_000), size: number(3, 1300), runs: number(4, 3))

    case "batch-loop":
        guard arguments.count == 4, let count = Int(arguments[3]) else { usage() }
        let paths = (0..<count).map { batchFile(arguments[1], $0) }
        let versions = try (0..<count).map { number in
            try ["a", "b"].map { try readContent("\(arguments[2])/TAND-\(number).\($0)") }
        }
        let numbers = Dictionary(uniqueKeysWithValues: paths.enumerated().map { ($1, $0) })
        let store = SpecStore()
        say("ready")
        while true {
            for case .failure(let error) in store.updateMany(paths, { path, current in
                guard let number = numbers[path] else { return nil }
                return current == versions[number][0] ? versions[number][1] : versions[number][0]
            }) {
                throw error
            }
        }

    case "increment-many":
        guard arguments.count >= 3, let rounds = Int(arguments[1]) else { usage() }
        let store = SpecStore(configuration: StoreConfiguration(lockTimeout: .seconds(60)))
        for _ in 0..<rounds {
            for case .failure(let error) in store.updateMany(Array(arguments.dropFirst(2)), { counterIncremented($1) }) {
                throw error
            }
        }

    case "update-many":
        var paths = Array(arguments.dropFirst())
        if paths.first == "--pause-before" {
            guard paths.count >= 2, let call = SysCall(rawValue: paths[1]) else { usage() }
            pauseBefore(call)
            paths.removeFirst(2)
        }
        let results = SpecStore().updateMany(paths) { path, current in
            current.map { _ in Array("batch \(path.split(separator: "/").last ?? "")\n".utf8) }
        }
        SysFaults.setBeforeCall(nil)
        for (path, result) in zip(paths, results) { say("\(path): \(describe(result))") }

    case "foreign-saves":
        guard arguments.count >= 4, let count = Int(arguments[2]) else { usage() }
        let paths = Array(arguments.dropFirst(3))
        let mutex = open(arguments[1], O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard mutex >= 0 else { complain("open \(arguments[1]) failed: errno \(errno)"); exit(2) }
        for _ in 0..<count {
            guard flock(mutex, LOCK_EX) == 0, let sequence = nextSequenceNumber(mutex) else {
                complain("counter failed: errno \(errno)")
                exit(2)
            }
            let path = paths[sequence % paths.count]
            let copy = path + ".editor-copy.\(getpid())"
            guard foreignWrite(copy, foreignSave(sequence), flags: O_WRONLY | O_CREAT | O_TRUNC), rename(copy, path) == 0 else {
                complain("save \(sequence) to \(path) failed: errno \(errno)")
                exit(2)
            }
            _ = flock(mutex, LOCK_UN)
        }

    case "stamp-loop":
        let paths = Array(arguments.dropFirst())
        let stamp = Array("stamped\n".utf8)
        let store = SpecStore()
        let input = fcntl(0, F_GETFL)
        _ = fcntl(0, F_SETFL, input | O_NONBLOCK)
        say("ready")
        var changed = 0, rounds = 0
        var byte: UInt8 = 0
        // Until the parent closes stdin (read returns 0; EAGAIN while it is open).
        while read(0, &byte, 1) != 0 {
            for (path, result) in zip(paths, store.updateMany(paths, { _, current in
                guard let current, !current.isEmpty, !current.suffix(stamp.count).elementsEqual(stamp) else { return nil }
                return current + stamp
            })) {
                switch result {
                case .success: break
                case .failure(StoreError.changedDuringUpdate): changed += 1
                case .failure(let error): complain("\(path): \(error)"); exit(2)
                }
            }
            rounds += 1
        }
        say("changed \(changed)")
        say("rounds \(rounds)")

    default:
        usage()
    }
} catch {
    complain("\(error)")
    exit(2)
}
