/*
 * check_control.c: unit tests of the control socket
 * (src/daemon/control/control.c) through its real Unix socket.
 *
 * control_new binds a socket in a temporary directory, with a table of
 * events that records each call; the tests connect with plain sockets
 * and write frames built with the codec (so that they can also write
 * broken ones), and run the event loop until each exchange is complete:
 * the test's own end of each connection is an event on the same loop,
 * so the loop wakes when the daemon's answer arrives.  Every loop is
 * bounded by an iteration count and a guard timer; nothing asserts how
 * long anything took.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <check.h>

#include "check_main.h"
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/config.h"
#include "common/log.h"
#include "daemon/control/control.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const char conf_text[] =
    "cluster = \"test\";\n"
    "node_id = \"n1\";\n"
    "nodes = ( { id = \"n1\"; address = \"127.0.0.1\"; port = 7401; } );\n";

#define INCARNATION	0x1122334455667788ULL
/* Bounds on running the loop: never reached unless control.c is broken. */
#define RUN_ITERATIONS	20000
#define RUN_GUARD_S	20
#define BODY_MAX	8192

static struct event_base	*base;
static struct cohort_conf	 conf;
static struct control		*ctl;
static char			 dir[64], sockdir[80];

/* The events table: what control.c handed up. */

static struct {
	int		 publish, reply, subscribe, unsubscribe, gone, drained;
	int		 members, stats, reload;
	int		 publish_at_members;	/* ev.publish then */
	struct client	*cl;		/* the last one a callback named */
	uint32_t	 req_id;	/* members, stats */
	struct wire_ctl_pub pub;	/* targets, body: below */
	char		 targets[1024];	/* "n2,n3" */
	uint8_t		 body[BODY_MAX];
	size_t		 body_len;
	uint64_t	 token;
	char		 pattern[WIRE_SUBJECT_MAX + 1];	/* the last (un)sub */
	char		 unsubs[1024];	/* every pattern unsubscribed, "a b " */
	int		 reply_rv, sub_rv, reload_rv;
} ev;

static void
ev_body(const uint8_t *body, size_t len)
{
	ck_assert_uint_le(len, sizeof(ev.body));
	memcpy(ev.body, body, len);
	ev.body_len = len;
}

static void
ev_publish(void *arg, struct client *cl, const struct wire_ctl_pub *m)
{
	char	id[WIRE_ID_MAX + 1];
	size_t	pos = 0;

	ck_assert_ptr_eq(arg, &ev);
	/* In the order sent: each test numbers its requests from 0 or 1. */
	if (ev.publish > 0 && m->req_id > 1)
		ck_assert_uint_eq(m->req_id, ev.pub.req_id + 1);
	ev.publish++;
	ev.cl = cl;
	ev.pub = *m;
	ev.targets[0] = '\0';
	while (wire_targets_next(m, &pos, id)) {
		if (ev.targets[0] != '\0')
			strlcat(ev.targets, ",", sizeof(ev.targets));
		strlcat(ev.targets, id, sizeof(ev.targets));
	}
	ev_body(m->body, m->body_len);
	ev.pub.targets = NULL;
	ev.pub.body = NULL;
}

static int
ev_reply(void *arg, struct client *cl, uint64_t token, const uint8_t *body,
    size_t len)
{
	ck_assert_ptr_eq(arg, &ev);
	ev.reply++;
	ev.cl = cl;
	ev.token = token;
	ev_body(body, len);
	return (ev.reply_rv);
}

static int
ev_subscribe(void *arg, struct client *cl, const char *pattern)
{
	ck_assert_ptr_eq(arg, &ev);
	ev.subscribe++;
	ev.cl = cl;
	strlcpy(ev.pattern, pattern, sizeof(ev.pattern));
	return (ev.sub_rv);
}

static int
ev_unsubscribe(void *arg, struct client *cl, const char *pattern)
{
	ck_assert_ptr_eq(arg, &ev);
	ev.unsubscribe++;
	ev.cl = cl;
	strlcpy(ev.pattern, pattern, sizeof(ev.pattern));
	strlcat(ev.unsubs, pattern, sizeof(ev.unsubs));
	strlcat(ev.unsubs, " ", sizeof(ev.unsubs));
	return (0);
}

static void
ev_gone(void *arg, struct client *cl)
{
	ck_assert_ptr_eq(arg, &ev);
	ev.gone++;
	ev.cl = cl;
}

static void
ev_drained(void *arg)
{
	ck_assert_ptr_eq(arg, &ev);
	ev.drained++;
}

/* Answered as daemon.c does: a CTL_MEMBERS (empty) through control_send. */
static void
ev_members(void *arg, struct client *cl, uint32_t req_id)
{
	struct wire_writer	w;
	uint8_t			buf[WIRE_MEMBERS_FIXED];

	ck_assert_ptr_eq(arg, &ev);
	ev.members++;
	ev.publish_at_members = ev.publish;
	ev.cl = cl;
	ev.req_id = req_id;
	wire_members_start(&w, buf, sizeof(buf), req_id);
	control_send(cl, req_id, buf, wire_members_finish(&w));
}

/* A CTL_STATS of one counter; one that does not fit is sent as 0. */
static void
ev_stats(void *arg, struct client *cl, uint32_t req_id)
{
	struct wire_writer	w;
	uint8_t			buf[256];

	ck_assert_ptr_eq(arg, &ev);
	ev.stats++;
	ev.cl = cl;
	ev.req_id = req_id;
	wire_stats_start(&w, buf, sizeof(buf), req_id);
	wire_stats_section(&w, "daemon", "n1");
	wire_stats_add(&w, "clients", control_stats(ctl)->clients);
	control_send(cl, req_id, buf, wire_stats_finish(&w));
}

static int
ev_reload(void *arg, char *msg, size_t len)
{
	ck_assert_ptr_eq(arg, &ev);
	ev.reload++;
	snprintf(msg, len, "%s", ev.reload_rv == 0 ? "reloaded" :
	    "test.conf:3: the reload was refused");
	return (ev.reload_rv);
}

static const struct control_events events = {
	ev_publish, ev_reply, ev_subscribe, ev_unsubscribe, ev_gone,
	ev_drained, ev_members, ev_stats, ev_reload
};

static void
setup(void)
{
	char	err[512];

	memset(&ev, 0, sizeof(ev));
	ck_assert_msg(config_load_string(conf_text, "test.conf", NULL, &conf,
	    err, sizeof(err)) == 0, "%s", err);
	strlcpy(dir, "/tmp/check_control.XXXXXX", sizeof(dir));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* control_new makes the socket's directory. */
	snprintf(sockdir, sizeof(sockdir), "%s/run", dir);
	snprintf(conf.socket, sizeof(conf.socket), "%s/cohortd.sock",
	    sockdir);
	conf.socket_group[0] = '\0';
	ck_assert_ptr_nonnull(base = event_base_new());
	ck_assert_ptr_nonnull(ctl = control_new(base, &conf, INCARNATION,
	    &events, &ev));
}

static void
teardown(void)
{
	control_free(ctl);
	event_base_free(base);
	config_free(&conf);
	(void)unlink(conf.socket);
	(void)rmdir(sockdir);
	ck_assert_int_eq(rmdir(dir), 0);
}

/* The loop */

