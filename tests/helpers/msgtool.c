/*
 * msgtool: a messaging test helper built on libcohort.
 *
 *	msgtool pub SOCKET NODE SUBJECT COUNT SIZE|MIN-MAX [RATE [LOST_FILE]]
 *	msgtool recv SOCKET SUBJECT COUNT TIMEOUT_S [lossy] [gaps=FILE]
 *	msgtool unsub SOCKET PATTERN CONTROL TIMEOUT_S
 *	msgtool requests SOCKET NODE SUBJECT COUNT TIMEOUT_S
 *	msgtool serve SOCKET SUBJECT COUNT TIMEOUT_S
 *	msgtool sendsize SOCKET NODE SUBJECT SIZE [KIND]
 *	msgtool expect SOCKET SUBJECT TIMEOUT_S KIND:SIZE ...
 *	msgtool rawpub SOCKET NODE SUBJECT SIZE
 *	msgtool stall SOCKET SUBJECT GO_FILE TIMEOUT_S
 *	msgtool flood SOCKET NODE SUBJECT COUNT SIZE NODE2 SUBJECT2 TIMEOUT_S
 *	msgtool gen KIND SIZE
 *
 * pub publishes COUNT numbered messages with cohort_publish(): an 8-byte
 * big-endian sequence number from 0, the 4-byte big-endian length of the
 * whole body, then bytes from a generator seeded by the sequence number,
 * so that recv can check every byte.  SIZE is the length of each body, or
 * a range the length is drawn from, again by sequence number; RATE paces
 * it to that many a second (0: as fast as it can).  It prints
 * "sent=N refused=M maybe_lost=L": M messages refused (at once or later
 * through the error callback), L accepted but reported in flight on a
 * stream that was lost.  Exits 0.  With LOST_FILE, each such report is a
 * line "FIRST LAST N" there: N messages among sequence numbers FIRST to
 * LAST.  (The daemon names them by request id; libcohort numbers a new
 * handle's requests from 1, and pub makes no other request before its
 * last message, so message i is request i + 1.)
 *
 * recv subscribes to SUBJECT and checks what pub sent: it exits 0 when
 * all COUNT messages arrived, in order, intact and once (with "lossy",
 * when the last one arrived and none came twice, out of order or
 * damaged: gaps are allowed), and prints
 * "received=N gaps=G reordered=R corrupt=C dup=D" either way.  With
 * gaps=FILE, the sequence numbers that never arrived go there, one a
 * line.
 *
 * unsub subscribes to PATTERN and CONTROL, waits for one message on
 * PATTERN, unsubscribes from it (and checks that doing so twice fails),
 * then waits for one on CONTROL: nothing on PATTERN may arrive after the
 * unsubscription, up to the control message and 300 ms after it.
 *
 * requests makes COUNT asynchronous requests at once, each with its own
 * body, to NODE; serve answers COUNT requests by echoing their bodies.
 * requests exits 0 when every request got its own body back from NODE.
 *
 * sendsize sends one body of SIZE bytes with cohort_send() and prints the
 * status ("ok", "too_big", ...) and the library's message.  KIND is
 * "cycle" (byte i is i mod 256: every byte value, from 256 bytes on) or
 * "prng" (pseudo-random bytes seeded by SIZE); gen writes such a body on
 * standard output; expect receives one message per KIND:SIZE, in order,
 * and compares each byte for byte.
 *
 * stall subscribes to SUBJECT and reads nothing until GO_FILE exists; then
 * it reads and counts messages until cohort_dispatch() reports the
 * connection closed ("received=N closed: ...", exit 0) or TIMEOUT_S
 * passes from then ("received=N not closed", exit 1).
 *
 * flood publishes COUNT messages of SIZE bytes to NODE as pub does, as
 * fast as the daemon takes them: while the daemon does not read (a paused
 * publisher) it waits.  Then, on the same connection, it sends pub's
 * message 0 to NODE2 on SUBJECT2 with cohort_send() and asks for the
 * members.  Each step prints a line when done ("published N", "send
 * NODE2: STATUS", "members: ID STATE ..."), and at the end, the members
 * answer being behind every other, what pub prints.  It exits 0 when the
 * send and the members answer succeeded, 1 if not, and 2 when TIMEOUT_S
 * passes first, whatever step it is in.
 *
 * rawpub speaks the local protocol by hand, without libcohort's checks,
 * to send one body of SIZE bytes; it prints the daemon's answer:
 * "error REASON: text" or "delivered N".
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cohort.h"
#include "common/wire.h"

#define SEQ_HDR		12	/* sequence number and length */
#define OPEN_MS		5000
#define CALL_MS		10000

