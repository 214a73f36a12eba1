#if CARNET_FAULT_INJECTION
/// Failures that tests ask the syscall funnel to produce, so that every failure path (a
/// full disk, an I/O error, a short write, an interrupted call) runs without a broken disk.
///
/// Test equipment, compiled only where Package.swift defines `CARNET_FAULT_INJECTION` (debug
/// builds, as swift-system's `ENABLE_MOCKING`): a release build has neither this type nor
/// the funnel's checks, so the shipped binary pays nothing for them and cannot be made to
/// fail on purpose. Code that uses it sits under `#if CARNET_FAULT_INJECTION` too.
///
/// Off unless a test adds a rule; a rule matches an operation on paths ending with a
/// suffix, skips its first `after` matches, then fires `times` times. A write rule with
/// `afterBytes` lets that many bytes through first (the write that crosses the limit is cut
/// short there), like a disk that fills up. `CARNET_FAULTS` adds rules for a whole process,
/// read on the first check (see `FaultSpec`).
public enum FaultInjection {
    public enum Operation: String, Sendable {
        case write, fsync, open, rename, truncate
    }

    public enum Effect: Sendable, Equatable {
        /// The call fails with this errno.
        case fail(Int32)
        /// A write writes at most this many bytes (a short write, not an error).
        case shortWrite(Int)
        /// A short write that also takes this long: a slow disk, so that a test's kill
        /// lands inside a record more often than not.
        case slowShortWrite(Int, microseconds: UInt32)
    }

    public struct Rule: Sendable {
        public var operation: Operation
        public var pathSuffix: String
        /// When set, only paths under it (a test's own directory): a rule on a name that
        /// every directory has, such as `.tmp`, must not fire in tests running beside it.
        public var pathPrefix: String?
        public var after: Int
        public var times: Int
        public var effect: Effect
        /// For writes: bytes let through before the rule starts firing.
        public var afterBytes: Int?

        public init(_ operation: Operation, pathSuffix: String = "", pathPrefix: String? = nil, after: Int = 0, times: Int = 1,
                    effect: Effect, afterBytes: Int? = nil) {
            self.operation = operation
            self.pathSuffix = pathSuffix
            self.pathPrefix = pathPrefix
            self.after = after
            self.times = times
            self.effect = effect
            self.afterBytes = afterBytes
        }
    }

    /// Created on the first check (or `with`), with the rules of `CARNET_FAULTS`: a debug
    /// process that runs with that variable meets those faults from its first file call on,
    /// without its `main` having to ask for them.
    private static let registry = Registry(FaultSpec.rulesFromEnvironment())

    /// Adds rules for the duration of `body`, then removes them. Rules of callers running
    /// at the same time (tests in other suites) stay in place: each matches its own paths.
    @discardableResult
    public static func with<T>(_ rules: [Rule], _ body: () throws -> T) rethrows -> T {
        let token = registry.add(rules)
        defer { registry.remove(token) }
        return try body()
    }

    /// What the next call does. `length` is the size of a write, for byte-limited rules.
    static func effect(for operation: Operation, path: String, length: Int = 0) -> Effect? {
        registry.effect(for: operation, path: path, length: length)
    }

    /// `@unchecked Sendable` is sound: every access to `rules` happens under `lock`.
    private final class Registry: @unchecked Sendable {
        private let lock = Lock()
        private var rules: [(token: Int, rule: Rule)] = []
        private var nextToken = 0

        init(_ processRules: [Rule]) {
            rules = processRules.map { (0, $0) }
        }

        func add(_ newRules: [Rule]) -> Int {
            lock.withLock {
                nextToken += 1
                rules += newRules.map { (nextToken, $0) }
                return nextToken
            }
        }

        func remove(_ token: Int) {
            lock.withLock { rules.removeAll { $0.token == token } }
        }

        func effect(for operation: Operation, path: String, length: Int) -> Effect? {
            lock.withLock {
                guard !rules.isEmpty else { return nil }
                for index in rules.indices where rules[index].rule.operation == operation && path.hasSuffix(rules[index].rule.pathSuffix)
                    && rules[index].rule.pathPrefix.map(path.hasPrefix) ?? true {
                    if let room = rules[index].rule.afterBytes, room > 0 {
                        // Room left on the "disk": this write goes through, cut short
                        // where the room ends.
                        let allowed = min(room, max(length, 1))
                        rules[index].rule.afterBytes = room - allowed
                        if allowed < length { return .shortWrite(allowed) }
                        continue
                    }
                    if rules[index].rule.after > 0 {
                        rules[index].rule.after -= 1
                        continue
                    }
                    guard rules[index].rule.times > 0 else { continue }
                    rules[index].rule.times -= 1
                    return rules[index].rule.effect
                }
                return nil
            }
        }
    }
}
#endif
