/*
 * control.c: the local Unix socket that applications (libcohort,
 * cohortctl) connect to.  Only this file touches client sockets.
 *
 * A client's first frame must be CTL_HELLO with a compatible version; the
 * daemon answers CTL_WELCOME, or CTL_ERROR and closes.  After that every
 * request carries a request id that its answer repeats.  Membership events
 * are pushed to clients that asked for them with CTL_WATCH.
 *
 * Every client's output is bounded by limits.client_queue_bytes: a client
 * that does not read its events is disconnected with an error frame and
 * counted, rather than letting its queue grow.  What its subscriptions
 * hold is bounded too (limits.client_memory_bytes, and for all clients
 * limits.memory_bytes), and so is the work one wakeup does for it (see
 * CLIENT_WORK_PER_EVENT), so that no client holds the loop.  Reloading
 * the daemon and setting its log level are for administrators only
 * (acl_is_admin), and the debug lines a client's frames trigger are
 * rate-limited, per client.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/sys/queue.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <uthash.h>

#include "common/log.h"
#include "common/subject.h"
#include "daemon/io/bufio.h"
#include "daemon/io/evutil.h"
#include "control.h"

/* How long a client being closed may take to read its last frame. */
#define CLIENT_LINGER_MS	1000

/*
 * Reading a client: the read callback first takes what the kernel has,
 * until CLIENT_READ_BATCH bytes wait in the input buffer (bufio.h).
 */
#define CLIENT_READ_BATCH	(256 * 1024)
/* Largest single write to a client socket (libevent's default: 16 KiB). */
#define CLIENT_WRITE_MAX	(256 * 1024)
/*
 * The work one wakeup does for a client: frames worth this many bytes,
 * each target of a message after its first counting CLIENT_TARGET_WORK
 * more (client_pub_work); then the rest
 * waits for the next turn of the loop (a zero timeout, so that the
 * other clients, the peers and the timers come first) [memcached
 * reqs_per_event].  At least one frame goes each time.  As much as
 * CLIENT_READ_BATCH, so that the 64-byte message path is unchanged;
 * one 1,024-target multicast is a wakeup's worth.
 */
#define CLIENT_WORK_PER_EVENT	CLIENT_READ_BATCH
#define CLIENT_TARGET_WORK	256
/*
 * What one subscription is charged beyond the trie's subtree_cost():
 * its struct csub with the pattern, malloc's header and a share of the
 * client's hash table.
 */
#define CSUB_OVERHEAD		48

TAILQ_HEAD(client_list, client);

struct control {
	struct event_base		*base;
	const struct cohort_conf	*conf;
	uint64_t			 incarnation;
	const struct control_events	*ev;
	void				*arg;
	struct client_list		 clients;
	uint64_t			 next_client_id;
	struct evconnlistener		*listener;
	char				 path[CONF_SOCKET_MAX + 1];
	struct event			*reaper;
	uid_t				 uid;		/* the daemon's own */
	struct ratelim			 rl;
	struct control_stats		 stats;
};

/* One subscription of one client. */
struct csub {
	UT_hash_handle		 hh;
	size_t			 cost;		/* charged: see sub_cost */
	char			 pattern[];
};

struct client {
	TAILQ_ENTRY(client)	 entry;
	struct control		*sc;
	struct bufferevent	*bev;
	struct event		*linger;
	uint64_t		 id;		/* for logs */
	pid_t			 pid;
	uid_t			 uid;
	gid_t			 groups[64];	/* primary and supplementary */
	int			 ngroups;
	int			 rule;		/* security.rules index, or -1 */
	char			 name[WIRE_ID_MAX + 1];
	int			 hello_done;
	int			 watching;
	struct csub		*subs;		/* uthash, by pattern */
	uint32_t		 n_subs;
	uint64_t		 memory;	/* the subs' costs, in bytes */
	size_t			 work;		/* this wakeup's: see above */
	int			 yielded;	/* the budget stopped reading */
	struct ratelim		 rl_debug;	/* lines its frames trigger */
	uint32_t		 n_requests;	/* in flight, see relay.c */
	uint64_t		 match_gen;	/* see control_client_mark */
	int			 paused;	/* reading stopped: backpressure */
	/* the peer whose queue must drain, or "" for full subscribers */
	char			 waiting_for[WIRE_ID_MAX + 1];
	int			 full;		/* a slow subscriber, see below */
	struct event		*resume;	/* reads what arrived meanwhile */
	int			 closing;
	int			 dead;
};

static void	 client_read_cb(struct bufferevent *, void *);
static void	 control_ok(struct client *, uint32_t);
static void	 client_unfull(struct client *);
static int	 client_fill(struct client *);
static void	 client_resume_cb(evutil_socket_t, short, void *);
static void	 client_groups(struct client *, gid_t);
static int	 control_acl_check(struct client *, uint32_t, int,
		    const char *);
static size_t	 control_uid_count(struct control *, uid_t);
static void	 client_write_cb(struct bufferevent *, void *);
static void	 client_event_cb(struct bufferevent *, short, void *);

static void
client_close(struct client *cl)
{
	struct control	*sc = cl->sc;

	if (cl->dead)
		return;
	cl->dead = 1;
	bufferevent_disable(cl->bev, EV_READ | EV_WRITE);
	event_del(cl->linger);
	log_debug_rl(&cl->rl_debug, "client %llu (%s pid %ld) closed",
	    (unsigned long long)cl->id, cl->name, (long)cl->pid);
	/* Stays on the list, marked dead, until the reaper frees it. */
	event_active(sc->reaper, EV_TIMEOUT, 0);
}

