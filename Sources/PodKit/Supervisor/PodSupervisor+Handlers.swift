import Foundation
import PodlabCore

/// Probes, lifecycle hooks and graceful kills, driven by the supervisor's single-threaded loop:
/// nothing here blocks. Exec handlers are started with `PodRuntime.execStart` and end as a
/// runtime event (`PodRuntime.nextEvent`); network handlers are non-blocking sockets polled from `tick`.
extension PodSupervisor {
    /// kubelet's `minimumGracePeriodInSeconds` (`kuberuntime_container.go` killContainer):
    /// every graceful kill leaves at least this long between SIGTERM and SIGKILL.
    static let minimumGracePeriod: TimeInterval = 2

    // MARK: starting an attempt

    /// A container attempt has started: new probe workers (kubelet makes them per container
    /// ID) and its postStart hook (`startContainer` step 4).
    func containerStarted(_ i: Int, now: Date) {
        let status = record.containers[i]
        guard let spec = specFor(status.name) else { return }
        var handlers = ContainerHandlers()
        let startedAt = status.startedAt ?? now
        for kind in ProbeKind.allCases {
            if let probe = spec.probe(kind) {
                handlers.probes[kind] = ProbeWorker(kind: kind, spec: probe, containerStartedAt: startedAt, scale: record.spec.backoffScale)
            }
        }
        if let hook = spec.lifecycle?.postStart {
            // kubelet bounds postStart by nothing but the container's life; podlab by the
            // pod's grace period, so a hung hook cannot hold the container forever.
            handlers.postStart = launch(hook, container: i, timeout: TimeInterval(max(record.spec.terminationGracePeriodSeconds, 30)), now: now)
        }
        containerHandlers[status.name] = handlers
        updateReadiness(i)
    }

    /// `ContainerStatus.started` and `.ready` from the probes (`prober_manager.go`
    /// UpdatePodStatus): not started until the startup probe succeeded; ready when running,
    /// started, postStart done and the readiness probe (if any) succeeded.
    func updateReadiness(_ i: Int) {
        let status = record.containers[i]
        let handlers = containerHandlers[status.name]
        let running = status.state == .running
        let started = running && (handlers?.probes[.startup].map { $0.published == true } ?? true)
        let hookDone = handlers?.postStart == nil
        let ready = started && hookDone && handlers?.kill == nil
            && (handlers?.probes[.readiness].map { $0.published == true } ?? true)
        record.containers[i].startedFlag = started
        record.containers[i].readyFlag = ready
    }

    // MARK: running handlers

    /// Starts `action` for container `i`; a handler that cannot start is an immediate failure.
    func launch(_ action: HandlerAction, container i: Int, timeout: TimeInterval, now: Date) -> HandlerRun {
        let deadline = now.addingTimeInterval(timeout)
        let status = record.containers[i]
        do {
            switch action {
            case .exec(let command):
                let process = try runtime.execStart(command, container: status, record: record, timeout: timeout)
                return HandlerRun(work: .process(pid: process.pid), deadline: deadline, outputFD: process.output)
            case .httpGet(let host, let port, let path, let headers):
                guard let ip = host ?? record.sandbox.ip else { throw PodlabError(.invalidState, "the pod has no IP") }
                return HandlerRun(work: .network(try NetworkProbe(host: ip, port: port, http: (path, headers), timeout: timeout, now: now)), deadline: deadline)
            case .tcpSocket(let host, let port):
                guard let ip = host ?? record.sandbox.ip else { throw PodlabError(.invalidState, "the pod has no IP") }
                return HandlerRun(work: .network(try NetworkProbe(host: ip, port: port, http: nil, timeout: timeout, now: now)), deadline: deadline)
            case .sleep(let seconds):
                return HandlerRun(work: .sleep, deadline: now.addingTimeInterval(min(TimeInterval(seconds), timeout)))
            }
        } catch {
            return HandlerRun(work: .sleep, deadline: deadline, outcome: .failure("\(error)"))
        }
    }

    /// Every run in flight, with the container it belongs to.
    var handlerRuns: [(container: String, run: HandlerRun)] {
        containerHandlers.flatMap { name, handlers in
            (handlers.probes.values.compactMap(\.run) + [handlers.postStart, handlers.kill?.preStop].compactMap { $0 }).map { (name, $0) }
        }
    }

