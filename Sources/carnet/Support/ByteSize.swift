/// A size in bytes as a person types it: `200k`, `1.5M`, `2m`, `64kB`, `5000`. k is 1,000
/// (a data plan's megabyte is a million bytes), M 1,000,000, G 1,000,000,000.
struct ByteSize {
    let bytes: Int

    static let units: [Character: Double] = ["k": 1e3, "m": 1e6, "g": 1e9]

    init?(parsing text: String) {
        var rest = Substring(text.lowercased())
        if rest.hasSuffix("b") { rest = rest.dropLast() }
        var scale = 1.0
        if let last = rest.last, let unit = Self.units[last] {
            scale = unit
            rest = rest.dropLast()
        }
        guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let number = Double(rest), number.isFinite else { return nil }
        let value = (number * scale).rounded(.down)
        guard value >= 0, value < 1e18 else { return nil }
        bytes = Int(value)
    }

    /// `1,203`: digits grouped by three, as the sync report says counts.
    static func grouped(_ value: some BinaryInteger) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }
}
