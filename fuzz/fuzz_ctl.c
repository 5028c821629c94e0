/*
 * fuzz_ctl: libFuzzer harness for the local socket, through the real
 * control socket code (src/daemon/control/control.c).
 *
 * The input is a byte stream as a client would write it to cohortd.  The
 * harness runs one control socket (control_new on a socket in a
 * temporary directory, with a table of events that answers as the relay
 * and the daemon would: a publish comes back to the publisher as a
 * local subscriber would get it, members and stats are answered), and
 * for each input connects a client, writes the input to it, hangs up
 * its writing side and runs the event loop until the daemon has closed
 * the client.  It checks:
 *  - the daemon closes every client once its input is consumed, and
 *    frees it (the gone callback, once), whatever the input;
 *  - every frame the daemon sends is a valid local frame of a type it
 *    may send, decodes, and encodes again to the same bytes; the first
 *    is CTL_WELCOME or CTL_ERROR, and nothing follows a fatal CTL_ERROR
 *    (PROTOCOL, VERSION);
 *  - the relay is only asked for valid patterns, never past
 *    limits.subscriptions_per_client, and every subscription it was
 *    given is taken back when the client goes;
 *  - no leak, no read past a buffer (ASan), no undefined behaviour.
 * The input is also read as a stream of frames with no session (as
 * libcohort reads what the daemon sends, and the other way): every frame
 * that decodes is encoded again and must come out the same, each copied
 * to a buffer of exactly its length so that ASan catches any read past
 * it.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fuzz.h"
#include "common/config.h"
#include "common/log.h"
#include "common/subject.h"
#include "common/wire.h"
#include "daemon/control/control.h"

/* Bounds on one input's session: never reached unless control.c hangs. */
#define SESSION_ITERATIONS	100000
#define SESSION_GUARD_S		5

static const char conf_text[] =
    "cluster = \"fuzz\";\n"
    "node_id = \"n1\";\n"
    "nodes = ( { id = \"n1\"; address = \"127.0.0.1\"; port = 7401; } );\n";

/* config_max_frame() with the default limits.max_message_size. */
#define MAX_FRAME	(1048576 + 131072)

static uint8_t	out[MAX_FRAME + 65536];

static struct event_base	*base;
static struct cohort_conf	 conf;
static struct control		*ctl;
static char			 dir[64], sockdir[80];

/* One input's client, as the harness and the callbacks see it. */
static struct session {
	int		 fd;
	const uint8_t	*data;
	size_t		 size, off;
	struct event	*rev, *wev;
	uint8_t		*in;		/* what the daemon sent, not yet read */
	size_t		 in_len, in_cap;
	int		 eof;
	int		 frames;	/* frames the daemon sent */
	int		 fatal;		/* a fatal CTL_ERROR was among them */
	struct client	*cl;		/* as the callbacks name it */
	int		 gone;
	long		 subs;		/* subscriptions the relay holds */
} s;

/* Encoded again, a decoded frame is the same bytes, header included. */
static void
same(const uint8_t *f, size_t len, size_t n)
{
	CHECK(n == len);
	CHECK(memcmp(f, out, len) == 0);
}

static void
pub_roundtrip(const uint8_t *f, size_t len, const struct wire_ctl_pub *m)
{
	static char	 ids[WIRE_TARGETS_MAX][WIRE_ID_MAX + 1];
	const char	*targets[WIRE_TARGETS_MAX];
	size_t		 pos = 0, i = 0;

	while (i < WIRE_TARGETS_MAX && wire_targets_next(m, &pos, ids[i])) {
		targets[i] = ids[i];
		i++;
	}
	CHECK(i == m->ntargets);
	same(f, len, wire_encode_ctl_pub(out, sizeof(out), m, targets));
}

static int
members_roundtrip(const uint8_t *f, size_t len)
{
	struct wire_reader	rd;
	struct wire_writer	w;
	struct wire_member	m;
	uint32_t		req, count, i;

	if (wire_members_begin(f, len, &rd, &req, &count) != WIRE_OK)
		return (-1);
	wire_members_start(&w, out, sizeof(out), req);
	for (i = 0; i < count; i++) {
		memset(&m, 0, sizeof(m));
		if (wire_members_next(&rd, &m) != WIRE_OK)
			return (-1);
		CHECK(m.state <= MEMBER_STATE_MAX);
		wire_members_add(&w, &m);
	}
	if (wire_members_end(&rd) != WIRE_OK)
		return (-1);
	same(f, len, wire_members_finish(&w));
	return (0);
}

