/// A command's words after parsing: positional arguments, option values and flags, all
/// checked against its `CommandSpec` (known names, values present, required ones given).
struct Invocation: Sendable {
    var spec: CommandSpec
    var arguments: [String]
    var values: [String: [String]]
    var flags: Set<String>
    /// Typed names taken in another form than typed (`TypedNames`): what to tell the person.
    var normalized: [(typed: String, taken: String)] = []

    /// The value of an option given once, or nil.
    func value(_ name: String) -> String? { values[name]?.last }

    /// The value of a required option (the parser has checked it is there).
    func required(_ name: String) throws -> String {
        guard let value = value(name) else {
            throw CLIError.usage("`carnet \(spec.name)` needs \(name)\(spec.option(named: name)?.value.map { " " + $0 } ?? ""); see `carnet \(spec.name) --help`")
        }
        return value
    }

    func all(_ name: String) -> [String] { values[name] ?? [] }

    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The positional argument at `index` (the parser has checked the count).
    func argument(_ index: Int) -> String? { index < arguments.count ? arguments[index] : nil }

    /// A value that must not be empty text (a name, an id).
    func nonEmpty(_ name: String) throws -> String? {
        guard let text = value(name) else { return nil }
        guard !text.trimmingSpaces.isEmpty else { throw CLIError.usage("\(name) must not be empty") }
        return text
    }

    /// A positive whole number option (`--limit 20`).
    func positiveInt(_ name: String) throws -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text), number > 0 else { throw CLIError.usage("\(name) takes a positive whole number, not \"\(text)\"") }
        return number
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line breaks.
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
