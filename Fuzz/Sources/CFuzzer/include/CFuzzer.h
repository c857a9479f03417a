// libFuzzer's entry for programs with their own main (compiler-rt lib/fuzzer/FuzzerDriver.cpp,
// documented in llvm/docs/LibFuzzer.rst "Using libFuzzer as a library"). Linked in by
// -sanitize=fuzzer; a build without it fails to link, on purpose.
#ifndef PODLAB_CFUZZER_H
#define PODLAB_CFUZZER_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));

#endif
