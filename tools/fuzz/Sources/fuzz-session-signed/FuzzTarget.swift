import CarnetFuzzTargets

/// libFuzzer's entry point for the session of a signed ledger (device proofs, signed heads),
/// both roles. The input format and the properties are documented on the target in CarnetFuzzTargets.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzEntry.testOneInput(.sessionSigned, data, size)
}
