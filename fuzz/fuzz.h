/*
 * fuzz.h - shared by the fuzz targets: the libFuzzer entry points and a
 * failure that both libFuzzer and the plain regression runner report.
 */
#ifndef CODEROOM_FUZZ_H
#define CODEROOM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static inline void __attribute__((noreturn))
fuzz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	abort();
}

#endif
