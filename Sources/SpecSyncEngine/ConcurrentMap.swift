import Dispatch
import SpecSyncSys
import Synchronization

extension Array {
    /// `transform` applied to every element on all cores; results in input order. `transform` must be
    /// safe to call from several threads at once (every caller's is: it reads, validates, returns).
    func concurrentMap<R>(_ transform: (Element) -> R) -> [R] {
        concurrentMap(contexts: Array<Void>(repeating: (), count: Sys.processorCount)) { _, element in transform(element) }
    }

    /// As `concurrentMap`, with one `context` per worker thread: `transform(contexts[w], element)` runs on
    /// worker `w` only. Worker-owned copies of read-only objects (a compiled schema) keep the threads from
    /// contending for the cache lines of shared reference counts. Workers take indices in small chunks
    /// from one counter, so a worker slowed by other load takes fewer.
    func concurrentMap<Context, R>(contexts: [Context], _ transform: (Context, Element) -> R) -> [R] {
        guard contexts.count > 1, count > 1 else {
            guard let context = contexts.first else { return [] }
            return map { transform(context, $0) }
        }
        let output = UnsafeMutableBufferPointer<R?>.allocate(capacity: count)
        output.initialize(repeating: nil)
        defer {
            output.deinitialize()
            output.deallocate()
        }
        let next = Atomic<Int>(0)
        // Eight at a time over many elements; one at a time over a few (two halves of a batch write must
        // go to two workers, not one chunk).
        let chunk = Swift.max(1, Swift.min(8, count / (contexts.count * 8)))
        withoutActuallyEscaping(transform) { transform in
            // Each index is claimed once and writes its own slot, so the workers share nothing mutable.
            nonisolated(unsafe) let (input, output, transform, contexts) = (self, output, transform, contexts)
            DispatchQueue.concurrentPerform(iterations: contexts.count) { worker in
                let context = contexts[worker]
                while true {
                    let start = next.add(chunk, ordering: .relaxed).oldValue
                    guard start < input.count else { return }
                    for i in start..<Swift.min(start + chunk, input.count) {
                        output[i] = transform(context, input[i])
                    }
                }
            }
        }
        return output.map { $0! }  // every index was claimed and filled before concurrentPerform returned
    }
}
