/*
 * detector.h: the failure detector and its arithmetic, as pure functions.
 *
 * Time is always a parameter (microseconds on a monotonic clock), so that
 * the unit tests can drive it without sleeping.
 */
#ifndef COHORT_DETECTOR_H
#define COHORT_DETECTOR_H

#include <stdint.h>

/*
 * Round-trip sample from an ECHO: now - echo_ts - hold.  Returns 0 when
 * the echo carries nothing usable (no timestamp yet, or one from the
 * future of a previous incarnation's clock).
 */
uint64_t	 detector_rtt_sample(uint64_t, uint64_t, uint64_t);
/* Smoothed RTT, srtt += (sample - srtt) / 8 as TCP does; 0 = none yet. */
uint64_t	 detector_rtt_smooth(uint64_t, uint64_t);
/* Microseconds until a peer silent since last_rx times out; 0 = now. */
uint64_t	 detector_remaining(uint64_t, uint64_t, uint64_t);
/*
 * Redial delay for the given failed-attempt count: min * 2^attempt capped
 * at max, then "equal jitter": half fixed, half random from rnd, so that
 * nodes restarted together do not redial in lockstep.
 */
uint32_t	 detector_backoff(unsigned int, uint32_t, uint32_t, uint32_t);

#endif /* COHORT_DETECTOR_H */
