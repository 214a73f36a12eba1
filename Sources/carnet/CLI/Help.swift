/// Help texts, derived from the command specs so they never drift from what the parser
/// accepts.
enum Help {
    static func overview() -> String {
        var lines = [
            "usage: carnet <command> [options] [--dir DIR]",
            "",
            "Carnet keeps a producers' ledger (harvests, sales, deliveries, payments, stock) on",
            "every device, and syncs devices peer to peer. One data directory is one node.",
            "",
            "commands:",
        ]
        let specs = CommandRegistry.commands.map { $0.spec }
        let width = specs.map { $0.name.count }.max() ?? 0
        for spec in specs {
            lines.append("  " + spec.name + String(repeating: " ", count: width - spec.name.count) + "  " + spec.summary)
        }
        lines += [
            "",
            "Every command takes --help (usage and an example). Reading commands take --json,",
            "which prints one JSON document on stdout.",
            "",
            "data directory: --dir DIR (anywhere on the line); else $CARNET_DIR; else",
            "$XDG_DATA_HOME/carnet; else ~/.local/share/carnet.",
            "",
            "Errors are one sentence on stderr. Exit status:",
        ]
        for code in ExitCode.allCases {
            lines.append("  " + String(code.rawValue).leftPadded(to: 3) + "  " + code.meaning)
        }
        return lines.joined(separator: "\n")
    }

    static func text(for spec: CommandSpec) -> String {
        var lines = ["usage: \(spec.usage)", "", spec.summary]
        let rows = spec.arguments.map { ($0.name, $0.help) }
            + spec.options.map { ($0.name + ($0.value.map { " " + $0 } ?? ""), $0.help + ($0.required ? " (required)" : "")) }
            + [("--dir DIR", "the node's data directory (see `carnet help`)")]
        let width = rows.map { $0.0.count }.max() ?? 0
        lines.append("")
        for (name, help) in rows {
            lines.append("  " + name + String(repeating: " ", count: width - name.count) + "  " + help)
        }
        if !spec.discussion.isEmpty {
            lines += ["", spec.discussion]
        }
        if !spec.examples.isEmpty {
            lines += ["", spec.examples.count == 1 ? "example:" : "examples:"]
            lines += spec.examples.map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }

    static func groupText(_ name: String, members: [any Command.Type]) -> String {
        var lines = ["usage: carnet \(name) <subcommand>", ""]
        for member in members {
            lines.append("  " + member.spec.usage)
            lines.append("      " + member.spec.summary)
        }
        var more = "Run `carnet \(name) <subcommand> --help` for details"
        if let single = members.first(where: { $0.spec.path.count == 1 }), let option = single.spec.options.first {
            more += ", `carnet \(name) \(option.name) --help` for `carnet \(name) \(option.name)`"
        }
        lines += ["", more + "."]
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    func rightPadded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
