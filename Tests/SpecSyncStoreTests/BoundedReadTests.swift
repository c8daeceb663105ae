#if canImport(Glibc)
import Glibc
#endif
import SpecSyncStore
import SpecSyncSys
import SpecSyncSysTestSupport
import Synchronization
import XCTest

/// Reads never go past the limit + 1 byte, whatever the input claims or does.
final class BoundedReadTests: XCTestCase {
    var scratch: ScratchDirectory!

    override func setUpWithError() throws { scratch = try ScratchDirectory() }
    override func tearDown() { SysFaults.reset(); scratch.remove() }

    private func write(_ path: String, _ bytes: [UInt8]) throws {
        let fd = try Sys.open(path, .writeOnly, [.create, .truncate])
        try Sys.writeAll(fd, bytes)
        try Sys.close(fd)
    }

    func testLimitIsInclusiveAndOneMoreByteIsTooLarge() throws {
        let path = scratch.file("f")
        try write(path, Array(repeating: 0x61, count: 100))
        XCTAssertEqual(try BoundedRead.file(path, limit: 100), .bytes(Array(repeating: 0x61, count: 100)))
        XCTAssertEqual(try BoundedRead.file(path, limit: 99), .tooLarge(size: 100))
    }

    /// A device that never ends (and reports size 0) is read up to limit + 1 bytes, then refused.
    func testEndlessInputStopsOneByteAfterTheLimit() throws {
        XCTAssertEqual(try BoundedRead.file("/dev/zero", limit: 4096), .tooLarge(size: nil))
        let fd = try Sys.open("/dev/zero", .readOnly)
        defer { Sys.closeIgnoringErrors(fd) }
        XCTAssertEqual(try Sys.readAll(fd, limit: 70_000).count, 70_000)
    }

    /// A sparse file far over the limit is refused by its size: no read(2) or pread(2) is made at all
    /// (an injected failure on the first read would surface otherwise).
    func testOversizedFileIsRefusedWithoutReading() throws {
        try skipUnlessFaultInjection()
        let path = scratch.file("sparse")
        try write(path, [])
        XCTAssertEqual(truncate(path, 2 << 30), 0)
        SysFaults.inject(InjectedFault(call: .pread, effect: .fail(.ioError), count: .max, pathContains: "sparse"))
        SysFaults.inject(InjectedFault(call: .read, effect: .fail(.ioError), count: .max, pathContains: "sparse"))
        XCTAssertEqual(try BoundedRead.file(path, limit: 1 << 20), .tooLarge(size: 2 << 30))
        let store = SpecStore(configuration: StoreConfiguration(maxReadBytes: 1 << 20))
        XCTAssertThrowsError(try store.read(path)) { error in
            XCTAssertEqual(error as? StoreError, .fileTooLarge(path: path, size: 2 << 30, limit: 1 << 20))
            XCTAssertTrue("\(error)".contains("2147483648 bytes, more than the limit of 1048576 bytes"), "\(error)")
        }
    }

    /// The store's limit applies to reads under the lock too: update never hands a transform more.
    func testStoreUpdateRefusesOversizedFileAndLeavesIt() throws {
        let path = scratch.file("big")
        try write(path, Array(repeating: 0x62, count: 2000))
        let store = SpecStore(configuration: StoreConfiguration(maxReadBytes: 1000))
        XCTAssertThrowsError(try store.update(path) { _ in XCTFail("transform called"); return [1] })
        XCTAssertEqual(try SpecStore().read(path).bytes.count, 2000)
    }
    /// Counts the pread(2) calls made on paths containing `marker` while `body` runs.
    private func preadCount(_ marker: String, _ body: () throws -> Void) throws -> Int {
        let count = Mutex(0)
        SysFaults.setBeforeCall { call, path in
            if call == .pread, path?.contains(marker) == true { count.withLock { $0 += 1 } }
        }
        defer { SysFaults.setBeforeCall(nil) }
        try body()
        return count.withLock { $0 }
    }

    /// A regular file read with the size fstat gave ends at the short read that brings exactly that
    /// size: one pread, not a second one to see 0 bytes.
    func testAFileOfTheSizeFstatGaveIsReadInOnePread() throws {
        try skipUnlessFaultInjection()
        let path = scratch.file("spec")
        let bytes = Array("id: TAND-001\ntitle: one read\n".utf8)
        try write(path, bytes)
        var read: BoundedInput?
        XCTAssertEqual(try preadCount("spec") { read = try BoundedRead.file(path, limit: 1 << 20) }, 1)
        XCTAssertEqual(read, .bytes(bytes))
        XCTAssertEqual(try preadCount("spec") { XCTAssertEqual(try SpecStore().read(path).bytes, bytes) }, 1)
    }

    /// Where the size does not end a short read, reading goes on to end of file: short transfers
    /// part-way (as signals cause), and a file that grew after its fstat.
    func testShortReadsBeforeTheSizeAndFilesThatGrewAreReadWhole() throws {
        try skipUnlessFaultInjection()
        let path = scratch.file("spec")
        let bytes = Array(repeating: UInt8(ascii: "x"), count: 1000)
        try write(path, bytes)
        SysFaults.inject(InjectedFault(call: .pread, effect: .shortTransfer(maxBytes: 300), count: 2, pathContains: "spec"))
        guard case .bytes(let read) = try BoundedRead.file(path, limit: 1 << 20) else { return XCTFail("refused") }
        XCTAssertEqual(read.count, bytes.count, "stopped at a short read part-way")

        let fd = try Sys.open(path, .readOnly)
        defer { Sys.closeIgnoringErrors(fd) }
        let longer = bytes + Array("appended after the fstat".utf8)
        try write(path, longer)   // O_TRUNC and rewrite: the open descriptor sees the new, longer file
        XCTAssertEqual(String(decoding: try Sys.preadAll(fd, expectedSize: Int64(bytes.count)).suffix(30), as: UTF8.self),
                       String(decoding: longer.suffix(30), as: UTF8.self))
        XCTAssertEqual(try Sys.preadAll(fd, expectedSize: 0).count, longer.count)
    }
}