static void
client_free(struct client *cl)
{
	struct csub	*cs, *tmp;

	cl->sc->ev->gone(cl->sc->arg, cl);
	HASH_ITER(hh, cl->subs, cs, tmp) {
		(void)cl->sc->ev->unsubscribe(cl->sc->arg, cl, cs->pattern);
		HASH_DEL(cl->subs, cs);
		cl->sc->stats.client_memory -= cs->cost;
		free(cs);
	}
	client_unfull(cl);
	TAILQ_REMOVE(&cl->sc->clients, cl, entry);
	cl->sc->stats.clients--;
	bufferevent_free(cl->bev);
	event_free(cl->linger);
	event_free(cl->resume);
	free(cl);
}

static void
control_reaper_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct control	*sc = arg;
	struct client	*cl, *tmp;

	(void)fd;
	(void)ev;
	TAILQ_FOREACH_SAFE(cl, &sc->clients, entry, tmp)
		if (cl->dead)
			client_free(cl);
}

static void
client_linger_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	client_close(arg);
}

/*
 * Would len more bytes take the client past its bound?  Then it is not
 * reading: it is disconnected, logged and counted.  The bound is
 * limits.client_queue_bytes; under policy.slow_subscriber "backpressure"
 * the sources feeding a full subscriber are paused at that mark (see
 * control_deliver), and only what was in flight may pass it, so the hard
 * bound there is twice the limit.
 */
static int
client_overflow(struct client *cl, size_t len)
{
	struct control	*sc = cl->sc;
	struct evbuffer	*out = bufferevent_get_output(cl->bev);
	size_t		 bound = sc->conf->lim.client_queue_bytes;

	if (!sc->conf->slow_disconnect)
		bound *= 2;
	if (evbuffer_get_length(out) + len > bound && !cl->closing) {
		sc->stats.client_queue_overflows++;
		if (ratelim_allow(&sc->rl, time(NULL)))
			log_warnx("client %llu (%s pid %ld) does not read: "
			    "%zu bytes queued, limits.client_queue_bytes is "
			    "%u; disconnecting it", (unsigned long long)cl->id,
			    cl->name, (long)cl->pid, evbuffer_get_length(out),
			    sc->conf->lim.client_queue_bytes);
		client_close(cl);
		return (1);
	}
	return (0);
}

static int
client_send(struct client *cl, const uint8_t *frame, size_t len)
{
	if (len == 0) {
		/* An encoder said it does not fit: a bug, never silent. */
		cl->sc->stats.encode_errors++;
		if (ratelim_allow(&cl->sc->rl, time(NULL)))
			log_warnx("client %llu: a frame could not be encoded; "
			    "not sent", (unsigned long long)cl->id);
		return (-1);
	}
	if (cl->dead || client_overflow(cl, len))
		return (-1);
	if (bufferevent_write(cl->bev, frame, len) == -1) {
		client_close(cl);
		return (-1);
	}
	return (0);
}

/* Send CTL_ERROR; with fatal set, stop reading and close once it is out. */
static void
client_error(struct client *cl, uint32_t req_id, enum wire_reason code,
    int fatal, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
client_error(struct client *cl, uint32_t req_id, enum wire_reason code,
    int fatal, const char *fmt, ...)
{
	struct wire_ctl_error	e;
	uint8_t			buf[WIRE_CTL_ERROR_MAX];
	va_list			ap;

	memset(&e, 0, sizeof(e));
	e.req_id = req_id;
	e.code = code;
	va_start(ap, fmt);
	vsnprintf(e.text, sizeof(e.text), fmt, ap);
	va_end(ap);
	(void)client_send(cl, buf, wire_encode_ctl_error(buf, sizeof(buf),
	    &e));
	if (!fatal || cl->dead)
		return;
	cl->closing = 1;
	bufferevent_disable(cl->bev, EV_READ);
	bufferevent_setcb(cl->bev, NULL, client_write_cb, client_event_cb,
	    cl);
	{
		struct timeval	tv = { CLIENT_LINGER_MS / 1000,
		    (CLIENT_LINGER_MS % 1000) * 1000 };

		evtimer_add(cl->linger, &tv);
	}
}

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	struct client	*cl = arg;

	if (cl->closing && evbuffer_get_length(bufferevent_get_output(bev)) ==
	    0)
		client_close(cl);
	else if (cl->full)
		client_unfull(cl);
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	client_close(arg);
}

static void
client_protocol_error(struct client *cl, const char *what)
{
	struct control	*sc = cl->sc;

	sc->stats.client_errors++;
	if (ratelim_allow(&sc->rl, time(NULL)))
		log_warnx("client %llu (%s pid %ld uid %ld): %s; closing",
		    (unsigned long long)cl->id, cl->name, (long)cl->pid,
		    (long)cl->uid, what);
	client_error(cl, 0, REASON_PROTOCOL, 1, "%s", what);
}

