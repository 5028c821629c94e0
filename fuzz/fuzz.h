/*
 * fuzz.h: what every libFuzzer harness here shares.
 */
#ifndef COHORT_FUZZ_H
#define COHORT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * An invariant the code under test broke: say which, and crash.  Written
 * to file descriptor 2, where the sanitizers write too: a harness may
 * point the stderr stream (the daemon's log) elsewhere.
 */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		dprintf(2, "%s:%d: %s\n", __FILE__, __LINE__, #cond);	\
		abort();						\
	}								\
} while (0)

#endif /* COHORT_FUZZ_H */