static const char	*cmd = "msgtool";

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "msgtool %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: msgtool pub socket node subject count "
	    "size|min-max [rate [lost_file]]\n"
	    "       msgtool recv socket subject count timeout_s [lossy] "
	    "[gaps=file]\n"
	    "       msgtool unsub socket pattern control timeout_s\n"
	    "       msgtool requests socket node subject count timeout_s\n"
	    "       msgtool serve socket subject count timeout_s\n"
	    "       msgtool sendsize socket node subject size [kind]\n"
	    "       msgtool expect socket subject timeout_s kind:size ...\n"
	    "       msgtool rawpub socket node subject size\n"
	    "       msgtool stall socket subject go_file timeout_s\n"
	    "       msgtool flood socket node subject count size node2 "
	    "subject2 timeout_s\n"
	    "       msgtool gen kind size\n");
	exit(1);
}

static uint64_t
number(const char *s, const char *what, uint64_t max)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *s == '\0' || *s == '-' || *end != '\0' || v > max)
		die("%s must be a number from 0 to %" PRIu64 ", not \"%s\"",
		    what, max, s);
	return (v);
}

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static int64_t
mono_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

static int
left_ms(int64_t deadline)
{
	int64_t	left = deadline - mono_ms();

	return (left < 0 ? 0 : left > 1000000000 ? 1000000000 : (int)left);
}

static const char *
status_name(int st)
{
	switch (st) {
	case COHORT_OK:			return ("ok");
	case COHORT_ERR_SYS:		return ("sys");
	case COHORT_ERR_CONNECT:	return ("connect");
	case COHORT_ERR_PROTO:		return ("proto");
	case COHORT_ERR_CLOSED:		return ("closed");
	case COHORT_ERR_TIMEOUT:	return ("timeout");
	case COHORT_ERR_REFUSED:	return ("refused");
	case COHORT_ERR_INVAL:		return ("inval");
	case COHORT_ERR_NOMEM:		return ("nomem");
	case COHORT_ERR_UNREACHABLE:	return ("unreachable");
	case COHORT_ERR_NO_RESPONDER:	return ("no_responder");
	case COHORT_ERR_TOO_BIG:	return ("too_big");
	}
	return ("unknown");
}

static struct cohort *
connect_to(const char *path)
{
	struct cohort	*c;

	if (cohort_open(&c, path, OPEN_MS) != COHORT_OK)
		die("%s", cohort_errmsg(c));
	return (c);
}

static void
subscribe(struct cohort *c, const char *pattern)
{
	if (cohort_subscribe(c, pattern, CALL_MS) != COHORT_OK)
		die("subscribe %s: %s", pattern, cohort_errmsg(c));
}

/*
 * Wait for input and run the callbacks until done() or the deadline;
 * whatever the callbacks queued is written out each time round.
 * Returns 0 when done, -1 at the deadline; dies if the daemon goes away.
 */
static int
run_until(struct cohort *c, int64_t deadline, int (*done)(void *),
    void *arg)
{
	struct pollfd	pfd;
	int		rv;

	while (!done(arg)) {
		if (!cohort_pending(c)) {
			pfd.fd = cohort_fd(c);
			pfd.events = POLLIN;
			rv = poll(&pfd, 1, left_ms(deadline) < 100 ?
			    left_ms(deadline) : 100);
			if (rv == -1 && errno != EINTR)
				die("poll: %s", strerror(errno));
		}
		if ((rv = cohort_dispatch(c)) < 0) {
			/* The daemon went away: the caller reports counts. */
			if (rv == COHORT_ERR_CLOSED)
				return (-2);
			die("%s", cohort_errmsg(c));
		}
		if (cohort_flush(c, CALL_MS) != COHORT_OK)
			die("flush: %s", cohort_errmsg(c));
		if (!done(arg) && left_ms(deadline) == 0)
			return (-1);
	}
	return (0);
}

/* Bodies */

/* xorshift64*: deterministic bytes both ends can regenerate. */
static uint64_t
prng_seed(uint64_t seed)
{
	uint64_t	s = (seed + 1) * 0x9e3779b97f4a7c15ULL;

	return (s ? s : 1);
}

static uint8_t
prng_byte(uint64_t *s)
{
	uint64_t	x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return ((uint8_t)((x * 0x2545f4914f6cdd1dULL) >> 56));
}

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return (v);
}

/* The body pub sends as message seq, len bytes long. */
static void
seq_body(uint8_t *buf, size_t len, uint64_t seq)
{
	uint64_t	s = prng_seed(seq);
	size_t		i;

	put_be(buf, seq, 8);
	put_be(buf + 8, len, 4);
	for (i = SEQ_HDR; i < len; i++)
		buf[i] = prng_byte(&s);
}

/* The length of message seq for sizes min..max. */
static size_t
seq_len(uint64_t seq, size_t min, size_t max)
{
	uint64_t	s = prng_seed(~seq);

	if (min == max)
		return (min);
	(void)prng_byte(&s);
	return (min + (size_t)(s % (max - min + 1)));
}

