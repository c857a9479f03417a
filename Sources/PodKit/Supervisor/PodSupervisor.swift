import Foundation
import PodlabCore

/// Kubelet's per-pod behaviour, driven by events: a process exited, time passed, delete asked.
///
/// Like containerd-shim plus the part of kubelet's `SyncPod` that concerns one pod: it starts
/// init containers in order, then sidecars and app containers, restarts them per
/// `restartPolicy` with CrashLoopBackOff, recreates the sandbox when pause dies, and tears
/// everything down on delete. All machine access goes through `PodRuntime`.
public final class PodSupervisor {
    public internal(set) var record: PodRecord
    let runtime: any PodRuntime
    let store: PodStore?
    let backOff: CrashLoopBackOff
    var backOffEntries: [String: CrashLoopBackOff.Entry] = [:]
    /// Index of the next init container to run; == initContainers.count once apps may start.
    var nextInit = 0
    public private(set) var shuttingDown = false
    /// Set once every regular container is done and none will restart: the pod was killed
    /// (sidecars and sandbox stopped) and keeps its terminal phase (docs/FIDELITY.md #58).
    public private(set) var podFinished = false
    /// Probes, hooks and kills of each container's current attempt (PodSupervisor+Handlers).
    var containerHandlers: [String: ContainerHandlers] = [:]
    /// Pod-level events, newest last (kubectl describe's Events), kept short.
    public internal(set) var events: [String] = []
    /// Where container starts and terminations are recorded, one line each (the supervisor
    /// process sends them to the pod's `supervisor.log`, kubelet's event stream in small).
    public var log: (String) -> Void = { _ in }
    /// Where pod events go besides `events` (the supervisor process: the pod's `PodEventLog`).
    public var recordEvent: (PodEvent) -> Void = { _ in }
    /// When kubelet's container GC next looks at this pod (`ContainerGC.swift`); set by the first tick.
    var nextGarbageCollection: Date?

    public init(record: PodRecord, runtime: any PodRuntime, store: PodStore?) {
        self.record = record
        self.runtime = runtime
        self.store = store
        // Validated when the manifest was parsed (finite, 0 < scale ≤ 1); see `PodSpec.backoffScale`.
        backOff = CrashLoopBackOff(scale: record.spec.backoffScale)
    }

    /// When set (the supervisor process), an exited container that restarts at once is started
    /// before its ended attempt is cleaned up (rootfs directories removed, cgroups killed and
    /// removed in every hierarchy), and the record is saved once, after the start: that cleanup
    /// and a second save were most of the ~120 ms (300 ms under load) between a container's exit
    /// and its restart. Kubelet does not remove a dead container before restarting it either
    /// (it stays for `logs --previous` until container GC, `kuberuntime_gc.go`); here the
    /// attempt's log stays and only its rootfs and cgroups go, right after the start.
    public var deferCleanups = false
    var pendingCleanups: [ContainerStatus] = []
    /// Called as soon as an exit is known to restart at once (with `deferCleanups`), before the
    /// restart itself: the supervisor process starts the cgroup migration warm-up there.
    public var restartDue: () -> Void = {}

    /// Set while the last save failed (the state filesystem is full, say): the event loop
    /// retries every `saveRetryInterval` until it succeeds, so what happened meanwhile (a
    /// restart) reaches `ps` and `exec` once space returns instead of never.
    public private(set) var unsavedSince: Date?
    static let saveRetryInterval: TimeInterval = 0.25

    func save() {
        record.phase = podPhase(containers: record.containers, policy: record.spec.restartPolicy,
                                sandboxReady: record.sandbox.ready, started: record.started)
        guard let store else { return }
        do {
            try store.save(record)
            if let since = unsavedSince {
                log("pod record saved again (unsaved for \(String(format: "%.1f", Date().timeIntervalSince(since))) s)")
                unsavedSince = nil
            }
        } catch {
            if unsavedSince == nil { log("cannot save the pod record: \(error); retrying every \(Self.saveRetryInterval) s") }
            unsavedSince = unsavedSince ?? Date()
        }
    }

    func specFor(_ name: String) -> ContainerSpec? {
        (record.spec.initContainers + record.spec.containers).first { $0.name == name }
    }

    func index(of name: String) -> Int? { record.containers.firstIndex { $0.name == name } }

    // MARK: start

