/*
 * evutil.h: small libevent helpers every layer above io uses: timers in
 * milliseconds, a listener that pauses when file descriptors run out,
 * and a deferred-free reaper (never free an object inside its own
 * callbacks: mark it dead, free it from a zero-timeout event).
 */
#ifndef COHORT_IO_EVUTIL_H
#define COHORT_IO_EVUTIL_H

#include <stdint.h>

#include <event2/event.h>
#include <event2/listener.h>

/* Arm ev to fire ms milliseconds from now. */
void	 ev_add_ms(struct event *, uint64_t);
void	 ev_add_us(struct event *, uint64_t);
/*
 * accept() failed with err: on EMFILE/ENFILE stop accepting on l for a
 * second, count it in *paused, and return 1; else 0.
 */
int	 ev_listener_pause(struct event_base *, struct evconnlistener *, int,
	    uint64_t *);

/* Monotonic microseconds, for timers; wall-clock milliseconds, for users. */
uint64_t now_us(void);
uint64_t wall_ms(void);

#endif /* COHORT_IO_EVUTIL_H */
