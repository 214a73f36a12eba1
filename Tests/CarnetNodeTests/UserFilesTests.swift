import CarnetNode
import Foundation
import Testing

/// The files a person names (bundles, CSV, secrets) and the node's secret file.
struct UserFilesTests {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "carnet-userfiles-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: root) }

    /// `bundle create` replaces its file through a temporary beside it: a symlink planted
    /// where that temporary was predictably named must not let it overwrite another file.
    @Test func replacingAFileNeverWritesThroughAPlantedSymlink() throws {
        defer { cleanUp() }
        let bundle = root + "/for-hub.bundle", victim = root + "/victim"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        let links = [bundle + ".\(getpid()).tmp", bundle + ".tmp"]
        for link in links { try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: victim) }

        try UserFiles.replace(bundle, Array("bundle bytes".utf8))

        #expect(FileManager.default.contents(atPath: victim) == Data("precious".utf8))
        #expect(FileManager.default.contents(atPath: bundle) == Data("bundle bytes".utf8))
        for link in links { #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == victim) }
    }

    @Test func aNodeSecretOthersCanReadIsRefusedWithTheChmodToRun() throws {
        defer { cleanUp() }
        let path = root + "/" + LedgerSecret.fileName
        let secret = LedgerSecret.generate()
        try Data(secret.text.utf8).write(to: URL(fileURLWithPath: path))
        for mode in [0o644, 0o640, 0o604, 0o660, 0o606, 0o610] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            do {
                _ = try LedgerSecret.load(directory: root)
                Issue.record("mode \(String(mode, radix: 8)) was accepted")
            } catch {
                #expect("\(error)".contains("chmod 600 \(path)"), "\(error)")
            }
        }
        for mode in [0o600, 0o400] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            #expect(try LedgerSecret.load(directory: root) == secret)
        }
    }
}
