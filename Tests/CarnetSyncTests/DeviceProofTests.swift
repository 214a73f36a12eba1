@testable import CarnetSync
import CarnetCore
import CarnetWire
import Testing

/// The verifier's rules for a peer's device proof (SPEC 8.2.7), one reason each: the
/// key must derive the claimed node and match the key it declared, and the signature must
/// be over this session's handshake hash.
struct DeviceProofTests {
    static func device(_ seed: UInt64) -> DeviceSigner {
        var generator = SplitMix64(seed: seed)
        return DeviceSigner.generate(using: &generator)
    }

    static let hub = device(1), impostor = device(2)
    static let hash = [UInt8](repeating: 0xAB, count: 32)

    /// A verifier holding these declarations.
    static func verifier(holding declared: [NodeID: NodeKey]) -> DeviceCredentials {
        DeviceCredentials(ownKey: { nil }, sign: { _ in nil }, declaredKey: { declared[$0] })
    }

    static func proof(by signer: DeviceSigner, key: NodeKey?, hash: [UInt8] = hash, role: SessionRole = .listener) -> DeviceProof {
        DeviceProof(key: key, signature: signer.privateKey.sign(DeviceProof.signedMessage(role: role, handshakeHash: hash)))
    }

    func reason(_ proof: DeviceProof, holding declared: [NodeID: NodeKey], claimed: NodeID = hub.node) -> String? {
        Self.verifier(holding: declared).rejection(of: proof, role: .listener, handshakeHash: Self.hash, claimed: claimed)?.message
    }

    @Test func anHonestProofVerifiesWithOrWithoutItsKey() {
        let held = [Self.hub.node: Self.hub.nodeKey]
        #expect(reason(Self.proof(by: Self.hub, key: Self.hub.nodeKey), holding: held) == nil)
        #expect(reason(Self.proof(by: Self.hub, key: nil), holding: held) == nil)
        #expect(reason(Self.proof(by: Self.hub, key: Self.hub.nodeKey), holding: [:]) == nil, "a newcomer derives the id")
    }

    @Test func aKeyThatDoesNotDeriveTheClaimedNodeIsRefused() {
        let forged = Self.proof(by: Self.impostor, key: Self.impostor.nodeKey)
        #expect(reason(forged, holding: [:])?.contains("does not derive the node id it claims") == true)
    }

    @Test func aKeyOtherThanTheDeclaredOneIsRefused() {
        // Only a hash collision could make another key derive the node; a store holding a
        // declaration that differs from the carried key is refused all the same.
        let other = NodeKey(publicKey: Self.impostor.privateKey.publicKey, salt: Self.hub.nodeKey.salt)!
        let message = reason(Self.proof(by: Self.hub, key: Self.hub.nodeKey), holding: [Self.hub.node: other])
        #expect(message?.contains("does not match the key its node") == true, "\(String(describing: message))")
    }

    @Test func aSignatureByAnotherKeyOrOverAnotherSessionIsRefused() {
        let held = [Self.hub.node: Self.hub.nodeKey]
        let byImpostor = DeviceProof(key: Self.hub.nodeKey, signature: Self.proof(by: Self.impostor, key: nil).signature)
        #expect(reason(byImpostor, holding: held)?.contains("does not verify") == true)
        let otherSession = Self.proof(by: Self.hub, key: nil, hash: [UInt8](repeating: 0xCD, count: 32))
        #expect(reason(otherSession, holding: held)?.contains("does not verify") == true, "channel binding")
        let otherRole = Self.proof(by: Self.hub, key: nil, role: .dialer)
        #expect(reason(otherRole, holding: held)?.contains("does not verify") == true, "a dialer's proof is not a listener's")
    }

    @Test func aSignatureAloneNeedsTheDeclaration() {
        #expect(reason(Self.proof(by: Self.hub, key: nil), holding: [:])?.contains("signature alone") == true)
    }

    @Test func proofsRoundTripAtTheirTwoSizes() throws {
        for key in [nil, Self.hub.nodeKey] {
            let proof = Self.proof(by: Self.hub, key: key)
            #expect(proof.encoded.count == DeviceProof.length(withKey: key != nil))
            var reader = ByteReader(proof.encoded)
            #expect(try DeviceProof.decode(from: &reader) == proof && reader.isAtEnd)
        }
    }
}