static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Run the loop until *counter reaches n (bounded). */
static void
run_until(const int *counter, int n)
{
	struct timeval	 tv = { RUN_GUARD_S, 0 };
	struct event	*guard;
	int		 fired = 0, i;

	ck_assert_ptr_nonnull(guard = evtimer_new(base, guard_cb, &fired));
	evtimer_add(guard, &tv);
	for (i = 0; i < RUN_ITERATIONS && !fired && *counter < n; i++)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(guard);
	ck_assert_int_eq(*counter, n);
}

/* What is ready now, without waiting: each event once. */
static void
run_ready(void)
{
	int	i;

	for (i = 0; i < 4; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

/* A test client: its socket, and what it has read. */

struct tc {
	int		 fd;
	struct event	*ev;
	struct evbuffer	*in;
	int		 eof;
	int		 reads;		/* read events */
};

static void
tc_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tc	*tc = arg;
	char		 buf[65536];
	ssize_t		 n;

	(void)what;
	tc->reads++;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		ck_assert_int_eq(evbuffer_add(tc->in, buf, (size_t)n), 0);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		tc->eof = 1;
		event_del(tc->ev);
	}
}

static struct tc *
tc_connect(void)
{
	struct sockaddr_un	 sun;
	struct tc		*tc;

	ck_assert_ptr_nonnull(tc = calloc(1, sizeof(*tc)));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, conf.socket, sizeof(sun.sun_path));
	ck_assert_int_ne(tc->fd = socket(AF_UNIX, SOCK_STREAM, 0), -1);
	ck_assert_msg(connect(tc->fd, (struct sockaddr *)&sun,
	    sizeof(sun)) == 0, "connect %s: %s", conf.socket, strerror(errno));
	ck_assert_ptr_nonnull(tc->in = evbuffer_new());
	ck_assert_ptr_nonnull(tc->ev = event_new(base, tc->fd,
	    EV_READ | EV_PERSIST, tc_read_cb, tc));
	ck_assert_int_eq(event_add(tc->ev, NULL), 0);
	return (tc);
}

static void
tc_close(struct tc *tc)
{
	event_free(tc->ev);
	evbuffer_free(tc->in);
	close(tc->fd);
	free(tc);
}

/* Stop and start reading: a client that does not read. */
static void
tc_hold(struct tc *tc, int hold)
{
	if (hold)
		event_del(tc->ev);
	else if (!tc->eof)
		event_add(tc->ev, NULL);
}

