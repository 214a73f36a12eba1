/// When a progress line may repaint: at most once per `interval` (200 ms: a few times a
/// second, as fast as anyone reads), whatever the pace of the work. Tied to the work's
/// own steps instead (once per batch of a thousand events), an import of a million
/// entries repainted a thousand times, and a fast machine spent its terminal's time on
/// lines no one could read. The first step always paints, so a long job shows at once
/// that it started.
struct ProgressThrottle {
    let interval: Duration
    private var lastPaint: ContinuousClock.Instant?

    init(interval: Duration = .milliseconds(200)) {
        self.interval = interval
    }

    /// True when a repaint is due at `now` (and then counts it as done).
    mutating func isDue(at now: ContinuousClock.Instant = .now) -> Bool {
        if let lastPaint, now - lastPaint < interval { return false }
        lastPaint = now
        return true
    }
}
