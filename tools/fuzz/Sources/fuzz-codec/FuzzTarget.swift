import CarnetFuzzTargets

/// libFuzzer's entry point for the event batch codec (plain, primed, trusted hashes) and the
/// session message codecs.
/// The input format and the properties are documented on the target in CarnetFuzzTargets.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzEntry.testOneInput(.codec, data, size)
}
