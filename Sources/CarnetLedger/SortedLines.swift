/// Lines kept sorted by a key (stock lines, lots, sale payments), added to in batches.
///
/// Inserting each new line where it belongs moves every line after it: a reader or writer
/// adding a tail of a few hundred entries to views of millions of lines moved them all
/// each time (at 10M events, 4 of the 11 s of a write that rewrites the files). A batch
/// keeps its new lines apart (`pending`, small and sorted) and merges them in once.
extension Array {
    /// Applies `update` to the element whose key `probe` has (its other fields ignored):
    /// in this array when it holds one, else in `pending`, where one made from `probe` is
    /// inserted first when none is there. Both arrays are sorted by `precedes`, which
    /// orders by key alone.
    mutating func update(matching probe: Element, pending: inout [Element], by precedes: (Element, Element) -> Bool,
                         _ update: (inout Element) -> Void) {
        let at = Self.insertionPoint(of: probe, in: self, by: precedes)
        if at < count, !precedes(probe, self[at]) {
            update(&self[at])
            return
        }
        let pendingAt = Self.insertionPoint(of: probe, in: pending, by: precedes)
        if pendingAt < pending.count, !precedes(probe, pending[pendingAt]) {
            update(&pending[pendingAt])
            return
        }
        var made = probe
        update(&made)
        pending.insert(made, at: pendingAt)
    }

    /// Merges `added` (sorted, no key of it held here) into this sorted array in place, in
    /// one pass from the end: each element moves once.
    mutating func merge(sorted added: [Element], by precedes: (Element, Element) -> Bool) {
        guard !added.isEmpty else { return }
        var held = count - 1, next = added.count - 1, place = count + added.count - 1
        append(contentsOf: added)
        while next >= 0 {
            if held >= 0, precedes(added[next], self[held]) {
                self[place] = self[held]
                held -= 1
            } else {
                self[place] = added[next]
                next -= 1
            }
            place -= 1
        }
    }

    /// Where `probe` belongs in `lines` (sorted by `precedes`): at the element of its key, or
    /// where it goes.
    static func insertionPoint(of probe: Element, in lines: [Element], by precedes: (Element, Element) -> Bool) -> Int {
        var low = 0, high = lines.count
        while low < high {
            let middle = (low + high) / 2
            if precedes(lines[middle], probe) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
