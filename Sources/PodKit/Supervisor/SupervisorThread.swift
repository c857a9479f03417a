#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PodlabCore
import SystemPackage

/// A detached POSIX thread with a stack of the caller's size, for the supervisor's helper
/// threads (one log copier per container). Foundation's `Thread` is not used: each one is an
/// `NSThread` object with thread-specific data and a run loop slot the copier never uses, and
/// the supervisor lives as long as its pod, so what each thread keeps is paid per pod
/// (issue 16: supervisor memory at 110 pods). containerd-shim's copiers are goroutines with
/// 8 KiB stacks; conmon copies in its main loop.
enum SupervisorThread {
    final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts `body` on a new detached thread with a `stackSize`-byte stack (rounded up by the
    /// kernel's page size; at least PTHREAD_STACK_MIN).
    /// - Throws: `pthread_create(<what>)` with the error it returned (EAGAIN at the pid limit).
    static func start(_ what: String, stackSize: Int, _ body: @escaping () -> Void) throws {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, max(stackSize, Int(PTHREAD_STACK_MIN)))
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { argument in
            guard let argument else { return nil }
            Unmanaged<Body>.fromOpaque(argument).takeRetainedValue().run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw PodlabError.syscall("pthread_create(\(what))", Errno(rawValue: result))
        }
    }
}
