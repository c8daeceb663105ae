import Foundation
import XCTest
@testable import SpecSyncEngine

final class ConcurrentMapTests: XCTestCase {
    /// A context records the threads it was used on.
    private final class Context: @unchecked Sendable {
        let lock = NSLock()
        var threads = Set<UInt>()
        var uses = 0
        func used() {
            lock.lock()
            threads.insert(UInt(pthread_self()))
            uses += 1
            lock.unlock()
        }
    }

    /// Results come back in input order, every element transformed once, and each worker's context is
    /// used on one thread only (what makes per-worker copies of shared objects worth having).
    func testEveryElementOnceInOrderAndEachContextOnOneThread() {
        for (count, workers) in [(0, 2), (1, 2), (7, 1), (1000, 2), (10_001, 4)] {
            let contexts = (0..<workers).map { _ in Context() }
            let input = Array(0..<count)
            let output = input.concurrentMap(contexts: contexts) { context, x -> Int in
                context.used()
                return x * 3
            }
            XCTAssertEqual(output, input.map { $0 * 3 }, "\(count) elements, \(workers) workers")
            XCTAssertEqual(contexts.reduce(0) { $0 + $1.uses }, count, "each element transformed exactly once")
            for context in contexts { XCTAssertLessThanOrEqual(context.threads.count, 1, "a context stays on its worker") }
        }
    }
}
