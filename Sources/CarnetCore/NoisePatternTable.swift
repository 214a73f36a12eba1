extension NoisePattern {
    /// The base patterns by name: the 3 one-way and 12 interactive fundamental patterns
    /// (revision 34 §7.4, §7.5) and the 23 deferred ones (§7.6), each written as the spec
    /// prints it so that the table can be read against the document line by line. The
    /// cacophony vectors cover every entry.
    static let table: [String: NoisePattern] = {
        var table: [String: NoisePattern] = [:]
        for (name, text) in patternTexts {
            table[name] = NoisePattern(name: name, notation: text, isOneWay: ["N", "K", "X"].contains(name))
        }
        return table
    }()

    /// The names of the base patterns, for tests and diagnostics.
    public static var baseNames: [String] { patternTexts.map(\.0) }

    /// Parses the spec's notation: optional pre-message lines, a `...` line, then one line
    /// per message; `->` is the initiator's, `<-` the responder's. The texts are constants
    /// of this file, so a malformed one is a programming error and stops the program.
    private init(name: String, notation: String, isOneWay: Bool) {
        var lines = notation.split(separator: "\n").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        var preMessages: [Substring] = []
        if let dots = lines.firstIndex(of: "...") {
            preMessages = Array(lines[..<dots])
            lines.removeSubrange(...dots)
        }
        func parse(_ line: Substring) -> (fromInitiator: Bool, tokens: [Token]) {
            let arrow = line.prefix(2)
            precondition(arrow == "->" || arrow == "<-", "pattern \(name): bad line \(line)")
            let tokens = line.dropFirst(2).split(separator: ",").map { text -> Token in
                guard let token = Token(rawValue: String(text.trimmingSpaces())) else {
                    preconditionFailure("pattern \(name): bad token in \(line)")
                }
                return token
            }
            return (arrow == "->", tokens)
        }
        var initiatorPre: [Token] = [], responderPre: [Token] = []
        for line in preMessages {
            let (fromInitiator, tokens) = parse(line)
            if fromInitiator { initiatorPre = tokens } else { responderPre = tokens }
        }
        let messages = lines.enumerated().map { index, line -> [Token] in
            let (fromInitiator, tokens) = parse(line)
            precondition(fromInitiator == index.isMultiple(of: 2), "pattern \(name): message \(index) in the wrong direction")
            return tokens
        }
        self.init(name: name, initiatorPreMessage: initiatorPre, responderPreMessage: responderPre, messages: messages, isOneWay: isOneWay)
    }

    private static let patternTexts: [(String, String)] = [
        // §7.4 one-way
        ("N", "<- s\n...\n-> e, es"),
        ("K", "-> s\n<- s\n...\n-> e, es, ss"),
        ("X", "<- s\n...\n-> e, es, s, ss"),
        // §7.5 interactive
        ("NN", "-> e\n<- e, ee"),
        ("NK", "<- s\n...\n-> e, es\n<- e, ee"),
        ("NX", "-> e\n<- e, ee, s, es"),
        ("KN", "-> s\n...\n-> e\n<- e, ee, se"),
        ("KK", "-> s\n<- s\n...\n-> e, es, ss\n<- e, ee, se"),
        ("KX", "-> s\n...\n-> e\n<- e, ee, se, s, es"),
        ("XN", "-> e\n<- e, ee\n-> s, se"),
        ("XK", "<- s\n...\n-> e, es\n<- e, ee\n-> s, se"),
        ("XX", "-> e\n<- e, ee, s, es\n-> s, se"),
        ("IN", "-> e, s\n<- e, ee, se"),
        ("IK", "<- s\n...\n-> e, es, s, ss\n<- e, ee, se"),
        ("IX", "-> e, s\n<- e, ee, se, s, es"),
        // §7.6 deferred
        ("NK1", "<- s\n...\n-> e\n<- e, ee, es"),
        ("NX1", "-> e\n<- e, ee, s\n-> es"),
        ("X1N", "-> e\n<- e, ee\n-> s\n<- se"),
        ("X1K", "<- s\n...\n-> e, es\n<- e, ee\n-> s\n<- se"),
        ("XK1", "<- s\n...\n-> e\n<- e, ee, es\n-> s, se"),
        ("X1K1", "<- s\n...\n-> e\n<- e, ee, es\n-> s\n<- se"),
        ("X1X", "-> e\n<- e, ee, s, es\n-> s\n<- se"),
        ("XX1", "-> e\n<- e, ee, s\n-> es, s, se"),
        ("X1X1", "-> e\n<- e, ee, s\n-> es, s\n<- se"),
        ("K1N", "-> s\n...\n-> e\n<- e, ee\n-> se"),
        ("K1K", "-> s\n<- s\n...\n-> e, es\n<- e, ee\n-> se"),
        ("KK1", "-> s\n<- s\n...\n-> e\n<- e, ee, se, es"),
        ("K1K1", "-> s\n<- s\n...\n-> e\n<- e, ee, es\n-> se"),
        ("K1X", "-> s\n...\n-> e\n<- e, ee, s, es\n-> se"),
        ("KX1", "-> s\n...\n-> e\n<- e, ee, se, s\n-> es"),
        ("K1X1", "-> s\n...\n-> e\n<- e, ee, s\n-> se, es"),
        ("I1N", "-> e, s\n<- e, ee\n-> se"),
        ("I1K", "<- s\n...\n-> e, es, s\n<- e, ee\n-> se"),
        ("IK1", "<- s\n...\n-> e, s\n<- e, ee, se, es"),
        ("I1K1", "<- s\n...\n-> e, s\n<- e, ee, es\n-> se"),
        ("I1X", "-> e, s\n<- e, ee, s, es\n-> se"),
        ("IX1", "-> e, s\n<- e, ee, se, s\n-> es"),
        ("I1X1", "-> e, s\n<- e, ee, s\n-> se, es"),
    ]
}

extension Substring {
    /// The text without leading and trailing spaces (the core has no Foundation).
    fileprivate func trimmingSpaces() -> Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
