/// Timed runs of one measurement, in seconds.
struct Samples {
    var values: [Double] = []

    var median: Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    var min: Double { values.min() ?? 0 }
    var max: Double { values.max() ?? 0 }

    /// Runs `body` `runs` times, timing each run; returns the samples and the last result.
    static func time<Result>(runs: Int, _ body: () -> Result) -> (Samples, Result) {
        let clock = ContinuousClock()
        var samples = Samples()
        var last: Result?
        for _ in 0..<runs {
            last = nil  // free the previous run's result first: one result alive at a time
            let start = clock.now
            let result = body()
            samples.values.append((clock.now - start).seconds)
            last = result
        }
        return (samples, last!)
    }

    /// "38.6 ms (min–max 38.3–39.3)": milliseconds below a second, else seconds.
    var timeSummary: String {
        let (scale, unit, digits) = median < 1 ? (1000.0, "ms", 1) : (1.0, "s", 2)
        let range = "\(Format.fixed(min * scale, digits))–\(Format.fixed(max * scale, digits))"
        return "\(Format.fixed(median * scale, digits)) \(unit) (min–max \(range))"
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

enum Format {
    /// `value` with `digits` decimals, no locale.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if text.hasSuffix(".0") && digits == 0 { text.removeLast(2) }
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        } else if digits > 0 {
            text += "." + String(repeating: "0", count: digits)
        }
        return text
    }

    /// An integer with thousands separators: 1234567 → "1,234,567".
    static func grouped<N: BinaryInteger>(_ value: N) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    static func rate(_ value: Double) -> String { grouped(Int64(value.rounded())) }
}
