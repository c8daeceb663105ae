#if canImport(Glibc)
import Glibc
#endif

extension Array where Element == UInt8 {
    /// The same bytes, compared with one memcmp. `==` on arrays compares element by element: about
    /// 0.8 µs for a 1.3 KB spec against a few tens of ns, and `fmt` compares every file it writes four
    /// times (read again under the lock, new content, exchanged version, end of its grace).
    public func hasSameBytes(as other: [UInt8]?) -> Bool {
        guard let other, other.count == count else { return false }
        return withUnsafeBytes { a in
            other.withUnsafeBytes { b in
                guard let left = a.baseAddress, let right = b.baseAddress else { return true }  // both empty
                return memcmp(left, right, a.count) == 0
            }
        }
    }
}
