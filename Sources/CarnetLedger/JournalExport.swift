import CarnetCore

/// The ledger as a plain-text accounting journal that hledger (and ledger) read: what
/// `carnet export --hledger FILE` writes, for a treasurer who works with those tools.
///
/// Design (issue 20, item 6):
///
/// - **One transaction per readable entry**, in the ledger's order (clock, then event id;
///   the order every view counts in), dated with the entry's date. Its description is
///   `ACTOR | KIND PRODUCT to/from PARTY` (hledger reads the actor as the payee), and its
///   comment carries the tags `entry:ID, event:NODEHEX:SEQ, hash:HEX` (the entry id, the
///   event that carried it: the writer's node id, its sequence number and the event's
///   SHA-256), so every line of a report leads back to one signed event.
/// - **Money in EUR**, two decimals, written from integer cents (never floating point).
///   Per actor A (the entry's `producer`) and party P:
///   - sale of T (VAT included) at rate r, HT = `VAT.excluding(T, rate: r)`:
///     `assets:receivable:A:P` +T, `revenue:sales:A` −HT, `liabilities:vat:collected:A` −(T−HT);
///   - payment of M from P: `assets:cash:A` +M, `assets:receivable:A:P` −M;
///   - purchase of T from P: `expenses:purchases:A` +HT, `assets:vat:deductible:A` +(T−HT),
///     `liabilities:payable:A:P` −T.
///   VAT has its own posting (none when it is zero: a 0 % rate). So `carnet balances` for
///   (A, P), sales − payments − purchases, is the balance of `assets:receivable:A:P` plus
///   that of `liabilities:payable:A:P`.
/// - **A reversal** is its own transaction, `reversal of ID (KIND)`, tagged
///   `reverses:ID`, with the opposite postings of the entry it voids (of each entry of that
///   id, when a fork made two). The voided entry stays where it was, tagged
///   `voided-by:ID`: the journal is a history, and the two cancel. A reversal that counts
///   for nothing in Carnet's views (a second one of the same entry, one naming a reversal
///   or an entry this node does not hold) is a transaction without postings that says why.
/// - **Stock-only entries** (harvest, production, delivery, loss, adjust) move no money:
///   each is a transaction without postings, its quantity and lot in tags
///   (`qty:12000 g, lot:L1`). The history stays complete and searchable
///   (`hledger print tag:lot=L1`), while balance reports hold only euros: a commodity per
///   product would put kilos and pieces in every report a treasurer runs, and stock is what
///   `carnet stock` answers. So are sales, payments and purchases that lack a party or an
///   amount (no view counts them either).
/// - **Strict**: every account and the `EUR` commodity are declared (`account`,
///   `commodity`), so `hledger check -s` passes. Dates are not in order when entries were
///   recorded late or on several devices (`hledger check ordereddates` is not asked for);
///   hledger's reports sort by date.
/// - **Names**: ids, products and parties are written byte for byte when they are letters,
///   digits, `-`, `_` or `.`; any other byte (a space, `:` that would split an account,
///   `;` that would start a comment, `,` that would end a tag, `|`, `%`, a combining
///   accent, a control character) is written `%XX` (its UTF-8 byte in hex), and an empty
///   name `%`. The escaping is one-to-one, so two parties are never merged into one
///   account; `%3A` in an account name is a `:` in the party's code.
public enum JournalExport {
    /// Amounts larger than this (in cents, either sign: a thousand billion euros) are
    /// refused: no ledger of the consortium holds them, and the VAT split of a much larger
    /// one would overflow.
    public static let largestAmount: Int64 = 100_000_000_000_000

    /// The years of the dates both tools read: ledger refuses years before 1400, and
    /// neither reads a fifth digit.
    public static let readableYears = 1400...9999

    /// One posting: an account and signed cents.
    public struct Posting: Hashable, Sendable {
        public var account: String
        public var cents: Int64

        public init(account: String, cents: Int64) {
            self.account = account
            self.cents = cents
        }
    }

    /// One transaction of the journal, before it is written out.
    public struct Transaction: Hashable, Sendable {
        public var date: CalendarDay
        public var description: String
        /// `name:value` pairs of the transaction's comment, in order.
        public var tags: [String]
        /// Comment lines under the header (why a transaction has no postings).
        public var notes: [String]
        public var postings: [Posting]
    }

    /// The journal of every readable entry of `state`. Throws (one sentence, nothing to
    /// write) when an entry cannot be written as hledger and ledger read it: a year out of
    /// `readableYears`, an amount beyond `largestAmount`, a VAT rate below 0 or above 100 %.
    public static func transactions(_ state: LedgerState) throws(LedgerError) -> [Transaction] {
        // Every entry is checked before any is written: a reversal may come before the
        // entry it voids, and takes its amounts.
        for record in state.records { try check(record.entry) }
        return state.records.map { transaction($0, in: state) }
    }

