/// A stack whose top elements leave as an array by being moved, not copied: the tree builder keeps the
/// children of every open collection here, those of the innermost one on top, and hands them to the
/// collection's node when it closes. One array of the exact size per collection, instead of one that
/// grew by doubling (a spec's collections were two to five reallocations each, every element copied
/// with a retain and a release of each of its strings).
/// A class: the storage is manually managed, so the stack must never be copied.
final class MoveStack<Element> {
    private var storage: UnsafeMutablePointer<Element>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        storage = .allocate(capacity: self.capacity)
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    func push(_ element: consuming Element) {
        if count == capacity { grow() }
        (storage + count).initialize(to: element)
        count += 1
    }

    /// The element at `index` (below `count`), read in place.
    subscript(index: Int) -> Element {
        unsafeAddress {
            precondition(index >= 0 && index < count, "MoveStack index out of range")
            return UnsafePointer(storage + index)
        }
    }

    /// The top element, moved out.
    func pop() -> Element {
        precondition(count > 0, "MoveStack is empty")
        count -= 1
        return (storage + count).move()
    }

    /// The elements from `start` to the top, moved into an array; the stack ends at `start`.
    func popArray(from start: Int) -> [Element] {
        precondition(start >= 0 && start <= count, "MoveStack start out of range")
        let n = count - start
        guard n > 0 else { return [] }
        let source = storage + start
        count = start
        // Not Array(unsafeUninitializedCapacity:): it allocates through a generic entry point of the
        // standard library that looks up the storage class's metadata on every call (680 instructions
        // per collection); reserveCapacity is specialized here.
        var array: [Element] = []
        array.reserveCapacity(n)
        for i in 0..<n { array.append((source + i).move()) }
        return array
    }

    /// Drops the elements from `start` to the top.
    func truncate(to start: Int) {
        precondition(start >= 0 && start <= count, "MoveStack start out of range")
        (storage + start).deinitialize(count: count - start)
        count = start
    }

    private func grow() {
        let larger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        larger.moveInitialize(from: storage, count: count)
        storage.deallocate()
        storage = larger
        capacity *= 2
    }
}
