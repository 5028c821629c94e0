/*
 * check_detector.c: unit tests for the failure detector arithmetic
 * (src/detector.c).  Time is a parameter, so nothing here sleeps or reads
 * a clock.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/detector.h"
#include "check_main.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* detector_rtt_sample(now, echo_ts, hold) */

START_TEST(test_rtt_sample)
{
	ck_assert_uint_eq(detector_rtt_sample(1000, 400, 0), 600);
	ck_assert_uint_eq(detector_rtt_sample(1000, 400, 100), 500);
	ck_assert_uint_eq(detector_rtt_sample(UINT64_MAX, UINT64_MAX - 1000,
	    250), 750);
	ck_assert_uint_eq(detector_rtt_sample(5000000, 1, 0), 4999999);
}
END_TEST

START_TEST(test_rtt_sample_unusable)
{
	/* No timestamp echoed yet. */
	ck_assert_uint_eq(detector_rtt_sample(1000, 0, 0), 0);
	ck_assert_uint_eq(detector_rtt_sample(0, 0, 0), 0);
	/* A timestamp from our future: a previous incarnation's clock. */
	ck_assert_uint_eq(detector_rtt_sample(1000, 1001, 0), 0);
	ck_assert_uint_eq(detector_rtt_sample(1000, UINT64_MAX, 0), 0);
	/* The peer claims to have held it longer than it was away. */
	ck_assert_uint_eq(detector_rtt_sample(1000, 400, 601), 0);
	ck_assert_uint_eq(detector_rtt_sample(1000, 400, UINT64_MAX), 0);
}
END_TEST

START_TEST(test_rtt_sample_never_zero)
{
	/* A usable sample under 1 us must not read as "none". */
	ck_assert_uint_eq(detector_rtt_sample(1000, 1000, 0), 1);
	ck_assert_uint_eq(detector_rtt_sample(1000, 400, 600), 1);
}
END_TEST

/* detector_rtt_smooth(srtt, sample) */

START_TEST(test_rtt_smooth_step)
{
	/* The first sample is taken as is. */
	ck_assert_uint_eq(detector_rtt_smooth(0, 700), 700);
	/* srtt += (sample - srtt) / 8, both ways. */
	ck_assert_uint_eq(detector_rtt_smooth(800, 1600), 900);
	ck_assert_uint_eq(detector_rtt_smooth(1600, 800), 1500);
	ck_assert_uint_eq(detector_rtt_smooth(800, 800), 800);
	/* No sample changes nothing. */
	ck_assert_uint_eq(detector_rtt_smooth(800, 0), 800);
	ck_assert_uint_eq(detector_rtt_smooth(0, 0), 0);
	/* Extremes do not overflow. */
	ck_assert_uint_eq(detector_rtt_smooth(1, UINT64_MAX),
	    1 + (UINT64_MAX - 1) / 8);
	ck_assert_uint_eq(detector_rtt_smooth(UINT64_MAX, 1),
	    UINT64_MAX - (UINT64_MAX - 1) / 8);
}
END_TEST

/*
 * Feed a constant sample from a distant start: every step moves toward the
 * sample without passing it, and the integer filter settles within 7 of it
 * (a step of (d / 8) is 0 once the distance d is below 8).
 */
static void
converge(uint64_t start, uint64_t sample)
{
	uint64_t	srtt = start, prev;
	int		i;

	for (i = 0; i < 1000; i++) {
		prev = srtt;
		srtt = detector_rtt_smooth(srtt, sample);
		ck_assert_uint_ne(srtt, 0);
		if (start > sample)
			ck_assert(srtt <= prev && srtt >= sample);
		else
			ck_assert(srtt >= prev && srtt <= sample);
	}
	ck_assert_msg((start > sample ? srtt - sample : sample - srtt) < 8,
	    "srtt %llu did not settle near %llu", (unsigned long long)srtt,
	    (unsigned long long)sample);
}

START_TEST(test_rtt_smooth_converges)
{
	converge(1000000, 100);
	converge(100, 1000000);
	converge(UINT64_MAX, 1);
	converge(1, UINT64_MAX);
	/* A sample of 1 us from a large srtt never reaches 0. */
	converge(1000000, 1);
}
END_TEST

/* detector_remaining(last_rx, now, timeout) */

START_TEST(test_remaining)
{
	/* Before the timeout. */
	ck_assert_uint_eq(detector_remaining(1000, 1000, 2500), 2500);
	ck_assert_uint_eq(detector_remaining(1000, 1500, 2500), 2000);
	ck_assert_uint_eq(detector_remaining(1000, 3499, 2500), 1);
	/* At and after it. */
	ck_assert_uint_eq(detector_remaining(1000, 3500, 2500), 0);
	ck_assert_uint_eq(detector_remaining(1000, 3501, 2500), 0);
	ck_assert_uint_eq(detector_remaining(1000, UINT64_MAX, 2500), 0);
	ck_assert_uint_eq(detector_remaining(1000, 1000, 0), 0);
	/* Near the top of the clock. */
	ck_assert_uint_eq(detector_remaining(UINT64_MAX - 10, UINT64_MAX,
	    100), 90);
}
END_TEST

