// Reads a "producer-ledger-workload/1" file (JSON lines) into typed `WorkloadLine`s.
//
// Each line is parsed in one pass by the pull parser in JSONCursor.swift: keys are
// matched as bytes, values are decoded only for the fields the model keeps, and values
// of unknown keys are validated and skipped (unknown keys are allowed, for forward
// compatibility). The key order of the format is not required, except that `t` is
// looked for first (when it is not the first key, the object is scanned twice).

/// A fault in a workload file, with the 1-based line number where it was found.
public struct WorkloadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line number.
    public var line: Int
    /// 1-based byte column within the line, when the fault has a position.
    public var column: Int?
    /// The fault without the line prefix, e.g. `entry is missing field "kind"`.
    public var reason: String
    /// The full sentence, e.g. `line 17: entry is missing field "kind"`.
    public var message: String

    public init(line: Int, column: Int? = nil, reason: String) {
        self.line = line
        self.column = column
        self.reason = reason
        self.message = "line \(line): \(reason)"
    }

    /// An error whose full sentence is given, e.g. `line 17: entry is missing field "kind"`.
    /// `reason` is the message without its `line N: ` prefix, if it has one.
    public init(line: Int, message: String) {
        self.line = line
        self.column = nil
        self.message = message
        let prefix = "line \(line): "
        self.reason = message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message
    }

    public var description: String { message }
}

/// Iterates the lines of a workload file held in memory.
public struct WorkloadReader: Sendable {
    /// The whole file.
    public let bytes: [UInt8]
    /// Byte offset of the next line to read.
    public private(set) var offset = 0
    /// Number of the last line read (0 before the first call to `next()`).
    public private(set) var lineNumber = 0
    /// Bound on JSON nesting within a line.
    public var maxDepth = JSONCursor.defaultMaxDepth

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Next line, nil at end of input. Blank trailing line at EOF is fine.
    ///
    /// After an error the faulty line has been consumed, so calling `next()` again goes on
    /// with the following line (to collect several errors, for instance).
    public mutating func next() throws(WorkloadError) -> WorkloadLine? {
        let start = offset
        let count = bytes.count
        if start >= count {
            if lineNumber == 0 {
                lineNumber = 1
                throw WorkloadError(line: 1, reason: "the input is empty: a workload file starts with a meta line")
            }
            return nil
        }
        let lineEnd = bytes.withUnsafeBufferPointer { WorkloadReader.findNewline($0, from: start) }
        offset = lineEnd < count ? lineEnd + 1 : count
        lineNumber += 1
        let number = lineNumber
        let depth = maxDepth
        let line = try bytes.withUnsafeBufferPointer { (buffer) throws(WorkloadError) -> WorkloadLine? in
            try WorkloadReader.readLine(buffer, from: start, to: lineEnd, number: number, maxDepth: depth)
        }
        guard let line else {
            // Only blank lines remain.
            offset = count
            lineNumber -= 1
            return nil
        }
        return line
    }

    /// Convenience: all lines.
    public static func readAll(_ bytes: [UInt8]) throws(WorkloadError) -> [WorkloadLine] {
        var reader = WorkloadReader(bytes: bytes)
        var lines: [WorkloadLine] = []
        lines.reserveCapacity(bytes.count / 160 + 1)
        while let line = try reader.next() {
            lines.append(line)
        }
        return lines
    }

    /// Parses one line on its own (a trailing newline is allowed), without the file-level
    /// rules (meta first, meta only once). `lineNumber` is used in error messages.
    public static func parseLine(_ bytes: [UInt8], lineNumber: Int = 1) throws(WorkloadError) -> WorkloadLine {
        try bytes.withUnsafeBufferPointer { (buffer) throws(WorkloadError) -> WorkloadLine in
            var end = buffer.count
            if end > 0 && buffer[end - 1] == 0x0A { end -= 1 }
            var cursor = JSONCursor(buffer, from: 0, to: end, maxDepth: JSONCursor.defaultMaxDepth, lineMode: true)
            do throws(JSONError) {
                return try LineParser.parse(&cursor)
            } catch {
                throw WorkloadReader.lineError(error, line: lineNumber, lineStart: 0)
            }
        }
    }

    // MARK: Implementation

    /// Parses the line `buffer[start..<lineEnd]`; nil if it and all that follows are blank.
    private static func readLine(
        _ buffer: UnsafeBufferPointer<UInt8>, from start: Int, to lineEnd: Int, number: Int, maxDepth: Int
    ) throws(WorkloadError) -> WorkloadLine? {
        let count = buffer.count
        if number == 1 && count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF {
            throw WorkloadError(line: 1, column: 1, reason: "the file starts with a byte order mark, which the format does not allow")
        }

        // A blank line is only allowed as trailing whitespace at the end of the input.
        var k = start
        while k < lineEnd, isBlank(buffer[k]) { k += 1 }
        if k == lineEnd {
            var rest = lineEnd
            while rest < count, isBlank(buffer[rest]) || buffer[rest] == 0x0A { rest += 1 }
            if rest < count {
                throw WorkloadError(line: number, reason: "the line is empty")
            }
            if number == 1 {
                throw WorkloadError(line: 1, reason: "the input is empty: a workload file starts with a meta line")
            }
            return nil
        }

        var cursor = JSONCursor(buffer, from: start, to: lineEnd, maxDepth: maxDepth, lineMode: true)
        let line: WorkloadLine
        do throws(JSONError) {
            line = try LineParser.parse(&cursor)
        } catch {
            throw lineError(error, line: number, lineStart: start)
        }
        if number == 1 {
            guard case .meta = line else {
                throw WorkloadError(line: 1, reason: "the first line must be a meta line, found a \"\(line.typeName)\" line")
            }
        } else if case .meta = line {
            throw WorkloadError(line: number, reason: "a meta line may only appear on line 1")
        }
        return line
    }

    @inline(__always)
    private static func isBlank(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0D
    }

    static func lineError(_ error: JSONError, line: Int, lineStart: Int) -> WorkloadError {
        let column: Int? = error.offset >= lineStart ? error.offset - lineStart + 1 : nil
        if error.isSyntaxError {
            let at = column.map { " at column \($0)" } ?? ""
            return WorkloadError(line: line, column: column, reason: "invalid JSON\(at): \(error.message)")
        }
        return WorkloadError(line: line, column: column, reason: error.message)
    }

    /// Index of the first `\n` at or after `from`, or `buffer.count`. Eight bytes at a time.
    static func findNewline(_ buffer: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        var i = from
        let n = buffer.count
        if let base = buffer.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= n {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let x = word ^ 0x0A0A_0A0A_0A0A_0A0A
                // Lowest byte of x that is zero <=> lowest newline in the word.
                let zero = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
                if zero != 0 { return i + zero.trailingZeroBitCount >> 3 }
                i += 8
            }
        }
        while i < n && buffer[i] != 0x0A { i += 1 }
        return i
    }
}
