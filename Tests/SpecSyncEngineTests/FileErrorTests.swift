import SpecSyncStore
import SpecSyncSys
import SystemPackage
import XCTest
@testable import SpecSyncEngine

/// Every store error maps to one stable kind, shown as `error_kind` next to the message.
final class FileErrorTests: XCTestCase {
    func testStoreErrorsMapToStableKinds() {
        let path = "/specs/T-1.yaml"
        let cases: [(StoreError, FileError.Kind)] = [
            (.io(path: path, operation: .write, subject: path, errno: .noSpace), .noSpace),
            (.io(path: path, operation: .write, subject: path, errno: .diskQuotaExceeded), .noSpace),
            (.io(path: path, operation: .open, subject: path, errno: .permissionDenied), .permissionDenied),
            (.io(path: path, operation: .rename, subject: path, errno: .readOnlyFileSystem), .readOnlyFileSystem),
            (.io(path: path, operation: .fsync, subject: path, errno: .ioError), .ioError),
            (.io(path: path, operation: .open, subject: path, errno: .tooManyOpenFiles), .tooManyOpenFiles),
            (.io(path: path, operation: .read, subject: path, errno: .badFileDescriptor), .io),
            (.directorySyncFailed(path: path, directory: "/specs", errno: .ioError), .notDurable),
            (.fileNotFound(path: path), .notFound),
            (.lockTimeout(lockPath: path + ".lock", timeout: .seconds(1), holderPID: 42), .lockTimeout),
            (.changedDuringUpdate(path: path), .keepsChanging),
            (.fileTooLarge(path: path, size: 9, limit: 1), .tooLarge),
            (.unresolvedExchange(path: path, strandedPath: "/specs/.specsync-tmp-x"), .unresolvedExchange),
        ]
        for (error, kind) in cases {
            let failure = FileError(error)
            XCTAssertEqual(failure.kind, kind, "\(error)")
            XCTAssertEqual(failure.message, error.description)
            XCTAssertEqual(failure.errno, error.errno)
        }
        XCTAssertEqual(FileError(FileError(kind: .git, message: "m")), FileError(kind: .git, message: "m"), "kept as it is")
    }

    func testJSONLinesCarryTheKindNextToTheMessage() {
        let failure = FileError(StoreError.lockTimeout(lockPath: "/s/T.yaml.lock", timeout: .seconds(10), holderPID: nil))
        let result = FileResult(path: "/s/T.yaml", action: .error, diagnostics: [], wasCanonical: false, failure: failure)
        let line = JSONLine.object(result, path: "/s/T.yaml")
        XCTAssertTrue(line.contains(",\"error\":\(JSONLine.quote(failure.message)),\"error_kind\":\"lock-timeout\""), line)
        let clean = JSONLine.object(FileResult(path: "/s/T.yaml", action: .unchanged, diagnostics: [], wasCanonical: true), path: "/s/T.yaml")
        XCTAssertFalse(clean.contains("error"), clean)
    }
}

/// Command-level errors carry what was being done, where, and the cause as a typed value.
final class EngineErrorTests: XCTestCase {
    func testAFileErrorNamesThePathTheActionAndTheCause() {
        let cause = FileError(SysError(call: .open, path: "/p/events.jsonl", errno: .permissionDenied))
        XCTAssertEqual(cause.kind, .permissionDenied)
        XCTAssertEqual(cause.errno, .permissionDenied)
        let error = EngineError.file(action: "open the events file for writing", path: "/p/events.jsonl", cause: cause)
        XCTAssertTrue(error.description.hasPrefix("/p/events.jsonl: cannot open the events file for writing: "), error.description)
        XCTAssertTrue(error.description.contains(cause.message), error.description)
    }

    func testAnEventsFileThatCannotBeOpenedIsATypedError() {
        do {
            _ = try EventLog(path: "/nonexistent-directory-\(getpid())/events.jsonl")
            XCTFail("opened an events file in a missing directory")
        } catch {
            guard case .file(_, let path, let cause) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "/nonexistent-directory-\(getpid())/events.jsonl")
            XCTAssertEqual(cause.kind, .notFound)
            XCTAssertEqual(cause.errno, .noSuchFileOrDirectory)
        }
    }
}