START_TEST(test_remaining_clock_backwards)
{
	/* A clock that went back must not time a peer out early. */
	ck_assert_uint_eq(detector_remaining(5000, 4999, 2500), 2500);
	ck_assert_uint_eq(detector_remaining(UINT64_MAX, 0, 2500), 2500);
}
END_TEST

/* detector_backoff(attempt, min, max, rnd) */

/* The delay before jitter: min * 2^attempt, capped at max. */
static uint64_t
backoff_base(unsigned int attempt, uint32_t min, uint32_t max)
{
	uint64_t	base = min;

	while (attempt-- > 0 && base < max)
		base *= 2;
	return (base > max ? max : base);
}

/* rnd values from both ends of the range and a spread in between. */
static const uint32_t rnd_edges[] = {
	0, 1, 2, 3, 7, 0x7fffffff, 0x80000000, UINT32_MAX - 1, UINT32_MAX
};

/* Every result for these parameters lies in [base / 2, base]. */
static void
check_jitter(unsigned int attempt, uint32_t min, uint32_t max,
    uint64_t base)
{
	uint32_t	rnd, d;
	size_t		i;

	for (i = 0; i < NITEMS(rnd_edges) + 1000; i++) {
		/* After the edges, a fixed LCG walk over the 32-bit range. */
		rnd = i < NITEMS(rnd_edges) ? rnd_edges[i] :
		    (uint32_t)(i * 2654435761U + 12345);
		d = detector_backoff(attempt, min, max, rnd);
		ck_assert_msg(d >= base / 2 && d <= base,
		    "backoff(%u, %u, %u, %u) = %u outside [%llu, %llu]",
		    attempt, min, max, rnd, d, (unsigned long long)base / 2,
		    (unsigned long long)base);
	}
}

START_TEST(test_backoff_doubles)
{
	unsigned int	a;
	uint64_t	base;

	for (a = 0; a < 8; a++) {
		base = backoff_base(a, 100, 100000);
		ck_assert_uint_eq(base, 100ULL << a);
		/* rnd 0 gives the fixed half, rnd = base - half the full. */
		ck_assert_uint_eq(detector_backoff(a, 100, 100000, 0),
		    base / 2);
		ck_assert_uint_eq(detector_backoff(a, 100, 100000,
		    (uint32_t)(base - base / 2)), base);
	}
}
END_TEST

START_TEST(test_backoff_cap)
{
	static const unsigned int attempts[] = { 6, 7, 30, 31, 32, 64, 1000,
	    UINT32_MAX };
	size_t	i;

	/* 100 * 2^6 = 6400 is the first step past a max of 5000. */
	for (i = 0; i < NITEMS(attempts); i++) {
		ck_assert_uint_eq(detector_backoff(attempts[i], 100, 5000, 0),
		    2500);
		ck_assert_uint_eq(detector_backoff(attempts[i], 100, 5000,
		    2500), 5000);
		check_jitter(attempts[i], 100, 5000, 5000);
	}
	/* No overflow when the cap is the largest delay there is. */
	check_jitter(40, 1, UINT32_MAX, UINT32_MAX);
	check_jitter(UINT32_MAX, 0x80000001, UINT32_MAX, UINT32_MAX);
	/* A min above max is capped as well. */
	check_jitter(0, 9000, 5000, 5000);
}
END_TEST

START_TEST(test_backoff_jitter)
{
	unsigned int	a;

	for (a = 0; a < 12; a++) {
		check_jitter(a, 100, 5000, backoff_base(a, 100, 5000));
		check_jitter(a, 10, 600000, backoff_base(a, 10, 600000));
		/* Odd bases: the half is rounded down. */
		check_jitter(a, 5, 1001, backoff_base(a, 5, 1001));
	}
}
END_TEST

START_TEST(test_backoff_min_eq_max)
{
	unsigned int	a;

	for (a = 0; a < 40; a++) {
		check_jitter(a, 1000, 1000, 1000);
		check_jitter(a, 1, 1, 1);
		check_jitter(a, UINT32_MAX, UINT32_MAX, UINT32_MAX);
	}
	ck_assert_uint_eq(detector_backoff(3, 1000, 1000, 0), 500);
	ck_assert_uint_eq(detector_backoff(3, 1000, 1000, 500), 1000);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("detector");

	tc = tcase_create("rtt sample");
	tcase_add_test(tc, test_rtt_sample);
	tcase_add_test(tc, test_rtt_sample_unusable);
	tcase_add_test(tc, test_rtt_sample_never_zero);
	suite_add_tcase(s, tc);

	tc = tcase_create("rtt smoothing");
	tcase_add_test(tc, test_rtt_smooth_step);
	tcase_add_test(tc, test_rtt_smooth_converges);
	suite_add_tcase(s, tc);

	tc = tcase_create("remaining");
	tcase_add_test(tc, test_remaining);
	tcase_add_test(tc, test_remaining_clock_backwards);
	suite_add_tcase(s, tc);

	tc = tcase_create("backoff");
	tcase_add_test(tc, test_backoff_doubles);
	tcase_add_test(tc, test_backoff_cap);
	tcase_add_test(tc, test_backoff_jitter);
	tcase_add_test(tc, test_backoff_min_eq_max);
	suite_add_tcase(s, tc);

	return (s);
}
