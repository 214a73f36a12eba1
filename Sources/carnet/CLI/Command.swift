/// One command of the `carnet` executable.
///
/// Parse, then validate, then run: the registry parses the words against `spec`; `init`
/// validates them into typed values (a quantity, a date, a file that must exist), so a
/// usage or data error is reported before any store is opened; `run` does the work.
/// Adding a command is one new file with a type conforming to this protocol, plus one
/// line in `CommandRegistry.commands`.
protocol Command {
    static var spec: CommandSpec { get }
    init(_ invocation: Invocation) throws
    func run(in context: Context) throws
}
