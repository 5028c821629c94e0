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

/* An invariant the code under test broke: say which, and crash. */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);\
		abort();						\
	}								\
} while (0)

#endif /* COHORT_FUZZ_H */
