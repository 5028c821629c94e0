/*
 * detector.c: failure detection arithmetic.  See detector.h.
 */
#include "detector.h"

uint64_t
detector_rtt_sample(uint64_t now, uint64_t echo_ts, uint64_t hold)
{
	if (echo_ts == 0 || echo_ts > now || now - echo_ts < hold)
		return (0);
	/* A zero sample would read as "none": loopback can be under 1 us. */
	if (now - echo_ts - hold == 0)
		return (1);
	return (now - echo_ts - hold);
}

uint64_t
detector_rtt_smooth(uint64_t srtt, uint64_t sample)
{
	if (sample == 0)
		return (srtt);
	if (srtt == 0)
		return (sample);
	if (sample >= srtt)
		return (srtt + (sample - srtt) / 8);
	return (srtt - (srtt - sample) / 8);
}

uint64_t
detector_remaining(uint64_t last_rx, uint64_t now, uint64_t timeout)
{
	if (now < last_rx)
		return (timeout);
	if (now - last_rx >= timeout)
		return (0);
	return (timeout - (now - last_rx));
}

uint32_t
detector_backoff(unsigned int attempt, uint32_t min, uint32_t max,
    uint32_t rnd)
{
	uint64_t	base = min;
	uint32_t	half;

	while (attempt-- > 0 && base < max)
		base *= 2;
	if (base > max)
		base = max;
	half = (uint32_t)(base / 2);
	return (half + (uint32_t)(rnd % ((uint32_t)base - half + 1)));
}
