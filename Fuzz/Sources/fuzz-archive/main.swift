import FuzzTargets

let scratch = FuzzTargets.scratchDirectory()
FuzzDriver.run { data, size in
    FuzzTargets.archive(UnsafeRawBufferPointer(start: data, count: size), scratch: scratch)
    return 0
}