static void
control_hello(struct client *cl, const struct wire_ctl_hello *h)
{
	struct control		*sc = cl->sc;
	struct wire_ctl_welcome	 w;
	uint8_t			 buf[WIRE_CTL_WELCOME_MAX];

	strlcpy(cl->name, h->name, sizeof(cl->name));
	if (h->version < CTL_MIN_VERSION || h->min_version > CTL_VERSION) {
		sc->stats.client_errors++;
		client_error(cl, 0, REASON_VERSION, 1, "cohortd speaks local "
		    "protocol versions %u to %u, the client %u to %u: upgrade "
		    "the older of the two", CTL_MIN_VERSION, CTL_VERSION,
		    h->min_version, h->version);
		return;
	}
	memset(&w, 0, sizeof(w));
	w.version = h->version < CTL_VERSION ? h->version : CTL_VERSION;
	w.max_message = sc->conf->lim.max_message_size;
	w.incarnation = sc->incarnation;
	strlcpy(w.cluster, sc->conf->cluster, sizeof(w.cluster));
	strlcpy(w.node_id, sc->conf->node_id, sizeof(w.node_id));
	cl->hello_done = 1;
	log_debug_rl(&cl->rl_debug, "client %llu is %s pid %ld (says pid %u)",
	    (unsigned long long)cl->id, cl->name, (long)cl->pid, h->pid);
	(void)client_send(cl, buf, wire_encode_ctl_welcome(buf, sizeof(buf),
	    &w));
}

/*
 * Only root, the daemon's own user and security.admin_group may change
 * the daemon (issue 12, finding 4: any client could reload it, or turn
 * debug logging on).  1 if cl may; otherwise it is told why, and the
 * refusal is logged and counted.
 */
static int
control_admin(struct client *cl, uint32_t req_id, const char *what)
{
	struct control	*sc = cl->sc;
	const char	*group = sc->conf->acl.admin_group, *hint = "";
	char		 who[WIRE_TEXT_MAX + 1], user[64] = "", grp[96] = "";

	if (acl_is_admin(&sc->conf->acl, cl->uid, sc->uid, cl->groups,
	    (size_t)cl->ngroups))
		return (1);
	sc->stats.admin_refused++;
	/* "root, uid 999 (cohortd's user) and group ops (...)" */
	if (sc->uid != 0)
		snprintf(user, sizeof(user), "%s uid %ld (cohortd's user)",
		    group[0] != '\0' ? "," : " and", (long)sc->uid);
	if (group[0] != '\0')
		snprintf(grp, sizeof(grp), " and group %s "
		    "(security.admin_group)", group);
	else
		hint = " (security.admin_group can name a group that may too)";
	snprintf(who, sizeof(who), "root%s%s", user, grp);
	if (ratelim_allow(&sc->rl, time(NULL)))
		log_warnx("client %llu (%s pid %ld uid %ld): %s refused: only "
		    "%s may", (unsigned long long)cl->id, cl->name,
		    (long)cl->pid, (long)cl->uid, what, who);
	client_error(cl, req_id, REASON_DENIED, 0, "%s refused for uid %ld: "
	    "only %s may%s", what, (long)cl->uid, who, hint);
	return (0);
}

static void
control_reload(struct client *cl, uint32_t req_id)
{
	char	msg[WIRE_TEXT_MAX + 1];

	if (!control_admin(cl, req_id, "reload"))
		return;
	log_info("reload asked by client %llu (%s pid %ld uid %ld)",
	    (unsigned long long)cl->id, cl->name, (long)cl->pid,
	    (long)cl->uid);
	if (cl->sc->ev->reload(cl->sc->arg, msg, sizeof(msg)) == -1)
		client_error(cl, req_id, REASON_BAD_REQUEST, 0, "%s", msg);
	else
		control_ok(cl, req_id);
}

/*
 * What a subscription is charged against the memory budgets: the most
 * it can hold in the trie (as if it shared no node with another) and
 * its entry in the client's list.  The same pattern always costs the
 * same, whoever else holds it.
 */
static size_t
sub_cost(const char *pattern)
{
	return (subtree_cost(pattern) + sizeof(struct csub) +
	    strlen(pattern) + 1 + CSUB_OVERHEAD);
}

/*
 * Would cost more bytes fit in the client's budget and in the daemon's?
 * If not, the client is told which limit, and it is logged and counted.
 */
static int
control_memory_ok(struct client *cl, uint32_t req_id, const char *pattern,
    size_t cost)
{
	struct control	*sc = cl->sc;
	const char	*key, *whose;
	uint64_t	 would;
	uint32_t	 lim;

	if (cl->memory + cost <= sc->conf->lim.client_memory_bytes &&
	    sc->stats.client_memory + cost <= sc->conf->lim.memory_bytes)
		return (1);
	sc->stats.memory_refused++;
	if (cl->memory + cost > sc->conf->lim.client_memory_bytes) {
		key = "limits.client_memory_bytes";
		whose = "this client's";
		would = cl->memory + cost;
		lim = sc->conf->lim.client_memory_bytes;
	} else {
		key = "limits.memory_bytes";
		whose = "all clients'";
		would = sc->stats.client_memory + cost;
		lim = sc->conf->lim.memory_bytes;
	}
	if (ratelim_allow(&sc->rl, time(NULL)))
		log_warnx("client %llu (%s pid %ld uid %ld): subscription "
		    "refused: %s subscriptions would hold %llu bytes, %s is "
		    "%u", (unsigned long long)cl->id, cl->name, (long)cl->pid,
		    (long)cl->uid, whose, (unsigned long long)would, key, lim);
	/* The pattern last: a long one is cut, not the key's name. */
	client_error(cl, req_id, REASON_LIMIT, 0, "%s subscriptions would "
	    "hold %llu bytes, over %s (%u): subscribing to \"%s\" refused",
	    whose, (unsigned long long)would, key, lim, pattern);
	return (0);
}

