import Engine

/// Pruning criteria as a pure function `(weights, current mask, plan) -> new mask`.
public enum Pruner {
    /// The mask of the next level: removes, from the weights `mask` still keeps, the
    /// counts `plan` prescribes (see `PruningPlan`), by magnitude or at random.
    ///
    /// - Parameters:
    ///   - weights: the current values of the masked parameters, by name.
    ///   - mask: the current mask; the result is always a subset of it.
    ///   - seed, level: seed the random criterion's generator, `(seed, .pruning, level)`.
    /// - Returns: the new mask, or `mask` itself when the target is already met.
    public static func prune(weights: [String: Tensor], mask: Mask, plan: PruningPlan,
                             seed: UInt64 = 0, level: Int = 0) -> Mask {
        let names = mask.names
        let remaining = Dictionary(uniqueKeysWithValues: names.map { ($0, mask.remaining($0)) })
        let groups = PruningGroups(plan: plan, names: names, remaining: remaining)
        let counts = groups.removalCounts(plan: plan, targetRemaining: plan.targetRemaining(total: mask.totalSize))
        if counts.isEmpty { return mask }

        // Magnitude selection per group; it also fixes the per-layer counts the random
        // criterion must match.
        var removed: [String: [Int]] = [:]
        for (group, count) in zip(groups.members, counts) where count > 0 {
            for (name, indices) in smallestMagnitudes(count, among: group, weights: weights, mask: mask) {
                removed[name] = indices
            }
        }
        var next = mask
        for name in names {
            guard let indices = removed[name], !indices.isEmpty else { continue }
            var values = mask.values[name]!
            switch plan.criterion {
            case .magnitude:
                for i in indices { values[i] = 0 }
            case .random:
                var survivors = values.indices.filter { values[$0] == 1 }
                var generator = SeededGenerator(seed: seed, concern: .pruning,
                                                stream: UInt64(level) << 16 | UInt64(names.firstIndex(of: name)!))
                // Partial Fisher–Yates: the first `count` positions become a uniform sample.
                for k in 0..<indices.count {
                    let j = k + generator.nextInt(below: survivors.count - k)
                    survivors.swapAt(k, j)
                    values[survivors[k]] = 0
                }
            }
            next.set(name, values)
        }
        return next
    }

    /// The `count` surviving weights of smallest |w| over the layers of `group`,
    /// as flat indices per layer. Ties go to the earlier layer, then the lower index.
    static func smallestMagnitudes(_ count: Int, among group: [String], weights: [String: Tensor],
                                   mask: Mask) -> [String: [Int]] {
        struct Candidate { var magnitude: Float; var layer: Int32; var index: Int32 }
        var candidates: [Candidate] = []
        candidates.reserveCapacity(group.reduce(0) { $0 + mask.remaining($1) })
        for (layer, name) in group.enumerated() {
            let w = weights[name]!, m = mask.values[name]!
            precondition(w.count == m.count, "weights '\(name)' do not match the mask")
            for i in 0..<m.count where m[i] == 1 {
                candidates.append(Candidate(magnitude: abs(w[i]), layer: Int32(layer), index: Int32(i)))
            }
        }
        candidates.sort {
            ($0.magnitude, $0.layer, $0.index) < ($1.magnitude, $1.layer, $1.index)
        }
        var result: [String: [Int]] = [:]
        for c in candidates.prefix(count) { result[group[Int(c.layer)], default: []].append(Int(c.index)) }
        return result
    }
}
