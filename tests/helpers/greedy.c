/*
 * greedy: a test helper that plays a local client asking for too much:
 * memory, work or log lines.  It speaks the local protocol by hand,
 * without libcohort's checks.
 *
 *	greedy [-t SECONDS] subs SOCKET COUNT HOLD_FILE
 *	greedy [-t SECONDS] mcast SOCKET COUNT TARGETS
 *	greedy [-t SECONDS] replies SOCKET COUNT
 *	greedy [-t SECONDS] ping SOCKET COUNT [INTERVAL_MS]
 *
 * subs subscribes to COUNT patterns of 32 fresh 7-byte tokens each (255
 * bytes, sharing no trie node: the most a subscription can cost), a
 * window of them in flight at a time, and prints
 *	subs: ok=N refused=M [first refusal: REASON: text]
 * then keeps the connection, and so the subscriptions, until HOLD_FILE
 * is gone (or SECONDS pass).
 *
 * mcast sends COUNT multicasts (COUNT 0: as many as it can until
 * SECONDS pass) to TARGETS ids no node has, reading the results as they
 * come, and prints
 *	mcast: sent=N results=M errors=E ms=T
 * when every result came back.
 *
 * replies sends COUNT CTL_REPLY frames for tokens the daemon never gave
 * out, then a CTL_STATS_REQ, and prints "replies: sent=N" once that is
 * answered (so that the daemon has handled every one).
 *
 * ping asks for the daemon's members COUNT times, one after the other
 * (INTERVAL_MS apart, default 0), and prints the round trips in ms:
 *	ping: n=N min=A median=B max=C
 *
 * Exit 0 when the daemon answered as described, 1 otherwise (details on
 * stderr), 2 on a usage or local error.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/wire.h"

#define IN_MAX		(1024 * 1024)	/* a frame we read whole */
#define OUT_MAX		(256 * 1024)	/* frames we write at once */
#define WINDOW		256		/* subs: requests in flight */

struct conn {
	int		 fd;
	uint8_t		*in;
	size_t		 have;
	int		 closed;
	unsigned int	 welcome, oks, errors, results, members, stats;
	unsigned int	 answers;	/* OK, ERROR or PUB_RESULT */
	uint32_t	 reason;		/* of the first error */
	char		 text[WIRE_TEXT_MAX + 1];
};

static unsigned int	 wait_s = 30;

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

static double
now_ms_f(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6);
}

static void
conn_frame(struct conn *c, const struct wire_hdr *hdr)
{
	struct wire_ctl_error	e;

	switch (hdr->type) {
	case WT_CTL_WELCOME:
		c->welcome++;
		break;
	case WT_CTL_OK:
		c->oks++;
		c->answers++;
		break;
	case WT_CTL_ERROR:
		if (wire_decode_ctl_error(c->in, hdr->len, &e) != WIRE_OK)
			errx(1, "a CTL_ERROR that does not decode");
		if (c->errors++ == 0) {
			c->reason = e.code;
			strlcpy(c->text, e.text, sizeof(c->text));
		}
		c->answers++;
		break;
	case WT_CTL_PUB_RESULT:
		c->results++;
		c->answers++;
		break;
	case WT_CTL_MEMBERS:
		c->members++;
		break;
	case WT_CTL_STATS:
		c->stats++;
		break;
	}
}

/* Read what is there, without waiting; note each frame. */
static void
conn_read(struct conn *c)
{
	struct wire_hdr		hdr;
	enum wire_status	st;
	ssize_t			n;

	while (!c->closed) {
		n = recv(c->fd, c->in + c->have, IN_MAX - c->have,
		    MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			c->closed = 1;
		if (n <= 0)
			break;
		c->have += (size_t)n;
		for (;;) {
			st = wire_check_header(c->in, c->have, IN_MAX,
			    WIRE_LOCAL, &hdr);
			if (st == WIRE_SHORT || (st == WIRE_OK &&
			    c->have < hdr.len))
				break;
			if (st != WIRE_OK)
				errx(1, "the daemon sent a bad frame: %s",
				    wire_status_name(st));
			conn_frame(c, &hdr);
			memmove(c->in, c->in + hdr.len, c->have - hdr.len);
			c->have -= hdr.len;
		}
	}
}

/* Wait up to ms for input (or room to write, with out set). */
static void
conn_poll(struct conn *c, int out, int ms)
{
	struct pollfd	pfd = { c->fd, POLLIN | (out ? POLLOUT : 0), 0 };

	(void)poll(&pfd, 1, ms);
}

/* Write it all, reading meanwhile: -1 if the daemon closed. */
static int
conn_send(struct conn *c, const uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		conn_read(c);
		if (c->closed)
			return (-1);
		if ((n = send(c->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL)) >
		    0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return (-1);
		conn_poll(c, 1, 100);
	}
	return (0);
}

/* Until *counter reaches n, the daemon closes, or the time is up. */
static int
conn_wait(struct conn *c, const unsigned int *counter, unsigned int n)
{
	uint64_t	end = now_ms() + (uint64_t)wait_s * 1000;

	for (;;) {
		conn_read(c);
		if (*counter >= n)
			return (1);
		if (c->closed || now_ms() >= end)
			return (0);
		conn_poll(c, 0, 100);
	}
}

/* Close c; returns rv, for the modes' last line. */
static int
conn_done(struct conn *c, int rv)
{
	close(c->fd);
	free(c->in);
	free(c);
	return (rv);
}

static struct conn *
conn_open(const char *path)
{
	struct sockaddr_un	 sun;
	struct wire_ctl_hello	 h;
	struct conn		*c;
	uint8_t			 buf[WIRE_CTL_HELLO_MAX];

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->in = malloc(IN_MAX)) == NULL)
		err(2, "malloc");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(2, "%s: path too long", path);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(2, "socket");
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(2, "connect %s", path);
	memset(&h, 0, sizeof(h));
	h.version = CTL_VERSION;
	h.min_version = CTL_MIN_VERSION;
	h.pid = (uint32_t)getpid();
	strlcpy(h.name, "greedy", sizeof(h.name));
	if (conn_send(c, buf, wire_encode_ctl_hello(buf, sizeof(buf),
	    &h)) == -1)
		errx(1, "the daemon closed before CTL_WELCOME");
	if (!conn_wait(c, &c->welcome, 1) && c->errors == 0)
		errx(1, "no CTL_WELCOME from %s", path);
	if (c->errors > 0)
		errx(1, "refused: %s: %s", wire_reason_name(c->reason),
		    c->text);
	return (c);
}

