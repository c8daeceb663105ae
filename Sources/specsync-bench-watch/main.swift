// Benchmarks and a manual probe for the watcher layer (SpecSyncWatch), without the engine:
//
//   specsync-bench-watch startup [--dirs 10000] [--files 100000] [--in DIR] [--keep]
//       builds a tree (once; reused when present), then measures start-up scan to `ready`
//       and the resident set size.
//   specsync-bench-watch idle ROOT [--seconds 10]
//       starts watching, waits until ready, then counts context switches of every thread of the
//       process while nothing happens (0 = no periodic wake-ups).
//   specsync-bench-watch events ROOT
//       prints every watcher event, one per line, until SIGINT/SIGTERM or the root goes away.
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import SpecSyncWatch

/// One write(2) per line, unbuffered (C's stdio streams are shared mutable state to Swift 6): results
/// reach a pipe as soon as they are known.
func writeLine(_ text: String, to descriptor: Int32 = 1) {
    let line = Array((text + "\n").utf8)
    var written = 0
    while written < line.count {
        let n = line[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return }
        written += n
    }
}

func fail(_ message: String) -> Never {
    writeLine("specsync-bench-watch: \(message)", to: 2)
    exit(2)
}

func option(_ name: String, in arguments: [String]) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

func procStatus(_ field: String) -> String {
    guard let file = fopen("/proc/self/status", "r") else { return "?" }
    defer { fclose(file) }
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    defer { free(line) }
    while getline(&line, &capacity, file) > 0, let line {
        let text = String(cString: line)
        if text.hasPrefix(field + ":") {
            return String(text.dropFirst(field.count + 1).filter { $0 != "\t" && $0 != "\n" }).trimmingLeadingSpaces
        }
    }
    return "?"
}

extension String {
    var trimmingLeadingSpaces: String { String(drop(while: { $0 == " " })) }
}

func makeDirectory(_ path: String) {
    if mkdir(path, 0o755) != 0 && errno != EEXIST { fail("mkdir \(path): \(String(cString: strerror(errno)))") }
}

func writeFile(_ path: String, _ content: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { fail("open \(path): \(String(cString: strerror(errno)))") }
    _ = content.withCString { write(fd, $0, strlen($0)) }
    close(fd)
}

func oneDecimal(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

func milliseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1000 + Double(attoseconds) / 1e15
}

