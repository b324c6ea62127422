/*
 * regress_main.c - runs a fuzz target once over each file named on the
 * command line, without libFuzzer: CI replays the committed corpus with gcc
 * (and ASan/UBSan) in a second. A failed check aborts; regress.sh turns
 * exit statuses into TAP.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		unsigned char *data = NULL;
		size_t len = 0, cap = 0, n;

		if (!f) {
			perror(argv[i]);
			return 2;
		}
		do {
			if (len == cap) {
				cap = cap ? 2 * cap : 4096;
				data = realloc(data, cap);
				if (!data)
					return 2;
			}
			n = fread(data + len, 1, cap - len, f);
			len += n;
		} while (n);
		fclose(f);
		LLVMFuzzerTestOneInput(data, len);
		free(data);
	}
	return 0;
}
