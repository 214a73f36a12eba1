/// Every command of `carnet`, and how a command line finds its command.
///
/// To add a command: write a type conforming to `Command` in its own file under
/// Commands/, then add one line to `commands` below. Its words (`spec.path`) may name a
/// group (`peers add`, `peers list`): the group's help is derived from its members. A
/// group's word may also be a command of its own that takes options only (`report --html
/// FILE` beside `report egalim`, `conflicts` beside `conflicts show`): with another word it
/// is the group's; alone, it is the command's unless the command needs an option.
enum CommandRegistry {
    static var commands: [any Command.Type] {
        [
            SecretNewCommand.self,
            SecretRotateCommand.self,
            SecretInstallCommand.self,
            InitCommand.self,
            LedgerCreateCommand.self,
            LedgerUpgradeCommand.self,
            MemberAddCommand.self,
            MemberRolesCommand.self,
            MemberRevokeCommand.self,
            MemberListCommand.self,
            StatusCommand.self,
            ProductSetCommand.self,
            ProductListCommand.self,
            PartySetCommand.self,
            PartyListCommand.self,
            RecordCommand.self,
            VoidCommand.self,
            OrderCreateCommand.self,
            OrderCancelCommand.self,
            OrderUncollectedCommand.self,
            OrderListCommand.self,
            LogCommand.self,
            ShowCommand.self,
            StockCommand.self,
            BalancesCommand.self,
            AvailabilityCommand.self,
            ConflictsCommand.self,
            ConflictsShowCommand.self,
            ResolveCommand.self,
            BundleCreateCommand.self,
            BundleApplyCommand.self,
            MergeCommand.self,
            ImportCommand.self,
            ExportCommand.self,
            ReportEgalimCommand.self,
            ReportLossesCommand.self,
            ReportProducersCommand.self,
            ReportFlowsCommand.self,
            ReportHTMLCommand.self,
            VerifyCommand.self,
            RecoverCommand.self,
            SyncCommand.self,
            ServeCommand.self,
            PeersAddCommand.self,
            PeersListCommand.self,
            PeersRemoveCommand.self,
            ReceiptShowCommand.self,
            ReceiptVerifyCommand.self,
            DemoCommand.self,
            HelpCommand.self,
        ]
    }

    /// What the words of a command line name.
    enum Resolution {
        case command(any Command.Type, rest: [String])
        /// A group's name alone (`carnet product`): its subcommands are listed.
        case group(String, members: [any Command.Type])
    }

    /// The longest command path that the leading words spell; a clear usage error, with a
    /// guess, when none does.
    static func resolve(_ words: [String]) throws -> Resolution {
        guard let first = words.first else { return .command(HelpCommand.self, rest: []) }
        let all = commands
        let matching = all.filter { $0.spec.path.first == first }
        guard !matching.isEmpty else {
            let names = Array(Set(all.compactMap { $0.spec.path.first })).sorted()
            let hint = Suggestion.closest(to: first, among: names).map { "; did you mean `\($0)`?" } ?? ". Run `carnet help` for the commands."
            throw CLIError.usage("unknown command \"\(first)\"\(hint)")
        }
        if words.count >= 2, let sub = matching.first(where: { $0.spec.path.count == 2 && $0.spec.path[1] == words[1] }) {
            return .command(sub, rest: Array(words.dropFirst(2)))
        }
        let subcommands = matching.filter { $0.spec.path.count == 2 }
        // The word alone runs its own command unless that command needs an option (`report`
        // alone lists the reports; `conflicts` alone lists the conflicts).
        if let single = matching.first(where: { $0.spec.path.count == 1 }),
           subcommands.isEmpty || (words.count >= 2 && words[1].hasPrefix("-"))
            || (words.count == 1 && !single.spec.options.contains(where: \.required)) {
            return .command(single, rest: Array(words.dropFirst()))
        }
        if words.count >= 2 {
            let names = subcommands.map { $0.spec.path[1] }
            let hint = Suggestion.closest(to: words[1], among: names).map { "; did you mean `carnet \(first) \($0)`?" }
                ?? "; it has \(names.map { "`\($0)`" }.joined(separator: ", "))"
            throw CLIError.usage("unknown subcommand \"\(words[1])\" of `carnet \(first)`\(hint)")
        }
        return .group(first, members: matching)
    }
}
