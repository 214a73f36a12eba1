import CarnetWire

/// A bundle file (`bundle create`, `bundle apply`): the format lives in the wire module as
/// `BundleFormat`, where the fuzz targets can decode it too; the commands keep this name.
typealias BundleFile = BundleFormat
