/*
 * notify.c: the systemd notification protocol (Type=notify).  Without
 * libsystemd at configure time every function here is a no-op.
 */
#include <stdio.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "daemon/cohortd.h"

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

void
notify_ready(struct cohortd *sc)
{
#ifdef HAVE_LIBSYSTEMD
	sd_notifyf(0, "READY=1\nSTATUS=%zu of %zu peers up",
	    peer_count_up(sc), sc->conf.n_nodes - 1);
#else
	(void)sc;
#endif
}

void
notify_status(struct cohortd *sc)
{
#ifdef HAVE_LIBSYSTEMD
	if (!sc->stopping)
		sd_notifyf(0, "STATUS=%zu of %zu peers up",
		    peer_count_up(sc), sc->conf.n_nodes - 1);
#else
	(void)sc;
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

/* WatchdogSec=: keep-alives from the event loop at half the interval. */
void
notify_watchdog_init(struct cohortd *sc)
{
#ifdef HAVE_LIBSYSTEMD
	uint64_t	usec;
	struct timeval	tv;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return;
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	sc->ev_watchdog = event_new(sc->base, -1, EV_PERSIST,
	    notify_watchdog_cb, sc);
	if (sc->ev_watchdog == NULL || event_add(sc->ev_watchdog, &tv) == -1)
		log_warnx("cannot start the systemd watchdog timer");
	else
		log_info("systemd watchdog: keep-alive every %llu ms",
		    (unsigned long long)(usec / 1000));
#else
	(void)sc;
#endif
}