/// 10,000 directories as 100 × 99 plus the 100 parents; files spread evenly over them.
func buildTree(at root: String, directories: Int, files: Int) {
    let marker = root + "/.bench-complete"
    if access(marker, F_OK) == 0 { return }
    makeDirectory(root)
    let top = max(1, Int(Double(directories).squareRoot()))
    var made: [String] = []
    var index = 0
    outer: for i in 0..<top {
        let parent = root + "/area-\(i)"
        makeDirectory(parent)
        made.append(parent)
        if made.count >= directories { break }
        for j in 0..<top - 1 {
            let child = parent + "/topic-\(j)"
            makeDirectory(child)
            made.append(child)
            if made.count >= directories { break outer }
        }
    }
    while made.count < directories {
        let extra = root + "/extra-\(index)"
        index += 1
        makeDirectory(extra)
        made.append(extra)
    }
    for n in 0..<files {
        let directory = made[n % made.count]
        writeFile(directory + "/TAND-\(n).yaml", "id: TAND-\(n)\ntitle: Benchmark spec \(n)\nstatus: open\n")
    }
    writeFile(marker, "")
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first else {
    fail("usage: specsync-bench-watch startup [--dirs N] [--files N] [--in DIR] [--keep] | idle ROOT [--seconds N] | events ROOT")
}

switch mode {
case "startup":
    let directories = Int(option("--dirs", in: arguments) ?? "10000") ?? 10000
    let files = Int(option("--files", in: arguments) ?? "100000") ?? 100000
    let base = option("--in", in: arguments) ?? (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")
    let root = base + "/specsync-bench-\(directories)d-\(files)f"
    let buildStart = ContinuousClock.now
    buildTree(at: root, directories: directories, files: files)
    let buildTime = ContinuousClock.now - buildStart
    writeLine("tree: \(root) (\(directories) directories, \(files) files; built or reused in \(Int(milliseconds(buildTime))) ms)")
    let rssBefore = procStatus("VmRSS")
    let start = ContinuousClock.now
    let watcher: Watcher
    do { watcher = try Watcher(root: root, configuration: WatchConfiguration(filter: WatchFilter(includeFile: { $0.hasSuffix(".yaml") }))) }
    catch { fail("\(error)") }
    var existing = 0
    var readyAt: Duration = .zero
    var readyCounts = (0, 0)
    do {
        try watcher.run { event in
            switch event {
            case .existing: existing += 1
            case let .ready(directories, files):
                readyAt = ContinuousClock.now - start
                readyCounts = (directories, files)
                watcher.stop()
            case let .warning(warning): writeLine("warning: \(warning)", to: 2)
            default: break
            }
        }
    } catch { fail("\(error)") }
    writeLine("ready after \(oneDecimal(milliseconds(readyAt))) ms: \(readyCounts.0) directories watched, "
        + "\(readyCounts.1) files, \(existing) existing-file events delivered")
    writeLine("RSS before start: \(rssBefore); RSS at end: \(procStatus("VmRSS")); peak RSS (VmHWM): \(procStatus("VmHWM"))")
    if !arguments.contains("--keep") {
        writeLine("(tree kept for reuse; delete it with: rm -rf \(root))")
    }

case "idle":
    guard arguments.count >= 2 else { fail("usage: specsync-bench-watch idle ROOT [--seconds N]") }
    let seconds = Int(option("--seconds", in: arguments) ?? "10") ?? 10
    let watcher: Watcher
    do { watcher = try Watcher(root: arguments[1]) } catch { fail("\(error)") }
    let runner = DispatchQueue(label: "watcher")
    let done = DispatchSemaphore(value: 0)
    let ready = DispatchSemaphore(value: 0)
    runner.async {
        // Name the consumer thread (the one calling run) so the report can tell it apart.
        let comm = open("/proc/thread-self/comm", O_WRONLY)
        _ = "specsync-consum".withCString { write(comm, $0, strlen($0)) }
        close(comm)
        do { try watcher.run { if case .ready = $0 { ready.signal() } } } catch { fail("\(error)") }
        done.signal()
    }
    ready.wait()
    func switches() -> [String: Int] {
        var result: [String: Int] = [:]
        guard let dir = opendir("/proc/self/task") else { return result }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let tid = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard tid.first?.isNumber == true, let file = fopen("/proc/self/task/\(tid)/status", "r") else { continue }
            var total = 0
            var name = tid
            var line: UnsafeMutablePointer<CChar>?
            var capacity = 0
            while getline(&line, &capacity, file) > 0, let line {
                let text = String(cString: line)
                if text.hasPrefix("Name:") { name = text.dropFirst(5).filter { $0 != "\t" && $0 != "\n" } + "/" + tid }
                if text.contains("ctxt_switches:") { total += Int(text.split(separator: ":")[1].filter(\.isNumber)) ?? 0 }
            }
            free(line)
            fclose(file)
            result[name] = total
        }
        return result
    }
    sleep(1)  // let the start-up finish settling before counting
    let before = switches()
    // This process only waits here; other threads (the watcher's) must stay blocked too.
    sleep(UInt32(seconds))
    let after = switches()
    for (name, count) in after.sorted(by: { $0.key < $1.key }) where name.hasPrefix("specsync") || before[name] != count {
        let note = name.hasPrefix("specsync-bench") ? " (the benchmark's own sleep)" : ""
        writeLine("thread \(name): \(count - (before[name] ?? 0)) context switches in \(seconds) s\(note)")
    }
    watcher.stop()
    done.wait()

case "events":
    guard arguments.count >= 2 else { fail("usage: specsync-bench-watch events ROOT") }
    let watcher: Watcher
    do { watcher = try Watcher(root: arguments[1]) } catch { fail("\(error)") }
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let queue = DispatchQueue(label: "signals")
    let sources = [SIGINT, SIGTERM].map { signalNumber -> DispatchSourceSignal in
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
        source.setEventHandler { @Sendable in watcher.stop() }  // @Sendable: not main-actor code (top level is)
        source.resume()
        return source
    }
    do {
        try watcher.run { event in
            switch event {
            case let .existing(path): writeLine("existing \(path)")
            case let .ready(directories, files): writeLine("ready \(directories) \(files)")
            case let .changed(path, _, _): writeLine("changed \(path)")
            case let .removed(path): writeLine("removed \(path)")
            case let .rescanned(reason): writeLine("rescanned \(reason)")
            case let .warning(warning): writeLine("warning \(warning)")
            case let .rootGone(reason): writeLine("rootGone \(reason)")
            case let .gitOperation(inProgress, reason): writeLine("gitOperation \(inProgress) \(reason)")
            case .gitIndexChanged: writeLine("gitIndexChanged")
            }
        }
    } catch {
        fail("\(error)")
    }
    _ = sources

default:
    fail("unknown mode \(mode)")
}
