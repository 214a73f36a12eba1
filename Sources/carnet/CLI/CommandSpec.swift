/// What a command accepts, declared once: the parser, the help text and the "did you
/// mean" suggestions are all derived from it, so they cannot disagree.
struct CommandSpec: Sendable {
    /// The words that name the command: `["record"]`, `["product", "set"]`.
    var path: [String]
    /// One line for the command list.
    var summary: String
    var arguments: [ArgumentSpec] = []
    var options: [OptionSpec] = []
    /// Paragraphs shown by `--help` after the options.
    var discussion: String = ""
    /// Full command lines, shown by `--help`.
    var examples: [String] = []

    var name: String { path.joined(separator: " ") }

    func option(named name: String) -> OptionSpec? { options.first { $0.name == name } }

    /// `carnet product set SKU [--name N] [--unit U] [--price P]`
    var usage: String {
        var parts = ["carnet"] + path
        for argument in arguments {
            let name = argument.name + (argument.repeats ? "..." : "")
            parts.append(argument.optional ? "[\(name)]" : name)
        }
        for option in options {
            var text = option.name + (option.value.map { " " + $0 } ?? "")
            if option.repeatable { text += "..." }
            parts.append(option.required ? text : "[\(text)]")
        }
        return parts.joined(separator: " ")
    }
}

/// A positional argument.
struct ArgumentSpec: Sendable {
    var name: String
    var help: String
    var optional = false
    /// A name typed to find or make a record (a party, a product, an entry): taken in
    /// its composed Unicode form (NFC, `TypedNames`). Never set for a path.
    var identifier = false
    /// The last argument only: it may be given more than once (`carnet merge DIR...`), so
    /// that one run can do for several what would otherwise cost one run each.
    var repeats = false
}

/// A `--name` option: a flag when `value` is nil, else it takes one value (`--qty 42kg`
/// or `--qty=42kg`).
struct OptionSpec: Sendable {
    var name: String
    var value: String?
    var help: String
    var required = false
    var repeatable = false

    static func flag(_ name: String, _ help: String) -> OptionSpec {
        OptionSpec(name: name, value: nil, help: help)
    }

    static func value(_ name: String, _ value: String, _ help: String, required: Bool = false) -> OptionSpec {
        OptionSpec(name: name, value: value, help: help, required: required)
    }

    /// `--json`, which every reading command takes.
    static let json = OptionSpec.flag("--json", "print one JSON document on stdout instead of a table")
}
