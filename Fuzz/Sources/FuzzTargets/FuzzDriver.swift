import CFuzzer

/// Runs libFuzzer with this process's arguments and exits with its status.
public enum FuzzDriver {
    /// `callback` gets each input; it must return 0 (libFuzzer reserves other values).
    public static func run(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Never {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
    }
}

#if canImport(Glibc)
import Glibc
#endif