static void
control_subscribe(struct client *cl, const struct wire_ctl_sub *m)
{
	struct control		*sc = cl->sc;
	struct csub		*cs;
	enum subject_error	 se;
	size_t			 len, cost;
	int			 rv;

	if ((se = subject_check(m->pattern, 1)) != SUBJECT_OK) {
		sc->stats.bad_subjects++;
		client_error(cl, m->req_id, REASON_BAD_SUBJECT, 0, "\"%s\": "
		    "%s", m->pattern, subject_strerror(se));
		return;
	}
	if (!control_acl_check(cl, m->req_id, 0, m->pattern))
		return;
	HASH_FIND_STR(cl->subs, m->pattern, cs);
	if (cs != NULL) {
		control_ok(cl, m->req_id);	/* already: idempotent */
		return;
	}
	if (cl->n_subs >= sc->conf->lim.subs_per_client) {
		sc->stats.subs_refused++;
		if (ratelim_allow(&sc->rl, time(NULL)))
			log_warnx("client %llu (%s pid %ld): subscription "
			    "refused, limits.subscriptions_per_client (%u) "
			    "reached", (unsigned long long)cl->id, cl->name,
			    (long)cl->pid, sc->conf->lim.subs_per_client);
		client_error(cl, m->req_id, REASON_LIMIT, 0, "%u subscriptions "
		    "already (limits.subscriptions_per_client)",
		    sc->conf->lim.subs_per_client);
		return;
	}
	len = strlen(m->pattern);
	cost = sub_cost(m->pattern);
	if (!control_memory_ok(cl, m->req_id, m->pattern, cost))
		return;
	if ((cs = calloc(1, sizeof(*cs) + len + 1)) == NULL ||
	    (rv = sc->ev->subscribe(sc->arg, cl, m->pattern)) == -1) {
		free(cs);
		client_error(cl, m->req_id, REASON_LIMIT, 0, "out of memory");
		return;
	}
	memcpy(cs->pattern, m->pattern, len + 1);
	cs->cost = cost;
	HASH_ADD_STR(cl->subs, pattern, cs);
	cl->n_subs++;
	cl->memory += cost;
	sc->stats.client_memory += cost;
	log_debug_rl(&cl->rl_debug, "client %llu subscribed to %s",
	    (unsigned long long)cl->id, m->pattern);
	control_ok(cl, m->req_id);
}

static void
control_unsubscribe(struct client *cl, const struct wire_ctl_sub *m)
{
	struct csub	*cs;

	HASH_FIND_STR(cl->subs, m->pattern, cs);
	if (cs == NULL) {
		client_error(cl, m->req_id, REASON_NOT_SUBSCRIBED, 0, "not "
		    "subscribed to \"%s\"", m->pattern);
		return;
	}
	(void)cl->sc->ev->unsubscribe(cl->sc->arg, cl, cs->pattern);
	HASH_DEL(cl->subs, cs);
	cl->memory -= cs->cost;
	cl->sc->stats.client_memory -= cs->cost;
	free(cs);
	cl->n_subs--;
	control_ok(cl, m->req_id);
}

static void
control_ok(struct client *cl, uint32_t req_id)
{
	struct wire_ctl_req	r = { req_id };
	uint8_t			buf[WIRE_CTL_REQ_MAX];

	(void)client_send(cl, buf, wire_encode_ctl_req(buf, sizeof(buf),
	    WT_CTL_OK, &r));
}

/*
 * The work of a CTL_PUB beyond its bytes: each target after the first
 * (a broadcast's are the other nodes).  A unicast costs its bytes only,
 * so that the 64-byte path reads as much per wakeup as before.
 */
static size_t
client_pub_work(const struct client *cl, const struct wire_ctl_pub *m)
{
	size_t	n = m->mode == PUB_BROADCAST ? cl->sc->conf->n_nodes :
		    m->ntargets;

	return (n > 1 ? (n - 1) * CLIENT_TARGET_WORK : 0);
}

