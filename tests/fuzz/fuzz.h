/* fuzz.h — the libFuzzer entry point every tests/fuzz/fuzz-*.c defines; replay.c
 * calls it for each saved input so that `make check` runs the corpus. */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
