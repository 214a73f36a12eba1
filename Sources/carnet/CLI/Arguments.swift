/// Splits a command line into the global options (`--dir`, `--help`, accepted anywhere)
/// and the rest, then parses the rest against one command's spec.
struct GlobalOptions: Sendable {
    var directory: String?
    var help = false
    /// The words left once the global options are taken out, in order.
    var words: [String] = []

    init(_ arguments: [String]) throws {
        var index = 0
        var afterDoubleDash = false
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if afterDoubleDash {
                words.append(word)
            } else if word == "--" {
                afterDoubleDash = true
                words.append(word)
            } else if word == "--dir" {
                guard index < arguments.count else { throw CLIError.usage("--dir needs a directory, e.g. --dir ~/carnet/ferme") }
                directory = arguments[index]
                index += 1
            } else if word.hasPrefix("--dir=") {
                directory = String(word.dropFirst("--dir=".count))
            } else if word == "--help" || word == "-h" {
                help = true
            } else {
                words.append(word)
            }
        }
        if directory?.isEmpty == true { throw CLIError.usage("--dir needs a directory, e.g. --dir ~/carnet/ferme") }
    }
}

enum ArgumentParser {
    /// Parses the words after a command's name. Options take their value from the next
    /// word even when it starts with `-` (`--qty -2kg`); a word after `--` is always an
    /// argument.
    static func parse(_ words: [String], spec: CommandSpec) throws -> Invocation {
        var arguments: [String] = []
        var values: [String: [String]] = [:]
        var flags = Set<String>()
        var index = 0
        var afterDoubleDash = false
        while index < words.count {
            let word = words[index]
            index += 1
            if afterDoubleDash || !looksLikeOption(word) {
                arguments.append(word)
                continue
            }
            if word == "--" {
                afterDoubleDash = true
                continue
            }
            var name = word
            var inlineValue: String?
            if let equals = word.firstIndex(of: "=") {
                name = String(word[..<equals])
                inlineValue = String(word[word.index(after: equals)...])
            }
            guard let option = spec.option(named: name) else {
                throw unknownOption(name, spec: spec)
            }
            if option.value == nil {
                guard inlineValue == nil else { throw CLIError.usage("\(name) takes no value") }
                flags.insert(name)
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard index < words.count else {
                    throw CLIError.usage("\(name) needs a value (\(option.value!)); see `carnet \(spec.name) --help`")
                }
                value = words[index]
                index += 1
            }
            if values[name] != nil, !option.repeatable {
                throw CLIError.usage("\(name) is given twice; give it once")
            }
            values[name, default: []].append(value)
        }
        let needed = spec.arguments.filter { !$0.optional }.count
        if arguments.count < needed {
            let missing = spec.arguments[arguments.count].name
            throw CLIError.usage("`carnet \(spec.name)` needs \(missing); usage: \(spec.usage)")
        }
        if arguments.count > spec.arguments.count, spec.arguments.last?.repeats != true {
            throw CLIError.usage("unexpected argument \"\(arguments[spec.arguments.count])\" for `carnet \(spec.name)`; usage: \(spec.usage)")
        }
        for option in spec.options where option.required && values[option.name] == nil {
            throw CLIError.usage("`carnet \(spec.name)` needs \(option.name) \(option.value ?? ""); usage: \(spec.usage)")
        }
        var invocation = Invocation(spec: spec, arguments: arguments, values: values, flags: flags)
        TypedNames.normalize(&invocation)
        return invocation
    }

    /// `-x`, `--name`; not `-2kg` or `-4.50` (negative numbers are arguments).
    static func looksLikeOption(_ word: String) -> Bool {
        guard word.hasPrefix("-"), word.count > 1 else { return false }
        let second = word[word.index(after: word.startIndex)]
        return !(second.isNumber || second == "." || second == ",")
    }

    private static func unknownOption(_ name: String, spec: CommandSpec) -> CLIError {
        let known = spec.options.map(\.name) + ["--dir", "--help"]
        if let guess = Suggestion.closest(to: name, among: known) {
            return .usage("unknown option \(name) for `carnet \(spec.name)`; did you mean \(guess)?")
        }
        return .usage("unknown option \(name) for `carnet \(spec.name)`; see `carnet \(spec.name) --help`")
    }
}
