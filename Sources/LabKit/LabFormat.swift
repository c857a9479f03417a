import PodObservations

/// The lab file format (`apiVersion: podlab.dev/v1alpha1`, `kind: Lab`) as field tables.
///
/// The envelope follows chainsaw's `Test` (`apiVersion`/`kind`/`metadata`/`spec`); steps follow
/// chainsaw's `TestStep` (`try`, `catch`, `finally`) with a lab-level `cleanup`.
public enum LabFormat {
    public static let apiVersion = "podlab.dev/v1alpha1"
    public static let kind = "Lab"

    static let podField = LabFieldSpec("pod", .string, "the pod's manifest name; may be omitted when the lab has one pod")

    static let timeouts = LabObjectSpec("Timeouts", doc: "Timeouts per operation kind; inherited lab → step → operation, most specific wins.",
        fields: LabTimeoutKind.allCases.map { LabFieldSpec($0.rawValue, .duration, $0.doc) })

    static let metadata = LabObjectSpec("Metadata", doc: "Who the lab is.", fields: [
        LabFieldSpec("name", .string, required: true, "the lab's name, used by `podlab run NAME`; must match the file name NAME.lab.yaml"),
        LabFieldSpec("title", .string, "a one-line title"),
        LabFieldSpec("labels", .map(.string), "labels for selection (`podlab run -l topic=pause`)"),
        LabFieldSpec("source", .string, "where the experiment comes from (a URL or a citation)"),
    ])

    static let matcher = LabObjectSpec("Matcher", doc: "How a value is checked. Values are compared after trimming surrounding whitespace.", fields: [
        LabFieldSpec("equals", .string, "the value equals this (bindings expanded)"),
        LabFieldSpec("notEquals", .string, "the value differs from this (bindings expanded)"),
        LabFieldSpec("contains", .string, "the value contains this (bindings expanded)"),
        LabFieldSpec("matches", .regex, "the value matches this regular expression (searched, not anchored)"),
    ], atLeastOne: ["equals", "notEquals", "contains", "matches"])

    static let eventually = LabObjectSpec("Eventually", doc: "Re-run the operation until its checks pass.", fields: [
        LabFieldSpec("timeout", .duration, "give up after this long (default: the assert timeout)"),
        LabFieldSpec("interval", .duration, "pause between attempts (default 1s)"),
    ])

    /// A process exit status as the kernel reports it (128 + signal for a signal), so a wait for
    /// anything outside can never match.
    static let exitCodes = 0...255
    /// kubelet's `restartCount` is an int32.
    static let restartCounts = 0...Int(Int32.max)

    static let namespaceKinds = LabValueType.list(.oneOf(NamespaceKind.allCases.map(\.rawValue)), minItems: 1)

