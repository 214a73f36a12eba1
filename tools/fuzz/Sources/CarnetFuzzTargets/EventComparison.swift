import CarnetCore

/// Equality of decoded events that sees every byte. `Event ==` compares ids only, which
/// is right for the product (the hash covers the content) but not for a round trip of
/// events decoded with trusted hashes, whose hash covers nothing; and `String ==` calls
/// canonically equivalent spellings equal, which would hide a codec that normalizes.
enum EventComparison {
    static func identical(_ lhs: [Event], _ rhs: [Event]) -> Bool {
        lhs.count == rhs.count && zip(lhs, rhs).allSatisfy(identical)
    }

    static func identical(_ lhs: Event, _ rhs: Event) -> Bool {
        lhs.hash == rhs.hash && lhs.canonicalBytes == rhs.canonicalBytes
    }

    /// Where two event lists first differ, for a violation message.
    static func firstDifference(_ lhs: [Event], _ rhs: [Event]) -> String {
        guard lhs.count == rhs.count else { return "\(lhs.count) events became \(rhs.count)" }
        for (index, (a, b)) in zip(lhs, rhs).enumerated() where !identical(a, b) {
            return "event \(index) changed: \(Hex.encode(a.canonicalBytes)) became \(Hex.encode(b.canonicalBytes))"
        }
        return "no difference"
    }
}
