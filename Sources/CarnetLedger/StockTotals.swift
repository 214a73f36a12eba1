/// Stock per producer and product, summed over lots: what `carnet stock` shows without
/// `--by-lot`. At a million entries a hub holds a few hundred thousand lots and a few
/// hundred such lines, so the views file keeps them apart (SPEC §6.5, section 9) and the
/// command need not decode every lot.
public enum StockTotals {
    /// One line per producer and product in the order of `stock` (by producer, then
    /// product), its quantity the sum of its lots, its unit the first a lot states or else
    /// the catalog's (none without `catalog`: the file keeps what the lots say); lines
    /// that sum to zero are left out.
    public static func of(_ stock: [StockLine], catalog: Catalog?) -> [StockLine] {
        var lines: [StockLine] = []
        for line in stock {
            let unit = line.unit ?? catalog?.unit(of: line.product)
            if let last = lines.last, last.producer == line.producer, last.product == line.product {
                lines[lines.count - 1].quantity &+= line.quantity
                if lines[lines.count - 1].unit == nil { lines[lines.count - 1].unit = unit }
            } else {
                lines.append(StockLine(producer: line.producer, product: line.product, lot: "", quantity: line.quantity, unit: unit))
            }
        }
        return lines.filter { $0.quantity != 0 }
    }
}
