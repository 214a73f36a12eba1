import CarnetCore
import CarnetSystem

/// The device's private key, in `device.key` beside the log: the only file Carnet never
/// carries anywhere (no bundle, merge or sync reads it).
///
/// Text, so that a person can see what it is: `carnet-device-key 1`, then `seed <64 hex>`.
/// Written once, mode 0600, when the node is created. Refused when group or others may
/// read or write it, as OpenSSH refuses a private key: a key others could read signs for
/// them too.
public enum DeviceKeyFile {
    public static let fileName = "device.key"
    static let header = "carnet-device-key 1"

    public static func text(of key: Ed25519.PrivateKey) -> String {
        "\(header)\nseed \(Hex.encode(key.seed))\n"
    }

    /// Parses the file's text; nil when it is not a device key file.
    public static func parse(_ text: String) -> Ed25519.PrivateKey? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        guard lines.count == 2, lines[0] == header, lines[1].hasPrefix("seed "),
              let seed = Hex.decode(String(lines[1].dropFirst(5))) else { return nil }
        return Ed25519.PrivateKey(seed: seed)
    }

    /// Writes a new key file; fails if one exists (a node's key is never replaced).
    public static func create(_ key: Ed25519.PrivateKey, directory: String, storage: any Storage) throws(StoreError) {
        let path = directory + "/" + fileName
        guard !storage.exists(path) else { throw .badIdentity(path: path, reason: "a device key already exists; refusing to replace it") }
        do {
            try storage.writeAtomically(Array(text(of: key).utf8), to: path, in: directory)
        } catch {
            throw .system(error)
        }
    }

    public static func load(directory: String, storage: any Storage) throws(StoreError) -> Ed25519.PrivateKey {
        let path = directory + "/" + fileName
        guard storage.exists(path) else {
            throw .badIdentity(path: path, reason: "this node of a signed ledger has no device key; it cannot sign what it writes")
        }
        let bytes: [UInt8]
        // Only the real disk has modes; the simulated one has none to check. A file that
        // cannot be examined is left to the open below, which says why.
        if storage is PosixStorage, let mode = try? File(readingOnly: path).metadata().permissions, mode & 0o077 != 0 {
            throw .badIdentity(path: path, reason: "the device key is readable or writable by others; run `chmod 600 \(path)`")
        }
        do {
            bytes = try storage.open(path).readAll()
        } catch {
            throw .system(error)
        }
        guard let key = parse(String(decoding: bytes, as: UTF8.self)) else {
            throw .badIdentity(path: path, reason: "not a Carnet device key file")
        }
        return key
    }
}