    /// The text of the journal: a header, the commodity and account declarations, then
    /// one transaction per entry. `title` (one line) goes in the header.
    public static func text(_ state: LedgerState, title: String? = nil) throws(LedgerError) -> String {
        render(try transactions(state), unreadable: state.unreadable.count, title: title)
    }

    /// Writes transactions out (see `text`).
    public static func render(_ transactions: [Transaction], unreadable: Int = 0, title: String? = nil) -> String {
        var text = "; \(title.map(escapeComment) ?? "A Carnet ledger"), written by `carnet export --hledger`.\n"
        text += """
        ; One transaction per entry, in the ledger's order, tagged with its entry id and the
        ; event that carried it (node:seq, SHA-256). Amounts in EUR: VAT included on
        ; receivable, payable and cash, excluded on sales and purchases, VAT on its own posting.
        ; Reversals are the opposite postings of the entry they void; stock-only entries have
        ; no postings (quantity and lot in tags). In names, %XX is an escaped byte (%3A is ":").

        """
        if unreadable > 0 {
            text += "; \(unreadable) \(unreadable == 1 ? "entry" : "entries") could not be read (written by a newer version?) and \(unreadable == 1 ? "is" : "are") not here.\n"
        }
        text += "\ncommodity 1000.00 EUR\n\n"
        var accounts: Set<ExactString> = []
        for transaction in transactions {
            for posting in transaction.postings { accounts.insert(ExactString(posting.account)) }
        }
        for account in accounts.sorted() {
            text += "account \(account.text)\n"
        }
        for transaction in transactions {
            text += "\n\(transaction.date.iso) \(transaction.description)"
            if !transaction.tags.isEmpty { text += "  ; " + transaction.tags.joined(separator: ", ") }
            text += "\n"
            for note in transaction.notes { text += "    ; \(escapeComment(note))\n" }
            let width = transaction.postings.map(\.account.unicodeScalars.count).max() ?? 0
            for posting in transaction.postings {
                let amount = euros(posting.cents) + " EUR"
                let padding = width - posting.account.unicodeScalars.count + max(2, 14 - amount.count)
                text += "    \(posting.account)\(String(repeating: " ", count: padding))\(amount)\n"
            }
        }
        return text
    }

    /// Cents as `120.50`, `-4.05`.
    public static func euros(_ cents: Int64) -> String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// A name as one account component, tag value or description word: letters, digits,
    /// `-`, `_` and `.` as they are, every other byte `%XX`, the empty name `%`. One-to-one.
    public static func escape(_ name: String) -> String {
        if name.isEmpty { return "%" }
        var result = ""
        for scalar in name.unicodeScalars {
            if isKept(scalar) {
                result.unicodeScalars.append(scalar)
            } else {
                for byte in String(scalar).utf8 {
                    result += "%" + hexDigit(byte >> 4) + hexDigit(byte & 0xF)
                }
            }
        }
        return result
    }

    // MARK: - Entries to transactions

    /// Refuses an entry a journal cannot hold.
    static func check(_ entry: LedgerEntry) throws(LedgerError) {
        let year = entry.date.components.year
        guard readableYears.contains(year) else {
            throw LedgerError("entry \(entry.id) is dated in the year \(year), which hledger and ledger cannot both read (years \(readableYears.lowerBound) to \(readableYears.upperBound)); nothing written")
        }
        if let amount = entry.amount, amount.magnitude > largestAmount.magnitude {
            throw LedgerError("entry \(entry.id) has an amount of \(amount) cents, more than a journal export takes (\(euros(largestAmount)) EUR); nothing written")
        }
        // Carnet refuses such rates when they are recorded; another writer's entry may
        // still hold one, and no amount before VAT can be split off at it.
        if let rate = entry.vat, !(0...VAT.highestRate).contains(rate) {
            throw LedgerError("entry \(entry.id) has a VAT rate of \(rate) basis points, not one from 0 to 100 %; nothing written")
        }
    }