/* One whole frame; returns -1 when the client is going away. */
static int
control_dispatch(struct client *cl, const struct wire_hdr *hdr,
    const uint8_t *buf)
{
	union {
		struct wire_ctl_hello	hello;
		struct wire_ctl_req	req;
		struct wire_ctl_watch	watch;
		struct wire_ctl_sub	sub;
		struct wire_ctl_pub	pub;
		struct wire_ctl_reply	reply;
	} m;
	enum wire_status	st;
	char			what[96];

	if (!cl->hello_done && hdr->type != WT_CTL_HELLO) {
		client_protocol_error(cl, "the first frame must be CTL_HELLO");
		return (-1);
	}
	switch (hdr->type) {
	case WT_CTL_HELLO:
		if (cl->hello_done) {
			st = WIRE_BAD_TYPE;
			break;
		}
		if ((st = wire_decode_ctl_hello(buf, hdr->len, &m.hello)) ==
		    WIRE_OK)
			control_hello(cl, &m.hello);
		break;
	case WT_CTL_MEMBERS_REQ:
		if ((st = wire_decode_ctl_req(buf, hdr->len, hdr->type,
		    &m.req)) == WIRE_OK)
			cl->sc->ev->members(cl->sc->arg, cl, m.req.req_id);
		break;
	case WT_CTL_PUB:
		if ((st = wire_decode_ctl_pub(buf, hdr->len, &m.pub)) !=
		    WIRE_OK)
			break;
		cl->work += client_pub_work(cl, &m.pub);
		if (control_acl_check(cl, m.pub.req_id, 1, m.pub.subject))
			cl->sc->ev->publish(cl->sc->arg, cl, &m.pub);
		break;
	case WT_CTL_REPLY:
		if ((st = wire_decode_ctl_reply(buf, hdr->len, &m.reply)) ==
		    WIRE_OK && cl->sc->ev->reply(cl->sc->arg, cl, m.reply.token,
		    m.reply.body, m.reply.body_len) == -1) {
			client_protocol_error(cl, "reply larger than "
			    "limits.max_message_size");
			return (-1);
		}
		break;
	case WT_CTL_SUB:
		if ((st = wire_decode_ctl_sub(buf, hdr->len, &m.sub)) ==
		    WIRE_OK)
			control_subscribe(cl, &m.sub);
		break;
	case WT_CTL_UNSUB:
		if ((st = wire_decode_ctl_sub(buf, hdr->len, &m.sub)) ==
		    WIRE_OK)
			control_unsubscribe(cl, &m.sub);
		break;
	case WT_CTL_STATS_REQ:
		if ((st = wire_decode_ctl_req(buf, hdr->len, hdr->type,
		    &m.req)) == WIRE_OK)
			cl->sc->ev->stats(cl->sc->arg, cl, m.req.req_id);
		break;
	case WT_CTL_RELOAD:
		if ((st = wire_decode_ctl_req(buf, hdr->len, hdr->type,
		    &m.req)) == WIRE_OK)
			control_reload(cl, m.req.req_id);
		break;
	case WT_CTL_LOG_LEVEL:
		if ((st = wire_decode_ctl_watch(buf, hdr->len, &m.watch)) ==
		    WIRE_OK && control_admin(cl, m.watch.req_id,
		    "setting the log level")) {
			log_setverbose(m.watch.on);
			log_info("log level set to %s by client %llu (%s pid "
			    "%ld uid %ld)", m.watch.on ? "debug" : "info",
			    (unsigned long long)cl->id, cl->name,
			    (long)cl->pid, (long)cl->uid);
			control_ok(cl, m.watch.req_id);
		}
		break;
	case WT_CTL_WATCH:
		if ((st = wire_decode_ctl_watch(buf, hdr->len, &m.watch)) ==
		    WIRE_OK) {
			cl->watching = m.watch.on;
			log_debug_rl(&cl->rl_debug, "client %llu %s "
			    "membership events", (unsigned long long)cl->id,
			    cl->watching ? "follows" : "no longer follows");
			control_ok(cl, m.watch.req_id);
		}
		break;
	default:
		st = WIRE_BAD_TYPE;
		break;
	}
	if (st != WIRE_OK) {
		snprintf(what, sizeof(what), "%s frame: %s",
		    wire_type_name(hdr->type), st == WIRE_BAD_TYPE ?
		    "not a request a client may send" : wire_status_name(st));
		client_protocol_error(cl, what);
		return (-1);
	}
	return (cl->dead || cl->closing ? -1 : 0);
}

/* Take what the kernel has for this client: see bufio.h. */
static void
client_read_more(struct client *cl)
{
	size_t	batch;

	/* No more than the read high watermark: one largest frame. */
	batch = config_max_frame(cl->sc->conf);
	if (batch > CLIENT_READ_BATCH)
		batch = CLIENT_READ_BATCH;
	(void)bufread_fill(cl->bev, batch);
}

/* The frame reader's view of a client (bufio.h). */
static size_t
client_frame_limit(void *arg)
{
	struct client	*cl = arg;

	if (cl->dead || cl->closing || cl->paused)
		return (0);
	if (cl->work >= CLIENT_WORK_PER_EVENT) {
		cl->yielded = 1;
		return (0);
	}
	return (config_max_frame(cl->sc->conf));
}

static int
client_frame(void *arg, const struct wire_hdr *hdr, const uint8_t *frame)
{
	struct client	*cl = arg;

	cl->work += hdr->len;
	return (control_dispatch(cl, hdr, frame));
}

static void
client_frame_bad(void *arg, const char *why)
{
	client_protocol_error(arg, why);
}

static const struct bufio_reader client_reader = {
	WIRE_LOCAL, client_frame_limit, client_frame, client_frame_bad
};

/*
 * Frames for one wakeup's work at most (CLIENT_WORK_PER_EVENT); what is
 * left is read at the next turn of the loop, after everything else that
 * is ready, from a zero timeout (cl->resume as a timer).
 */
static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	static const struct timeval	 next_turn = { 0, 0 };
	struct client			*cl = arg;

	if (cl->hello_done && !cl->dead && !cl->closing && !cl->paused)
		client_read_more(cl);
	cl->work = 0;
	cl->yielded = 0;
	bufio_frames(bufferevent_get_input(bev), &client_reader, cl);
	if (cl->yielded && !cl->dead)
		evtimer_add(cl->resume, &next_turn);
}

/*
 * The client's groups, for allow_groups and group rules: its primary
 * group from SO_PEERCRED and the supplementary ones of its user.  (A
 * name service look-up; local files answer at once.)
 */
static void
client_groups(struct client *cl, gid_t gid)
{
	struct passwd	*pw;
	int		 n = (int)(sizeof(cl->groups) / sizeof(cl->groups[0]));

	cl->groups[0] = gid;
	cl->ngroups = 1;
	if ((pw = getpwuid(cl->uid)) == NULL)
		return;
	strlcpy(cl->name, pw->pw_name, sizeof(cl->name));
	if (getgrouplist(pw->pw_name, gid, cl->groups, &n) != -1)
		cl->ngroups = n;
	else
		cl->ngroups = (int)(sizeof(cl->groups) / sizeof(cl->groups[0]));
}

static size_t
control_uid_count(struct control *sc, uid_t uid)
{
	struct client	*cl;
	size_t		 n = 0;

	TAILQ_FOREACH(cl, &sc->clients, entry)
		if (!cl->dead && cl->uid == uid)
			n++;
	return (n);
}

