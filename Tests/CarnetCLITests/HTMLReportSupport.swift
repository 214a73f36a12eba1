import Foundation
import Testing

/// What the HTML report tests share: the scripted consortium, a reader of the page's
/// tables, and the command line's number formats written out again here, so that a change
/// of format on either side is seen.
enum HTMLReportScenario {
    /// A canteen's name that would run if it were not escaped, and a product's that would
    /// break the markup.
    static let scriptName = "Cantine <script>alert(\"x\")</script> Jaurès"
    static let ampersandName = "Bœuf & veau <b>"

    /// Farms col (Val) and bois (Plateau); the hub buys from col and sells to the public
    /// canteen cj and the private canteen cp; the farms also sell direct. Labelled
    /// (yaourt organic, bœuf label rouge) and unlabelled (carotte, jus) products; a voided
    /// sale, a sale of 2027, two losses.
    static func build(_ box: borrowing Sandbox) throws {
        try box.initNode("a", label: "hub")
        for (id, kind, name, territory) in [("col", "farm", "Ferme du Col", "Val"), ("bois", "farm", "Ferme des Bois", "Plateau"),
                                            ("hub", "hub", "Tiers-lieu", "Val"), ("cj", "canteen-public", scriptName, "Val"),
                                            ("cp", "canteen-private", "Cantine privée", "Métropole")] {
            try box.ok(["party", "set", id, "--name", name, "--kind", kind, "--territory", territory])
        }
        try box.ok(["product", "set", "yaourt", "--name", "Yaourt", "--unit", "piece", "--label", "organic", "--family", "dairy"])
        try box.ok(["product", "set", "boeuf", "--name", ampersandName, "--unit", "kg", "--label", "label-rouge", "--family", "meat-poultry"])
        try box.ok(["product", "set", "carotte", "--name", "Carotte", "--unit", "kg", "--family", "fruit-vegetables"])
        try box.ok(["product", "set", "jus", "--name", "Jus de pomme", "--unit", "l", "--family", "drinks"])
        func record(_ words: String...) throws -> String { try box.ok(["record"] + words).trimmedLine }
        _ = try record("harvest", "--actor", "col", "--product", "yaourt", "--qty", "500piece", "--lot", "Y1", "--date", "2026-03-02")
        _ = try record("harvest", "--actor", "col", "--product", "boeuf", "--qty", "60kg", "--lot", "B0", "--date", "2026-03-02")
        _ = try record("harvest", "--actor", "bois", "--product", "carotte", "--qty", "300kg", "--lot", "C1", "--date", "2026-03-02")
        _ = try record("harvest", "--actor", "bois", "--product", "jus", "--qty", "100l", "--lot", "J1", "--date", "2026-03-02")
        // The hub's supply: col sells, the hub buys.
        _ = try record("sale", "--actor", "col", "--product", "boeuf", "--qty", "50kg", "--lot", "B0", "--to", "hub",
                       "--amount", "633", "--date", "2026-03-03")
        _ = try record("purchase", "--actor", "hub", "--product", "boeuf", "--qty", "50kg", "--from", "col", "--amount", "633",
                       "--lot", "B1", "--date", "2026-03-03")
        _ = try record("purchase", "--actor", "hub", "--product", "yaourt", "--qty", "200piece", "--from", "col", "--amount", "150",
                       "--lot", "H1", "--date", "2026-03-03")
        func sale(_ actor: String, _ product: String, _ lot: String, _ qty: String, _ to: String, _ amount: String,
                  _ date: String) throws -> String {
            try record("sale", "--actor", actor, "--product", product, "--qty", qty, "--lot", lot, "--to", to,
                       "--amount", amount, "--date", date)
        }
        _ = try sale("hub", "boeuf", "B1", "20kg", "cj", "1266", "2026-03-04")  // 1 200,00 € before VAT: grouped thousands
        _ = try sale("hub", "yaourt", "H1", "100piece", "cp", "105.50", "2026-03-10")
        _ = try sale("col", "yaourt", "Y1", "50piece", "cj", "52.75", "2026-03-11")
        _ = try sale("bois", "carotte", "C1", "40kg", "cj", "84.40", "2026-03-12")
        _ = try sale("bois", "jus", "J1", "20l", "cp", "60", "2026-03-12")
        _ = try sale("bois", "carotte", "C1", "2500g", "cj", "5.28", "2026-03-13")
        let voided = try sale("bois", "carotte", "C1", "10kg", "cp", "999", "2026-03-12")
        try box.ok(["void", voided, "--reason", "saisie en double"])
        _ = try sale("bois", "carotte", "C1", "5kg", "cj", "10", "2027-01-04")
        _ = try record("loss", "--actor", "bois", "--product", "carotte", "--qty", "5kg", "--lot", "C1", "--reason", "damaged",
                       "--date", "2026-03-13")
        _ = try record("loss", "--actor", "col", "--product", "yaourt", "--qty", "10piece", "--lot", "Y1", "--reason", "expired",
                       "--date", "2026-03-14")
    }