static int
stats_roundtrip(const uint8_t *f, size_t len)
{
	struct wire_reader	rd;
	struct wire_writer	w;
	char			kind[WIRE_ID_MAX + 1], name[WIRE_ID_MAX + 1];
	uint32_t		req, count, nkv, i, j;
	uint64_t		v;

	if (wire_stats_begin(f, len, &rd, &req, &count) != WIRE_OK)
		return (-1);
	wire_stats_start(&w, out, sizeof(out), req);
	for (i = 0; i < count; i++) {
		if (wire_stats_next_section(&rd, kind, name, &nkv) != WIRE_OK)
			return (-1);
		wire_stats_section(&w, kind, name);
		for (j = 0; j < nkv; j++) {
			if (wire_stats_next(&rd, name, &v) != WIRE_OK)
				return (-1);
			wire_stats_add(&w, name, v);
		}
	}
	if (wire_stats_end(&rd) != WIRE_OK)
		return (-1);
	same(f, len, wire_stats_finish(&w));
	return (0);
}

static int
result_roundtrip(const uint8_t *f, size_t len)
{
	struct wire_reader	rd;
	struct wire_writer	w;
	struct wire_unreached	u;
	uint32_t		req, delivered, count, i;

	if (wire_result_begin(f, len, &rd, &req, &delivered, &count) !=
	    WIRE_OK)
		return (-1);
	wire_result_start(&w, out, sizeof(out), req, delivered);
	for (i = 0; i < count; i++) {
		if (wire_result_next(&rd, &u) != WIRE_OK)
			return (-1);
		wire_result_add(&w, &u);
	}
	if (wire_result_end(&rd) != WIRE_OK)
		return (-1);
	same(f, len, wire_result_finish(&w));
	return (0);
}

/* What a client sends: decoded, encoded again.  -1 if it does not decode. */
static int
request_roundtrip(const uint8_t *f, const struct wire_hdr *hdr)
{
	union {
		struct wire_ctl_hello	hello;
		struct wire_ctl_req	req;
		struct wire_ctl_watch	watch;
		struct wire_ctl_sub	sub;
		struct wire_ctl_pub	pub;
		struct wire_ctl_reply	reply;
	} m;

	memset(&m, 0, sizeof(m));
	switch (hdr->type) {
	case WT_CTL_HELLO:
		if (wire_decode_ctl_hello(f, hdr->len, &m.hello) != WIRE_OK)
			return (-1);
		CHECK(m.hello.min_version <= m.hello.version);
		same(f, hdr->len, wire_encode_ctl_hello(out, sizeof(out),
		    &m.hello));
		return (0);
	case WT_CTL_MEMBERS_REQ:
	case WT_CTL_STATS_REQ:
	case WT_CTL_RELOAD:
		if (wire_decode_ctl_req(f, hdr->len, hdr->type, &m.req) !=
		    WIRE_OK)
			return (-1);
		same(f, hdr->len, wire_encode_ctl_req(out, sizeof(out),
		    hdr->type, &m.req));
		return (0);
	case WT_CTL_PUB:
		if (wire_decode_ctl_pub(f, hdr->len, &m.pub) != WIRE_OK)
			return (-1);
		CHECK(m.pub.body + m.pub.body_len == f + hdr->len);
		pub_roundtrip(f, hdr->len, &m.pub);
		return (0);
	case WT_CTL_REPLY:
		if (wire_decode_ctl_reply(f, hdr->len, &m.reply) != WIRE_OK)
			return (-1);
		same(f, hdr->len, wire_encode_ctl_reply(out, sizeof(out),
		    &m.reply));
		return (0);
	case WT_CTL_SUB:
	case WT_CTL_UNSUB:
		if (wire_decode_ctl_sub(f, hdr->len, &m.sub) != WIRE_OK)
			return (-1);
		same(f, hdr->len, wire_encode_ctl_sub(out, sizeof(out),
		    hdr->type, &m.sub));
		return (0);
	case WT_CTL_LOG_LEVEL:
	case WT_CTL_WATCH:
		if (wire_decode_ctl_watch(f, hdr->len, &m.watch) != WIRE_OK)
			return (-1);
		same(f, hdr->len, wire_encode_ctl_switch(out, sizeof(out),
		    hdr->type, &m.watch));
		return (0);
	}
	return (-1);
}