    /// The verb objects, one per `LabVerb`.
    static func verbSpec(_ verb: LabVerb) -> LabObjectSpec {
        switch verb {
        case .apply:
            return LabObjectSpec("Apply", doc: "Apply a Kubernetes manifest (Pod, Deployment, ConfigMap; multi-document).", fields: [
                LabFieldSpec("file", .string, "manifest file, relative to the lab file"),
                LabFieldSpec("manifest", .string, "the manifest inline"),
                LabFieldSpec("images", .map(.string), "image mapping for this manifest, added to spec.images"),
            ], exactlyOne: ["file", "manifest"])
        case .wait:
            return LabObjectSpec("Wait", doc: "Poll the pod or a container until every condition holds.", fields: [
                podField,
                LabFieldSpec("container", .string, "the container the container conditions are about"),
                LabFieldSpec("phase", .oneOf(["Pending", "Running", "Succeeded", "Failed"]), "pod phase"),
                LabFieldSpec("ready", .boolean, "pod readiness (all containers ready)"),
                LabFieldSpec("state", .oneOf(["running", "waiting", "exited"]), "container state"),
                LabFieldSpec("restartCount", .integer(restartCounts), "container restart count is at least this"),
                LabFieldSpec("exitCode", .integer(exitCodes), "container exited with this code"),
                LabFieldSpec("reason", .string, "container state reason (e.g. OOMKilled, Completed, CrashLoopBackOff)"),
                LabFieldSpec("lastExitCode", .integer(exitCodes), "the previous attempt exited with this code"),
                LabFieldSpec("lastReason", .string, "the previous attempt's reason (e.g. OOMKilled, Error)"),
            ], atLeastOne: ["phase", "ready", "state", "restartCount", "exitCode", "reason", "lastExitCode", "lastReason"])
        case .containers:
            return LabObjectSpec("Containers", doc: "List the pod's containers on the node, pause included (crictl ps -a).", fields: [podField])
        case .namespaces:
            return LabObjectSpec("Namespaces", doc: "Record the namespace inodes of pause and every container.", fields: [
                podField,
                LabFieldSpec("expect", .object(LabObjectSpec("NamespaceExpectation", doc: "Which namespace kinds must be shared or private.", fields: [
                    LabFieldSpec("shared", namespaceKinds, "kinds whose inode is the same for pause and every container"),
                    LabFieldSpec("private", namespaceKinds, "kinds whose inode differs between every pair of processes"),
                ], atLeastOne: ["shared", "private"])), "expectations, checked against the table"),
            ])
        case .podIP:
            return LabObjectSpec("PodIP", doc: "Read the pod IP.", fields: [podField])
        case .exec:
            return LabObjectSpec("Exec", doc: "Run a command inside a container (kubectl exec). Fails on a non-zero exit unless `check.exitCode` is given.", fields: [
                podField,
                LabFieldSpec("container", .string, "the container; may be omitted for a one-container pod"),
                LabFieldSpec("command", .list(.string, minItems: 1), required: true, "argv, bindings expanded (no shell: use [sh, -c, …])"),
            ])
        case .kill:
            return LabObjectSpec("Kill", doc: "Send a signal to a container's main process, or to pause (as podlab kill).", fields: [
                podField,
                LabFieldSpec("container", .string, "the container, or pause for the sandbox; omit for the default container (the kubectl.kubernetes.io/default-container annotation, else the first app container)"),
                LabFieldSpec("signal", .signal, "signal name or number (default TERM)"),
            ])
        case .processTree:
            return LabObjectSpec("ProcessTree", doc: "Record the pod's processes as a tree (supervisor → pause + containers).", fields: [podField])
        case .http:
            return LabObjectSpec("HTTP", doc: "HTTP GET, from a container (busybox wget) or from the host (a small HTTP/1.0 client). Fails unless the status is 200, or `check.status` is given.", fields: [
                podField,
                LabFieldSpec("url", .string, required: true, "http:// URL, bindings expanded"),
                LabFieldSpec("container", .string, "fetch from inside this container; omit to fetch from the host"),
            ])
        case .script:
            return LabObjectSpec("Script", doc: "Run `/bin/sh -c CONTENT` on the host with the bindings as environment variables. Fails on a non-zero exit unless `check.exitCode` is given.", fields: [
                podField,
                LabFieldSpec("content", .string, required: true, "the shell script; the shell expands $VARS from the environment"),
                LabFieldSpec("env", .map(.string), "extra environment variables, bindings expanded"),
            ])
        case .sleep:
            return LabObjectSpec("Sleep", doc: "Wait a fixed time.", fields: [LabFieldSpec("duration", .duration, required: true, "how long")])
        case .logs:
            return LabObjectSpec("Logs", doc: "Read a container's log (kubectl logs).", fields: [
                podField,
                LabFieldSpec("container", .string, "the container; may be omitted for a one-container pod"),
                LabFieldSpec("previous", .boolean, "the previous attempt's log (kubectl logs --previous)"),
            ])
        }
    }

