import CarnetFuzzTargets

/// libFuzzer's entry point for the handshake and session state machine (Session), both roles.
/// The input format and the properties are documented on the target in CarnetFuzzTargets.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzEntry.testOneInput(.session, data, size)
}
