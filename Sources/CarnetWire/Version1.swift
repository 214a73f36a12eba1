/// What version 2 keeps of version 1 (protocol/SPEC.md 8.6): enough to recognise an older
/// peer on its first bytes and to tell it, in words its own code parses, that this node
/// speaks another version. Nothing here authenticates anything.
public enum Version1 {
    /// The protocol version this code speaks.
    public static let current: UInt16 = 2
    public static let magic: [UInt8] = Array("CARNET".utf8)
    /// A version-1 HELLO frame is 58 bytes after its length: type, magic, version, role,
    /// nonce(32), state tag, secret id.
    public static let helloFrameLength = 1 + 6 + 2 + 1 + 32 + 8 + 8
    /// The bytes every version-1 HELLO frame starts with, before its version:
    /// `00 00 00 3a 01 "CARNET"`.
    public static let helloPrefix: [UInt8] = [0, 0, 0, UInt8(helloFrameLength), FrameType.hello.rawValue] + magic

    /// The answer to a version-1 dialer: a HELLO-shaped frame stating version 2 (a
    /// version-1 reader checks the version of the first frame before anything else and
    /// reports "the peer speaks Carnet protocol version 2"), then an ERROR
    /// `unsupported-version` naming both versions, as version 1 sends before its proof.
    public static func refusal(peerVersion: Int) -> [UInt8] {
        var hello = helloPrefix + [UInt8(current >> 8), UInt8(current & 0xFF), SessionRole.listener.rawValue]
        hello += [UInt8](repeating: 0, count: 4 + helloFrameLength - hello.count)
        let error = SessionMessage.error(ErrorMessage(
            code: .unsupportedVersion,
            message: "this node speaks Carnet protocol version \(current) and the peer version \(peerVersion): upgrade Carnet on the peer"))
        return hello + Frame(type: .error, payload: error.body).encoded
    }
}
