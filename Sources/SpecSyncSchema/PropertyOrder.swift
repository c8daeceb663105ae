import SpecSyncCore

// Key order for the canonical emitter, precomputed at load time as a small automaton:
// a state is the ordered set of (sub)schemas that apply at an instance location, a step is a key
// or an array index. Lookups are then one dictionary or array access per path component, need no
// locks, and never allocate.

struct PropertyOrderTable: Sendable {
    struct State: Sendable {
        var order: [String] = []
        var keyTransitions = KeyTable<Int32>()
        /// Keys not listed in any `properties` (they can only meet `additionalProperties`).
        var otherKey: Int32 = 0
        var indexTransitions: [Int32] = []
        /// Indices beyond every `prefixItems` (they meet `items`).
        var otherIndex: Int32 = 0
        /// The instance types some schema there admits one step down (the union of the targets'
        /// `staticTypes`; `.all` where no schema applies), parallel to the transitions above.
        var keyTypes = KeyTable<JSONTypes>()
        var otherKeyTypes: JSONTypes = .all
        var indexTypes: [JSONTypes] = []
        var otherIndexTypes: JSONTypes = .all
    }

    static let maxStates = 10_000
    static let empty: Int32 = 0

    let states: [State]
    let root: Int32
    /// The instance types the root schema admits.
    let rootTypes: JSONTypes

    static func build(nodes: [SchemaNode], root: Int32) -> PropertyOrderTable? {
        var builder = Builder(nodes: nodes)
        let empty = builder.intern([])
        assert(empty == PropertyOrderTable.empty)
        let rootState = builder.intern(builder.closure([root]))
        while let (id, members) = builder.queue.popLast() {
            guard builder.states.count <= maxStates else { return nil }
            builder.expand(id, members)
        }
        guard builder.states.count <= maxStates else { return nil }
        return PropertyOrderTable(states: builder.states, root: rootState, rootTypes: nodes[Int(root)].staticTypes)
    }

    // Fields are read in place: binding `states[i]` to a local copied the whole State (six
    // reference-counted members) on every step of every walk.
    func step(_ state: Int32, _ component: PathComponent) -> Int32 {
        let i = Int(state)
        switch component {
        case .key(let k):
            return states[i].keyTransitions[k] ?? states[i].otherKey
        case .index(let n):
            return n >= 0 && n < states[i].indexTransitions.count ? states[i].indexTransitions[n] : states[i].otherIndex
        }
    }

    /// The instance types admitted one `component` below `state`.
    func types(_ state: Int32, _ component: PathComponent) -> JSONTypes {
        let i = Int(state)
        switch component {
        case .key(let k):
            return states[i].keyTypes[k] ?? states[i].otherKeyTypes
        case .index(let n):
            return n >= 0 && n < states[i].indexTypes.count ? states[i].indexTypes[n] : states[i].otherIndexTypes
        }
    }

    private struct Builder {
        let nodes: [SchemaNode]
        var states: [State] = []
        var ids: [[Int32]: Int32] = [:]
        var queue: [(Int32, [Int32])] = []

        init(nodes: [SchemaNode]) { self.nodes = nodes }

        /// The schemas applying in place from `seeds`, depth first in keyword order ($ref, allOf, anyOf,
        /// oneOf), keeping only those that say something about keys or items.
        func closure(_ seeds: [Int32]) -> [Int32] {
            var out: [Int32] = []
            var seen = Set<Int32>()
            var stack = Array(seeds.reversed())
            while let i = stack.popLast() {
                guard seen.insert(i).inserted else { continue }
                let n = nodes[Int(i)]
                if !n.propertyNames.isEmpty || n.additionalProperties != noSchema || n.items != noSchema || !n.prefixItems.isEmpty {
                    out.append(i)
                }
                stack.append(contentsOf: n.inPlaceChildren.reversed())
            }
            return out
        }

        /// What some schema among `targets` admits; `.all` when none applies.
        func admitted(_ targets: [Int32]) -> JSONTypes {
            if targets.isEmpty { return .all }
            var types: JSONTypes = []
            for t in targets { types.formUnion(nodes[Int(t)].staticTypes) }
            return types
        }

        mutating func intern(_ members: [Int32]) -> Int32 {
            if let id = ids[members] { return id }
            let id = Int32(states.count)
            states.append(State())
            ids[members] = id
            queue.append((id, members))
            return id
        }

        mutating func expand(_ id: Int32, _ members: [Int32]) {
            var state = State()
            var seen = Set<String>()
            for m in members {
                for name in nodes[Int(m)].propertyNames where seen.insert(name).inserted {
                    state.order.append(name)
                }
            }
            for name in state.order {
                let targets = members.compactMap { m -> Int32? in
                    let n = nodes[Int(m)]
                    if let p = n.propertyIndex[name] { return p.schema }
                    return n.additionalProperties == noSchema ? nil : n.additionalProperties
                }
                state.keyTransitions[name] = intern(closure(targets))
                state.keyTypes[name] = admitted(targets)
            }
            let additional = members.compactMap { m -> Int32? in
                let a = nodes[Int(m)].additionalProperties
                return a == noSchema ? nil : a
            }
            state.otherKey = intern(closure(additional))
            state.otherKeyTypes = admitted(additional)
            let maxPrefix = members.map { nodes[Int($0)].prefixItems.count }.max() ?? 0
            for i in 0..<maxPrefix {
                let targets = members.compactMap { m -> Int32? in
                    let n = nodes[Int(m)]
                    if i < n.prefixItems.count { return n.prefixItems[i] }
                    return n.items == noSchema ? nil : n.items
                }
                state.indexTransitions.append(intern(closure(targets)))
                state.indexTypes.append(admitted(targets))
            }
            let items = members.compactMap { m -> Int32? in
                let it = nodes[Int(m)].items
                return it == noSchema ? nil : it
            }
            state.otherIndex = intern(closure(items))
            state.otherIndexTypes = admitted(items)
            states[Int(id)] = state
        }
    }
}