    /// Builds the sandbox and starts the first containers. Throws if the sandbox cannot be built
    /// (the pod is then marked failed with the reason, and nothing is left behind).
    public func start(now: Date = Date()) throws {
        // The scheduler's event; podlab's node is this machine (kubelet's node name).
        event(.normal, "Scheduled", "Successfully assigned \(record.spec.namespace)/\(record.spec.name) to \(DownwardAPIValues.nodeName())", now: now)
        do {
            try runtime.prepareVolumes(record)
            record.sandbox = try runtime.runPodSandbox(record)
        } catch {
            record.failure = "\(error)"
            record.sandbox.ready = false
            save()
            throw error
        }
        nextInit = 0
        advance(now: now)
        record.started = true
        save()
        finishPodIfDone(now: now)
    }

    /// Starts whatever may start now: the next init container, or all app containers.
    func advance(now: Date) {
        guard record.sandbox.ready, !shuttingDown, !podFinished else { return }
        let inits = record.spec.initContainers
        while nextInit < inits.count {
            let spec = inits[nextInit]
            guard let i = index(of: spec.name) else { return }
            let status = record.containers[i]
            if spec.restartPolicy == .always {
                // A native sidecar: the next init container starts once it is running, its
                // postStart hook done and its startup probe passed (#40, #48;
                // kuberuntime_manager.go computeInitContainerActions).
                if status.state == .created { startAttempt(i, now: now) }
                if record.containers[i].state == .running, record.containers[i].started,
                   containerHandlers[spec.name]?.postStart == nil {
                    nextInit += 1
                    continue
                }
                return
            }
            if status.state == .exited && status.exitCode == 0 && status.nextStartAt == nil {
                nextInit += 1
                continue
            }
            if status.state == .created { startAttempt(i, now: now) }
            return
        }
        for spec in record.spec.containers {
            if let i = index(of: spec.name), record.containers[i].state == .created {
                startAttempt(i, now: now)
            }
        }
    }

    func startAttempt(_ i: Int, now: Date) {
        guard let spec = specFor(record.containers[i].name) else { return }
        var status = record.containers[i]
        status.id = generateID()
        status.logPath = logPath(container: status.name, attempt: status.restartCount)
        status.createdAt = now
        status.nextStartAt = nil
        status.waitingReason = nil
        status.waitingMessage = nil
        status.exitCode = nil
        status.signal = nil
        status.reason = nil
        status.finishedAt = nil
        status.message = nil
        record.containers[i] = status
        // kubelet's image manager with imagePullPolicy IfNotPresent: images are local (the catalog).
        event(.normal, "Pulled", "Container image \"\(spec.image)\" already present on machine", container: spec.name, now: now)
        do {
            // CRI CreateContainer then StartContainer (kuberuntime_container.go startContainer).
            try runtime.createContainer(spec, status: status, record: record)
            let started = try runtime.startContainer(status, record: record)
            record.containers[i].pid = started.pid
            record.containers[i].cgroupPath = started.cgroupPath
            record.containers[i].state = .running
            record.containers[i].startedAt = Date()
            log("container \(spec.name) attempt \(status.restartCount) started: id \(status.id.prefix(13)) pid \(started.pid)")
            event(.normal, "Created", "Created container: \(spec.name)", container: spec.name)
            event(.normal, "Started", "Started container \(spec.name)", container: spec.name)
            containerStarted(i, now: Date())
        } catch let error as ContainerConfigError {
            // Never created: waiting, retried on the pod worker's 10 s back-off (scaled like
            // the crash back-off), no restart counted.
            record.containers[i].state = .created
            record.containers[i].pid = nil
            record.containers[i].waitingReason = "CreateContainerConfigError"
            record.containers[i].waitingMessage = "\(error)"
            record.containers[i].nextStartAt = Date().addingTimeInterval(backOff.initial)
            // No log: the container was never created, so there is no output to keep; the
            // reason is the waiting message, and `logs` says the container is waiting to start
            // (kubelet_pods.go validateContainerLogStatus; docs/FIDELITY.md #175).
            event(.warning, "Failed", "Error: \(error)", container: spec.name)
            runtime.removeContainer(record.containers[i], record: record)
        } catch {
            // containerd reports a failed start as exit code 128, reason StartError.
            record.containers[i].state = .exited
            record.containers[i].pid = nil
            record.containers[i].startedAt = now
            record.containers[i].finishedAt = Date()
            record.containers[i].exitCode = 128
            record.containers[i].reason = "StartError"
            // The message goes to the status, not the log: kubelet shows it as the terminated
            // state's message; the log holds only the container's output (#86). It is the
            // attempt's own `message`, so it survives into `lastState.terminated.message` when
            // the restart's back-off text takes `waiting.message` (kuberuntime_container.go
            // startContainer returns the runtime's error; the CrashLoopBackOff message is built
            // separately by kuberuntime_manager.go doBackOff; docs/FIDELITY.md #171).
            record.containers[i].message = "\(error)"
            event(.warning, "Failed", "Error: \(error)", container: spec.name)
            runtime.removeContainer(record.containers[i], record: record)
            scheduleRestart(i, now: Date())
        }
        save()
    }