    /// A reaped pid that was an exec handler: records its outcome. False for other pids.
    func handlerProcessExited(pid: Int32, waitStatus: Int32) -> Bool {
        guard let run = handlerRuns.first(where: { $0.run.pid == pid })?.run else { return false }
        if run.outcome == nil {
            let (code, _) = exitCode(fromWaitStatus: waitStatus)
            // kubelet's exec prober: a non-zero exit fails with the command's output as the
            // message; podlab adds the exit code when the command printed nothing.
            let output = run.output()
            run.outcome = code == 0 ? .success
                : .failure(output.isEmpty ? "command exited with code \(code)" : "command exited with code \(code): \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return true
    }

    /// Advances every run: network polls, sleeps and timeouts (exec handlers that outlive their
    /// timeout are SIGKILLed and count as failed, as kubelet's exec probe timeout does).
    func pollHandlers(now: Date) {
        for (_, run) in handlerRuns where run.outcome == nil {
            switch run.work {
            case .network(let probe):
                run.outcome = probe.poll(now: now)
            case .sleep:
                if now >= run.deadline { run.outcome = .success }
            case .process(let pid):
                if now >= run.deadline {
                    runtime.cancelExec(pid)
                    run.outcome = .failure("command timed out")
                }
            }
        }
    }

    /// The periodic part, called from `tick` and after every exit: start due probes, settle
    /// finished runs, move kills along.
    func runHandlers(now: Date) {
        guard !containerHandlers.isEmpty else { return }
        pollHandlers(now: now)
        for i in record.containers.indices {
            let name = record.containers[i].name
            guard containerHandlers[name] != nil else { continue }
            settlePostStart(i, now: now)
            settleProbes(i, now: now)
            advanceKill(i, now: now)
            startDueProbes(i, now: now)
        }
    }

    func startDueProbes(_ i: Int, now: Date) {
        let name = record.containers[i].name
        guard record.containers[i].state == .running, var handlers = containerHandlers[name],
              handlers.postStart == nil, handlers.kill == nil else { return }
        let started = handlers.probes[.startup].map { $0.published == true } ?? true
        for kind in ProbeKind.allCases {
            guard var worker = handlers.probes[kind], worker.run == nil, !worker.onHold, worker.nextRunAt <= now else { continue }
            // The startup probe holds the other two off, and stops once it has succeeded.
            if kind == .startup ? started : !started { continue }
            worker.run = launch(worker.spec.action, container: i, timeout: TimeInterval(worker.spec.timeoutSeconds), now: now)
            // kubelet's ticker: one run per period, counted from the run's start.
            worker.nextRunAt = max(worker.nextRunAt.addingTimeInterval(worker.period), now)
            handlers.probes[kind] = worker
        }
        containerHandlers[name] = handlers
    }

    func settleProbes(_ i: Int, now: Date) {
        let name = record.containers[i].name
        guard var handlers = containerHandlers[name] else { return }
        var failedKill: (ProbeKind, ProbeSpec, String)?
        var changed = false
        for kind in ProbeKind.allCases {
            guard var worker = handlers.probes[kind], let outcome = worker.run?.outcome else { continue }
            worker.run = nil
            let success = outcome == .success
            if case .failure(let why) = outcome {
                event(.warning, "Unhealthy", "\(kind.rawValue) probe failed: \(why)", container: name, now: now)
                log("container \(name) \(kind.rawValue.lowercased()) probe failed: \(why)")
            }
            if let published = worker.record(success: success) {
                changed = true
                if !published && kind != .readiness { failedKill = (kind, worker.spec, kind.rawValue.lowercased()) }
            }
            handlers.probes[kind] = worker
        }
        containerHandlers[name] = handlers
        if changed {
            updateReadiness(i)
            advance(now: now)  // a sidecar's startup probe may let the next init container start
            save()
        }
        if let (_, spec, word) = failedKill, record.containers[i].state == .running {
            // computePodActions: "Container %s failed liveness probe", then ", will be
            // restarted" when the restart policy restarts it; killed with the probe's own
            // terminationGracePeriodSeconds when set (killContainer).
            let restarts = record.containers[i].isSidecar || record.spec.restartPolicy != .never
            let message = "Container \(name) failed \(word) probe" + (restarts ? ", will be restarted" : "")
            let grace = TimeInterval(spec.terminationGracePeriodSeconds ?? record.spec.terminationGracePeriodSeconds)
            beginKill(i, grace: grace, minimumWindow: Self.minimumGracePeriod, message: message, now: now)
        }
    }

    func settlePostStart(_ i: Int, now: Date) {
        let name = record.containers[i].name
        guard let run = containerHandlers[name]?.postStart, let outcome = run.outcome else { return }
        containerHandlers[name]?.postStart = nil
        if case .failure(let why) = outcome, record.containers[i].state == .running {
            // startContainer step 4: a failed postStart kills the container with reason
            // FailedPostStartHook; the sync result is ErrPostStartHook ("PostStartHookError").
            let spec = specFor(name)
            let message = postStartMessage(name, spec?.lifecycle?.postStart, why)
            event(.warning, "FailedPostStartHook", message, container: name)
            log("container \(name) postStart hook failed: \(message)")
            containerHandlers[name]?.postStartFailure = message
            beginKill(i, grace: TimeInterval(record.spec.terminationGracePeriodSeconds), minimumWindow: Self.minimumGracePeriod,
                      message: "FailedPostStartHook", now: now)
        }
        updateReadiness(i)
        advance(now: now)
        save()
    }

    /// kubelet's hook failure messages (`pkg/kubelet/lifecycle/handlers.go`).
    func postStartMessage(_ name: String, _ action: HandlerAction?, _ why: String) -> String {
        switch action {
        case .exec(let command)?: return "Exec lifecycle hook (\(command)) for Container \"\(name)\" in Pod \"\(record.spec.name)_\(record.spec.namespace)(\(record.uid))\" failed - error: \(why)"
        case .httpGet?: return "HTTP lifecycle hook failed - error: \(why)"
        default: return why
        }
    }

    // MARK: killing

    /// Starts stopping container `i` (kubelet's killContainer): preStop within `grace`, then
    /// SIGTERM with at least `minimumWindow` left before SIGKILL.
    func beginKill(_ i: Int, grace: TimeInterval, minimumWindow: TimeInterval, message: String?, now: Date) {
        let name = record.containers[i].name
        guard record.containers[i].state == .running, containerHandlers[name]?.kill == nil else { return }
        if let message { event(.normal, "Killing", message, container: name, now: now) }
        var kill = KillInProgress(message: message, graceEnd: now.addingTimeInterval(grace), minimumWindow: minimumWindow)
        if grace > 0, let hook = specFor(name)?.lifecycle?.preStop {
            log("container \(name) preStop hook started")
            kill.preStop = launch(hook, container: i, timeout: grace, now: now)
        }
        var handlers = containerHandlers[name] ?? ContainerHandlers()
        // Probes stop while the container is being killed (kubelet drops them with the container).
        for kind in Array(handlers.probes.keys) { handlers.probes[kind]?.run = nil }
        handlers.kill = kill
        containerHandlers[name] = handlers
        updateReadiness(i)
        advanceKill(i, now: now)
    }

    /// SIGTERM once preStop is done (or the grace period is over), SIGKILL when the window ends.
    func advanceKill(_ i: Int, now: Date) {
        let name = record.containers[i].name
        guard var kill = containerHandlers[name]?.kill, record.containers[i].state == .running,
              record.containers[i].pid != nil else { return }
        if kill.sigkillAt == nil {
            if let hook = kill.preStop, hook.outcome == nil, now < kill.graceEnd { return }
            if case .failure(let why)? = kill.preStop?.outcome {
                event(.warning, "FailedPreStopHook", "PreStopHook failed: \(why)", container: name, now: now)
                log("container \(name) preStop hook failed: \(why)")
            }
            kill.preStop = nil
            // The image's StopSignal (nginx: SIGQUIT, a graceful stop), else SIGTERM (#104).
            runtime.stopContainer(record.containers[i], signal: ImageProcessDefaults.stopSignal(record.imageConfigs?[name]?.stopSignal), record: record)
            kill.sigkillAt = max(kill.graceEnd, now.addingTimeInterval(kill.minimumWindow))
        }
        if !kill.killed, let at = kill.sigkillAt, now >= at {
            runtime.stopContainer(record.containers[i], signal: SIGKILL, record: record)
            kill.killed = true
        }
        containerHandlers[name]?.kill = kill
    }

    /// The container's attempt ended: its handlers go (a running exec probe dies with the
    /// container's PID namespace and is reaped as an unknown pid); returns the kill message.
    func containerEnded(_ name: String) -> (killMessage: String?, postStartFailure: String?) {
        let handlers = containerHandlers.removeValue(forKey: name)
        return (handlers?.kill?.message, handlers?.postStartFailure)
    }

    /// The next time a probe, hook or kill needs the loop, for its timeout. Network runs are
    /// polled every 10 ms while in flight. A probe that may not run now (postStart running, a
    /// kill under way, held off by the startup probe, on hold) adds no deadline: the event
    /// that frees it runs `runHandlers` itself, and a due time in the past would spin the loop.
    var handlerDeadline: Date? {
        var dates: [Date] = []
        for status in record.containers where status.state == .running {
            guard let handlers = containerHandlers[status.name] else { continue }
            if let kill = handlers.kill, !kill.killed { dates.append(kill.sigkillAt ?? kill.graceEnd) }
            guard handlers.postStart == nil, handlers.kill == nil else { continue }
            let started = handlers.probes[.startup].map { $0.published == true } ?? true
            for (kind, worker) in handlers.probes where !worker.onHold && worker.run == nil {
                if kind == .startup ? started : !started { continue }
                dates.append(worker.nextRunAt)
            }
        }
        for (_, run) in handlerRuns where run.outcome == nil {
            switch run.work {
            case .network: dates.append(Date().addingTimeInterval(0.01))
            default: dates.append(run.deadline)
            }
        }
        return dates.min()
    }
}