/* Is this what pub sent?  Sets *seq; 0 if the body is wrong. */
static int
seq_check(const uint8_t *p, size_t len, uint64_t *seq)
{
	uint64_t	s;
	size_t		i;

	if (len < SEQ_HDR || get_be(p + 8, 4) != len)
		return (0);
	*seq = get_be(p, 8);
	s = prng_seed(*seq);
	for (i = SEQ_HDR; i < len; i++)
		if (p[i] != prng_byte(&s))
			return (0);
	return (1);
}

static void
kind_fill(const char *kind, uint8_t *buf, size_t len)
{
	uint64_t	s = prng_seed(len);
	size_t		i;

	if (strcmp(kind, "cycle") == 0) {
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)i;
	} else if (strcmp(kind, "prng") == 0) {
		for (i = 0; i < len; i++)
			buf[i] = prng_byte(&s);
	} else
		die("unknown body kind \"%s\": cycle or prng", kind);
}

static uint8_t *
kind_body(const char *kind, size_t len)
{
	uint8_t	*buf;

	if ((buf = malloc(len ? len : 1)) == NULL)
		die("out of memory for %zu bytes", len);
	kind_fill(kind, buf, len);
	return (buf);
}

/* pub */

struct pub {
	uint64_t	 count;
	uint64_t	 refused;	/* not accepted: unreachable, ... */
	uint64_t	 maybe_lost;	/* accepted, then in flight on a lost stream */
	uint64_t	 errors;
	FILE		*lost;		/* where the reports go, or NULL */
};

static void
pub_error_cb(struct cohort *c, int status, const char *text, void *arg)
{
	struct pub	*p = arg;
	const char	*s;
	unsigned int	 n, first, last;

	(void)c;
	if (p->errors++ < 3)
		fprintf(stderr, "msgtool pub: %s: %s\n", status_name(status),
		    text);
	/*
	 * "n3 went down: 12 message(s) sent to it (requests 5 to 16) may
	 * not have arrived"
	 */
	if ((s = strstr(text, " went down: ")) == NULL ||
	    sscanf(s, " went down: %u message", &n) != 1) {
		p->refused++;
		return;
	}
	p->maybe_lost += n;
	if (p->lost == NULL)
		return;
	if (sscanf(s, " went down: %u message(s) sent to it (requests %u to "
	    "%u)", &n, &first, &last) != 3)
		die("cannot read the requests of \"%s\"", text);
	if (first < 1 || last < first || last > p->count ||
	    n > last - first + 1)
		die("requests %u to %u (%u messages) are not among messages "
		    "1 to %" PRIu64 ": \"%s\"", first, last, n, p->count, text);
	fprintf(p->lost, "%u %u %u\n", first - 1, last - 1, n);
}

/*
 * Sleep until the i-th message is due at rate per second (0: no pause),
 * t0 in microseconds: at 50,000 a second a message every 20 us, not 50
 * at once every millisecond.
 */
static void
pub_pace(int64_t t0, uint64_t i, uint64_t rate)
{
	int64_t	due, left;

	if (rate == 0)
		return;
	due = t0 + (int64_t)(i * 1000000 / rate);
	while ((left = due - mono_us()) > 0)
		usleep(left < 1000 ? (useconds_t)left : 1000);
}

static int
cmd_pub(int argc, char **argv)
{
	struct cohort		*c;
	struct cohort_member	*m;
	struct pub		 p = { 0 };
	uint64_t		 count, i;
	size_t			 min, max, len, n;
	uint8_t			*buf;
	char			*dash;
	uint64_t		 rate;
	int64_t			 t0;
	int			 rv;

	if (argc < 6 || argc > 8)
		usage();
	rate = argc >= 7 ? number(argv[6], "rate", UINT64_MAX) : 0;
	count = number(argv[4], "count", UINT32_MAX - 1);
	p.count = count;
	if (argc == 8 && (p.lost = fopen(argv[7], "w")) == NULL)
		die("%s: %s", argv[7], strerror(errno));
	if ((dash = strchr(argv[5], '-')) != NULL) {
		*dash = '\0';
		min = number(argv[5], "size", 1 << 30);
		max = number(dash + 1, "size", 1 << 30);
	} else
		min = max = number(argv[5], "size", 1 << 30);
	if (min < SEQ_HDR || max < min)
		die("sizes must be from %d up", SEQ_HDR);
	if ((buf = malloc(max)) == NULL)
		die("out of memory");
	c = connect_to(argv[1]);
	cohort_set_error_cb(c, pub_error_cb, &p);
	t0 = mono_us();
	for (i = 0; i < count; i++) {
		pub_pace(t0, i, rate);
		len = seq_len(i, min, max);
		seq_body(buf, len, i);
		rv = cohort_publish(c, argv[2], argv[3], buf, len);
		if (rv == COHORT_ERR_CLOSED)
			die("after %" PRIu64 " messages: %s", i,
			    cohort_errmsg(c));
		if (rv != COHORT_OK)
			pub_error_cb(c, rv, cohort_errmsg(c), &p);
		/* Failures come back asynchronously: collect them. */
		if ((rate > 0 || i % 1024 == 1023) && cohort_dispatch(c) < 0)
			die("%s", cohort_errmsg(c));
	}
	if (cohort_flush(c, 30000) != COHORT_OK)
		die("flush: %s", cohort_errmsg(c));
	/* The daemon answers in order: once this is answered, all are. */
	if (cohort_members(c, &m, &n, CALL_MS) != COHORT_OK)
		die("members: %s", cohort_errmsg(c));
	cohort_members_free(m);
	if (cohort_dispatch(c) < 0)
		die("%s", cohort_errmsg(c));
	printf("sent=%" PRIu64 " refused=%" PRIu64 " maybe_lost=%" PRIu64
	    "\n", count - p.refused, p.refused, p.maybe_lost);
	if (p.lost != NULL && fclose(p.lost) != 0)
		die("%s: %s", argv[7], strerror(errno));
	cohort_close(c);
	free(buf);
	return (0);
}