    func logPath(container: String, attempt: Int) -> String {
        // kubelet: /var/log/pods/<ns>_<pod>_<uid>/<container>/<restartCount>.log (#16)
        return store?.podDirectory(for: record.key).log(container: container, attempt: attempt) ?? "/tmp/podlab-logs/\(container)/\(attempt).log"
    }

    // MARK: events

    /// One event from the runtime (`PodRuntime.nextEvent`): a container, the sandbox or an
    /// exec ended. Events about things the pod no longer has are ignored.
    public func handle(_ event: RuntimeEvent, now: Date = Date()) {
        switch event {
        case .processExited(let pid, let waitStatus):
            handleExit(pid: pid, waitStatus: waitStatus, now: now)
        case .containerExited(let id, let code, let finishedAt):
            guard let i = record.containers.firstIndex(where: { $0.id == id && $0.state == .running }) else { return }
            containerExited(i, exitCode: code, signal: nil, now: finishedAt ?? now)
        case .sandboxExited:
            if record.sandbox.ready { sandboxDied(now: now) }
        case .execExited(let handle, let code):
            if handlerProcessExited(pid: handle, waitStatus: exitWaitStatus(code)) { runHandlers(now: now) }
        case .nothing, .nothingToWatch:
            return
        }
    }

    /// A child process exited (podlab's runtime, from `waitpid`). Unknown pids (re-parented
    /// orphans) are ignored.
    public func handleExit(pid: Int32, waitStatus: Int32, now: Date = Date()) {
        if handlerProcessExited(pid: pid, waitStatus: waitStatus) {
            runHandlers(now: now)
            return
        }
        if pid == record.sandbox.pausePID {
            sandboxDied(now: now)
            return
        }
        guard let i = record.containers.firstIndex(where: { $0.pid == pid && $0.state == .running }) else { return }
        let (code, signal) = exitCode(fromWaitStatus: waitStatus)
        containerExited(i, exitCode: code, signal: signal, now: now)
    }

    /// The running attempt `i` ended: recorded, restarted per policy, removed (after the
    /// restart when it is immediate: `deferCleanups`).
    func containerExited(_ i: Int, exitCode code: Int32, signal: Int32?, now: Date) {
        recordTermination(i, exitCode: code, signal: signal, now: now)
        let ended = record.containers[i]
        if !shuttingDown && !podFinished { scheduleRestart(i, now: now) }
        if deferCleanups, let at = record.containers[i].nextStartAt, at <= now {
            // An immediate restart (the first one, docs/FIDELITY.md #19): the loop's `tick` starts
            // the next attempt and saves the record, then `flushCleanups` removes this one.
            restartDue()
            pendingCleanups.append(ended)
            return
        }
        runtime.removeContainer(ended, record: record)
        advance(now: now)
        save()
        finishPodIfDone(now: now)
    }

    /// Removes the ended attempts `containerExited` left for after the restart (`deferCleanups`).
    /// Called by the event loop after `tick`, and before anything that tears the sandbox down
    /// (its pod cgroup can only go once the containers' cgroups are gone).
    public func flushCleanups() {
        let ended = pendingCleanups
        pendingCleanups = []
        for status in ended { runtime.removeContainer(status, record: record) }
        // `tick` saves what it started; a restart it did not start (the sandbox went away
        // meanwhile) still has to reach the record.
        if ended.contains(where: { status in record.containers.contains { $0.name == status.name && $0.nextStartAt != nil } }) {
            save()
        }
    }