/* "rule 2 (group apps, line 14): allowed: a.>, b.*" */
static void
rule_text(struct client *cl, int publish, char *buf, size_t len)
{
	const struct acl	*a = &cl->sc->conf->acl;
	const struct acl_rule	*r;
	char		**v;
	size_t		  i, n;

	if (cl->rule < 0) {
		snprintf(buf, len, "no rule in security.rules names uid %ld or "
		    "its groups", (long)cl->uid);
		return;
	}
	r = &a->rules[cl->rule];
	v = publish ? r->publish : r->subscribe;
	n = publish ? r->n_publish : r->n_subscribe;
	snprintf(buf, len, "rule %d (%s, line %d) allows %s", cl->rule + 1,
	    r->who, r->line, n == 0 ? "nothing" : "");
	for (i = 0; i < n; i++) {
		strlcat(buf, v[i], len);
		if (i + 1 < n)
			strlcat(buf, ", ", len);
	}
}

/* Is this publish or subscribe allowed?  If not, say which rule said no. */
static int
control_acl_check(struct client *cl, uint32_t req_id, int publish,
    const char *what)
{
	struct control	*sc = cl->sc;
	char		 text[WIRE_TEXT_MAX + 1];

	if (publish ? acl_may_publish(&sc->conf->acl, cl->rule, what) :
	    acl_may_subscribe(&sc->conf->acl, cl->rule, what))
		return (1);
	sc->stats.acl_refused++;
	rule_text(cl, publish, text, sizeof(text));
	if (ratelim_allow(&sc->rl, time(NULL)))
		log_info("client %llu (%s pid %ld uid %ld): %s \"%s\" refused: "
		    "%s", (unsigned long long)cl->id, cl->name, (long)cl->pid,
		    (long)cl->uid, publish ? "publish to" : "subscribe to",
		    what, text);
	client_error(cl, req_id, REASON_DENIED, 0, "%s \"%s\" refused: %s",
	    publish ? "publish to" : "subscribe to", what, text);
	return (0);
}

/*
 * After a reload to policy "disconnect", subscribers that are full now
 * are disconnected, which releases what they held paused.
 */
void
control_apply_policy(struct control *sc)
{
	struct client	*cl;

	if (!sc->conf->slow_disconnect)
		return;
	TAILQ_FOREACH(cl, &sc->clients, entry) {
		if (!cl->full || cl->dead)
			continue;
		sc->stats.client_queue_overflows++;
		log_warnx("client %llu (%s pid %ld) does not read, and "
		    "policy.slow_subscriber is now \"disconnect\": "
		    "disconnecting it", (unsigned long long)cl->id, cl->name,
		    (long)cl->pid);
		client_close(cl);
	}
}

/* After a reload, the rules may be new: each client finds its own. */
void
control_apply_acl(struct control *sc)
{
	struct client	*cl;

	TAILQ_FOREACH(cl, &sc->clients, entry)
		cl->rule = acl_rule_for(&sc->conf->acl, cl->uid, cl->groups,
		    (size_t)cl->ngroups);
}

/* Frames already buffered when the client was paused: read them now. */
static void
client_resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct client	*cl = arg;

	(void)fd;
	(void)ev;
	if (!cl->dead && !cl->paused)
		client_read_cb(cl->bev, cl);
}

static void
control_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control	*sc = arg;
	struct client	*cl;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);

	(void)l;
	(void)sa;
	(void)salen;
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		close(fd);
		return;
	}
	cl->sc = sc;
	cl->id = ++sc->next_client_id;
	strlcpy(cl->name, "?", sizeof(cl->name));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		cl->pid = cred.pid;
		cl->uid = cred.uid;
		client_groups(cl, cred.gid);
	} else
		cl->uid = (uid_t)-1;	/* matches no rule, no allow-list */
	cl->rule = acl_rule_for(&sc->conf->acl, cl->uid, cl->groups,
	    (size_t)cl->ngroups);
	cl->bev = bufferevent_socket_new(sc->base, fd, BEV_OPT_CLOSE_ON_FREE);
	cl->linger = evtimer_new(sc->base, client_linger_cb, cl);
	cl->resume = event_new(sc->base, -1, 0, client_resume_cb, cl);
	if (cl->bev == NULL || cl->linger == NULL || cl->resume == NULL) {
		if (cl->bev != NULL)
			bufferevent_free(cl->bev);
		else
			close(fd);
		if (cl->linger != NULL)
			event_free(cl->linger);
		if (cl->resume != NULL)
			event_free(cl->resume);
		free(cl);
		return;
	}
	TAILQ_INSERT_TAIL(&sc->clients, cl, entry);
	sc->stats.clients++;
	bufferevent_setcb(cl->bev, client_read_cb, NULL, client_event_cb, cl);
	bufferevent_setwatermark(cl->bev, EV_READ, 0,
	    config_max_frame(sc->conf));
	bufferevent_set_max_single_write(cl->bev, CLIENT_WRITE_MAX);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
	log_debug_rl(&cl->rl_debug, "client %llu connected: pid %ld uid %ld",
	    (unsigned long long)cl->id, (long)cl->pid, (long)cl->uid);
	if (!acl_connect_ok(&sc->conf->acl, cl->uid, cl->groups,
	    (size_t)cl->ngroups)) {
		sc->stats.clients_denied++;
		if (ratelim_allow(&sc->rl, time(NULL)))
			log_warnx("client pid %ld uid %ld refused: not in "
			    "security.allow_users or allow_groups",
			    (long)cl->pid, (long)cl->uid);
		client_error(cl, 0, REASON_DENIED, 1, "uid %ld may not use "
		    "this socket (security.allow_users, allow_groups)",
		    (long)cl->uid);
		return;
	}
	if (control_uid_count(sc, cl->uid) > sc->conf->lim.clients_per_uid) {
		sc->stats.clients_refused++;
		if (ratelim_allow(&sc->rl, time(NULL)))
			log_warnx("client pid %ld uid %ld refused: "
			    "limits.clients_per_uid (%u) reached", (long)cl->pid,
			    (long)cl->uid, sc->conf->lim.clients_per_uid);
		client_error(cl, 0, REASON_LIMIT, 1, "too many clients of uid "
		    "%ld: limits.clients_per_uid is %u", (long)cl->uid,
		    sc->conf->lim.clients_per_uid);
		return;
	}
	if (sc->stats.clients > sc->conf->lim.max_clients) {
		sc->stats.clients_refused++;
		if (ratelim_allow(&sc->rl, time(NULL)))
			log_warnx("client pid %ld uid %ld refused: "
			    "limits.max_clients (%u) reached", (long)cl->pid,
			    (long)cl->uid, sc->conf->lim.max_clients);
		client_error(cl, 0, REASON_LIMIT, 1, "too many clients: "
		    "limits.max_clients is %u", sc->conf->lim.max_clients);
		return;
	}
	sc->stats.clients_accepted++;
}