static void
tc_send(struct tc *tc, const void *buf, size_t len)
{
	ck_assert_uint_ne(len, 0);
	ck_assert_int_eq(send(tc->fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* A whole frame from what was read, or 0 if there is none yet. */
static size_t
tc_take(struct tc *tc, uint8_t **frame)
{
	struct wire_hdr	 hdr;
	uint8_t		*p;

	if (evbuffer_get_length(tc->in) < WIRE_HDR_LEN)
		return (0);
	ck_assert_ptr_nonnull(p = evbuffer_pullup(tc->in, WIRE_HDR_LEN));
	ck_assert_int_eq(wire_check_header(p, WIRE_HDR_LEN,
	    WIRE_FRAME_CEILING, WIRE_LOCAL, &hdr), WIRE_OK);
	if (evbuffer_get_length(tc->in) < hdr.len)
		return (0);
	ck_assert_ptr_nonnull(*frame = malloc(hdr.len));
	ck_assert_int_eq(evbuffer_remove(tc->in, *frame, hdr.len),
	    (int)hdr.len);
	return (hdr.len);
}

/*
 * The next frame the daemon sent (malloc'd, its length in *len), or NULL
 * once the daemon closed the connection with nothing more whole to read.
 */
static uint8_t *
tc_frame(struct tc *tc, size_t *len)
{
	struct timeval	 tv = { RUN_GUARD_S, 0 };
	struct event	*guard;
	uint8_t		*f = NULL;
	int		 fired = 0, i;

	ck_assert_ptr_nonnull(guard = evtimer_new(base, guard_cb, &fired));
	evtimer_add(guard, &tv);
	for (i = 0; i < RUN_ITERATIONS && !fired &&
	    (*len = tc_take(tc, &f)) == 0 && !tc->eof; i++)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(guard);
	if (f == NULL && (*len = tc_take(tc, &f)) == 0) {
		ck_assert_msg(tc->eof, "no frame and no EOF from the daemon");
		return (NULL);
	}
	return (f);
}

static uint8_t *
tc_expect(struct tc *tc, uint32_t type, size_t *len)
{
	struct wire_hdr	 hdr;
	uint8_t		*f;

	ck_assert_msg((f = tc_frame(tc, len)) != NULL, "EOF, not %s",
	    wire_type_name(type));
	ck_assert_int_eq(wire_check_header(f, *len, *len, WIRE_LOCAL, &hdr),
	    WIRE_OK);
	ck_assert_msg(hdr.type == type, "%s, not %s", wire_type_name(hdr.type),
	    wire_type_name(type));
	return (f);
}

static void
tc_expect_error(struct tc *tc, uint32_t req_id, uint32_t code,
    struct wire_ctl_error *e)
{
	struct wire_ctl_error	 mine;
	uint8_t			*f;
	size_t			 len;

	if (e == NULL)
		e = &mine;
	f = tc_expect(tc, WT_CTL_ERROR, &len);
	ck_assert_int_eq(wire_decode_ctl_error(f, len, e), WIRE_OK);
	free(f);
	ck_assert_uint_eq(e->req_id, req_id);
	ck_assert_msg(e->code == code, "error %s (%s), not %s",
	    wire_reason_name(e->code), e->text, wire_reason_name(code));
	ck_assert_str_ne(e->text, "");
}

static void
tc_expect_ok(struct tc *tc, uint32_t req_id)
{
	struct wire_ctl_req	 r;
	uint8_t			*f;
	size_t			 len;

	f = tc_expect(tc, WT_CTL_OK, &len);
	ck_assert_int_eq(wire_decode_ctl_req(f, len, WT_CTL_OK, &r), WIRE_OK);
	free(f);
	ck_assert_uint_eq(r.req_id, req_id);
}

static void
tc_expect_eof(struct tc *tc)
{
	uint8_t	*f;
	size_t	 len;

	f = tc_frame(tc, &len);
	ck_assert_msg(f == NULL, "a frame of %zu bytes, not EOF", len);
}

/* Frames a client sends */

static void
send_hello(struct tc *tc, uint16_t version, uint16_t min_version)
{
	struct wire_ctl_hello	h;
	uint8_t			buf[WIRE_CTL_HELLO_MAX];

	memset(&h, 0, sizeof(h));
	h.version = version;
	h.min_version = min_version;
	h.pid = (uint32_t)getpid();
	strlcpy(h.name, "check_control", sizeof(h.name));
	tc_send(tc, buf, wire_encode_ctl_hello(buf, sizeof(buf), &h));
}

static void
send_req(struct tc *tc, uint32_t type, uint32_t req_id)
{
	struct wire_ctl_req	r = { req_id };
	uint8_t			buf[WIRE_CTL_REQ_MAX];

	tc_send(tc, buf, wire_encode_ctl_req(buf, sizeof(buf), type, &r));
}

static void
send_switch(struct tc *tc, uint32_t type, uint32_t req_id, int on)
{
	struct wire_ctl_watch	w;
	uint8_t			buf[WIRE_CTL_WATCH_MAX];

	w.req_id = req_id;
	w.on = (uint8_t)on;
	tc_send(tc, buf, wire_encode_ctl_switch(buf, sizeof(buf), type, &w));
}

static void
send_sub(struct tc *tc, uint32_t type, uint32_t req_id, const char *pattern)
{
	struct wire_ctl_sub	s;
	uint8_t			buf[WIRE_CTL_SUB_MAX];

	s.req_id = req_id;
	strlcpy(s.pattern, pattern, sizeof(s.pattern));
	tc_send(tc, buf, wire_encode_ctl_sub(buf, sizeof(buf), type, &s));
}

/* CTL_HELLO on a connected client, CTL_WELCOME read back. */
static void
tc_served_hello(struct tc *tc)
{
	struct wire_ctl_welcome	 w;
	uint8_t			*f;
	size_t			 len;

	send_hello(tc, CTL_VERSION, CTL_MIN_VERSION);
	f = tc_expect(tc, WT_CTL_WELCOME, &len);
	ck_assert_int_eq(wire_decode_ctl_welcome(f, len, &w), WIRE_OK);
	free(f);
}

static struct tc *
tc_hello(void)
{
	struct tc	*tc = tc_connect();

	tc_served_hello(tc);
	return (tc);
}

/* A CTL_MEMBERS_REQ answered: the client is served. */
static void
tc_served(struct tc *tc, uint32_t req_id)
{
	struct wire_reader	 rd;
	uint32_t		 req, count;
	uint8_t			*f;
	size_t			 len;
	int			 before = ev.members;

	send_req(tc, WT_CTL_MEMBERS_REQ, req_id);
	f = tc_expect(tc, WT_CTL_MEMBERS, &len);
	ck_assert_int_eq(wire_members_begin(f, len, &rd, &req, &count),
	    WIRE_OK);
	free(f);
	ck_assert_uint_eq(req, req_id);
	ck_assert_uint_eq(count, 0);
	ck_assert_int_eq(ev.members, before + 1);
	ck_assert_uint_eq(ev.req_id, req_id);
}

/* The struct client of a test client, as the callbacks see it. */
static struct client *
tc_client(struct tc *tc)
{
	tc_served(tc, 999);
	return (ev.cl);
}

/* A CTL_MSG as the relay queues one: head and body. */
static int
deliver(struct client *cl, uint32_t seq, size_t body_len)
{
	static uint8_t		body[BODY_MAX];
	struct wire_ctl_msg	m;
	uint8_t			head[WIRE_CTL_MSG_HEAD_MAX];
	size_t			hlen;

	ck_assert_uint_le(body_len, sizeof(body));
	memset(body, (int)(seq & 0xff), body_len);
	memset(&m, 0, sizeof(m));
	m.req_id = seq;
	strlcpy(m.origin, "n2", sizeof(m.origin));
	strlcpy(m.subject, "s.t", sizeof(m.subject));
	ck_assert_uint_ne(hlen = wire_encode_ctl_msg_head(head, sizeof(head),
	    &m, body_len), 0);
	return (control_deliver(cl, head, hlen, body, body_len));
}

/* The next whole frame is CTL_MSG number seq of deliver(). */
static int
tc_msg(struct tc *tc, uint32_t seq, size_t body_len)
{
	struct wire_ctl_msg	 m;
	uint8_t			*f;
	size_t			 len, i;

	if ((f = tc_frame(tc, &len)) == NULL)
		return (0);
	ck_assert_int_eq(wire_decode_ctl_msg(f, len, &m), WIRE_OK);
	ck_assert_uint_eq(m.req_id, seq);
	ck_assert_str_eq(m.origin, "n2");
	ck_assert_str_eq(m.subject, "s.t");
	ck_assert_uint_eq(m.body_len, body_len);
	for (i = 0; i < body_len; i++)
		ck_assert_uint_eq(m.body[i], seq & 0xff);
	free(f);
	return (1);
}

/* The handshake */

START_TEST(test_welcome)
{
	struct tc			*tc = tc_connect();
	struct wire_ctl_welcome		 w;
	const struct control_stats	*st = control_stats(ctl);
	struct stat			 sb;
	uint8_t				*f;
	size_t				 len;

	ck_assert_int_eq(stat(conf.socket, &sb), 0);
	ck_assert(S_ISSOCK(sb.st_mode));
	ck_assert_uint_eq(sb.st_mode & 07777, 0660);
	conf.lim.max_message_size = 123456;
	/* A newer client: the daemon's version is the one spoken. */
	send_hello(tc, CTL_VERSION + 3, CTL_MIN_VERSION);
	f = tc_expect(tc, WT_CTL_WELCOME, &len);
	ck_assert_int_eq(wire_decode_ctl_welcome(f, len, &w), WIRE_OK);
	free(f);
	ck_assert_uint_eq(w.version, CTL_VERSION);
	ck_assert_uint_eq(w.max_message, 123456);
	ck_assert_uint_eq(w.incarnation, INCARNATION);
	ck_assert_str_eq(w.cluster, "test");
	ck_assert_str_eq(w.node_id, "n1");
	ck_assert_uint_eq(st->clients, 1);
	ck_assert_uint_eq(st->clients_accepted, 1);
	ck_assert_uint_eq(st->client_errors, 0);
	tc_served(tc, 1);

	/* A second CTL_HELLO is a protocol error. */
	send_hello(tc, CTL_VERSION, CTL_MIN_VERSION);
	tc_expect_error(tc, 0, REASON_PROTOCOL, NULL);
	tc_expect_eof(tc);
	ck_assert_uint_eq(st->client_errors, 1);
	run_until(&ev.gone, 1);
	ck_assert_uint_eq(st->clients, 0);
	tc_close(tc);
}
END_TEST

START_TEST(test_hello_first)
{
	struct tc	*tc = tc_connect();

	send_req(tc, WT_CTL_MEMBERS_REQ, 5);
	tc_expect_error(tc, 0, REASON_PROTOCOL, NULL);
	tc_expect_eof(tc);
	ck_assert_int_eq(ev.members, 0);
	ck_assert_uint_eq(control_stats(ctl)->client_errors, 1);
	run_until(&ev.gone, 1);
	tc_close(tc);
}
END_TEST

START_TEST(test_version)
{
	static const uint16_t	 v[][2] = {
		{ CTL_VERSION + 7, CTL_VERSION + 5 },	/* too new */
		{ CTL_MIN_VERSION - 1, 0 },		/* too old */
	};
	struct tc		*tc;
	size_t			 i;

	for (i = 0; i < NITEMS(v); i++) {
		tc = tc_connect();
		send_hello(tc, v[i][0], v[i][1]);
		tc_expect_error(tc, 0, REASON_VERSION, NULL);
		tc_expect_eof(tc);
		tc_close(tc);
		ck_assert_uint_eq(control_stats(ctl)->client_errors, i + 1);
	}
	run_until(&ev.gone, (int)NITEMS(v));
	ck_assert_uint_eq(control_stats(ctl)->clients, 0);
}
END_TEST

/* Requests reach their callbacks */

START_TEST(test_publish)
{
	static const char *const targets[] = { "n2", "n3" };
	struct tc		*tc = tc_hello();
	struct wire_ctl_pub	 m;
	uint8_t			 buf[512];

	memset(&m, 0, sizeof(m));
	m.req_id = 5;
	m.flags = PUB_ACK;
	m.mode = PUB_MULTICAST;
	m.ntargets = 2;
	strlcpy(m.subject, "a.b", sizeof(m.subject));
	m.body = (const uint8_t *)"xyz";
	m.body_len = 3;
	tc_send(tc, buf, wire_encode_ctl_pub(buf, sizeof(buf), &m, targets));
	run_until(&ev.publish, 1);
	ck_assert_uint_eq(ev.pub.req_id, 5);
	ck_assert_uint_eq(ev.pub.flags, PUB_ACK);
	ck_assert_uint_eq(ev.pub.mode, PUB_MULTICAST);
	ck_assert_uint_eq(ev.pub.ntargets, 2);
	ck_assert_str_eq(ev.targets, "n2,n3");
	ck_assert_str_eq(ev.pub.subject, "a.b");
	ck_assert_uint_eq(ev.body_len, 3);
	ck_assert(memcmp(ev.body, "xyz", 3) == 0);

	/* A request, with its timeout. */
	m.req_id = 6;
	m.flags = PUB_REQUEST;
	m.mode = PUB_UNICAST;
	m.ntargets = 1;
	m.timeout_ms = 2500;
	m.body_len = 0;
	tc_send(tc, buf, wire_encode_ctl_pub(buf, sizeof(buf), &m, targets));
	run_until(&ev.publish, 2);
	ck_assert_uint_eq(ev.pub.req_id, 6);
	ck_assert_uint_eq(ev.pub.flags, PUB_REQUEST);
	ck_assert_uint_eq(ev.pub.timeout_ms, 2500);
	ck_assert_str_eq(ev.targets, "n2");
	ck_assert_uint_eq(ev.body_len, 0);
	tc_served(tc, 7);
	tc_close(tc);
}
END_TEST

START_TEST(test_reply)
{
	struct tc		*tc = tc_hello();
	struct client		*cl = tc_client(tc);
	struct wire_ctl_reply	 rp;
	uint8_t			 buf[128];

	rp.token = 0xabcdef0123ULL;
	rp.body = (const uint8_t *)"answer";
	rp.body_len = 6;
	tc_send(tc, buf, wire_encode_ctl_reply(buf, sizeof(buf), &rp));
	run_until(&ev.reply, 1);
	ck_assert_ptr_eq(ev.cl, cl);
	ck_assert_uint_eq(ev.token, 0xabcdef0123ULL);
	ck_assert_uint_eq(ev.body_len, 6);
	ck_assert(memcmp(ev.body, "answer", 6) == 0);
	tc_served(tc, 2);

	/* A reply the relay refuses drops the client. */
	ev.reply_rv = -1;
	tc_send(tc, buf, wire_encode_ctl_reply(buf, sizeof(buf), &rp));
	tc_expect_error(tc, 0, REASON_PROTOCOL, NULL);
	tc_expect_eof(tc);
	ck_assert_int_eq(ev.reply, 2);
	ck_assert_uint_eq(control_stats(ctl)->client_errors, 1);
	run_until(&ev.gone, 1);
	tc_close(tc);
}
END_TEST

START_TEST(test_members_stats_reload)
{
	struct tc		*tc = tc_hello();
	struct wire_ctl_error	 e;
	struct wire_reader	 rd;
	char			 kind[WIRE_ID_MAX + 1], name[WIRE_ID_MAX + 1];
	uint32_t		 req, count, nkv;
	uint64_t		 v;
	uint8_t			*f;
	size_t			 len;

	tc_served(tc, 3);

	send_req(tc, WT_CTL_STATS_REQ, 4);
	f = tc_expect(tc, WT_CTL_STATS, &len);
	ck_assert_int_eq(ev.stats, 1);
	ck_assert_uint_eq(ev.req_id, 4);
	ck_assert_int_eq(wire_stats_begin(f, len, &rd, &req, &count), WIRE_OK);
	ck_assert_uint_eq(req, 4);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(wire_stats_next_section(&rd, kind, name, &nkv),
	    WIRE_OK);
	ck_assert_int_eq(wire_stats_next(&rd, name, &v), WIRE_OK);
	ck_assert_str_eq(name, "clients");
	ck_assert_uint_eq(v, 1);
	free(f);

	send_req(tc, WT_CTL_RELOAD, 8);
	tc_expect_ok(tc, 8);
	ck_assert_int_eq(ev.reload, 1);
	ev.reload_rv = -1;
	send_req(tc, WT_CTL_RELOAD, 9);
	tc_expect_error(tc, 9, REASON_BAD_REQUEST, &e);
	ck_assert_str_eq(e.text, "test.conf:3: the reload was refused");
	ck_assert_int_eq(ev.reload, 2);
	/* Still served. */
	tc_served(tc, 10);
	ck_assert_uint_eq(control_stats(ctl)->client_errors, 0);
	tc_close(tc);
}
END_TEST

START_TEST(test_watch_and_log_level)
{
	struct tc		*watcher = tc_hello(), *other = tc_hello();
	struct wire_ctl_event	 e, got;
	uint8_t			*f;
	size_t			 len;

	send_switch(watcher, WT_CTL_WATCH, 10, 1);
	tc_expect_ok(watcher, 10);
	memset(&e, 0, sizeof(e));
	strlcpy(e.node, "n2", sizeof(e.node));
	e.state = MEMBER_DOWN;
	e.prev_state = MEMBER_UP;
	e.incarnation = 42;
	e.time_ms = 1700000000000ULL;
	control_broadcast_event(ctl, &e);
	ck_assert_uint_eq(control_stats(ctl)->events_sent, 1);
	f = tc_expect(watcher, WT_CTL_EVENT, &len);
	ck_assert_int_eq(wire_decode_ctl_event(f, len, &got), WIRE_OK);
	free(f);
	ck_assert_str_eq(got.node, "n2");
	ck_assert_uint_eq(got.state, MEMBER_DOWN);
	ck_assert_uint_eq(got.prev_state, MEMBER_UP);
	ck_assert_uint_eq(got.incarnation, 42);
	ck_assert_uint_eq(got.time_ms, 1700000000000ULL);
	/* Not to a client that did not ask: its next frame is an answer. */
	tc_served(other, 11);

	send_switch(watcher, WT_CTL_WATCH, 12, 0);
	tc_expect_ok(watcher, 12);
	control_broadcast_event(ctl, &e);
	ck_assert_uint_eq(control_stats(ctl)->events_sent, 1);
	tc_served(watcher, 13);

	send_switch(other, WT_CTL_LOG_LEVEL, 14, 1);
	tc_expect_ok(other, 14);
	ck_assert_int_eq(log_getverbose(), 1);
	send_switch(other, WT_CTL_LOG_LEVEL, 15, 0);
	tc_expect_ok(other, 15);
	ck_assert_int_eq(log_getverbose(), 0);
	tc_close(watcher);
	tc_close(other);
}
END_TEST

/*
 * Administration (issue 12, finding 4): a client of another uid, not
 * root and not in security.admin_group, may not reload the daemon or
 * set its log level.  Needs root, to connect as "nobody" (SO_PEERCRED
 * takes the effective ids at connect()).
 */
static struct tc *
tc_hello_as(uid_t uid, gid_t gid)
{
	struct tc	*tc;

	ck_assert_int_eq(setegid(gid), 0);
	ck_assert_int_eq(seteuid(uid), 0);
	tc = tc_connect();
	ck_assert_int_eq(seteuid(0), 0);
	ck_assert_int_eq(setegid(0), 0);
	tc_served_hello(tc);
	return (tc);
}

START_TEST(test_admin)
{
	const struct control_stats	*st = control_stats(ctl);
	struct passwd			*pw;
	struct group			*gr;
	struct wire_ctl_error		 e;
	struct tc			*tc;

	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL) {
		fprintf(stderr, "test_admin: skipped: needs root and a user "
		    "nobody\n");
		return;
	}
	/* nobody may reach the socket, as a member of its group would. */
	ck_assert_int_eq(chmod(dir, 0711), 0);
	ck_assert_int_eq(chmod(conf.socket, 0666), 0);
	tc = tc_hello_as(pw->pw_uid, pw->pw_gid);
	log_setverbose(0);
	send_req(tc, WT_CTL_RELOAD, 1);
	tc_expect_error(tc, 1, REASON_DENIED, &e);
	ck_assert_ptr_nonnull(strstr(e.text, "reload refused for uid"));
	ck_assert_ptr_nonnull(strstr(e.text, "security.admin_group"));
	send_switch(tc, WT_CTL_LOG_LEVEL, 2, 1);
	tc_expect_error(tc, 2, REASON_DENIED, &e);
	ck_assert_ptr_nonnull(strstr(e.text, "setting the log level refused"));
	ck_assert_int_eq(log_getverbose(), 0);
	ck_assert_int_eq(ev.reload, 0);
	ck_assert_uint_eq(st->admin_refused, 2);
	/* Refused, not dropped: it is served as before. */
	tc_served(tc, 3);
	ck_assert_uint_eq(st->client_errors, 0);

	/* Its group as security.admin_group: now it may. */
	ck_assert_ptr_nonnull(gr = getgrgid(pw->pw_gid));
	strlcpy(conf.acl.admin_group, gr->gr_name,
	    sizeof(conf.acl.admin_group));
	conf.acl.admin_gid = gr->gr_gid;
	send_req(tc, WT_CTL_RELOAD, 4);
	tc_expect_ok(tc, 4);
	ck_assert_int_eq(ev.reload, 1);
	send_switch(tc, WT_CTL_LOG_LEVEL, 5, 1);
	tc_expect_ok(tc, 5);
	ck_assert_int_eq(log_getverbose(), 1);
	log_setverbose(0);
	ck_assert_uint_eq(st->admin_refused, 2);
	tc_close(tc);

	/* Another group: refused again; root always may. */
	conf.acl.admin_gid = gr->gr_gid + 1;
	tc = tc_hello_as(pw->pw_uid, pw->pw_gid);
	send_req(tc, WT_CTL_RELOAD, 6);
	tc_expect_error(tc, 6, REASON_DENIED, &e);
	ck_assert_ptr_nonnull(strstr(e.text, gr->gr_name));
	tc_close(tc);
	tc = tc_hello();
	send_req(tc, WT_CTL_RELOAD, 7);
	tc_expect_ok(tc, 7);
	ck_assert_int_eq(ev.reload, 2);
	ck_assert_uint_eq(st->admin_refused, 3);
	tc_close(tc);
}
END_TEST

/* Subscriptions: control.c keeps each client's list. */

START_TEST(test_subscriptions)
{
	struct tc			*tc = tc_hello(), *tc2 = tc_hello();
	struct client			*cl = tc_client(tc);
	const struct control_stats	*st = control_stats(ctl);

	conf.lim.subs_per_client = 2;
	send_sub(tc, WT_CTL_SUB, 1, "a.*");
	tc_expect_ok(tc, 1);
	ck_assert_int_eq(ev.subscribe, 1);
	ck_assert_str_eq(ev.pattern, "a.*");
	ck_assert_ptr_eq(ev.cl, cl);
	/* Again: idempotent, the relay is not asked twice. */
	send_sub(tc, WT_CTL_SUB, 2, "a.*");
	tc_expect_ok(tc, 2);
	ck_assert_int_eq(ev.subscribe, 1);
	send_sub(tc, WT_CTL_SUB, 3, "a..b");
	tc_expect_error(tc, 3, REASON_BAD_SUBJECT, NULL);
	ck_assert_uint_eq(st->bad_subjects, 1);
	send_sub(tc, WT_CTL_SUB, 4, "b");
	tc_expect_ok(tc, 4);
	send_sub(tc, WT_CTL_SUB, 5, "c");
	tc_expect_error(tc, 5, REASON_LIMIT, NULL);
	ck_assert_uint_eq(st->subs_refused, 1);
	ck_assert_int_eq(ev.subscribe, 2);

	send_sub(tc, WT_CTL_UNSUB, 6, "zzz");
	tc_expect_error(tc, 6, REASON_NOT_SUBSCRIBED, NULL);
	ck_assert_int_eq(ev.unsubscribe, 0);
	send_sub(tc, WT_CTL_UNSUB, 7, "a.*");
	tc_expect_ok(tc, 7);
	ck_assert_int_eq(ev.unsubscribe, 1);
	ck_assert_str_eq(ev.pattern, "a.*");
	/* Room again. */
	send_sub(tc, WT_CTL_SUB, 8, "c");
	tc_expect_ok(tc, 8);
	ck_assert_int_eq(ev.subscribe, 3);
	/* The relay could not take it. */
	conf.lim.subs_per_client = 3;
	ev.sub_rv = -1;
	send_sub(tc, WT_CTL_SUB, 9, "d");
	tc_expect_error(tc, 9, REASON_LIMIT, NULL);
	ck_assert_int_eq(ev.subscribe, 4);
	ev.sub_rv = 0;
	send_sub(tc, WT_CTL_UNSUB, 10, "d");
	tc_expect_error(tc, 10, REASON_NOT_SUBSCRIBED, NULL);

	/* Per client: the other one has none of these. */
	send_sub(tc2, WT_CTL_UNSUB, 11, "b");
	tc_expect_error(tc2, 11, REASON_NOT_SUBSCRIBED, NULL);
	send_sub(tc2, WT_CTL_SUB, 12, "a.*");
	tc_expect_ok(tc2, 12);
	ck_assert_int_eq(ev.subscribe, 5);
	ck_assert_uint_eq(st->subs_refused, 1);
	ck_assert_uint_eq(st->bad_subjects, 1);
	ck_assert_uint_eq(st->client_errors, 0);

	/* Leaving: what it held is unsubscribed, then it is gone. */
	ev.unsubs[0] = '\0';
	tc_close(tc);
	run_until(&ev.gone, 1);
	ck_assert_ptr_eq(ev.cl, cl);
	ck_assert_int_eq(ev.unsubscribe, 3);
	ck_assert_msg(strcmp(ev.unsubs, "b c ") == 0 ||
	    strcmp(ev.unsubs, "c b ") == 0, "unsubscribed: %s", ev.unsubs);
	tc_close(tc2);
}
END_TEST

/*
 * Memory budgets (issue 12, finding 3): what a client's subscriptions
 * hold, and all clients' together, is bounded; a subscription past
 * either is refused with the key's name, and counted.
 */
START_TEST(test_memory_budget)
{
	const struct control_stats	*st = control_stats(ctl);
	struct tc			*a = tc_hello(), *b = tc_hello();
	struct wire_ctl_error		 e;
	char				 pat[WIRE_SUBJECT_MAX + 1];
	uint64_t			 cost;
	size_t				 k;

	ck_assert_uint_eq(st->client_memory, 0);
	send_sub(a, WT_CTL_SUB, 1, "s.00");
	tc_expect_ok(a, 1);
	/* Same length, same tokens: the same cost. */
	ck_assert_uint_gt(cost = st->client_memory, 100);
	conf.lim.client_memory_bytes = (uint32_t)(3 * cost + cost / 2);
	send_sub(a, WT_CTL_SUB, 2, "s.01");
	tc_expect_ok(a, 2);
	send_sub(a, WT_CTL_SUB, 3, "s.02");
	tc_expect_ok(a, 3);
	ck_assert_uint_eq(st->client_memory, 3 * cost);
	send_sub(a, WT_CTL_SUB, 4, "s.03");
	tc_expect_error(a, 4, REASON_LIMIT, &e);
	ck_assert_ptr_nonnull(strstr(e.text, "\"s.03\""));
	ck_assert_ptr_nonnull(strstr(e.text, "this client's"));
	ck_assert_ptr_nonnull(strstr(e.text, "over limits.client_memory_bytes "
	    "("));
	ck_assert_uint_eq(st->memory_refused, 1);
	ck_assert_uint_eq(st->subs_refused, 0);
	ck_assert_int_eq(ev.subscribe, 3);
	ck_assert_uint_eq(st->client_memory, 3 * cost);
	/* An unsubscription gives its share back. */
	send_sub(a, WT_CTL_UNSUB, 5, "s.01");
	tc_expect_ok(a, 5);
	ck_assert_uint_eq(st->client_memory, 2 * cost);
	send_sub(a, WT_CTL_SUB, 6, "s.03");
	tc_expect_ok(a, 6);

	/* All clients: four fit, the fifth is refused whoever asks. */
	conf.lim.memory_bytes = (uint32_t)(4 * cost + cost / 2);
	send_sub(b, WT_CTL_SUB, 7, "s.10");
	tc_expect_ok(b, 7);
	send_sub(b, WT_CTL_SUB, 8, "s.11");
	tc_expect_error(b, 8, REASON_LIMIT, &e);
	ck_assert_ptr_nonnull(strstr(e.text, "all clients'"));
	ck_assert_ptr_nonnull(strstr(e.text, "over limits.memory_bytes ("));
	ck_assert_uint_eq(st->memory_refused, 2);
	/* a leaves: what it held is free for b. */
	tc_close(a);
	run_until(&ev.gone, 1);
	ck_assert_uint_eq(st->client_memory, cost);
	send_sub(b, WT_CTL_SUB, 9, "s.11");
	tc_expect_ok(b, 9);
	ck_assert_uint_eq(st->client_memory, 2 * cost);

	/* The longest pattern costs most: 32 tokens of 7 bytes. */
	conf.lim.client_memory_bytes = conf.lim.memory_bytes = 1U << 30;
	pat[0] = '\0';
	for (k = 0; k < 32; k++)
		strlcat(pat, k > 0 ? ".abcdefg" : "abcdefg", sizeof(pat));
	send_sub(b, WT_CTL_SUB, 10, pat);
	tc_expect_ok(b, 10);
	ck_assert_uint_gt(st->client_memory - 2 * cost, 5 * cost);
	ck_assert_uint_lt(st->client_memory - 2 * cost, 4096);
	tc_close(b);
	run_until(&ev.gone, 2);
	ck_assert_uint_eq(st->client_memory, 0);
}
END_TEST

/* What the relay sends through control.c */

START_TEST(test_deliver_error_lost)
{
	struct tc		*tc = tc_hello(), *tc2 = tc_hello();
	struct client		*cl = tc_client(tc), *cl2 = tc_client(tc2);
	struct wire_ctl_error	 e;

	ck_assert_int_eq(deliver(cl, 12, 5), 0);
	ck_assert(tc_msg(tc, 12, 5));

	control_error(cl, 13, REASON_TIMEOUT, "no reply within %d ms", 5);
	tc_expect_error(tc, 13, REASON_TIMEOUT, &e);
	ck_assert_str_eq(e.text, "no reply within 5 ms");

	ck_assert_uint_ne(control_client_id(cl), control_client_id(cl2));
	control_lost(ctl, control_client_id(cl), "n3", 4, 20, 23);
	tc_expect_error(tc, 23, REASON_NODE_DOWN, &e);
	ck_assert_ptr_nonnull(strstr(e.text, "n3"));
	ck_assert_ptr_nonnull(strstr(e.text, "4 message"));
	/* To nobody: the next frames are answers. */
	control_lost(ctl, control_client_id(cl) + 1000, "n3", 1, 1, 1);
	tc_served(tc, 24);
	tc_served(tc2, 25);

	/* An answer that did not fit: an error instead, counted. */
	control_send(cl, 26, NULL, 0);
	tc_expect_error(tc, 26, REASON_LIMIT, NULL);
	ck_assert_uint_eq(control_stats(ctl)->encode_errors, 1);
	tc_served(tc, 27);

	/* What the relay keeps on a client. */
	ck_assert_uint_eq(control_client_requests(cl, 0), 0);
	ck_assert_uint_eq(control_client_requests(cl, 1), 1);
	ck_assert_uint_eq(control_client_requests(cl, 1), 2);
	ck_assert_uint_eq(control_client_requests(cl, -1), 1);
	ck_assert_uint_eq(control_client_requests(cl2, 0), 0);
	ck_assert_int_eq(control_client_mark(cl, 5), 0);
	ck_assert_int_eq(control_client_mark(cl, 5), 1);
	ck_assert_int_eq(control_client_mark(cl2, 5), 0);
	ck_assert_int_eq(control_client_mark(cl, 6), 0);
	tc_close(tc);
	tc_close(tc2);
}
END_TEST

START_TEST(test_pause_resume)
{
	struct tc	*tc = tc_hello(), *tc2 = tc_hello();
	struct client	*cl = tc_client(tc);

	control_pause(cl, "n2");
	control_pause(cl, "n2");
	ck_assert_uint_eq(control_stats(ctl)->clients_paused, 1);
	/* Its request waits in the socket; another client is served. */
	send_req(tc, WT_CTL_MEMBERS_REQ, 30);
	run_ready();
	tc_served(tc2, 31);
	run_ready();
	ck_assert_int_eq(ev.members, 2);
	/* Another peer drained: still paused. */
	control_resume(ctl, "n3");
	control_resume(ctl, "");
	run_ready();
	ck_assert_int_eq(ev.members, 2);
	control_resume(ctl, "n2");
	run_until(&ev.members, 3);
	ck_assert_uint_eq(ev.req_id, 30);
	ck_assert_ptr_eq(ev.cl, cl);
	free(tc_expect(tc, WT_CTL_MEMBERS, &(size_t){ 0 }));
	tc_served(tc, 32);
	ck_assert_uint_eq(control_stats(ctl)->clients_paused, 1);
	tc_close(tc);
	tc_close(tc2);
}
END_TEST

/*
 * The work budget (issue 12, finding 6): a client with a flood of
 * multicasts in its socket does not hold the loop; another client's
 * request, sent after the flood, is answered before the flood is done,
 * and the flood is then handled whole and in order.  (Before, one
 * wakeup took every frame in the client's 256 KiB read batch.)
 */
#define FLOOD_FRAMES	400
#define FLOOD_TARGETS	64

START_TEST(test_work_budget)
{
	static char		 ids[FLOOD_TARGETS][8];
	const char		*targets[FLOOD_TARGETS];
	struct tc		*a = tc_hello(), *b = tc_hello();
	struct wire_ctl_pub	 m;
	uint8_t			*buf, *p;
	size_t			 i, len, total = 0;

	tc_served(a, 1);
	tc_served(b, 2);
	for (i = 0; i < FLOOD_TARGETS; i++) {
		snprintf(ids[i], sizeof(ids[i]), "t%zu", i);
		targets[i] = ids[i];
	}
	ck_assert_ptr_nonnull(buf = malloc(FLOOD_FRAMES * 1024));
	memset(&m, 0, sizeof(m));
	m.mode = PUB_MULTICAST;
	m.ntargets = FLOOD_TARGETS;
	strlcpy(m.subject, "flood", sizeof(m.subject));
	for (i = 0, p = buf; i < FLOOD_FRAMES; i++, p += len) {
		m.req_id = (uint32_t)(10 + i);
		ck_assert_uint_ne(len = wire_encode_ctl_pub(p, 1024, &m,
		    targets), 0);
		total += len;
	}
	ev.publish = 0;
	/* The flood first, then b's request: both ready at once. */
	tc_send(a, buf, total);
	send_req(b, WT_CTL_MEMBERS_REQ, 3);
	free(tc_expect(b, WT_CTL_MEMBERS, &len));
	fprintf(stderr, "test_work_budget: b answered after %d of a's %d "
	    "frames (%zu bytes)\n", ev.publish_at_members, FLOOD_FRAMES,
	    total);
	ck_assert_int_lt(ev.publish_at_members, FLOOD_FRAMES / 4);
	run_until(&ev.publish, FLOOD_FRAMES);
	ck_assert_uint_eq(ev.pub.req_id, 10 + FLOOD_FRAMES - 1);
	tc_served(a, 4);
	ck_assert_uint_eq(control_stats(ctl)->client_errors, 0);
	free(buf);
	tc_close(a);
	tc_close(b);
}
END_TEST

/* Limits */

START_TEST(test_max_clients)
{
	struct tc			*a, *b, *c;
	const struct control_stats	*st = control_stats(ctl);

	conf.lim.max_clients = 2;
	a = tc_hello();
	b = tc_hello();
	c = tc_connect();
	tc_expect_error(c, 0, REASON_LIMIT, NULL);
	tc_expect_eof(c);
	tc_close(c);
	ck_assert_uint_eq(st->clients_refused, 1);
	ck_assert_uint_eq(st->clients_accepted, 2);
	run_until(&ev.gone, 1);
	ck_assert_uint_eq(st->clients, 2);
	tc_served(a, 1);
	tc_served(b, 2);

	/* One leaves: room for another. */
	tc_close(a);
	run_until(&ev.gone, 2);
	c = tc_hello();
	tc_served(c, 3);
	ck_assert_uint_eq(st->clients_accepted, 3);
	ck_assert_uint_eq(st->clients, 2);
	tc_close(b);
	tc_close(c);
}
END_TEST

START_TEST(test_clients_per_uid_and_allow_users)
{
	struct tc			*a, *b;
	const struct control_stats	*st = control_stats(ctl);

	conf.lim.clients_per_uid = 1;
	a = tc_hello();
	b = tc_connect();
	tc_expect_error(b, 0, REASON_LIMIT, NULL);
	tc_expect_eof(b);
	tc_close(b);
	ck_assert_uint_eq(st->clients_refused, 1);
	tc_served(a, 1);
	tc_close(a);
	run_until(&ev.gone, 2);

	/* security.allow_users without this uid. */
	conf.acl.allow_uids[0] = getuid() + 1;
	conf.acl.n_allow_uids = 1;
	b = tc_connect();
	tc_expect_error(b, 0, REASON_DENIED, NULL);
	tc_expect_eof(b);
	tc_close(b);
	ck_assert_uint_eq(st->clients_denied, 1);
	conf.acl.allow_uids[0] = getuid();
	a = tc_hello();
	tc_served(a, 2);
	tc_close(a);
	ck_assert_uint_eq(st->clients_accepted, 2);
}
END_TEST

/* Policy "disconnect": the client that does not read is dropped. */
START_TEST(test_queue_overflow)
{
	struct tc			*tc = tc_hello(), *other = tc_hello();
	struct client			*cl = tc_client(tc);
	const struct control_stats	*st = control_stats(ctl);
	uint32_t			 i, sent = 0;
	int				 rv = 0;

	conf.slow_disconnect = 1;
	conf.lim.client_queue_bytes = 64 * 1024;
	tc_hold(tc, 1);
	/* The socket's buffers fill first, then the daemon's queue. */
	for (i = 0; i < 10000 && (rv = deliver(cl, i, 4096)) == 0; i++) {
		sent++;
		run_ready();
	}
	ck_assert_int_eq(rv, -1);
	ck_assert_uint_gt(sent, 16);
	ck_assert_uint_eq(st->client_queue_overflows, 1);
	ck_assert_uint_eq(st->subscribers_full, 0);
	run_until(&ev.gone, 1);
	ck_assert_ptr_eq(ev.cl, cl);
	/* What reached the socket is whole frames, in order, then EOF. */
	tc_hold(tc, 0);
	for (i = 0; tc_msg(tc, i, 4096); i++)
		;
	ck_assert_uint_gt(i, 0);
	ck_assert_uint_lt(i, sent);
	tc_close(tc);
	/* Nobody else is disturbed. */
	tc_served(other, 1);
	ck_assert_uint_eq(st->clients, 1);
	tc_close(other);
}
END_TEST

/* Policy "backpressure": a full subscriber, then drained. */
START_TEST(test_backpressure)
{
	struct tc			*tc = tc_hello();
	struct client			*cl = tc_client(tc);
	const struct control_stats	*st = control_stats(ctl);
	uint32_t			 i, sent = 0;
	int				 rv = 0;

	conf.slow_disconnect = 0;
	conf.lim.client_queue_bytes = 64 * 1024;
	tc_hold(tc, 1);
	for (i = 0; i < 10000 && (rv = deliver(cl, i, 4096)) == 0; i++) {
		sent++;
		run_ready();
	}
	/* Full: delivered, and the sources must pause. */
	ck_assert_int_eq(rv, 1);
	sent++;
	ck_assert_uint_eq(st->subscribers_full, 1);
	ck_assert_uint_eq(st->subscribers_full_now, 1);
	/* Still full; what was in flight passes. */
	ck_assert_int_eq(deliver(cl, sent, 4096), 1);
	sent++;
	ck_assert_uint_eq(st->subscribers_full, 1);
	ck_assert_int_eq(ev.drained, 0);

	/* It reads: below half, the sources resume. */
	tc_hold(tc, 0);
	run_until(&ev.drained, 1);
	ck_assert_uint_eq(st->subscribers_full_now, 0);
	for (i = 0; i < sent; i++)
		ck_assert(tc_msg(tc, i, 4096));
	ck_assert_uint_eq(st->client_queue_overflows, 0);
	tc_served(tc, 1);
	tc_close(tc);
}
END_TEST

/* A reload to "disconnect" drops the subscribers that are full. */
START_TEST(test_policy_reload)
{
	struct tc			*tc = tc_hello();
	struct client			*cl = tc_client(tc);
	const struct control_stats	*st = control_stats(ctl);
	uint32_t			 i;
	int				 rv = 0;

	conf.slow_disconnect = 0;
	conf.lim.client_queue_bytes = 64 * 1024;
	tc_hold(tc, 1);
	for (i = 0; i < 10000 && (rv = deliver(cl, i, 4096)) == 0; i++)
		run_ready();
	ck_assert_int_eq(rv, 1);
	ck_assert_uint_eq(st->subscribers_full_now, 1);
	control_apply_policy(ctl);
	ck_assert_uint_eq(st->client_queue_overflows, 0);
	conf.slow_disconnect = 1;
	control_apply_policy(ctl);
	ck_assert_uint_eq(st->client_queue_overflows, 1);
	run_until(&ev.gone, 1);
	/* Its going releases what it held paused. */
	ck_assert_int_eq(ev.drained, 1);
	ck_assert_uint_eq(st->subscribers_full_now, 0);
	tc_close(tc);
}
END_TEST

/* Bad frames: CTL_ERROR PROTOCOL and close, the others go on. */

static size_t
bad_frame(int i, uint8_t *buf, size_t cap)
{
	struct wire_ctl_sub	s = { 1, "a.b" };
	size_t			n;

	memset(buf, 0, cap);
	switch (i) {
	case 0:		/* a bad marker */
		wire_put_header(buf, WT_CTL_MEMBERS_REQ, WIRE_CTL_REQ_MAX);
		buf[0] ^= 0xff;
		return (WIRE_CTL_REQ_MAX);
	case 1:		/* a length below the header's */
		wire_put_header(buf, WT_CTL_MEMBERS_REQ, 8);
		return (WIRE_HDR_LEN);
	case 2:		/* a length above the largest frame */
		wire_put_header(buf, WT_CTL_PUB,
		    (uint32_t)config_max_frame(&conf) + 1);
		return (WIRE_HDR_LEN);
	case 3:		/* an unknown type */
		wire_put_header(buf, 999, WIRE_CTL_REQ_MAX);
		return (WIRE_CTL_REQ_MAX);
	case 4:		/* a peer frame on the local socket */
		wire_put_header(buf, WT_ECHO, WIRE_CTL_REQ_MAX);
		return (WIRE_CTL_REQ_MAX);
	case 5:		/* a frame only the daemon sends */
		wire_put_header(buf, WT_CTL_WELCOME, WIRE_CTL_REQ_MAX);
		return (WIRE_CTL_REQ_MAX);
	case 6:		/* a body that does not decode: the string is cut */
		n = wire_encode_ctl_sub(buf, cap, WT_CTL_SUB, &s);
		wire_put_header(buf, WT_CTL_SUB, (uint32_t)n - 1);
		return (n - 1);
	case 7:		/* a good frame, then a bad marker in one write */
		n = wire_encode_ctl_req(buf, cap, WT_CTL_MEMBERS_REQ,
		    &(struct wire_ctl_req){ 77 });
		wire_put_header(buf + n, WT_CTL_MEMBERS_REQ, WIRE_CTL_REQ_MAX);
		buf[n + 3] ^= 0x10;
		return (n + WIRE_CTL_REQ_MAX);
	}
	ck_abort_msg("no bad frame %d", i);
	return (0);
}

#define BAD_FRAMES	8

START_TEST(test_bad_frames)
{
	struct tc	*good = tc_hello(), *bad;
	uint8_t		 buf[256], *f;
	size_t		 len;

	conf.lim.max_message_size = 1024;
	tc_served(good, 1);
	bad = tc_hello();
	tc_send(bad, buf, bad_frame(_i, buf, sizeof(buf)));
	if (_i == 7) {
		f = tc_expect(bad, WT_CTL_MEMBERS, &len);
		free(f);
		ck_assert_uint_eq(ev.req_id, 77);
	}
	tc_expect_error(bad, 0, REASON_PROTOCOL, NULL);
	tc_expect_eof(bad);
	tc_close(bad);
	ck_assert_uint_eq(control_stats(ctl)->client_errors, 1);
	run_until(&ev.gone, 1);
	/* The other client is still served. */
	tc_served(good, 2);
	ck_assert_uint_eq(control_stats(ctl)->clients, 1);
	ck_assert_uint_eq(control_stats(ctl)->client_errors, 1);

	/* The same before CTL_HELLO. */
	bad = tc_connect();
	tc_send(bad, buf, bad_frame(_i, buf, sizeof(buf)));
	tc_expect_error(bad, 0, REASON_PROTOCOL, NULL);
	tc_expect_eof(bad);
	tc_close(bad);
	ck_assert_uint_eq(control_stats(ctl)->client_errors, 2);
	tc_served(good, 3);
	tc_close(good);
}
END_TEST

/* The socket itself */

START_TEST(test_socket)
{
	struct tc	*a = tc_hello(), *b = tc_hello();

	/*
	 * A second daemon on the same socket is refused; the first stays.
	 * (Its probe is a client of the first that leaves at once.)
	 */
	ck_assert_ptr_null(control_new(base, &conf, 1, &events, &ev));
	run_until(&ev.gone, 1);
	tc_served(a, 1);
	control_shutdown(ctl);
	ck_assert_int_eq(ev.gone, 3);
	ck_assert_uint_eq(control_stats(ctl)->clients, 0);
	ck_assert_int_eq(access(conf.socket, F_OK), -1);
	ck_assert_int_eq(errno, ENOENT);
	tc_expect_eof(a);
	tc_expect_eof(b);
	tc_close(a);
	tc_close(b);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("control");
	TCase	*tc;

	tc = tcase_create("hello");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_welcome);
	tcase_add_test(tc, test_hello_first);
	tcase_add_test(tc, test_version);
	suite_add_tcase(s, tc);

	tc = tcase_create("requests");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_publish);
	tcase_add_test(tc, test_reply);
	tcase_add_test(tc, test_members_stats_reload);
	tcase_add_test(tc, test_watch_and_log_level);
	tcase_add_test(tc, test_admin);
	tcase_add_test(tc, test_subscriptions);
	tcase_add_test(tc, test_memory_budget);
	suite_add_tcase(s, tc);

	tc = tcase_create("answers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_deliver_error_lost);
	tcase_add_test(tc, test_pause_resume);
	tcase_add_test(tc, test_work_budget);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_max_clients);
	tcase_add_test(tc, test_clients_per_uid_and_allow_users);
	tcase_add_test(tc, test_queue_overflow);
	tcase_add_test(tc, test_backpressure);
	tcase_add_test(tc, test_policy_reload);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad frames");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad_frames, 0, BAD_FRAMES);
	suite_add_tcase(s, tc);

	tc = tcase_create("socket");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_socket);
	suite_add_tcase(s, tc);
	return (s);
}
