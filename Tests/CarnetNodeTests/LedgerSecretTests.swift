import CarnetNode
import Testing

struct LedgerSecretTests {
    @Test func secretsParseFromTheirFileText() {
        let secret = LedgerSecret.generate()
        #expect(LedgerSecret(text: secret.text) == secret)
        #expect(LedgerSecret(text: secret.text + "\n") == secret)
        #expect(LedgerSecret.generate() != secret)
        for bad in ["", "abc", String(repeating: "g", count: 64), String(repeating: "a", count: 62), String(repeating: "a", count: 66)] {
            #expect(LedgerSecret(text: bad) == nil, "\(bad)")
        }
    }
}