static void
control_accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct control	*sc = arg;
	int		 err = EVUTIL_SOCKET_ERROR();

	if (ratelim_allow(&sc->rl, time(NULL)))
		log_warnx("accept on %s: %s%s", sc->path,
		    evutil_socket_error_to_string(err), err == EMFILE ||
		    err == ENFILE ? "; not accepting for a second" : "");
	(void)ev_listener_pause(sc->base, l, err, &sc->stats.accept_paused);
}

/*
 * The socket is 0660: applications use it by joining its group
 * (security.socket_group, default "cohort").  A group that does not
 * exist leaves the daemon's own group, with a warning.
 */
static void
control_socket_group(struct control *sc)
{
	struct group	*gr;

	if (sc->conf->socket_group[0] == '\0')
		return;
	if ((gr = getgrnam(sc->conf->socket_group)) == NULL) {
		log_warnx("security.socket_group \"%s\" does not exist: %s "
		    "keeps the daemon's group; create the group, or name "
		    "another", sc->conf->socket_group, sc->path);
		return;
	}
	if (chown(sc->path, (uid_t)-1, gr->gr_gid) == -1)
		log_warn("chown %s to group %s", sc->path,
		    sc->conf->socket_group);
	else
		log_info("%s: mode 0660, group %s", sc->path,
		    sc->conf->socket_group);
}

/* Refuse to steal the socket of a daemon that is still running. */
static int
control_check(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, rv;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	rv = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rv == 0) {
		log_warnx("%s is in use by a running cohortd: stop it first, "
		    "or give this one another socket", path);
		return (-1);
	}
	return (0);
}

static int
control_listen(struct control *sc)
{
	struct sockaddr_un	 sun;
	char			 dir[sizeof(sun.sun_path)];
	mode_t			 old;
	int			 fd;

	if (control_check(sc->path) == -1)
		return (-1);
	strlcpy(dir, sc->path, sizeof(dir));
	if (mkdir(dirname(dir), 0755) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", dir);
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, sc->path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("%s: socket", __func__);
		return (-1);
	}
	if (unlink(sc->path) == -1 && errno != ENOENT) {
		log_warn("unlink %s", sc->path);
		close(fd);
		return (-1);
	}
	old = umask(S_IXUSR | S_IXGRP | S_IRWXO);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("bind %s", sc->path);
		umask(old);
		close(fd);
		return (-1);
	}
	umask(old);
	if (chmod(sc->path, 0660) == -1) {
		log_warn("chmod %s", sc->path);
		close(fd);
		return (-1);
	}
	control_socket_group(sc);
	sc->listener = evconnlistener_new(sc->base, control_accept_cb, sc,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64, fd);
	if (sc->listener == NULL) {
		log_warn("listen %s", sc->path);
		close(fd);
		return (-1);
	}
	evconnlistener_set_error_cb(sc->listener, control_accept_error_cb);
	log_info("local socket %s", sc->path);
	return (0);
}

struct control *
control_new(struct event_base *base, const struct cohort_conf *conf,
    uint64_t incarnation, const struct control_events *ev, void *arg)
{
	struct control	*sc;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return (NULL);
	sc->base = base;
	sc->conf = conf;
	sc->incarnation = incarnation;
	sc->ev = ev;
	sc->arg = arg;
	sc->uid = geteuid();
	TAILQ_INIT(&sc->clients);
	strlcpy(sc->path, conf->socket, sizeof(sc->path));
	if ((sc->reaper = event_new(base, -1, 0, control_reaper_cb, sc)) ==
	    NULL || control_listen(sc) == -1) {
		control_free(sc);
		return (NULL);
	}
	return (sc);
}

/* Clients are freed here, with their callbacks: the relay forgets them. */
void
control_shutdown(struct control *sc)
{
	struct client	*cl;

	if (sc->listener != NULL) {
		evconnlistener_free(sc->listener);
		sc->listener = NULL;
		if (unlink(sc->path) == -1 && errno != ENOENT)
			log_warn("unlink %s", sc->path);
	}
	while ((cl = TAILQ_FIRST(&sc->clients)) != NULL)
		client_free(cl);
}

void
control_free(struct control *sc)
{
	if (sc == NULL)
		return;
	control_shutdown(sc);
	if (sc->reaper != NULL)
		event_free(sc->reaper);
	free(sc);
}

const struct control_stats *
control_stats(struct control *sc)
{
	return (&sc->stats);
}