/* Subscriptions */

/* Pattern i: 32 tokens of 7 bytes, token k "<letter k><i in hex>". */
static void
sub_pattern(char *buf, size_t size, unsigned int i)
{
	size_t	k, o = 0;

	buf[0] = '\0';
	for (k = 0; k < 32 && o < size; k++)
		o += (size_t)snprintf(buf + o, size - o, "%s%c%06x",
		    k > 0 ? "." : "", (int)('a' + k % 26), i & 0xffffff);
}

static int
mode_subs(const char *path, unsigned int count, const char *hold)
{
	struct conn		*c = conn_open(path);
	struct wire_ctl_sub	 s;
	uint8_t			 buf[WIRE_CTL_SUB_MAX];
	unsigned int		 sent = 0;
	uint64_t		 end;

	while (sent < count && !c->closed) {
		/* A window in flight, so that answers do not pile up. */
		while (sent < count && sent - c->answers < WINDOW) {
			memset(&s, 0, sizeof(s));
			s.req_id = sent + 1;
			sub_pattern(s.pattern, sizeof(s.pattern), sent);
			if (conn_send(c, buf, wire_encode_ctl_sub(buf,
			    sizeof(buf), WT_CTL_SUB, &s)) == -1)
				break;
			sent++;
		}
		conn_read(c);
		if (sent - c->answers >= WINDOW)
			conn_poll(c, 0, 100);
	}
	(void)conn_wait(c, &c->answers, sent);
	printf("subs: ok=%u refused=%u", c->oks, c->errors);
	if (c->errors > 0)
		printf(" first refusal: %s: %s", wire_reason_name(c->reason),
		    c->text);
	printf("\n");
	fflush(stdout);
	if (c->closed || c->answers < sent) {
		warnx("subs: %s after %u of %u answers", c->closed ?
		    "the daemon closed" : "no answer", c->answers, sent);
		return (conn_done(c, 1));
	}
	end = now_ms() + (uint64_t)wait_s * 1000;
	while (access(hold, F_OK) == 0 && now_ms() < end && !c->closed) {
		conn_read(c);
		conn_poll(c, 0, 50);
	}
	return (conn_done(c, c->closed ? 1 : 0));
}

/* Multicasts */

static int
mode_mcast(const char *path, unsigned int count, unsigned int ntargets)
{
	static char		 ids[WIRE_TARGETS_MAX][16];
	const char		*targets[WIRE_TARGETS_MAX];
	struct conn		*c = conn_open(path);
	struct wire_ctl_pub	 m;
	uint8_t			*frame;
	size_t			 len;
	unsigned int		 i, sent = 0;
	uint64_t		 t0 = now_ms(), end;

	for (i = 0; i < ntargets; i++) {
		snprintf(ids[i], sizeof(ids[i]), "x%u", i);
		targets[i] = ids[i];
	}
	if ((frame = malloc(OUT_MAX)) == NULL)
		err(2, "malloc");
	memset(&m, 0, sizeof(m));
	m.mode = PUB_MULTICAST;
	m.ntargets = (uint16_t)ntargets;
	strlcpy(m.subject, "greedy.mcast", sizeof(m.subject));
	m.body = (const uint8_t *)"x";
	m.body_len = 1;
	end = t0 + (uint64_t)wait_s * 1000;
	while ((count == 0 ? now_ms() < end : sent < count) && !c->closed) {
		m.req_id = sent + 1;
		if ((len = wire_encode_ctl_pub(frame, OUT_MAX, &m,
		    targets)) == 0)
			errx(2, "cannot encode a multicast to %u targets",
			    ntargets);
		if (conn_send(c, frame, len) == -1)
			break;
		sent++;
	}
	/* Every target is unknown: each frame gets a result. */
	(void)conn_wait(c, &c->answers, sent);
	printf("mcast: sent=%u results=%u errors=%u ms=%llu\n", sent,
	    c->results, c->errors, (unsigned long long)(now_ms() - t0));
	free(frame);
	return (conn_done(c, c->answers == sent && c->errors == 0 &&
	    !c->closed ? 0 : 1));
}

