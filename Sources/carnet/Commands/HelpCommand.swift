/// `carnet help [COMMAND [SUBCOMMAND]]`: the command list, or one command's help.
struct HelpCommand: Command {
    static let spec = CommandSpec(
        path: ["help"], summary: "this overview, or the help of one command",
        arguments: [ArgumentSpec(name: "COMMAND", help: "a command to explain", optional: true),
                    ArgumentSpec(name: "SUBCOMMAND", help: "its subcommand, for groups", optional: true)],
        examples: ["carnet help record"]
    )

    var words: [String]

    init(_ invocation: Invocation) throws {
        words = invocation.arguments
    }

    func run(in context: Context) throws {
        guard !words.isEmpty else {
            context.output.text(Help.overview())
            return
        }
        switch try CommandRegistry.resolve(words) {
        case let .command(type, _): context.output.text(Help.text(for: type.spec))
        case let .group(name, members): context.output.text(Help.groupText(name, members: members))
        }
    }
}
