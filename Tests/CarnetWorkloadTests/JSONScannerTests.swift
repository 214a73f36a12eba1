import Testing
@testable import CarnetWorkload

private func parse(_ text: String, maxDepth: Int = JSONScanner.defaultMaxDepth) throws(JSONError) -> JSONValue {
    try JSONScanner.parse(Array(text.utf8), maxDepth: maxDepth)
}

private func parseError(_ bytes: [UInt8]) -> JSONError? {
    do throws(JSONError) {
        _ = try JSONScanner.parse(bytes)
        return nil
    } catch {
        return error
    }
}

private func parseError(_ text: String) -> JSONError? { parseError(Array(text.utf8)) }

@Suite("JSONScanner")
struct JSONScannerTests {
    @Test func scalars() throws {
        #expect(try parse("0") == .int(0))
        #expect(try parse("-0") == .int(0))
        #expect(try parse("-123") == .int(-123))
        #expect(try parse("2147483647") == .int(2_147_483_647))
        #expect(try parse("9223372036854775807") == .int(Int64.max))
        #expect(try parse("-9223372036854775808") == .int(Int64.min))
        #expect(try parse("true") == .bool(true))
        #expect(try parse("false") == .bool(false))
        #expect(try parse("null") == .null)
        #expect(try parse("\"\"") == .string(""))
        #expect(try parse(" \t\r\n 42 \n") == .int(42))
    }