    func recordTermination(_ i: Int, exitCode code: Int32, signal: Int32?, now: Date) {
        var status = record.containers[i]
        // CRI ContainerStatus: the OOM reason and the termination message file.
        let final = runtime.containerStatus(status, record: record)
        status.state = .exited
        status.pid = nil
        status.exitCode = code
        status.signal = signal
        status.finishedAt = now
        // containerd: OOMKilled when the cgroup saw an OOM kill, else Completed / Error (#20, #21).
        if code != 0, final.oomKilled {
            status.reason = "OOMKilled"
            event(.warning, "OOMKilling", "Memory cgroup out of memory: killed process in container \(status.name)", container: status.name, now: now)
        } else {
            status.reason = code == 0 ? "Completed" : "Error"
        }
        let ended = containerEnded(status.name)
        // What says why it ended: the kill's reason (a failed probe or postStart hook; kubelet
        // shows it as the Killing event, podlab also as terminated.message, docs/FIDELITY.md #49).
        let spec = specFor(status.name)
        status.message = TerminationMessage.message(
            file: final.terminationMessageFile, log: status.logPath,
            policy: spec?.terminationMessagePolicy ?? .file, exitCode: code) ?? ended.postStartFailure ?? ended.killMessage
        status.readyFlag = false
        status.startedFlag = false
        record.containers[i] = status
        let signalText = signal.map { " signal \($0)" } ?? ""
        log("container \(status.name) attempt \(status.restartCount) terminated: exitCode \(code) reason \(status.reason ?? "")\(signalText)")
    }

    /// The attempt that just ended, as `lastState.terminated`.
    func terminatedState(_ status: ContainerStatus, now: Date) -> TerminatedState {
        TerminatedState(
            containerID: status.id, exitCode: status.exitCode ?? 255, signal: status.signal, reason: status.reason ?? "Error",
            startedAt: status.startedAt ?? now, finishedAt: status.finishedAt ?? now, logPath: status.logPath,
            message: status.message)
    }

    /// Applies the restart policy, with back-off, to an exited container.
    func scheduleRestart(_ i: Int, now: Date) {
        let status = record.containers[i]
        guard let spec = specFor(status.name) else { return }
        let code = status.exitCode ?? 255
        let restart: Bool
        if status.isSidecar {
            restart = true  // sidecars restart on any exit, whatever the pod's policy (#40)
        } else if status.isInit {
            // Init containers behave as OnFailure under Always; under Never the pod fails (#39).
            restart = record.spec.restartPolicy != .never && code != 0
        } else {
            restart = shouldRestart(policy: record.spec.restartPolicy, exitCode: code)
        }
        guard restart else { return }
        let finished = status.finishedAt ?? now
        let delay = backOff.nextDelay(entry: &backOffEntries[spec.name], finishedAt: finished)
        record.containers[i].nextStartAt = finished.addingTimeInterval(delay)
        // While waiting, kubectl shows the attempt that just ended as lastState.terminated
        // (kubelet builds it from the most recent exited container).
        record.containers[i].lastTerminated = terminatedState(status, now: now)
        if delay > 0 {
            record.containers[i].waitingReason = "CrashLoopBackOff"
            record.containers[i].waitingMessage = CrashLoopBackOff.message(
                delay: delay, container: spec.name, pod: record.spec.name, namespace: record.spec.namespace, uid: record.uid)
            event(.warning, "BackOff", "Back-off restarting failed container \(spec.name) in pod \(record.spec.name)", container: spec.name, now: now)
        }
    }

    /// The earliest scheduled restart, for the event loop's timeout.
    public var nextDeadline: Date? {
        let retry = unsavedSince.map { _ in Date().addingTimeInterval(Self.saveRetryInterval) }
        return (record.containers.compactMap(\.nextStartAt) + [retry, handlerDeadline, garbageCollectionDeadline].compactMap { $0 }).min()
    }

