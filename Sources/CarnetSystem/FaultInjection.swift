/// Failures that tests ask the syscall funnel to produce, so that every failure path (a
/// full disk, an I/O error, a short write, an interrupted call) runs without a broken disk.
///
/// Off unless a test installs a rule; a rule matches an operation on paths ending with a
/// suffix, skips its first `after` matches, then fires `times` times.
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
        public var after: Int
        public var times: Int
        public var effect: Effect

        public init(_ operation: Operation, pathSuffix: String = "", after: Int = 0, times: Int = 1, effect: Effect) {
            self.operation = operation
            self.pathSuffix = pathSuffix
            self.after = after
            self.times = times
            self.effect = effect
        }
    }

    private static let registry = Registry()

    /// Adds rules for the duration of `body`, then removes them. Rules of callers running
    /// at the same time (tests in other suites) stay in place: each matches its own paths.
    @discardableResult
    public static func with<T>(_ rules: [Rule], _ body: () throws -> T) rethrows -> T {
        let token = registry.add(rules)
        defer { registry.remove(token) }
        return try body()
    }

    static func effect(for operation: Operation, path: String) -> Effect? {
        registry.effect(for: operation, path: path)
    }

    /// `@unchecked Sendable` is sound: every access to `rules` happens under `lock`.
    private final class Registry: @unchecked Sendable {
        private let lock = Lock()
        private var rules: [(token: Int, rule: Rule)] = []
        private var nextToken = 0

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

        func effect(for operation: Operation, path: String) -> Effect? {
            lock.withLock {
                guard !rules.isEmpty else { return nil }
                for index in rules.indices where rules[index].rule.operation == operation && path.hasSuffix(rules[index].rule.pathSuffix) {
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