/* recv */

struct recv {
	const char	*subject;
	uint64_t	 count;
	uint8_t		*seen;		/* a bit per sequence number */
	uint64_t	 distinct;
	uint64_t	 next;		/* one past the highest seen */
	uint64_t	 received, reordered, corrupt, dup, other;
	int		 lossy;		/* gaps allowed, not reorder or dup */
};

static void
recv_cb(struct cohort *c, const struct cohort_msg *m, void *arg)
{
	struct recv	*r = arg;
	uint64_t	 seq;

	(void)c;
	if (strcmp(m->subject, r->subject) != 0) {
		r->other++;
		return;
	}
	r->received++;
	if (!seq_check(m->data, m->len, &seq) || seq >= r->count) {
		if (r->corrupt++ < 3)
			fprintf(stderr, "msgtool recv: message %" PRIu64 " "
			    "(%zu bytes from %s) is corrupt\n", r->received,
			    m->len, m->origin);
		return;
	}
	if (r->seen[seq / 8] & (1 << (seq % 8))) {
		r->dup++;
		return;
	}
	r->seen[seq / 8] |= 1 << (seq % 8);
	r->distinct++;
	if (seq < r->next) {
		if (r->reordered++ < 3)
			fprintf(stderr, "msgtool recv: %" PRIu64 " after %"
			    PRIu64 "\n", seq, r->next - 1);
	} else
		r->next = seq + 1;
}

static int
recv_done(void *arg)
{
	struct recv	*r = arg;

	/* Lossy: some may be gone, but the last one ends the stream. */
	if (r->lossy)
		return (r->count > 0 && (r->seen[(r->count - 1) / 8] &
		    (1 << ((r->count - 1) % 8))));
	return (r->distinct == r->count);
}

static int
cmd_recv(int argc, char **argv)
{
	struct cohort	*c;
	struct recv	 r;
	FILE		*gaps;
	const char	*gaps_path = NULL;
	uint64_t	 i;
	int64_t		 deadline;
	int		 ok, k;

	if (argc < 5)
		usage();
	memset(&r, 0, sizeof(r));
	for (k = 5; k < argc; k++) {
		if (strcmp(argv[k], "lossy") == 0)
			r.lossy = 1;
		else if (strncmp(argv[k], "gaps=", 5) == 0)
			gaps_path = argv[k] + 5;
		else
			usage();
	}
	r.subject = argv[2];
	r.count = number(argv[3], "count", (uint64_t)1 << 40);
	deadline = mono_ms() + 1000 * (int64_t)number(argv[4], "timeout",
	    1000000);
	if ((r.seen = calloc(r.count / 8 + 1, 1)) == NULL)
		die("out of memory");
	c = connect_to(argv[1]);
	cohort_set_msg_cb(c, recv_cb, &r);
	subscribe(c, r.subject);
	switch (run_until(c, deadline, recv_done, &r)) {
	case -1:
		fprintf(stderr, "msgtool recv: timed out\n");
		break;
	case -2:
		fprintf(stderr, "msgtool recv: %s\n", cohort_errmsg(c));
		break;
	}
	ok = (r.lossy || (r.distinct == r.count && r.received == r.count)) &&
	    recv_done(&r) && r.reordered == 0 && r.corrupt == 0 && r.dup == 0;
	printf("received=%" PRIu64 " gaps=%" PRIu64 " reordered=%" PRIu64
	    " corrupt=%" PRIu64 " dup=%" PRIu64 "\n", r.received,
	    r.count - r.distinct, r.reordered, r.corrupt, r.dup);
	if (gaps_path != NULL) {
		if ((gaps = fopen(gaps_path, "w")) == NULL)
			die("%s: %s", gaps_path, strerror(errno));
		for (i = 0; i < r.count; i++)
			if (!(r.seen[i / 8] & (1 << (i % 8))))
				fprintf(gaps, "%" PRIu64 "\n", i);
		if (fclose(gaps) != 0)
			die("%s: %s", gaps_path, strerror(errno));
	}
	cohort_close(c);
	free(r.seen);
	return (ok ? 0 : 1);
}

