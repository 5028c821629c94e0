/*
 * notify.c: sd_notify (notify.h).
 */
#include <stdint.h>
#include <stdio.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "common/log.h"
#include "notify.h"

#ifdef HAVE_LIBSYSTEMD
static void
notify_watchdog_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	sd_notify(0, "WATCHDOG=1");
}
#endif

/* READY=1 with a status line: up of total peers. */
void
notify_ready(size_t up, size_t total)
{
#ifdef HAVE_LIBSYSTEMD
	sd_notifyf(0, "READY=1\nSTATUS=%zu of %zu peers up", up, total);
#else
	(void)up;
	(void)total;
#endif
}

void
notify_status(size_t up, size_t total)
{
#ifdef HAVE_LIBSYSTEMD
	sd_notifyf(0, "STATUS=%zu of %zu peers up", up, total);
#else
	(void)up;
	(void)total;
#endif
}

void
notify_reloading(void)
{
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, "RELOADING=1");
#endif
}

void
notify_stopping(void)
{
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, "STOPPING=1");
#endif
}

/* Keep-alives from the event loop at half the interval. */
struct event *
notify_watchdog_init(struct event_base *base)
{
#ifdef HAVE_LIBSYSTEMD
	struct event	*ev;
	uint64_t	 usec;
	struct timeval	 tv;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return (NULL);
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	ev = event_new(base, -1, EV_PERSIST, notify_watchdog_cb, NULL);
	if (ev == NULL || event_add(ev, &tv) == -1) {
		log_warnx("cannot start the systemd watchdog timer");
		if (ev != NULL)
			event_free(ev);
		return (NULL);
	}
	log_info("systemd watchdog: keep-alive every %llu ms",
	    (unsigned long long)(usec / 1000));
	return (ev);
#else
	(void)base;
	return (NULL);
#endif
}