    /// Starts every container whose back-off has elapsed.
    public func tick(now: Date = Date()) {
        if unsavedSince != nil { save() }
        if !shuttingDown { collectGarbageIfDue(now: now) }
        guard !shuttingDown, !podFinished, record.sandbox.ready else { return }
        runHandlers(now: now)
        // When pause (PID 1 of a shared PID namespace) exits, the kernel kills the containers
        // first and reports pause last: their immediate restarts must wait for its exit, which
        // recreates the sandbox (docs/FIDELITY.md #177).
        let due = record.containers.contains { ($0.nextStartAt.map { $0 <= now }) ?? false }
        if due, runtime.sandboxIsExiting(record) { return }
        var changed = false
        for i in record.containers.indices {
            guard let at = record.containers[i].nextStartAt, at <= now else { continue }
            let previous = record.containers[i]
            // A container that was never created (CreateContainerConfigError) is retried
            // without a restart: kubelet counts only containers that ran.
            if previous.state != .created { retireAttempt(i, sandboxID: record.sandboxID, now: now) }
            record.containers[i].state = .created
            record.containers[i].nextStartAt = nil
            changed = true
            if previous.isInit && !previous.isSidecar {
                advance(now: now)
            } else {
                startAttempt(i, now: now)
            }
        }
        if changed {
            save()
            finishPodIfDone(now: now)
        }
    }

    // MARK: sandbox death (docs/FIDELITY.md #22)

