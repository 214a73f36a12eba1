/// A set of field names read from many entries at once, in one pass over each entry's
/// fields.
///
/// Reading a ledger entry asks for some twenty names. Asked one at a time
/// (`Fields[name]`), each scanned every field with a byte comparison: some 150 comparisons
/// an entry, and a fold or an entry index over a million entries spent seconds there.
/// Here each field's name is compared only with the names of its length, once.
public struct FieldLookup: Sendable {
    /// The names, in the order `values(in:)` gives their values.
    public let names: [String]
    /// For each length in UTF-8 bytes, the positions of the names of that length.
    private let byLength: [[Int]]

    public init(_ names: [String]) {
        self.names = names
        var byLength: [[Int]] = Array(repeating: [], count: (names.map(\.utf8.count).max() ?? 0) + 1)
        for (position, name) in names.enumerated() { byLength[name.utf8.count].append(position) }
        self.byLength = byLength
    }

    /// The value of the first field of each name in `fields` (as `Fields[name]` gives it),
    /// in the order of `names`; nil for a name no field has. Fields of other names are
    /// left out.
    public func values(in fields: Fields) -> [Value?] {
        var values = [Value?](repeating: nil, count: names.count)
        for field in fields.items {
            let length = field.name.utf8.count
            guard length < byLength.count else { continue }
            for position in byLength[length] where ExactText.equal(field.name, names[position]) {
                if values[position] == nil { values[position] = field.value }
                break
            }
        }
        return values
    }
}
