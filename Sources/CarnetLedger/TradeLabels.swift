extension LedgerEntry {
    /// The labels and family a sale or purchase counts with in the reports: those recorded
    /// with it (SPEC §10.3), or, for an entry recorded before entries kept them (it has
    /// neither field), the product's of today (`fromCatalog`).
    public func tradeLabels(catalog: Catalog) -> (labels: [QualityLabel], family: ProductFamily?, fromCatalog: Bool) {
        guard labels == nil && family == nil else {
            return (labels.map { QualityLabel.parse(field: $0).labels } ?? [], family.flatMap(ProductFamily.init(rawValue:)), false)
        }
        return (product.map(catalog.labels(of:)) ?? [], product.flatMap(catalog.family(of:)), true)
    }
}