/* unsub */

struct unsub {
	const char	*control;
	int		 unsubscribed;
	uint64_t	 before, after, control_seen;
};

static void
unsub_cb(struct cohort *c, const struct cohort_msg *m, void *arg)
{
	struct unsub	*u = arg;

	(void)c;
	if (strcmp(m->subject, u->control) == 0)
		u->control_seen++;
	else if (u->unsubscribed) {
		u->after++;
		fprintf(stderr, "msgtool unsub: %s from %s after "
		    "unsubscribing\n", m->subject, m->origin);
	} else
		u->before++;
}

static int
unsub_got_one(void *arg)
{
	return (((struct unsub *)arg)->before > 0);
}

static int
unsub_got_control(void *arg)
{
	return (((struct unsub *)arg)->control_seen > 0);
}

static int
never(void *arg)
{
	(void)arg;
	return (0);
}

static int
cmd_unsub(int argc, char **argv)
{
	struct cohort	*c;
	struct unsub	 u;
	int64_t		 deadline;
	int		 again;

	if (argc != 5)
		usage();
	memset(&u, 0, sizeof(u));
	u.control = argv[3];
	deadline = mono_ms() + 1000 * (int64_t)number(argv[4], "timeout",
	    1000000);
	c = connect_to(argv[1]);
	cohort_set_msg_cb(c, unsub_cb, &u);
	subscribe(c, argv[2]);
	subscribe(c, u.control);
	if (run_until(c, deadline, unsub_got_one, &u) < 0)
		die("no message on %s", argv[2]);
	if (cohort_unsubscribe(c, argv[2], CALL_MS) != COHORT_OK)
		die("unsubscribe %s: %s", argv[2], cohort_errmsg(c));
	u.unsubscribed = 1;
	/* Not subscribed any more: a second time is an error. */
	again = cohort_unsubscribe(c, argv[2], CALL_MS);
	if (again != COHORT_OK)
		printf("unsubscribe again: %s: %s\n", status_name(again),
		    cohort_errmsg(c));
	if (run_until(c, deadline, unsub_got_control, &u) < 0)
		die("no message on %s", u.control);
	(void)run_until(c, mono_ms() + 300, never, &u);
	printf("before=%" PRIu64 " after=%" PRIu64 " control=%" PRIu64 "\n",
	    u.before, u.after, u.control_seen);
	cohort_close(c);
	return (u.after == 0 && again != COHORT_OK ? 0 : 1);
}

/* requests, serve */

struct reqs {
	const char	*node;
	uint64_t	 count, answered, ok, bad, errors;
};

static void
req_body(char *buf, size_t len, uint64_t i)
{
	snprintf(buf, len, "request %" PRIu64 " of msgtool", i);
}

/*
 * Each request's callback argument is its own slot, so that the answer
 * is checked against the body that request carried.
 */
struct slot {
	struct reqs	*r;
	uint64_t	 i;
};

static void
slot_cb(struct cohort *c, int status, const struct cohort_msg *m, void *arg)
{
	struct slot	*s = arg;
	struct reqs	*r = s->r;
	char		 want[64];

	r->answered++;
	if (status != COHORT_OK) {
		if (r->errors++ < 3)
			fprintf(stderr, "msgtool requests: request %" PRIu64
			    ": %s: %s\n", s->i, status_name(status),
			    cohort_errmsg(c));
		return;
	}
	req_body(want, sizeof(want), s->i);
	if (m->len == strlen(want) && memcmp(m->data, want, m->len) == 0 &&
	    strcmp(m->origin, r->node) == 0)
		r->ok++;
	else if (r->bad++ < 3)
		fprintf(stderr, "msgtool requests: request %" PRIu64 ": reply "
		    "from %s is \"%.*s\", not \"%s\"\n", s->i, m->origin,
		    (int)(m->len < 64 ? m->len : 64), (const char *)m->data,
		    want);
}

static int
reqs_done(void *arg)
{
	struct reqs	*r = arg;

	return (r->answered == r->count);
}