void
control_send(struct client *cl, uint32_t req_id, const uint8_t *frame,
    size_t len)
{
	if (len == 0)
		client_error(cl, req_id, REASON_LIMIT, 0, "the answer does not "
		    "fit in a frame");
	(void)client_send(cl, frame, len);
}

void
control_broadcast_event(struct control *sc, const struct wire_ctl_event *ev)
{
	struct client	*cl;
	uint8_t		 buf[WIRE_CTL_EVENT_MAX];
	size_t		 len;

	if ((len = wire_encode_ctl_event(buf, sizeof(buf), ev)) == 0) {
		sc->stats.encode_errors++;
		log_warnx("cannot encode the event for %s", ev->node);
		return;
	}
	TAILQ_FOREACH(cl, &sc->clients, entry)
		if (cl->watching && !cl->dead && !cl->closing &&
		    client_send(cl, buf, len) == 0)
			sc->stats.events_sent++;
}

int
control_deliver(struct client *cl, const uint8_t *head, size_t hlen,
    const uint8_t *body, size_t blen)
{
	struct evbuffer	*out = bufferevent_get_output(cl->bev);

	if (cl->dead || cl->closing || !cl->hello_done ||
	    client_overflow(cl, hlen + blen))
		return (-1);
	if (bufio_add2(out, head, hlen, body, blen) == -1) {
		client_close(cl);
		return (-1);
	}
	if (!cl->sc->conf->slow_disconnect &&
	    evbuffer_get_length(out) > cl->sc->conf->lim.client_queue_bytes)
		return (client_fill(cl));
	return (0);
}

/*
 * A subscriber whose queue passed limits.client_queue_bytes: the caller
 * pauses whatever fed it, until every full subscriber is below half.
 * Returns 1: delivered, but stop the source.
 */
static int
client_fill(struct client *cl)
{
	struct control	*sc = cl->sc;

	if (cl->full)
		return (1);
	cl->full = 1;
	sc->stats.subscribers_full_now++;
	sc->stats.subscribers_full++;
	if (ratelim_allow(&sc->rl, time(NULL)))
		log_info("client %llu (%s pid %ld) reads slowly: %u bytes "
		    "queued (limits.client_queue_bytes); slowing its sources "
		    "down", (unsigned long long)cl->id, cl->name,
		    (long)cl->pid, sc->conf->lim.client_queue_bytes);
	/* Called back below half: see client_write_cb. */
	bufferevent_setwatermark(cl->bev, EV_WRITE,
	    sc->conf->lim.client_queue_bytes / 2, 0);
	bufferevent_setcb(cl->bev, client_read_cb, client_write_cb,
	    client_event_cb, cl);
	return (1);
}

static void
client_unfull(struct client *cl)
{
	struct control	*sc = cl->sc;

	if (!cl->full)
		return;
	cl->full = 0;
	if (!cl->dead)
		bufferevent_setwatermark(cl->bev, EV_WRITE, 0, 0);
	if (--sc->stats.subscribers_full_now == 0)
		sc->ev->drained(sc->arg);
}

void
control_error(struct client *cl, uint32_t req_id, int code,
    const char *fmt, ...)
{
	char	text[WIRE_TEXT_MAX + 1];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	client_error(cl, req_id, (enum wire_reason)code, 0, "%s", text);
}

int
control_client_mark(struct client *cl, uint64_t gen)
{
	if (cl->match_gen == gen || cl->dead || cl->closing)
		return (1);
	cl->match_gen = gen;
	return (0);
}

uint32_t
control_client_requests(struct client *cl, int delta)
{
	cl->n_requests = (uint32_t)((int64_t)cl->n_requests + delta);
	return (cl->n_requests);
}

void
control_pause(struct client *cl, const char *node)
{
	if (cl->paused || cl->dead)
		return;
	cl->paused = 1;
	strlcpy(cl->waiting_for, node, sizeof(cl->waiting_for));
	bufferevent_disable(cl->bev, EV_READ);
	cl->sc->stats.clients_paused++;
	log_debug_rl(&cl->rl_debug, "client %llu paused until %s's queue "
	    "drains", (unsigned long long)cl->id, node);
}

void
control_resume(struct control *sc, const char *node)
{
	struct client	*cl;

	TAILQ_FOREACH(cl, &sc->clients, entry) {
		if (!cl->paused || strcmp(cl->waiting_for, node) != 0)
			continue;
		cl->paused = 0;
		if (cl->dead || cl->closing)
			continue;
		bufferevent_enable(cl->bev, EV_READ);
		event_active(cl->resume, EV_TIMEOUT, 0);
	}
}

uint64_t
control_client_id(const struct client *cl)
{
	return (cl->id);
}

/*
 * A stream died with messages of this client on it that its peer had
 * not acknowledged: the client hears it, as an error for the last of
 * those requests, never silence.
 */
void
control_lost(struct control *sc, uint64_t id, const char *node,
    uint32_t count, uint32_t first_req, uint32_t last_req)
{
	struct client	*cl;

	TAILQ_FOREACH(cl, &sc->clients, entry)
		if (cl->id == id)
			break;
	if (cl == NULL || cl->dead)
		return;
	if (ratelim_allow(&sc->rl, time(NULL)))
		log_info("client %llu (%s pid %ld): %u message(s) to %s were "
		    "in flight when its stream was lost", (unsigned long long)id,
		    cl->name, (long)cl->pid, count, node);
	client_error(cl, last_req, REASON_NODE_DOWN, 0, "%s went down: %u "
	    "message(s) sent to it (requests %u to %u) may not have arrived",
	    node, count, first_req, last_req);
}