    @Test func containers() throws {
        let value = try parse(#"{"a":[1,-2,{"b":null}],"c":{},"d":[],"a":true}"#)
        #expect(value == .object([
            JSONMember("a", .array([.int(1), .int(-2), .object([JSONMember("b", .null)])])),
            JSONMember("c", .object([])),
            JSONMember("d", .array([])),
            JSONMember("a", .bool(true)),
        ]))
        #expect(value["a"] == .array([.int(1), .int(-2), .object([JSONMember("b", .null)])]))
        #expect(value["zz"] == nil)
        #expect(try parse(" { \"k\" : [ 1 , 2 ] } ") == .object([JSONMember("k", .array([.int(1), .int(2)]))]))
    }

    @Test func stringEscapes() throws {
        #expect(try parse(#""a\"b\\c\/d\be\ff\ng\rh\ti""#) == .string("a\"b\\c/d\u{8}e\u{C}f\ng\rh\ti"))
        #expect(try parse(#""\u00e9\u00C9\u0041""#) == .string("éÉA"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
        // Surrogate pair: U+1F955 CARROT.
        #expect(try parse(#""\ud83e\udd55 \uD83E\uDD55""#) == .string("🥕 🥕"))
        #expect(try parse(#""\uffff""#) == .string("\u{FFFF}"))
    }

    @Test func literalUTF8() throws {
        #expect(try parse("\"Œufs bio\"") == .string("Œufs bio"))
        #expect(try parse("\"n°2 abîmé 🥕 日本\"") == .string("n°2 abîmé 🥕 日本"))
    }

    /// The string scanner skips plain ASCII eight bytes at a time: put each kind of special
    /// byte at every position of strings of many lengths, at the end of the input too.
    @Test func specialBytesAtEveryPosition() throws {
        let specials: [(json: String, value: String)] = [
            (#"\""#, "\""), (#"\\"#, "\\"), (#"\n"#, "\n"), (#"\u00e9"#, "é"), ("é", "é"),
            ("🥕", "🥕"), ("\u{7F}", "\u{7F}"), (#"\ud83e\udd55"#, "🥕"),
        ]
        for length in 0..<20 {
            for position in 0...length {
                for special in specials {
                    let prefix = String(repeating: "a", count: position)
                    let suffix = String(repeating: "b", count: length - position)
                    let text = "\"" + prefix + special.json + suffix + "\""
                    #expect(try parse(text) == .string(prefix + special.value + suffix), "\(text)")
                    #expect(try parse("[" + text + "]") == .array([.string(prefix + special.value + suffix)]))
                }
                let plain = String(repeating: "x", count: length)
                for control: UInt8 in [0x00, 0x0A, 0x1F] {
                    var bytes = Array(("\"" + plain + plain + "\"").utf8)
                    bytes.insert(control, at: 1 + position)
                    #expect(parseError(bytes)?.offset == 1 + position, "control \(control) at \(position)")
                }
                var unterminated = Array(("\"" + plain).utf8)
                #expect(parseError(unterminated)?.message.contains("unterminated") == true)
                unterminated.append(0xC3)  // truncated UTF-8 at the very end
                #expect(parseError(unterminated) != nil)
            }
        }
    }

    @Test func invalidStrings() {
        let cases: [(String, String)] = [
            (#""\ud83e""#, "unpaired high surrogate"),
            (#""\ud83ex""#, "unpaired high surrogate"),
            (#""\ud83e\u0041""#, "not followed by a low surrogate"),
            (#""\udd55""#, "unpaired low surrogate"),
            (#""\x""#, "invalid escape"),
            (#""\u12g4""#, "invalid hex digit"),
            (#""\u12""#, "incomplete"),
            (#""abc"#, "unterminated string"),
            ("\"a\tb\"", "control character"),
            ("\"a\nb\"", "control character"),
        ]
        for (text, fragment) in cases {
            let error = parseError(text)
            #expect(error != nil, "\(text) should fail")
            #expect(error?.message.contains(fragment) == true, "\(text): \(String(describing: error))")
        }
    }

    @Test func invalidUTF8() {
        let cases: [[UInt8]] = [
            [0x22, 0xC0, 0x80, 0x22],        // overlong NUL
            [0x22, 0xC1, 0xBF, 0x22],        // overlong
            [0x22, 0xE0, 0x80, 0x80, 0x22],  // overlong 3-byte
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // encoded surrogate
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
            [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],
            [0x22, 0x80, 0x22],              // lone continuation
            [0x22, 0xC3, 0x22],              // truncated
            [0x22, 0xE2, 0x82],              // truncated at end
            [0xC3, 0xA9],                    // non-ASCII outside a string
        ]
        for bytes in cases {
            let error = parseError(bytes)
            #expect(error != nil, "\(bytes) should fail")
        }
        #expect(parseError([0x22, 0xC3, 0x80, 0x22]) == nil)
        #expect(parseError([0x22, 0xF0, 0x9F, 0xA5, 0x95, 0x22]) == nil)
    }

    @Test func integersOnly() {
        #expect(parseError("1.5")?.message.contains("fractional numbers are not allowed") == true)
        #expect(parseError("[1,2.0]")?.offset == 3)
        #expect(parseError("1e5")?.message.contains("exponents are not allowed") == true)
        #expect(parseError("-2E+3")?.message.contains("exponents are not allowed") == true)
        #expect(parseError("01")?.message.contains("leading zeros") == true)
        #expect(parseError("-01") != nil)
        #expect(parseError("-") != nil)
        #expect(parseError("-a") != nil)
        #expect(parseError("+1") != nil)
        #expect(parseError(".5") != nil)
        #expect(parseError("9223372036854775808")?.message.contains("out of range") == true)
        #expect(parseError("-9223372036854775809")?.message.contains("out of range") == true)
        #expect(parseError("99999999999999999999999") != nil)
    }

    @Test func structuralErrorsWithOffsets() {
        #expect(parseError("")?.offset == 0)
        #expect(parseError("   ")?.message.contains("end of the input") == true)
        #expect(parseError(#"{"a":1,}"#)?.offset == 7)
        #expect(parseError(#"{"a" 1}"#)?.offset == 5)
        #expect(parseError(#"{"a":1"#)?.offset == 6)
        #expect(parseError(#"{a:1}"#)?.offset == 1)
        #expect(parseError("[1 2]")?.offset == 3)
        #expect(parseError("[1,]")?.offset == 3)
        #expect(parseError("[")?.offset == 1)
        #expect(parseError("]")?.offset == 0)
        #expect(parseError("tru")?.offset == 0)
        #expect(parseError("nul")?.offset == 0)
        #expect(parseError("truex") != nil)
        #expect(parseError("{} {}")?.offset == 3)
        #expect(parseError("{}x")?.message.contains("after the end of the JSON value") == true)
        #expect(parseError([0x7B, 0x00, 0x7D])?.message.contains("0x00") == true)
    }

    @Test func depthIsBounded() throws {
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(throws: Never.self) { try parse(ok) }
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(parseError(deep)?.message.contains("deeper than 32") == true)
        #expect(parseError(deep)?.offset == 32)
        // Very deep input fails fast instead of exhausting the stack.
        let huge = String(repeating: "{\"a\":", count: 100_000)
        #expect(parseError(huge) != nil)
        let mixed = String(repeating: "[{\"k\":", count: 20) + "1" + String(repeating: "}]", count: 20)
        #expect(parseError(mixed)?.message.contains("deeper") == true)
        #expect(throws: Never.self) { try parse(mixed, maxDepth: 40) }
    }

    @Test func validateMatchesParse() {
        for text in ["{\"a\":[1,2,{\"b\":\"c\"}]}", "[1,", "\"\\ud800\"", "12.5", "null"] {
            let bytes = Array(text.utf8)
            var validated = true
            do throws(JSONError) { try JSONScanner.validate(bytes) } catch { validated = false }
            #expect(validated == (parseError(bytes) == nil), "\(text)")
        }
    }

    @Test func encodeRoundTrip() throws {
        let value = JSONValue.object([
            JSONMember("name", .string("Œufs bio \"extra\" \\ n°2")),
            JSONMember("ctl", .string("a\u{0}b\u{1F}c\n\t\r\u{8}\u{C}")),
            JSONMember("emoji", .string("🥕")),
            JSONMember("n", .array([.int(0), .int(-1), .int(Int64.max), .int(Int64.min)])),
            JSONMember("flags", .array([.bool(true), .bool(false), .null])),
            JSONMember("", .object([])),
        ])
        let text = value.encoded()
        #expect(text.contains("Œufs bio"))
        #expect(text.contains("\\u0000"))
        #expect(text.contains("\\u001f"))
        #expect(try parse(text) == value)
    }

    @Test func describesErrors() {
        let error = JSONError(offset: 3, message: "expected ':'")
        #expect(error.description == "byte 3: expected ':'")
        #expect(error.isSyntaxError)
    }
}