static int
cmd_requests(int argc, char **argv)
{
	struct cohort	*c;
	struct reqs	 r;
	struct slot	*slots;
	int64_t		 deadline;
	uint64_t	 i;
	int		 timeout_ms;
	char		 body[64];

	if (argc != 6)
		usage();
	memset(&r, 0, sizeof(r));
	r.node = argv[2];
	r.count = number(argv[4], "count", 1 << 24);
	timeout_ms = 1000 * (int)number(argv[5], "timeout", 1000000);
	if ((slots = calloc(r.count + 1, sizeof(*slots))) == NULL)
		die("out of memory");
	c = connect_to(argv[1]);
	for (i = 0; i < r.count; i++) {
		slots[i].r = &r;
		slots[i].i = i;
		req_body(body, sizeof(body), i);
		if (cohort_request_async(c, r.node, argv[3], body,
		    strlen(body), timeout_ms, slot_cb, &slots[i]) !=
		    COHORT_OK)
			die("request %" PRIu64 ": %s", i, cohort_errmsg(c));
	}
	if (cohort_flush(c, CALL_MS) != COHORT_OK)
		die("flush: %s", cohort_errmsg(c));
	/* Every request times out by itself: allow for the daemon's say. */
	deadline = mono_ms() + timeout_ms + 2000;
	if (run_until(c, deadline, reqs_done, &r) < 0)
		fprintf(stderr, "msgtool requests: %" PRIu64 " of %" PRIu64
		    " requests never answered\n", r.count - r.answered,
		    r.count);
	printf("ok=%" PRIu64 " bad=%" PRIu64 " errors=%" PRIu64 "\n", r.ok,
	    r.bad, r.errors + (r.count - r.answered));
	cohort_close(c);
	free(slots);
	return (r.ok == r.count ? 0 : 1);
}

struct serve {
	uint64_t	 count, served, other;
};

static void
serve_cb(struct cohort *c, const struct cohort_msg *m, void *arg)
{
	struct serve	*s = arg;

	if (!m->is_request) {
		s->other++;
		return;
	}
	if (cohort_reply(c, m, m->data, m->len) != COHORT_OK)
		die("reply: %s", cohort_errmsg(c));
	s->served++;
}

static int
serve_done(void *arg)
{
	struct serve	*s = arg;

	return (s->served >= s->count);
}

static int
cmd_serve(int argc, char **argv)
{
	struct cohort	*c;
	struct serve	 s;
	int64_t		 deadline;

	if (argc != 5)
		usage();
	memset(&s, 0, sizeof(s));
	s.count = number(argv[3], "count", UINT64_MAX);
	deadline = mono_ms() + 1000 * (int64_t)number(argv[4], "timeout",
	    1000000);
	c = connect_to(argv[1]);
	cohort_set_msg_cb(c, serve_cb, &s);
	subscribe(c, argv[2]);
	if (run_until(c, deadline, serve_done, &s) < 0)
		fprintf(stderr, "msgtool serve: timed out\n");
	printf("served=%" PRIu64 "\n", s.served);
	cohort_close(c);
	return (s.served == s.count ? 0 : 1);
}

/* sendsize, expect, gen */

static int
cmd_sendsize(int argc, char **argv)
{
	struct cohort	*c;
	uint8_t		*buf;
	size_t		 len;
	int		 rv;

	if (argc != 5 && argc != 6)
		usage();
	len = number(argv[4], "size", WIRE_FRAME_CEILING);
	buf = kind_body(argc == 6 ? argv[5] : "prng", len);
	c = connect_to(argv[1]);
	rv = cohort_send(c, argv[2], argv[3], buf, len, CALL_MS);
	printf("%s: %s\n", status_name(rv), rv == COHORT_OK ? "sent" :
	    cohort_errmsg(c));
	cohort_close(c);
	free(buf);
	return (rv == COHORT_OK ? 0 : 1);
}

static int
cmd_expect(int argc, char **argv)
{
	struct cohort		*c;
	struct cohort_msg	*m;
	int64_t			 deadline;
	uint8_t			*want;
	size_t			 len, k;
	char			 kind[16], *colon;
	int			 i, bad = 0, rv;

	if (argc < 5)
		usage();
	deadline = mono_ms() + 1000 * (int64_t)number(argv[3], "timeout",
	    1000000);
	c = connect_to(argv[1]);
	subscribe(c, argv[2]);
	for (i = 4; i < argc; i++) {
		if ((colon = strchr(argv[i], ':')) == NULL ||
		    (size_t)(colon - argv[i]) >= sizeof(kind))
			die("\"%s\" is not kind:size", argv[i]);
		memcpy(kind, argv[i], (size_t)(colon - argv[i]));
		kind[colon - argv[i]] = '\0';
		len = number(colon + 1, "size", WIRE_FRAME_CEILING);
		want = kind_body(kind, len);
		if ((rv = cohort_next_msg(c, &m, left_ms(deadline))) !=
		    COHORT_OK)
			die("message %d (%s): %s", i - 3, argv[i],
			    cohort_errmsg(c));
		if (m->len != len) {
			printf("message %d (%s): %zu bytes\n", i - 3, argv[i],
			    m->len);
			bad++;
		} else {
			for (k = 0; k < len; k++)
				if (((const uint8_t *)m->data)[k] != want[k])
					break;
			if (k < len) {
				printf("message %d (%s): differs at byte "
				    "%zu\n", i - 3, argv[i], k);
				bad++;
			} else
				printf("message %d (%s) from %s: intact\n",
				    i - 3, argv[i], m->origin);
		}
		cohort_msg_free(m);
		free(want);
	}
	cohort_close(c);
	return (bad ? 1 : 0);
}