    func sandboxDied(now: Date) {
        flushCleanups()
        let deadSandboxID = record.sandboxID
        record.sandbox.ready = false
        record.sandbox.pausePID = nil
        if podFinished { return }
        event(.normal, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.", now: now)
        save()
        stopContainers(now: now, grace: TimeInterval(record.spec.terminationGracePeriodSeconds))
        runtime.stopPodSandbox(record)
        runtime.removePodSandbox(record)
        if shuttingDown { return }
        let hasRun = record.containers.contains { $0.startedAt != nil }
        if record.spec.restartPolicy == .never && hasRun {
            // No new sandbox: the pod goes terminal (kuberuntime_manager computePodActions).
            save()
            return
        }
        // A new sandbox with a new id and attempt + 1; the old one stays listed NotReady
        // (docs/FIDELITY.md #89, SandboxHistory).
        let fresh = record.retireSandbox()
        do {
            var next = record
            next.sandbox = fresh
            record.sandbox = try runtime.runPodSandbox(next)
            record.sandbox.attempt = fresh.attempt
            record.sandbox.id = fresh.id
        } catch {
            record.sandbox = fresh
            record.failure = "recreating the sandbox failed: \(error)"
            save()
            return
        }
        // Every container is recreated in the new sandbox with restartCount + 1; init containers
        // run again; app containers that completed under OnFailure stay completed.
        for i in record.containers.indices {
            let status = record.containers[i]
            if !status.isInit, record.spec.restartPolicy == .onFailure, status.exitCode == 0, status.state == .exited,
               status.nextStartAt == nil {
                continue
            }
            if status.startedAt != nil { retireAttempt(i, sandboxID: deadSandboxID, now: now) }
            record.containers[i].state = .created
            record.containers[i].nextStartAt = nil
            record.containers[i].waitingReason = nil
        }
        nextInit = 0
        advance(now: Date())
        save()
    }

    /// Stops every running container as kubelet's `killPodWithSyncResult` does with sidecars
    /// (docs/FIDELITY.md #40, KEP-753 "termination ordering"): the regular containers first,
    /// then each sidecar in reverse spec order, within what is left of the same grace period.
    /// Each container gets kubelet's killContainer: preStop, SIGTERM, and SIGKILL once the
    /// grace period is over but never sooner than 2 s after SIGTERM (#54) unless `force`
    /// (`podlab delete --grace-period 0`). Records each termination (143 / 137).
    func stopContainers(now: Date, grace: TimeInterval, force: Bool = false) {
        let running = record.containers.indices.filter { record.containers[$0].state == .running }
        let deadline = Date().addingTimeInterval(grace)
        terminate(running.filter { !record.containers[$0].isSidecar }, deadline: deadline, force: force)
        // record.containers is in spec order (init containers first), so reversed() is reverse spec order.
        for sidecar in running.filter({ record.containers[$0].isSidecar }).reversed() {
            terminate([sidecar], deadline: deadline, force: force)
        }
        if !running.isEmpty { save() }
    }

    /// Kills `group` (preStop, SIGTERM, SIGKILL at the deadline) and reaps until all of them
    /// exited. Any other child that exits meanwhile (a sidecar, pause, a hook) is recorded
    /// too, so no exit is lost.
    func terminate(_ group: [Int], deadline: Date, force: Bool) {
        for i in group {
            let name = record.containers[i].name
            // A kill already under way (a failed liveness probe) keeps its own timing.
            guard containerHandlers[name]?.kill == nil else { continue }
            let remaining = force ? 0 : max(0, deadline.timeIntervalSinceNow)
            beginKill(i, grace: remaining, minimumWindow: force ? 0 : Self.minimumGracePeriod, message: nil, now: Date())
        }
        while group.contains(where: { record.containers[$0].state == .running }) {
            let event = runtime.nextEvent()
            switch event {
            case .processExited(let pid, let status):
                if handlerProcessExited(pid: pid, waitStatus: status) {
                    continue
                } else if let i = record.containers.indices.first(where: { record.containers[$0].pid == pid && record.containers[$0].state == .running }) {
                    let (code, signal) = exitCode(fromWaitStatus: status)
                    recordStop(i, exitCode: code, signal: signal)
                } else if pid == record.sandbox.pausePID {
                    record.sandbox.ready = false
                    record.sandbox.pausePID = nil
                }
                continue
            case .containerExited(let id, let code, let finishedAt):
                if let i = record.containers.indices.first(where: { record.containers[$0].id == id && record.containers[$0].state == .running }) {
                    recordStop(i, exitCode: code, signal: nil, now: finishedAt)
                }
                continue
            case .sandboxExited:
                record.sandbox.ready = false
                record.sandbox.pausePID = nil
                continue
            case .execExited(let handle, let code):
                _ = handlerProcessExited(pid: handle, waitStatus: exitWaitStatus(code))
                continue
            case .nothing, .nothingToWatch:
                break
            }
            if event == .nothingToWatch {
                // Not our children (tests with a fake runtime): nothing more to reap.
                for i in group where record.containers[i].state == .running {
                    record.containers[i].state = .exited
                    record.containers[i].pid = nil
                    record.containers[i].exitCode = 137
                    _ = containerEnded(record.containers[i].name)
                }
                break
            }
            let now = Date()
            pollHandlers(now: now)
            for i in group { advanceKill(i, now: now) }
            usleep(2000)
        }
    }

    /// A container stopped while the pod stops: recorded and removed, not restarted.
    func recordStop(_ i: Int, exitCode code: Int32, signal: Int32?, now: Date? = nil) {
        recordTermination(i, exitCode: code, signal: signal, now: now ?? Date())
        runtime.removeContainer(record.containers[i], record: record)
        save()  // other terminals see each termination as it happens
    }

    /// kubelet's pod termination once the pod is terminal (`pod_workers.go`: a pod whose phase
    /// is Succeeded or Failed is terminated): when every regular container is done and none
    /// will restart, or an init container failed under `restartPolicy: Never`, the native
    /// sidecars are stopped (reverse order) and the sandbox is torn down; the phase stays
    /// (docs/FIDELITY.md #58).
    func finishPodIfDone(now: Date) {
        guard !shuttingDown, !podFinished, record.started else { return }
        let phase = podPhase(containers: record.containers, policy: record.spec.restartPolicy,
                             sandboxReady: record.sandbox.ready, started: record.started)
        guard phase == .succeeded || phase == .failed else { return }
        flushCleanups()
        podFinished = true
        for i in record.containers.indices { record.containers[i].nextStartAt = nil }
        log("pod \(record.spec.name) is \(phase.rawValue): stopping sidecars and the sandbox")
        stopContainers(now: now, grace: TimeInterval(record.spec.terminationGracePeriodSeconds))
        runtime.stopPodSandbox(record)
        runtime.removePodSandbox(record)
        record.sandbox.ready = false
        record.sandbox.pausePID = nil
        save()
    }

    // MARK: shutdown

    /// `podlab delete`: graceful stop of every container, then pause, then the sandbox and volumes.
    public func shutdown(grace: TimeInterval? = nil) {
        flushCleanups()
        shuttingDown = true
        record.terminating = true
        for i in record.containers.indices { record.containers[i].nextStartAt = nil }
        // Other terminals see "terminating" while containers use their grace period; with none
        // running, the teardown takes milliseconds and the record is removed right after.
        if record.containers.contains(where: { $0.state == .running }) { save() }
        // Only an explicit `--grace-period 0` is a force kill; a spec's 0 still gets kubelet's 2 s.
        stopContainers(now: Date(), grace: grace ?? TimeInterval(record.spec.terminationGracePeriodSeconds), force: grace == 0)
        runtime.stopPodSandbox(record)
        runtime.removePodSandbox(record)
        record.sandbox.ready = false
        record.sandbox.pausePID = nil
        runtime.removeVolumes(record)
    }
}
