/*
 * notify.h: the systemd notification protocol (Type=notify).  Without
 * libsystemd at configure time every function is a no-op.  A leaf: it
 * is told what to say.
 */
#ifndef COHORT_NOTIFY_H
#define COHORT_NOTIFY_H

#include <stddef.h>

#include <event2/event.h>

void		 notify_ready(size_t, size_t);
void		 notify_status(size_t, size_t);
void		 notify_reloading(void);
void		 notify_stopping(void);
/* WatchdogSec=: a keep-alive timer on base, or NULL if not asked. */
struct event	*notify_watchdog_init(struct event_base *);

#endif /* COHORT_NOTIFY_H */
