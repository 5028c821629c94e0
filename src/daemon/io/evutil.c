/*
 * evutil.c: see evutil.h.
 */
#include <sys/time.h>

#include <errno.h>
#include <time.h>

#include "evutil.h"

void
ev_add_us(struct event *ev, uint64_t us)
{
	struct timeval	tv;

	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	evtimer_add(ev, &tv);
}

void
ev_add_ms(struct event *ev, uint64_t ms)
{
	ev_add_us(ev, ms * 1000);
}

static void
ev_listener_resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	evconnlistener_enable(arg);
}

int
ev_listener_pause(struct event_base *base, struct evconnlistener *l, int err,
    uint64_t *paused)
{
	struct timeval	tv = { 1, 0 };

	if (err != EMFILE && err != ENFILE)
		return (0);
	(*paused)++;
	evconnlistener_disable(l);
	/* A one-shot event: libevent frees it, even at exit. */
	if (event_base_once(base, -1, EV_TIMEOUT, ev_listener_resume_cb, l,
	    &tv) == -1)
		evconnlistener_enable(l);
	return (1);
}

uint64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

uint64_t
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}
