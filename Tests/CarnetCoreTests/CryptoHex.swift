/// Hex helpers for the cryptography vectors: the RFCs print bytes in groups separated by
/// spaces, colons and line breaks, so everything that is not a hex digit is skipped.
enum CryptoHex {
    static func bytes(_ text: String) -> [UInt8] {
        let digits = text.unicodeScalars.compactMap { scalar -> UInt8? in
            guard let value = Int(String(scalar), radix: 16) else { return nil }
            return UInt8(value)
        }
        precondition(digits.count % 2 == 0, "odd number of hex digits in a test vector")
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    static func string(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}

/// Texts the RFC 8439 vectors encrypt or authenticate, typed as text (their hex dumps in the
/// RFC are these bytes; the tests check the lengths the RFC gives).
enum RFC8439Texts {
    /// §2.4.2 and §2.8.2, 114 bytes.
    static let sunscreen = Array(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
            .utf8)
    /// A.2 #2, A.3 #2 and #3, 375 bytes.
    static let ietf = Array(
        ("Any submission to the IETF intended by the Contributor for publication as all or part of an IETF "
            + "Internet-Draft or RFC and any statement made within the context of an IETF activity is considered "
            + "an \"IETF Contribution\". Such statements include oral statements in IETF sessions, as well as "
            + "written and electronic communications made at any time or place, which are addressed to").utf8)
    /// A.2 #3 and A.3 #4, 127 bytes.
    static let jabberwocky = Array(
        "'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\nAll mimsy were the borogoves,\nAnd the mome raths outgrabe."
            .utf8)
    /// A.5, 265 bytes.
    static let internetDrafts = Array(
        ("Internet-Drafts are draft documents valid for a maximum of six months and may be updated, replaced, "
            + "or obsoleted by other documents at any time. It is inappropriate to use Internet-Drafts as "
            + "reference material or to cite them other than as /\u{201C}work in progress./\u{201D}").utf8)
}