static int
cmd_gen(int argc, char **argv)
{
	uint8_t	*buf;
	size_t	 len;

	if (argc != 3)
		usage();
	len = number(argv[2], "size", WIRE_FRAME_CEILING);
	buf = kind_body(argv[1], len);
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0)
		die("write: %s", strerror(errno));
	free(buf);
	return (0);
}

/* stall */

static void
count_cb(struct cohort *c, const struct cohort_msg *m, void *arg)
{
	(void)c;
	(void)m;
	(*(uint64_t *)arg)++;
}

static int
cmd_stall(int argc, char **argv)
{
	struct cohort	*c;
	struct pollfd	 pfd;
	uint64_t	 n = 0;
	int64_t		 deadline;
	int		 rv, secs;

	if (argc != 5)
		usage();
	secs = (int)number(argv[4], "timeout", 1000000);
	c = connect_to(argv[1]);
	cohort_set_msg_cb(c, count_cb, &n);
	subscribe(c, argv[2]);
	/* Not reading: the daemon's queue for us fills up. */
	deadline = mono_ms() + 1000 * (int64_t)secs;
	while (access(argv[3], F_OK) == -1) {
		if (left_ms(deadline) == 0)
			die("%s never appeared", argv[3]);
		(void)poll(NULL, 0, 10);
	}
	deadline = mono_ms() + 1000 * (int64_t)secs;
	for (;;) {
		pfd.fd = cohort_fd(c);
		pfd.events = POLLIN;
		if (!cohort_pending(c))
			(void)poll(&pfd, 1, 100);
		if ((rv = cohort_dispatch(c)) < 0)
			break;
		if (left_ms(deadline) == 0) {
			printf("received=%" PRIu64 " not closed after %d s\n",
			    n, secs);
			cohort_close(c);
			return (1);
		}
	}
	printf("received=%" PRIu64 " closed: %s: %s\n", n, status_name(rv),
	    cohort_errmsg(c));
	cohort_close(c);
	return (0);
}

/* flood */

static void
flood_alarm(int sig)
{
	static const char	msg[] = "msgtool flood: timed out\n";

	(void)sig;
	(void)write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(2);
}

static int
cmd_flood(int argc, char **argv)
{
	struct cohort		*c;
	struct cohort_member	*m;
	struct pub		 p = { 0 };
	uint64_t		 i;
	size_t			 len, n, k;
	uint8_t			*buf;
	int			 rv;

	if (argc != 9)
		usage();
	p.count = number(argv[4], "count", UINT32_MAX - 1);
	len = number(argv[5], "size", 1 << 30);
	if (len < SEQ_HDR)
		die("size must be from %d up", SEQ_HDR);
	signal(SIGALRM, flood_alarm);
	alarm((unsigned int)number(argv[8], "timeout", 1000000));
	if ((buf = malloc(len)) == NULL)
		die("out of memory");
	c = connect_to(argv[1]);
	cohort_set_error_cb(c, pub_error_cb, &p);
	for (i = 0; i < p.count; i++) {
		seq_body(buf, len, i);
		rv = cohort_publish(c, argv[2], argv[3], buf, len);
		if (rv == COHORT_ERR_CLOSED)
			die("after %" PRIu64 " messages: %s", i,
			    cohort_errmsg(c));
		if (rv != COHORT_OK)
			pub_error_cb(c, rv, cohort_errmsg(c), &p);
		if (i % 64 == 63 && cohort_dispatch(c) < 0)
			die("%s", cohort_errmsg(c));
	}
	if (cohort_flush(c, CALL_MS) != COHORT_OK)
		die("flush: %s", cohort_errmsg(c));
	printf("published %" PRIu64 "\n", p.count);
	fflush(stdout);

	seq_body(buf, len, 0);
	rv = cohort_send(c, argv[6], argv[7], buf, len, CALL_MS);
	printf("send %s: %s%s%s\n", argv[6], status_name(rv),
	    rv == COHORT_OK ? "" : ": ", rv == COHORT_OK ? "" :
	    cohort_errmsg(c));
	fflush(stdout);
	if (rv != COHORT_OK)
		return (1);
	if ((rv = cohort_members(c, &m, &n, CALL_MS)) != COHORT_OK) {
		printf("members: %s: %s\n", status_name(rv), cohort_errmsg(c));
		return (1);
	}
	printf("members:");
	for (k = 0; k < n; k++)
		printf(" %s %s", m[k].id, cohort_state_name(m[k].state));
	printf("\n");
	cohort_members_free(m);
	if (cohort_dispatch(c) < 0)
		die("%s", cohort_errmsg(c));
	printf("sent=%" PRIu64 " refused=%" PRIu64 " maybe_lost=%" PRIu64
	    "\n", p.count - p.refused, p.refused, p.maybe_lost);
	cohort_close(c);
	free(buf);
	return (0);
}