    static func transaction(_ record: LedgerRecord, in state: LedgerState) -> Transaction {
        let entry = record.entry
        var tags = ["entry:\(escape(entry.id))",
                    "event:\(record.event.dot.node.hex):\(record.event.dot.seq)",
                    "hash:\(record.event.hash.hex)"]
        var notes: [String] = []
        var postings: [Posting] = []
        let actor = escape(entry.producer)
        var words = [entry.kind.rawValue]
        if let product = entry.product { words.append(escape(product)) }
        switch entry.kind {
        case .sale, .delivery: if let party = entry.party { words += ["to", escape(party)] }
        case .purchase, .payment: if let party = entry.party { words += ["from", escape(party)] }
        default: break
        }
        if entry.kind == .payment, let ref = entry.ref { words += ["for", escape(ref)] }
        if let line = entry.orderLineID { tags.append("order:\(escape(line))") }

        switch entry.kind {
        case .sale, .payment, .purchase:
            if let money = moneyPostings(entry) {
                postings = money
                if entry.kind == .payment {
                    if let method = entry.method { tags.append("method:\(escape(method))") }
                } else {
                    tags.append("vat:\(VAT.percent(entry.vat ?? VAT.foodRate).replacingSpaces)")
                }
            } else {
                notes.append("counts for nothing: a \(entry.kind.rawValue) without a party or an amount")
            }
        case .reversal:
            let target = entry.ref ?? ""
            words = ["reversal", "of", escape(target)]
            if let kind = entry.refKind { words.append("(\(kind.rawValue))") }
            tags.append("reverses:\(escape(target))")
            if let event = entry.refEvent { tags.append("reverses-event:\(event.hex)") }
            let named = state.records(withID: target)
            let targets = named.filter { entry.cancels($0) }
            let cancelled = targets.filter { state.voidingReversal(of: $0)?.event == record.event }
            if entry.ref == nil || targets.isEmpty {
                notes.append(named.isEmpty ? "counts for nothing: it names an entry this ledger does not hold"
                             : named.allSatisfy({ $0.entry.kind == .reversal }) ? "counts for nothing: it names a reversal, which cannot be reversed"
                             : "counts for nothing: it names an event of \(target) this ledger does not hold")
            } else if cancelled.isEmpty, let first = state.voidingReversal(of: targets[0]) {
                notes.append("counts for nothing: \(target) was reversed first by \(first.entry.id)")
            } else {
                for target in cancelled {
                    guard let money = moneyPostings(target.entry) else { continue }
                    for posting in money { postings.append(Posting(account: posting.account, cents: -posting.cents)) }
                }
                if postings.isEmpty { notes.append("moves no money: \(target) is a stock entry") }
            }
        case .review:
            words = ["review", "of", "conflict", escape(entry.ref ?? "")]
            notes.append("moves nothing: marks a conflict as seen and right as it stands")
        case .order:
            if let party = entry.party { words += ["for", escape(party)] }
            notes.append("moves nothing: an order line, fulfilled by the sales and deliveries that name it")
        case .uncollected:
            words = ["order", escape(entry.ref ?? ""), "not", "collected"]
            notes.append("moves nothing: the order was not picked up")
        case .harvest, .production, .delivery, .loss, .adjust:
            break
        }
        if entry.kind != .reversal, let quantity = entry.quantity {
            tags.append("qty:\(quantity) \(entry.unit?.rawValue ?? "")".trimmingTrailingSpace)
        }
        if entry.kind != .reversal, let lot = entry.lot { tags.append("lot:\(escape(lot))") }
        if let reversal = state.voidingReversal(of: record) {
            tags.append("voided-by:\(escape(reversal.entry.id))")
        }
        return Transaction(date: entry.date, description: "\(actor) | " + words.joined(separator: " "),
                           tags: tags, notes: notes, postings: postings)
    }

    /// The postings of a sale, payment or purchase; nil for other kinds and for one without
    /// a party or an amount (which no view counts).
    static func moneyPostings(_ entry: LedgerEntry) -> [Posting]? {
        guard let party = entry.party, let total = entry.amount else { return nil }
        let actor = escape(entry.producer), other = escape(party)
        let net = VAT.excluding(total, rate: entry.vat ?? VAT.foodRate)
        let tax = total - net
        var postings: [Posting]
        switch entry.kind {
        case .sale:
            postings = [Posting(account: "assets:receivable:\(actor):\(other)", cents: total),
                        Posting(account: "revenue:sales:\(actor)", cents: -net),
                        Posting(account: "liabilities:vat:collected:\(actor)", cents: -tax)]
        case .purchase:
            postings = [Posting(account: "expenses:purchases:\(actor)", cents: net),
                        Posting(account: "assets:vat:deductible:\(actor)", cents: tax),
                        Posting(account: "liabilities:payable:\(actor):\(other)", cents: -total)]
        case .payment:
            return [Posting(account: "assets:cash:\(actor)", cents: total),
                    Posting(account: "assets:receivable:\(actor):\(other)", cents: -total)]
        default:
            return nil
        }
        if tax == 0 { postings.removeAll { $0.account.contains(":vat:") } }
        return postings
    }

    // MARK: - Text

    private static func isKept(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F: return true
        case 0..<0x80: return false
        default:
            let properties = scalar.properties
            return properties.isAlphabetic && properties.generalCategory != .nonspacingMark
                && properties.generalCategory != .spacingMark && properties.generalCategory != .enclosingMark
                || properties.generalCategory == .decimalNumber
        }
    }

    private static func hexDigit(_ value: UInt8) -> String {
        String(UnicodeScalar(value < 10 ? 0x30 + value : 0x41 + value - 10))
    }

    /// Comment text on one line: line breaks and other control characters escaped.
    private static func escapeComment(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x85 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                for byte in String(scalar).utf8 { result += "%" + hexDigit(byte >> 4) + hexDigit(byte & 0xF) }
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

private extension String {
    var replacingSpaces: String { String(unicodeScalars.filter { $0 != " " }.map(Character.init)) }
    var trimmingTrailingSpace: String { hasSuffix(" ") ? String(dropLast()) : self }
}