/*
 * What the daemon sends: decoded, encoded again.  -1 if it does not
 * decode or is not a frame the daemon sends.
 */
static int
answer_roundtrip(const uint8_t *f, const struct wire_hdr *hdr)
{
	union {
		struct wire_ctl_welcome	welcome;
		struct wire_ctl_error	error;
		struct wire_ctl_req	req;
		struct wire_ctl_event	event;
		struct wire_ctl_msg	msg;
	} m;

	memset(&m, 0, sizeof(m));
	switch (hdr->type) {
	case WT_CTL_WELCOME:
		if (wire_decode_ctl_welcome(f, hdr->len, &m.welcome) != WIRE_OK)
			return (-1);
		same(f, hdr->len, wire_encode_ctl_welcome(out, sizeof(out),
		    &m.welcome));
		return (0);
	case WT_CTL_ERROR:
		if (wire_decode_ctl_error(f, hdr->len, &m.error) != WIRE_OK)
			return (-1);
		(void)wire_reason_name(m.error.code);
		same(f, hdr->len, wire_encode_ctl_error(out, sizeof(out),
		    &m.error));
		return (0);
	case WT_CTL_OK:
		if (wire_decode_ctl_req(f, hdr->len, hdr->type, &m.req) !=
		    WIRE_OK)
			return (-1);
		same(f, hdr->len, wire_encode_ctl_req(out, sizeof(out),
		    hdr->type, &m.req));
		return (0);
	case WT_CTL_EVENT:
		if (wire_decode_ctl_event(f, hdr->len, &m.event) != WIRE_OK)
			return (-1);
		(void)member_state_name(m.event.state);
		same(f, hdr->len, wire_encode_ctl_event(out, sizeof(out),
		    &m.event));
		return (0);
	case WT_CTL_MSG:
		if (wire_decode_ctl_msg(f, hdr->len, &m.msg) != WIRE_OK)
			return (-1);
		CHECK(m.msg.body + m.msg.body_len == f + hdr->len);
		same(f, hdr->len, wire_encode_ctl_msg(out, sizeof(out),
		    &m.msg));
		return (0);
	case WT_CTL_MEMBERS:
		return (members_roundtrip(f, hdr->len));
	case WT_CTL_STATS:
		return (stats_roundtrip(f, hdr->len));
	case WT_CTL_PUB_RESULT:
		return (result_roundtrip(f, hdr->len));
	}
	return (-1);
}

/*
 * The input as a stream of frames, without a session: each whole frame,
 * whichever way it would go, in a buffer of exactly its length.
 */
static void
read_stream(const uint8_t *data, size_t size)
{
	struct wire_hdr	 hdr;
	uint8_t		*f;
	size_t		 off = 0;

	while (size - off >= WIRE_HDR_LEN) {
		if (wire_check_header(data + off, WIRE_HDR_LEN,
		    config_max_frame(&conf), WIRE_LOCAL, &hdr) != WIRE_OK ||
		    hdr.len > size - off)
			break;
		if ((f = malloc(hdr.len)) == NULL)
			return;
		memcpy(f, data + off, hdr.len);
		if (request_roundtrip(f, &hdr) == -1)
			(void)answer_roundtrip(f, &hdr);
		free(f);
		off += hdr.len;
	}
}

/* The events table: as the relay and the daemon answer. */

/* The one client of the session; nothing is asked of it once gone. */
static void
session_client(struct client *cl)
{
	if (s.cl == NULL)
		s.cl = cl;
	CHECK(s.cl == cl);
	CHECK(s.gone == 0);
}

/* Back to the publisher, as a subscriber on this node would get it. */
static void
ev_publish(void *arg, struct client *cl, const struct wire_ctl_pub *m)
{
	struct wire_ctl_msg	msg;
	struct wire_writer	w;
	uint8_t			head[WIRE_CTL_MSG_HEAD_MAX];
	uint8_t			res[WIRE_RESULT_FIXED];
	size_t			hlen;

	(void)arg;
	session_client(cl);
	if (subject_check(m->subject, 0) != SUBJECT_OK) {
		control_error(cl, m->req_id, REASON_BAD_SUBJECT, "\"%s\"",
		    m->subject);
		return;
	}
	memset(&msg, 0, sizeof(msg));
	strlcpy(msg.origin, conf.node_id, sizeof(msg.origin));
	strlcpy(msg.subject, m->subject, sizeof(msg.subject));
	CHECK((hlen = wire_encode_ctl_msg_head(head, sizeof(head), &msg,
	    m->body_len)) != 0);
	(void)control_deliver(cl, head, hlen, m->body, m->body_len);
	if (m->flags & PUB_ACK) {
		wire_result_start(&w, res, sizeof(res), m->req_id, 1);
		(void)control_deliver(cl, res, wire_result_finish(&w), NULL,
		    0);
	}
}

