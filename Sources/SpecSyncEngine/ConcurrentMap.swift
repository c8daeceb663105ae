import Dispatch
import Synchronization

extension Array {
    /// `transform` applied to every element on all cores; results in input order. `transform` must be
    /// safe to call from several threads at once (every caller's is: it reads, validates, returns).
    func concurrentMap<R>(_ transform: (Element) -> R) -> [R] {
        let output = UnsafeMutableBufferPointer<R?>.allocate(capacity: count)
        output.initialize(repeating: nil)
        defer {
            output.deinitialize()
            output.deallocate()
        }
        withoutActuallyEscaping(transform) { transform in
            // Each iteration writes its own slot, so the iterations share nothing mutable.
            nonisolated(unsafe) let (input, output, transform) = (self, output, transform)
            DispatchQueue.concurrentPerform(iterations: input.count) { i in
                output[i] = transform(input[i])
            }
        }
        return output.map { $0! }  // concurrentPerform returns after every index was filled
    }
}

extension Array {
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
        let chunk = 8
        withoutActuallyEscaping(transform) { transform in
            nonisolated(unsafe) let (input, output, transform, contexts) = (self, output, transform, contexts)
            DispatchQueue.concurrentPerform(iterations: contexts.count) { worker in
                let context = contexts[worker]
                while true {
                    let start = next.add(chunk, ordering: .relaxed).oldValue
                    guard start < input.count else { return }
                    for i in start..<Swift.min(start + chunk, input.count) {
                        output[i] = transform(context, input[i])  // each index is claimed once
                    }
                }
            }
        }
        return output.map { $0! }  // every index was claimed and filled before concurrentPerform returned
    }
}
