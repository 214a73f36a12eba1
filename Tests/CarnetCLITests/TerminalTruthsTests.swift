import CarnetLinkSim
import CarnetNet
import CarnetTestKit
import Foundation
import Testing

/// Issue 21, item 8: what the terminal says is what the ledger holds, in the units people
/// use, with advice that makes sense. Each test failed before its fix.
struct TerminalTruthsTests {
    /// A product sold by the kilo, all of it delivered: what the farms hold is `0 kg`,
    /// not `0 g` (which read as if the cheese were counted in grams).
    @Test func zeroIsSaidInTheUnitTheProductIsSoldBy() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        try box.seedLedger()
        try box.ok(["party", "set", "hub", "--name", "La Coop", "--kind", "hub"])
        try box.ok(["record", "delivery", "--producer", "col", "--product", "tomme", "--qty", "12kg", "--lot", "L1", "--to", "hub"])
        let table = try box.ok(["availability"])
        let row = try #require(table.split(separator: "\n").first { $0.hasPrefix("tomme") }, "\(table)")
        #expect(row.contains(" 0 kg"), "\(row)")
        #expect(!row.contains(" 0 g"), "\(row)")
        #expect(row.contains("12 kg"), "\(row)")
    }
}
