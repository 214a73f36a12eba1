import CarnetCore
import CarnetStore
import CarnetSystem

extension EntryIndex {
    /// Whether the node files of `directory` belong together as opening the store requires
    /// (`NodeStore`): a signed node's device key and salt derive the node id its `node` file
    /// names. A directory whose `node` file was made to name another device (a forgery, to
    /// write in its name) must not be read as that node's from the index either: then the
    /// reader opens the store, which refuses it and says why. One key file read and one
    /// public key derived, well under a millisecond.
    public static func nodeFilesAgree(directory: String, storage: any Storage = PosixStorage()) -> Bool {
        guard let identity = try? NodeIdentity.load(directory: directory, storage: storage) else { return false }
        guard identity.isSigned, let salt = identity.salt else { return true }
        guard let key = try? DeviceKeyFile.load(directory: directory, storage: storage) else { return false }
        return DeviceSigner(privateKey: key, salt: salt).node == identity.node
    }
}
