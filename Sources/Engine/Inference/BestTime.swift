/// The best (smallest) wall time per call of `body`, in seconds, over `repeats`
/// timed rounds; each round calls `body` until at least `minimumSeconds` passed, so
/// microsecond-scale calls are timed over many calls. One untimed call warms caches
/// and buffers first.
///
/// The best round, not the mean, is the figure to compare on a machine shared with
/// other work: interference only ever adds time.
public func bestSecondsPerCall(repeats: Int = 5, minimumSeconds: Double = 0.02, _ body: () -> Void) -> Double {
    body()
    let clock = ContinuousClock()
    var best = Double.infinity
    for _ in 0..<max(repeats, 1) {
        let start = clock.now
        var calls = 0
        var elapsed = 0.0
        repeat {
            body()
            calls += 1
            let duration = clock.now - start
            elapsed = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        } while elapsed < minimumSeconds
        best = min(best, elapsed / Double(calls))
    }
    return best
}
