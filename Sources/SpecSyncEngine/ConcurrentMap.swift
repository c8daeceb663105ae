import Dispatch
import Synchronization

extension Array {
    /// `transform` applied to every element on all cores; results in input order.
    func concurrentMap<R>(_ transform: (Element) -> R) -> [R] {
        let results = Mutex([R?](repeating: nil, count: count))
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let result = transform(self[i])
            results.withLock { $0[i] = result }
        }
        return results.withLock { $0.map { $0! } }  // every index was filled above
    }
}