    /// An operation: common fields plus exactly one verb.
    public static let operation: LabObjectSpec = {
        let common = [
            LabFieldSpec("description", .string, "what the operation shows; used as its name in reports"),
            LabFieldSpec("continueOnError", .boolean, "record a failure but run the next operation anyway"),
            LabFieldSpec("timeout", .duration, "this operation's timeout, overriding its kind's"),
            LabFieldSpec("check", .map(.either(.string, .object(matcher))), "checks on the verb's results: `field: value` (equals) or `field: {equals|notEquals|contains|matches}`"),
            LabFieldSpec("outputs", .map(.string), "save results as bindings for later operations: `BINDING: resultField`"),
            LabFieldSpec("eventually", .either(.boolean, .object(eventually)), "retry the operation until its checks pass or the timeout expires"),
        ]
        let verbs = LabVerb.allCases.map { LabFieldSpec($0.rawValue, .object(verbSpec($0)), verbSpec($0).doc) }
        return LabObjectSpec("Operation", doc: "One verb with its checks.", fields: common + verbs, exactlyOne: LabVerb.allCases.map(\.rawValue))
    }()

    static let step = LabObjectSpec("Step", doc: "A step: try (stop at the first failure), catch (only on failure), finally (always); or a student task (task, verify, solution) instead of try.", fields: [
        LabFieldSpec("name", .string, required: true, "the step's name"),
        LabFieldSpec("text", .string, "Markdown explaining the step (shown by classroom mode)"),
        LabFieldSpec("questions", .list(.string, minItems: 1), "discussion questions (Markdown) for `podlab walk` and handouts; not checked"),
        LabFieldSpec("timeouts", .object(timeouts), "timeouts for this step's operations"),
        LabFieldSpec("try", .list(.object(operation), minItems: 1), "operations run in order; the first failure stops the step (required unless the step is a task)"),
        LabFieldSpec("task", .string, "Markdown: what the student should do; `podlab walk` waits, then runs verify (instead of try)"),
        LabFieldSpec("hint", .string, "Markdown shown to the student when verify fails"),
        LabFieldSpec("verify", .list(.object(operation), minItems: 1), "operations that pass once the task is done (like a Killercoda verify script)"),
        LabFieldSpec("solution", .list(.object(operation), minItems: 1), "the scripted solution: `podlab run` runs it before verify; `walk` runs it when the student skips"),
        LabFieldSpec("catch", .list(.object(operation), minItems: 1), "operations run only when the step failed (all of them, even if one fails)"),
        LabFieldSpec("finally", .list(.object(operation), minItems: 1), "operations run after the step, pass or fail"),
    ], alternatives: ["try", "task"], requires: [
        "task": ["verify", "solution"], "verify": ["task"], "solution": ["task"], "hint": ["task"],
    ])

    static let spec = LabObjectSpec("Spec", doc: "The experiment.", fields: [
        LabFieldSpec("description", .string, "Markdown: what the lab reproduces and how to read it"),
        LabFieldSpec("timeouts", .object(timeouts), "timeouts for the whole lab"),
        LabFieldSpec("images", .map(.string), "image mapping for every apply: manifest image → catalog image (e.g. alpine:3.2: busybox)"),
        LabFieldSpec("bindings", .map(.string), "fixed bindings, usable as $NAME"),
        LabFieldSpec("steps", .list(.object(step), minItems: 1), required: true, "the steps, run in order"),
        LabFieldSpec("cleanup", .list(.object(operation), minItems: 1), "operations run after the steps, always; then the lab's pods are deleted"),
    ])

    /// The whole lab file.
    public static let lab = LabObjectSpec("Lab", doc: "A podlab lab file.", fields: [
        LabFieldSpec("apiVersion", .oneOf([apiVersion]), required: true, "always \(apiVersion)"),
        LabFieldSpec("kind", .oneOf([kind]), required: true, "always \(kind)"),
        LabFieldSpec("metadata", .object(metadata), required: true, "name, title, labels, source"),
        LabFieldSpec("spec", .object(spec), required: true, "description, timeouts, images, bindings, steps, cleanup"),
    ])
}
