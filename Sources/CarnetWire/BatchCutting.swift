import CarnetCore

extension EventBatch {
    /// How many of `events`, from the first, fit in one batch by canonical size
    /// (protocol/SPEC.md §3.2, at most `limit` together); at least one, since an event
    /// above the per-event limit is never stored. Writers of batches others decode (the
    /// send queue, bundles) cut with it as well as by event count and encoded bytes: a
    /// receiver refuses a batch past the limit, and it would refuse it again on every retry.
    public static func countWithinCanonicalLimit<Events: Collection<Event>>(
        _ events: Events, limit: Int = WireLimits.maxBatchCanonicalBytes
    ) -> Int {
        var total = 0, count = 0
        for event in events {
            total += event.canonicalSize
            if total > limit { break }
            count += 1
        }
        return max(count, min(1, events.count))
    }
}
