import Dispatch
import Foundation

extension Array {
    /// `transform` applied to every element on all cores; results in input order.
    func concurrentMap<R>(_ transform: (Element) -> R) -> [R] {
        var results = [R?](repeating: nil, count: count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let result = transform(self[i])
            lock.lock()
            results[i] = result
            lock.unlock()
        }
        return results.map { $0! }  // every index was filled above
    }
}
