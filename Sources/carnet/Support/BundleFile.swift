import CarnetWire

/// A bundle file (`bundle create`, `bundle apply`): the formats live in the wire module as
/// `BundleFormat` (the body, format 1) and `BundleSeal` (format 2, what `create` writes),
/// where the fuzz targets can decode them too; the commands keep this name.
typealias BundleFile = BundleFormat
