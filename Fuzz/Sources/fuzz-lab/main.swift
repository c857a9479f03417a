import FuzzTargets

let directory = FuzzTargets.scratchDirectory()
FuzzDriver.run { data, size in
    FuzzTargets.lab(UnsafeRawBufferPointer(start: data, count: size), directory: directory)
    return 0
}