static int
ev_reply(void *arg, struct client *cl, uint64_t token, const uint8_t *body,
    size_t len)
{
	(void)arg;
	(void)token;
	(void)body;
	session_client(cl);
	return (len > conf.lim.max_message_size ? -1 : 0);
}

static int
ev_subscribe(void *arg, struct client *cl, const char *pattern)
{
	(void)arg;
	session_client(cl);
	CHECK(subject_check(pattern, 1) == SUBJECT_OK);
	s.subs++;
	CHECK(s.subs <= (long)conf.lim.subs_per_client);
	return (0);
}

static int
ev_unsubscribe(void *arg, struct client *cl, const char *pattern)
{
	(void)arg;
	/* client_free tells gone() first, then takes back what it held. */
	CHECK(s.cl == cl);
	CHECK(subject_check(pattern, 1) == SUBJECT_OK);
	CHECK(--s.subs >= 0);
	return (0);
}

static void
ev_gone(void *arg, struct client *cl)
{
	(void)arg;
	session_client(cl);
	s.gone++;
}

static void
ev_drained(void *arg)
{
	(void)arg;
}

static void
ev_members(void *arg, struct client *cl, uint32_t req_id)
{
	struct wire_writer	w;
	struct wire_member	m;
	uint8_t			buf[WIRE_MEMBERS_FIXED + WIRE_MEMBER_MAX];

	(void)arg;
	session_client(cl);
	memset(&m, 0, sizeof(m));
	strlcpy(m.id, conf.node_id, sizeof(m.id));
	strlcpy(m.address, "127.0.0.1", sizeof(m.address));
	m.port = 7401;
	m.state = MEMBER_SELF;
	wire_members_start(&w, buf, sizeof(buf), req_id);
	wire_members_add(&w, &m);
	control_send(cl, req_id, buf, wire_members_finish(&w));
}

static void
ev_stats(void *arg, struct client *cl, uint32_t req_id)
{
	const struct control_stats	*st = control_stats(ctl);
	struct wire_writer		 w;
	uint8_t				 buf[512];

	(void)arg;
	session_client(cl);
	wire_stats_start(&w, buf, sizeof(buf), req_id);
	wire_stats_section(&w, "daemon", conf.node_id);
	wire_stats_add(&w, "clients", st->clients);
	wire_stats_add(&w, "client_errors", st->client_errors);
	control_send(cl, req_id, buf, wire_stats_finish(&w));
}

static int
ev_reload(void *arg, char *msg, size_t len)
{
	(void)arg;
	snprintf(msg, len, "reloaded");
	return (0);
}

static const struct control_events events = {
	ev_publish, ev_reply, ev_subscribe, ev_unsubscribe, ev_gone,
	ev_drained, ev_members, ev_stats, ev_reload
};

/* The session: one client writing the input */

/* A frame the daemon sent. */
static void
session_frame(const uint8_t *f, const struct wire_hdr *hdr)
{
	struct wire_ctl_error	e;

	CHECK(!s.fatal);
	if (s.frames++ == 0)
		CHECK(hdr->type == WT_CTL_WELCOME || hdr->type == WT_CTL_ERROR);
	CHECK(answer_roundtrip(f, hdr) == 0);
	if (hdr->type == WT_CTL_ERROR) {
		CHECK(wire_decode_ctl_error(f, hdr->len, &e) == WIRE_OK);
		s.fatal = e.code == REASON_PROTOCOL ||
		    e.code == REASON_VERSION;
	}
}

