import CarnetFuzzTargets

/// libFuzzer's entry point for opening a store on arbitrary files (EventLog recovery,
/// Checkpoint, StoreStatus, NodeIdentity, NodeStore).
/// The input format and the properties are documented on the target in CarnetFuzzTargets.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzEntry.testOneInput(.store, data, size)
}