/* rawpub: the local protocol by hand */

static void
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			die("write: %s", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
read_all(int fd, uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = read(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			die("read: %s", strerror(errno));
		}
		if (n == 0)
			die("cohortd closed the connection");
		p += n;
		len -= (size_t)n;
	}
}

/* One frame from cohortd, in a buffer to free. */
static uint8_t *
read_frame(int fd, struct wire_hdr *h)
{
	uint8_t			 hdr[WIRE_HDR_LEN], *buf;
	enum wire_status	 st;

	read_all(fd, hdr, sizeof(hdr));
	if ((st = wire_check_header(hdr, sizeof(hdr), WIRE_FRAME_CEILING,
	    WIRE_LOCAL, h)) != WIRE_OK)
		die("from cohortd: %s", wire_status_name(st));
	if ((buf = malloc(h->len)) == NULL)
		die("out of memory");
	memcpy(buf, hdr, sizeof(hdr));
	read_all(fd, buf + sizeof(hdr), h->len - sizeof(hdr));
	return (buf);
}

static int
cmd_rawpub(int argc, char **argv)
{
	struct sockaddr_un	 sun;
	struct wire_ctl_hello	 hello;
	struct wire_ctl_pub	 pub;
	struct wire_ctl_error	 e;
	struct wire_reader	 r;
	struct wire_hdr		 h;
	const char		*targets[1];
	uint8_t			*buf, *frame;
	uint32_t		 req_id, sent, n;
	size_t			 len, cap, hlen;
	int			 fd;

	if (argc != 5)
		usage();
	len = number(argv[4], "size", WIRE_FRAME_CEILING - 65536);
	alarm(30);		/* blocking I/O: bound it */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, argv[1], sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		die("socket path too long");
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die("connect %s: %s", argv[1], strerror(errno));
	cap = WIRE_HDR_LEN + 64 + 2 * WIRE_SUBJECT_MAX + len;
	if ((buf = calloc(1, cap)) == NULL)
		die("out of memory");

	memset(&hello, 0, sizeof(hello));
	hello.version = CTL_VERSION;
	hello.min_version = CTL_MIN_VERSION;
	hello.pid = (uint32_t)getpid();
	strlcpy(hello.name, "msgtool-raw", sizeof(hello.name));
	write_all(fd, buf, wire_encode_ctl_hello(buf, cap, &hello));
	frame = read_frame(fd, &h);
	if (h.type != WT_CTL_WELCOME)
		die("cohortd answered %s to CTL_HELLO", wire_type_name(h.type));
	free(frame);

	memset(&pub, 0, sizeof(pub));
	pub.req_id = 1;
	pub.flags = PUB_ACK;
	pub.mode = PUB_UNICAST;
	pub.ntargets = 1;
	strlcpy(pub.subject, argv[3], sizeof(pub.subject));
	targets[0] = argv[2];
	if ((hlen = wire_encode_ctl_pub_head(buf, cap, &pub, targets,
	    len)) == 0)
		die("cannot encode CTL_PUB");
	kind_fill("prng", buf + hlen, len);
	write_all(fd, buf, hlen + len);
	for (;;) {
		frame = read_frame(fd, &h);
		if (h.type == WT_CTL_ERROR) {
			if (wire_decode_ctl_error(frame, h.len, &e) != WIRE_OK)
				die("malformed CTL_ERROR");
			printf("error %s: %s\n", wire_reason_name(e.code),
			    e.text);
			break;
		}
		if (h.type == WT_CTL_PUB_RESULT) {
			if (wire_result_begin(frame, h.len, &r, &req_id, &sent,
			    &n) != WIRE_OK)
				die("malformed CTL_PUB_RESULT");
			printf("delivered %" PRIu32 "\n", sent);
			break;
		}
		free(frame);
	}
	free(frame);
	free(buf);
	close(fd);
	return (0);
}

int
main(int argc, char *argv[])
{
	static const struct {
		const char	*name;
		int		(*fn)(int, char **);
	} cmds[] = {
		{ "pub", cmd_pub },
		{ "recv", cmd_recv },
		{ "unsub", cmd_unsub },
		{ "requests", cmd_requests },
		{ "serve", cmd_serve },
		{ "sendsize", cmd_sendsize },
		{ "expect", cmd_expect },
		{ "rawpub", cmd_rawpub },
		{ "stall", cmd_stall },
		{ "flood", cmd_flood },
		{ "gen", cmd_gen },
	};
	size_t	i;

	if (argc < 2)
		usage();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			cmd = cmds[i].name;
			return (cmds[i].fn(argc - 1, argv + 1));
		}
	usage();
}
