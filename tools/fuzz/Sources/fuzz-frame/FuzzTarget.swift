import CarnetFuzzTargets

/// libFuzzer's entry point for the frame reader (FrameDecoder), fed in chunks.
/// The input format and the properties are documented on the target in CarnetFuzzTargets.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzEntry.testOneInput(.frame, data, size)
}
