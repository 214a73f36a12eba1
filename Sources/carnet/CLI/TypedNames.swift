import Foundation

/// Names a person types to find or make a record (party and product codes, lots, entry
/// ids) are taken in their composed Unicode form (NFC). The ledger compares names as
/// bytes (SPEC §10.4), and keyboards differ: a Mac may type "café" as "e" + U+0301 where
/// Linux types "é", which would make two parties of one. The stored bytes stay exactly
/// what was written; only what is typed is normalized, and the person is told.
enum TypedNames {
    /// Options whose value names a record.
    static let identifierOptions: Set<String> = ["--actor", "--producer", "--product", "--lot", "--to", "--from", "--ref", "--buyer"]

    static func normalize(_ invocation: inout Invocation) {
        for (index, argument) in invocation.spec.arguments.enumerated()
        where argument.identifier && index < invocation.arguments.count {
            invocation.arguments[index] = normalized(invocation.arguments[index], into: &invocation.normalized)
        }
        for name in identifierOptions {
            guard let values = invocation.values[name] else { continue }
            invocation.values[name] = values.map { normalized($0, into: &invocation.normalized) }
        }
    }

    private static func normalized(_ text: String, into notices: inout [(typed: String, taken: String)]) -> String {
        let composed = text.precomposedStringWithCanonicalMapping
        guard !composed.utf8.elementsEqual(text.utf8) else { return text }
        notices.append((text, composed))
        return composed
    }
}
