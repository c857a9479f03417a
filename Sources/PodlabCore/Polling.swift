import Foundation

/// Polls `condition` until it holds or `timeout` seconds pass, sleeping 0.2 ms at first and
/// doubling up to 10 ms: kernel-side teardown (a veth leaving with its netns, a cgroup emptying)
/// usually completes within a millisecond, so a fixed long sleep would dominate pod deletes.
/// - Returns: whether the condition held before the timeout.
@discardableResult
public func pollUntil(timeout: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    var pause: UInt32 = 200
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        usleep(pause)
        pause = min(pause * 2, 10_000)
    }
}

/// Seconds on the monotonic clock (immune to wall-clock changes), for deadlines and timeouts.
public func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