/* Bogus replies */

static int
mode_replies(const char *path, unsigned int count)
{
	struct conn		*c = conn_open(path);
	struct wire_ctl_reply	 rp;
	struct wire_ctl_req	 r = { 1 };
	uint8_t			*buf;
	size_t			 len = 0, one;
	unsigned int		 sent = 0;

	if ((buf = malloc(OUT_MAX)) == NULL)
		err(2, "malloc");
	memset(&rp, 0, sizeof(rp));
	rp.body = (const uint8_t *)"bogus";
	rp.body_len = 5;
	/* As many frames as fit in buf, written at once. */
	while (sent < count && !c->closed) {
		rp.token = 0x8000000000000000ULL | sent;
		if ((one = wire_encode_ctl_reply(buf + len, OUT_MAX - len,
		    &rp)) == 0) {
			if (len == 0)
				errx(2, "cannot encode a CTL_REPLY");
			if (conn_send(c, buf, len) == -1)
				break;
			len = 0;
			continue;
		}
		len += one;
		sent++;
	}
	if (len > 0 && conn_send(c, buf, len) == -1)
		warnx("replies: the daemon closed");
	if (conn_send(c, buf, wire_encode_ctl_req(buf, OUT_MAX,
	    WT_CTL_STATS_REQ, &r)) == -1 || !conn_wait(c, &c->stats, 1)) {
		warnx("replies: no answer to CTL_STATS_REQ after %u replies",
		    sent);
		free(buf);
		return (conn_done(c, 1));
	}
	printf("replies: sent=%u errors=%u\n", sent, c->errors);
	free(buf);
	return (conn_done(c, 0));
}

/* Round trips */

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

static int
mode_ping(const char *path, unsigned int count, unsigned int interval)
{
	struct conn		*c = conn_open(path);
	struct wire_ctl_req	 r;
	uint8_t			 buf[WIRE_CTL_REQ_MAX];
	double			*ms, t0;
	unsigned int		 i;

	if ((ms = calloc(count, sizeof(*ms))) == NULL)
		err(2, "calloc");
	for (i = 0; i < count; i++) {
		r.req_id = i + 1;
		t0 = now_ms_f();
		if (conn_send(c, buf, wire_encode_ctl_req(buf, sizeof(buf),
		    WT_CTL_MEMBERS_REQ, &r)) == -1 ||
		    !conn_wait(c, &c->members, i + 1)) {
			warnx("ping: no answer to request %u", i + 1);
			free(ms);
			return (conn_done(c, 1));
		}
		ms[i] = now_ms_f() - t0;
		if (interval > 0)
			(void)poll(NULL, 0, (int)interval);
	}
	qsort(ms, count, sizeof(*ms), cmp_double);
	printf("ping: n=%u min=%.2f median=%.2f max=%.2f\n", count, ms[0],
	    ms[count / 2], ms[count - 1]);
	free(ms);
	return (conn_done(c, 0));
}

static void
usage(void)
{
	fprintf(stderr, "usage: greedy [-t seconds] subs SOCKET COUNT "
	    "HOLD_FILE\n"
	    "       greedy [-t seconds] mcast SOCKET COUNT TARGETS\n"
	    "       greedy [-t seconds] replies SOCKET COUNT\n"
	    "       greedy [-t seconds] ping SOCKET COUNT [INTERVAL_MS]\n");
	exit(2);
}

static unsigned int
number(const char *s, unsigned int min, unsigned int max)
{
	const char	*errstr;
	long long	 v;

	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL)
		errx(2, "%s is %s", s, errstr);
	return ((unsigned int)v);
}

int
main(int argc, char *argv[])
{
	int	ch;

	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "t:")) != -1) {
		switch (ch) {
		case 't':
			wait_s = number(optarg, 1, 3600);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 4 && strcmp(argv[0], "subs") == 0)
		return (mode_subs(argv[1], number(argv[2], 1, 10000000),
		    argv[3]));
	if (argc == 4 && strcmp(argv[0], "mcast") == 0)
		return (mode_mcast(argv[1], number(argv[2], 0, 10000000),
		    number(argv[3], 2, WIRE_TARGETS_MAX)));
	if (argc == 3 && strcmp(argv[0], "replies") == 0)
		return (mode_replies(argv[1], number(argv[2], 1, 100000000)));
	if ((argc == 3 || argc == 4) && strcmp(argv[0], "ping") == 0)
		return (mode_ping(argv[1], number(argv[2], 1, 1000000),
		    argc == 4 ? number(argv[3], 0, 60000) : 0));
	usage();
	return (2);
}
