import FuzzTargets

FuzzDriver.run { data, size in
    FuzzTargets.manifest(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
