/// `carnet demo`: a hub and three farms in a temporary folder syncing over TCP, narrated
/// (Demo.swift).
struct DemoCommand: Command {
    static let spec = CommandSpec(
        path: ["demo"], summary: "a hub and three farms in a temporary folder syncing over TCP, then trading (orders, a drive basket, the EGalim report), narrated; exit 0 when they converge",
        examples: ["carnet demo"]
    )

    init(_ invocation: Invocation) throws {}

    func run(in context: Context) throws {
        var output = StandardOutput()
        var demo = Demo(seed: 2026)
        guard demo.run(printer: &output) else {
            throw CLIError(.failure, "the demo's nodes did not converge")
        }
    }
}