    /// The products' families as the page names them, by language (for the stock by family).
    static let families = ["fr": ["yaourt": "Produits laitiers, beurre et œufs", "boeuf": "Viandes et volailles",
                                  "carotte": "Fruits et légumes", "jus": "Boissons"],
                           "en": ["yaourt": "Dairy, butter and eggs", "boeuf": "Meat and poultry", "carotte": "Fruit and vegetables",
                                  "jus": "Drinks"]]

    /// The same names by family code, as `report flows --json` gives the family.
    static let familiesByCode = ["fr": ["dairy": "Produits laitiers, beurre et œufs", "meat-poultry": "Viandes et volailles",
                                        "fruit-vegetables": "Fruits et légumes", "drinks": "Boissons"],
                                 "en": ["dairy": "Dairy, butter and eggs", "meat-poultry": "Meat and poultry",
                                        "fruit-vegetables": "Fruit and vegetables", "drinks": "Drinks"]]
}

/// The page's tables as a reader sees them: the body rows of a table, each a list of cell
/// texts with tags dropped and character references decoded. Works on the file as written
/// and on the DOM a browser serializes.
enum PageTables {
    static func rows(_ html: String, id: String) -> [[String]]? {
        guard let start = html.range(of: "<table id=\"\(id)\">"),
              let end = html.range(of: "</table>", range: start.upperBound..<html.endIndex),
              let body = html.range(of: "<tbody>", range: start.upperBound..<end.lowerBound) else { return nil }
        let cell = try! NSRegularExpression(pattern: "<t[hd][^>]*>(.*?)</t[hd]>", options: [.dotMatchesLineSeparators])
        return html[body.upperBound..<end.lowerBound].components(separatedBy: "<tr>").dropFirst().map { row in
            cell.matches(in: row, range: NSRange(row.startIndex..., in: row)).map { match in
                decode(String(row[Range(match.range(at: 1), in: row)!]))
            }
        }
    }

    static func decode(_ text: String) -> String {
        text.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&nbsp;", with: "\u{A0}").replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// The command line's formats (`Display`), written again from their description: euros
/// with a decimal comma and thousands split by a narrow no-break space, shares in percent
/// without trailing zeros, quantities in kg, l or pc.
enum CLIFormats {
    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append("\u{202F}") }
            out.append(digit)
        }
        return out
    }

    static func money(_ cents: Int) -> String {
        (cents < 0 ? "-" : "") + grouped(abs(cents) / 100) + "," + String(format: "%02d", abs(cents) % 100) + " €"
    }

    static func percent(_ basisPoints: Int) -> String {
        var fraction = String(format: "%02d", basisPoints % 100)
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(basisPoints / 100)" + (fraction.isEmpty ? "" : "," + fraction) + " %"
    }

    static func quantity(_ amount: Int, _ unit: String) -> String {
        func thousandths(_ big: String) -> String {
            var fraction = String(format: "%03d", amount % 1000)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            return grouped(amount / 1000) + (fraction.isEmpty ? "" : "," + fraction) + " " + big
        }
        switch unit {
        case "g": return amount >= 1000 ? thousandths("kg") : "\(amount) g"
        case "ml": return amount >= 1000 ? thousandths("l") : "\(amount) ml"
        default: return "\(amount) pc"
        }
    }
}
