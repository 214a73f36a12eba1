@testable import carnet
import Testing

/// Issue 21, item 9: progress lines repaint on time (at most every 200 ms), not on every
/// batch: a million-entry import made a thousand batches and as many repaints.
struct ProgressThrottleTests {
    @Test func repaintsAtMostEveryInterval() {
        var throttle = ProgressThrottle(interval: .milliseconds(200))
        let start = ContinuousClock.now
        // A batch every millisecond for ten seconds: 10,000 steps.
        var painted: [Int] = []
        for step in 0..<10_000 where throttle.isDue(at: start + .milliseconds(step)) {
            painted.append(step)
        }
        #expect(painted.first == 0, "the first step paints at once")
        #expect(painted.count == 50, "\(painted.count) repaints in 10 s")
        for (earlier, later) in zip(painted, painted.dropFirst()) { #expect(later - earlier >= 200) }
    }

    @Test func slowWorkPaintsEveryStep() {
        var throttle = ProgressThrottle(interval: .milliseconds(200))
        let start = ContinuousClock.now
        let steps = (0..<20).filter { throttle.isDue(at: start + .milliseconds(250 * $0)) }
        #expect(steps.count == 20)
    }
}
