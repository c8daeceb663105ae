#if canImport(Glibc)
import Glibc
#endif
import SpecSyncSys
import SpecSyncSysTestSupport
import SystemPackage
import XCTest

/// The syscall layer: typed errors, retry policy, fault injection, renameat2.
final class SysTests: XCTestCase {
    var scratch: ScratchDirectory!

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
    }

    override func tearDown() {
        SysFaults.reset()
        scratch.remove()
    }

    func testHasSameBytesComparesEveryByte() {
        let spec = Array("id: TAND-001\ntitle: same bytes\n".utf8)
        XCTAssertTrue(spec.hasSameBytes(as: Array(spec)))
        XCTAssertTrue([UInt8]().hasSameBytes(as: []))
        XCTAssertFalse(spec.hasSameBytes(as: nil))
        XCTAssertFalse(spec.hasSameBytes(as: spec.dropLast() + []))
        XCTAssertFalse([UInt8]().hasSameBytes(as: [0]))
        for position in [0, spec.count / 2, spec.count - 1] {
            var changed = spec
            changed[position] ^= 0x20
            XCTAssertFalse(spec.hasSameBytes(as: changed), "byte \(position)")
        }
    }

    /// Small (inline) and large strings, the byte first, last and absent, multi-byte scalars around it;
    /// the same answer as the generic scan for every byte value.
    func testUTF8ContainsFindsTheByteWhereverItIs() {
        let samples = ["", "a", "short/path", "/a/much/longer/path/to/.tandemonium/specs/TAND-004.yaml",
                       "caf\u{E9}/\u{1F600}/x", "\u{10FF80}\u{10FFAB}", String(repeating: "x", count: 300) + "\u{10FFFF}",
                       "nul\u{0}inside"]
        for sample in samples {
            for byte in UInt8.min...UInt8.max {
                XCTAssertEqual(sample.utf8Contains(byte), sample.utf8.contains(byte), "\(sample.debugDescription) \(byte)")
            }
        }
        XCTAssertTrue("\u{10FF80}".utf8Contains(0xF4))
        XCTAssertTrue("/x/y\u{0}".utf8Contains(0))
        XCTAssertFalse("/plain/ascii/path.yaml".utf8Contains(0xF4))
    }

    /// "é" composed and decomposed are equal Strings but two file names: PathKey and the byte tests tell
    /// them apart (a Set of Strings holds one of them).
    func testPathsSpelledAlikeAreDifferentKeys() {
        let (nfc, nfd) = ("/specs/\u{E9}/a.yaml", "/specs/e\u{301}/a.yaml")
        XCTAssertEqual(nfc, nfd, "Swift's String equality, the reason for PathKey")
        XCTAssertEqual(Set([nfc, nfd]).count, 1)
        XCTAssertEqual(Set([PathKey(nfc), PathKey(nfd)]).count, 2)
        XCTAssertNotEqual(PathKey(nfc), PathKey(nfd))
        XCTAssertEqual(PathKey(nfc), PathKey(String(decoding: Array(nfc.utf8), as: UTF8.self)))
        XCTAssertFalse(nfc.hasSameBytes(as: nfd))
        XCTAssertFalse(nfd.hasBytePrefix("/specs/\u{E9}/"))
        XCTAssertEqual(nfd.bytesAfter("/specs/e\u{301}/"), "a.yaml")
        XCTAssertNil(nfd.bytesAfter("/specs/\u{E9}/"))
        XCTAssertTrue("".hasBytePrefix("") && "abc".hasBytePrefix("") && "abc".hasBytePrefix("abc"))
        XCTAssertFalse("ab".hasBytePrefix("abc") || "abd".hasBytePrefix("abc"))
        XCTAssertTrue("".hasSameBytes(as: "") && !"a".hasSameBytes(as: "") && !"ab".hasSameBytes(as: "ac"))
        let long = String(repeating: "/specs/dir", count: 20)
        XCTAssertTrue((long + "/x").hasBytePrefix(long + "/"))
        XCTAssertFalse((long + "x").hasSameBytes(as: long + "y"))
        XCTAssertTrue("/\u{301}x".isAbsolutePath)
        XCTAssertFalse("/\u{301}x".hasPrefix("/"), "the Character test this replaces")
        XCTAssertTrue("a/".endsWithSlash)
        XCTAssertFalse("a/\u{301}".endsWithSlash)
    }

    func testErrorsNameTheCallThePathAndTheErrno() {
        XCTAssertThrowsError(try Sys.open(scratch.file("missing"), .readOnly)) { error in
            guard let error = error as? SysError else { return XCTFail("\(error)") }
            XCTAssertEqual(error, SysError(call: .open, path: scratch.file("missing"), errno: .noSuchFileOrDirectory))
            XCTAssertEqual(error.description,
                           "open(\(scratch.file("missing"))) failed: No such file or directory (ENOENT)")
        }
    }

    /// The probe the commit step uses against in-place writers: true exactly while some process has the
    /// file open for writing — this one through another descriptor, or another process.
    /// One errno → condition mapping serves the store's hints, the engine's error kinds and the
    /// watcher's retries; only full, forbidden and read-only are worth waiting out.
    func testErrnoConditions() {
        let expected: [(Errno, ErrnoCondition)] = [
            (.noSpace, .noSpace), (.diskQuotaExceeded, .noSpace), (.permissionDenied, .permissionDenied),
            (.notPermitted, .permissionDenied), (.readOnlyFileSystem, .readOnlyFileSystem), (.ioError, .ioError),
            (.tooManyOpenFiles, .tooManyOpenFiles), (.tooManyOpenFilesInSystem, .tooManyOpenFiles),
            (.noSuchFileOrDirectory, .notFound), (.fileNameTooLong, .nameTooLong), (.invalidArgument, .other),
        ]
        for (errno, condition) in expected { XCTAssertEqual(errno.condition, condition, "\(errno)") }
        XCTAssertEqual(expected.filter { $0.0.condition.mayClear }.map(\.0),
                       [.noSpace, .diskQuotaExceeded, .permissionDenied, .notPermitted, .readOnlyFileSystem])
    }

    func testWriterProbeSeesOpenWritersInThisAndOtherProcesses() throws {
        let path = scratch.file("task.yaml")
        try writeFile(path, "id: A\n")
        let reader = try Sys.open(path, .readOnly)
        defer { Sys.closeIgnoringErrors(reader) }
        XCTAssertEqual(Sys.isOpenForWriting(reader), false)

        let writer = try Sys.open(path, .writeOnly)
        XCTAssertEqual(Sys.isOpenForWriting(reader), true)
        Sys.closeIgnoringErrors(writer)
        XCTAssertEqual(Sys.isOpenForWriting(reader), false)

        // Another process holding it open for writing (as an in-place writer between two chunks).
        let child = try ChildProcess("/bin/sh", ["-c", "exec 3>>\"$0\"; echo open; read line || true", path])
        XCTAssertEqual(child.readLine(), "open")
        XCTAssertEqual(Sys.isOpenForWriting(reader), true)
        child.closeStdin()
        XCTAssertEqual(child.exitCode, 0)
        XCTAssertEqual(Sys.isOpenForWriting(reader), false)

        // A writer opening while the probe holds its lease waits microseconds, and nobody is killed by
        // the lease-break signal: probe in a loop while a process opens and closes for writing.
        let opener = try ChildProcess("/bin/sh", ["-c", "i=0; while [ $i -lt 300 ]; do : >>\"$0\"; i=$((i+1)); done", path])
        opener.closeStdin()
        for _ in 0..<3_000 { _ = Sys.isOpenForWriting(reader) }
        XCTAssertEqual(opener.exitCode, 0, "the opener finished: never stuck behind a lease")
    }

    func testFaultSpecificationsParse() throws {
        XCTAssertEqual(try SysFaults.parse("fsync=EIO"), [InjectedFault(call: .fsync, effect: .fail(.ioError))])
        XCTAssertEqual(try SysFaults.parse("write=EINTR*3, fsync=EIO@1,write=short:7*always,rename=28"), [
            InjectedFault(call: .write, effect: .fail(.interrupted), count: 3),
            InjectedFault(call: .fsync, effect: .fail(.ioError), skip: 1),
            InjectedFault(call: .write, effect: .shortTransfer(maxBytes: 7), count: .max),
            InjectedFault(call: .rename, effect: .fail(.noSpace)),
        ])
        for bad in ["fsync", "fsnyc=EIO", "fsync=EWHAT", "write=EINTR*0", "write=short:0", "fsync=EIO@x"] {
            XCTAssertThrowsError(try SysFaults.parse(bad), bad)
        }
    }

    func testInjectedFaultHitsTheChosenCallTheChosenNumberOfTimes() throws {
        try skipUnlessFaultInjection()
        let path = scratch.file("f")
        try writeFile(path, "x")
        SysFaults.inject(.stat, .ioError, count: 2, skip: 1)
        XCTAssertNoThrow(try Sys.stat(path), "skipped")
        XCTAssertThrowsError(try Sys.stat(path)) { XCTAssertEqual(($0 as? SysError)?.errno, .ioError) }
        XCTAssertNoThrow(try Sys.lstat(path), "other calls are not affected")
        XCTAssertThrowsError(try Sys.stat(path))
        XCTAssertNoThrow(try Sys.stat(path), "used up")
        XCTAssertEqual(SysFaults.pendingFaultCount, 0)
    }

    func testInterruptedCallsAreRetriedExceptFsyncAndClose() throws {
        try skipUnlessFaultInjection()
        let path = scratch.file("f")
        SysFaults.inject(.open, .interrupted, count: 3)
        let fd = try Sys.open(path, .writeOnly, [.create])
        SysFaults.inject(.write, .interrupted, count: 5)
        try Sys.writeAll(fd, Array("hello".utf8))
        SysFaults.inject(.fsync, .interrupted)
        XCTAssertThrowsError(try Sys.fsync(fd)) { XCTAssertEqual(($0 as? SysError)?.errno, .interrupted) }
        SysFaults.inject(.close, .interrupted)
        XCTAssertThrowsError(try Sys.close(fd))
        // close is not retried, yet the descriptor really is closed.
        XCTAssertEqual(fcntl(fd.rawValue, F_GETFD), -1)
        XCTAssertEqual(try text(path), "hello")
        XCTAssertEqual(SysFaults.pendingFaultCount, 0)
    }

    func testShortWritesAndReadsAreCompleted() throws {
        try skipUnlessFaultInjection()
        let path = scratch.file("f")
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        SysFaults.inject(InjectedFault(call: .write, effect: .shortTransfer(maxBytes: 7), count: .max))
        let fd = try Sys.open(path, .writeOnly, [.create])
        try Sys.writeAll(fd, bytes)
        try Sys.close(fd)
        SysFaults.reset()
        XCTAssertEqual(try contents(path), bytes)

        SysFaults.inject(InjectedFault(call: .read, effect: .shortTransfer(maxBytes: 3), count: .max))
        let reader = try Sys.open(path, .readOnly)
        defer { Sys.closeIgnoringErrors(reader) }
        XCTAssertEqual(try Sys.readAll(reader), bytes)
    }

    func testRenameat2ExchangesAndRefusesToReplace() throws {
        let a = scratch.file("a"), b = scratch.file("b")
        try writeFile(a, "A")
        try writeFile(b, "B")
        try Sys.renameat2(a, b, .exchange)
        XCTAssertEqual(try text(a), "B")
        XCTAssertEqual(try text(b), "A")
        XCTAssertThrowsError(try Sys.renameat2(a, b, .noReplace)) {
            XCTAssertEqual(($0 as? SysError)?.errno, .fileExists)
        }
    }

    func testDirectoryEntriesAndLinks() throws {
        try writeFile(scratch.file("one"), "1")
        XCTAssertEqual(symlink("one", scratch.file("two")), 0)
        XCTAssertEqual(try Sys.directoryEntries(scratch.path).sorted(), ["one", "two"])
        XCTAssertEqual(try Sys.readlink(scratch.file("two")), "one")
        XCTAssertEqual(try Sys.realpath(scratch.file("two")), try Sys.realpath(scratch.file("one")))
        XCTAssertTrue(try Sys.lstat(scratch.file("two")).identity.isSymlink)
        XCTAssertTrue(try Sys.stat(scratch.file("two")).identity.isRegularFile)
    }
}
