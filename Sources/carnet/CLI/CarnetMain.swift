/// The one path every command line takes: global options, command lookup, parse,
/// validate (`init`), run. Every error ends here as one sentence on stderr and its exit
/// status.
enum CarnetMain {
    static func run(_ arguments: [String], environment: [String: String]) -> Int32 {
        let output = Output(environment: environment)
        do {
            let global = try GlobalOptions(arguments)
            switch try CommandRegistry.resolve(global.words) {
            case let .group(name, members):
                if global.help {
                    output.text(Help.groupText(name, members: members))
                    return ExitCode.success.rawValue
                }
                // A member named by the group's word alone is spelled with its required options.
                let names = members.map { member in
                    let required = member.spec.options.filter(\.required).map { $0.name + ($0.value.map { " " + $0 } ?? "") }
                    return "`" + (["carnet", member.spec.name] + (member.spec.path.count == 1 ? required : [])).joined(separator: " ") + "`"
                }.joined(separator: ", ")
                throw CLIError.usage("`carnet \(name)` needs a subcommand: \(names)")
            case let .command(type, rest):
                if global.help {
                    output.text(type is HelpCommand.Type ? Help.overview() : Help.text(for: type.spec))
                    return ExitCode.success.rawValue
                }
                let invocation = try ArgumentParser.parse(rest, spec: type.spec)
                for (typed, taken) in invocation.normalized {
                    output.warn("\"\(typed)\" was typed in a decomposed Unicode form; it is taken as \"\(taken)\" (composed, NFC), "
                                + "the form Carnet gives every typed name, so that one name typed on two machines is one record")
                }
                let command = try type.init(invocation)
                let context = Context(directory: DataDirectory.resolve(flag: global.directory, environment: environment),
                                      environment: environment, output: output)
                try command.run(in: context)
                return ExitCode.success.rawValue
            }
        } catch {
            let report = ErrorReport.describe(error)
            output.error(report.message)
            return report.code.rawValue
        }
    }
}