static void
session_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wire_hdr	 hdr;
	uint8_t		*p, *f;
	size_t		 off = 0;
	ssize_t		 n;

	(void)what;
	(void)arg;
	for (;;) {
		if (s.in_cap - s.in_len < 65536) {
			CHECK((p = realloc(s.in, s.in_cap + 65536)) != NULL);
			s.in = p;
			s.in_cap += 65536;
		}
		n = recv(fd, s.in + s.in_len, s.in_cap - s.in_len,
		    MSG_DONTWAIT);
		if (n > 0) {
			s.in_len += (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			/* Closed (ECONNRESET: with our input unread). */
			s.eof = 1;
			event_del(s.rev);
		}
		break;
	}
	while (s.in_len - off >= WIRE_HDR_LEN) {
		CHECK(wire_check_header(s.in + off, WIRE_HDR_LEN,
		    WIRE_FRAME_CEILING, WIRE_LOCAL, &hdr) == WIRE_OK);
		if (s.in_len - off < hdr.len)
			break;
		CHECK((f = malloc(hdr.len)) != NULL);
		memcpy(f, s.in + off, hdr.len);
		session_frame(f, &hdr);
		free(f);
		off += hdr.len;
	}
	memmove(s.in, s.in + off, s.in_len - off);
	s.in_len -= off;
}

static void
session_write_cb(evutil_socket_t fd, short what, void *arg)
{
	ssize_t	n;

	(void)what;
	(void)arg;
	if (s.off < s.size) {
		n = send(fd, s.data + s.off, s.size - s.off,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			s.off += (size_t)n;
		else if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		else
			s.off = s.size;		/* the daemon closed */
	}
	if (s.off == s.size) {
		/* All written: hang up, as a client that is done. */
		(void)shutdown(fd, SHUT_WR);
		event_del(s.wev);
	}
}

static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

static void
session_run(const uint8_t *data, size_t size)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { SESSION_GUARD_S, 0 };
	struct event		*guard;
	int			 fired = 0, i;

	memset(&s, 0, sizeof(s));
	s.data = data;
	s.size = size;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, conf.socket, sizeof(sun.sun_path));
	CHECK((s.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) != -1);
	CHECK(connect(s.fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	CHECK((s.rev = event_new(base, s.fd, EV_READ | EV_PERSIST,
	    session_read_cb, NULL)) != NULL);
	CHECK((s.wev = event_new(base, s.fd, EV_WRITE | EV_PERSIST,
	    session_write_cb, NULL)) != NULL);
	CHECK((guard = evtimer_new(base, guard_cb, &fired)) != NULL);
	event_add(s.rev, NULL);
	event_add(s.wev, NULL);
	evtimer_add(guard, &tv);
	for (i = 0; i < SESSION_ITERATIONS && !fired && !(s.gone && s.eof);
	    i++)
		event_base_loop(base, EVLOOP_ONCE);
	/* Closed and freed, whatever it sent; the relay holds nothing. */
	CHECK(s.gone == 1);
	CHECK(s.eof);
	CHECK(s.subs == 0);
	CHECK(control_stats(ctl)->clients == 0);
	event_free(guard);
	event_free(s.rev);
	event_free(s.wev);
	close(s.fd);
	free(s.in);
	log_setverbose(0);		/* CTL_LOG_LEVEL is global */
}

static void
fuzz_exit(void)
{
	control_free(ctl);
	event_base_free(base);
	config_free(&conf);
	(void)unlink(conf.socket);
	(void)rmdir(sockdir);
	(void)rmdir(dir);
}

int	LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmp = getenv("TMPDIR");
	char		 err[512];
	FILE		*null;

	(void)argc;
	(void)argv;
	/*
	 * The daemon logs what clients get wrong, thousands of lines a
	 * second here: its log (the stderr stream) goes to /dev/null.  The
	 * sanitizers and libFuzzer write to file descriptor 2, which stays.
	 */
	CHECK((null = fopen("/dev/null", "w")) != NULL);
	stderr = null;
	signal(SIGPIPE, SIG_IGN);
	log_init("fuzz_ctl", 0);
	CHECK(config_load_string(conf_text, "fuzz.conf", NULL, &conf, err,
	    sizeof(err)) == 0);
	snprintf(dir, sizeof(dir), "%s/fuzz_ctl.XXXXXX",
	    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(sockdir, sizeof(sockdir), "%s/run", dir);
	snprintf(conf.socket, sizeof(conf.socket), "%s/cohortd.sock",
	    sockdir);
	conf.socket_group[0] = '\0';
	CHECK((base = event_base_new()) != NULL);
	CHECK((ctl = control_new(base, &conf, 42, &events, NULL)) != NULL);
	atexit(fuzz_exit);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_stream(data, size);
	session_run(data, size);
	return (0);
}
