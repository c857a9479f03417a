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

/// Waits in poll(2) until `fd` reports one of `events` (POLLIN, POLLOUT; also hang-up or error)
/// or the monotonic clock passes `deadline` (`monotonicSeconds()` based); EINTR is retried.
/// Polls at least once, so a past deadline still reports a descriptor that is ready now.
/// - Returns: whether the descriptor became ready before the deadline.
public func waitUntilReady(_ fd: Int32, events: Int16, deadline: Double) -> Bool {
    var remaining = deadline - monotonicSeconds()
    repeat {
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        let result = poll(&descriptor, 1, Int32(min(max(remaining, 0) * 1000, Double(Int32.max)).rounded(.up)))
        if result > 0 { return true }
        if result < 0 && errno != EINTR { return false }
        remaining = deadline - monotonicSeconds()
    } while remaining > 0
    return false
}
