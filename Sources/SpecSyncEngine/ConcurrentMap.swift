import Dispatch

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
