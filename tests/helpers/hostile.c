/*
 * hostile: a test helper that plays a hostile peer or local client.
 *
 *	hostile [options] garbage HOST PORT [N]
 *	hostile [options] lengths HOST PORT
 *	hostile [options] hold HOST PORT N SECONDS
 *	hostile [options] hellos HOST PORT N
 *	hostile [options] ugarbage SOCKET [N]
 *	hostile [options] ufirst SOCKET
 *	hostile [options] ulengths SOCKET
 *	hostile [options] uflood SOCKET
 *	hostile [options] noread SOCKET SUBJECT backpressure|disconnect
 *	hostile [options] requests SOCKET NODE SUBJECT COUNT
 *
 * Options:
 *	-b ADDR[,ADDR...]  source addresses for peer streams, used in turn
 *	-C CLUSTER	   cluster name in HELLOs (default "test")
 *	-H MS		   the daemon's limits.hello_timeout_ms (default 5000)
 *	-i NODE		   a configured node that is down, for HELLOs the
 *			   daemon accepts (lengths, hold)
 *	-p SOCKET	   noread: publish through this daemon instead
 *	-s SEED		   random seed (default: time and pid)
 *	-t SECONDS	   how long a wait may take (default 10)
 *	-x COMMAND	   noread backpressure: run COMMAND once the publisher
 *			   waits; then the subscriber must be disconnected and
 *			   the publisher go on (a reload to "disconnect")
 *
 * Peer side, on the TCP peer port:
 *  garbage   N streams (default 20) of random bytes, half of them after a
 *	      valid marker; each must be closed, at once or at the HELLO
 *	      deadline.
 *  lengths   one stream per case: bad marker, lengths 0, 15, 2^31,
 *	      2^32-1, over the limit before HELLO, unknown and local types,
 *	      frames not allowed before HELLO, corrupt HELLOs (all closed at
 *	      once); a header announcing 1000 bytes with 10 sent, half a
 *	      header (closed at the HELLO deadline).  With -i, after a HELLO
 *	      the daemon accepts: a second HELLO, a HELLO_ACK with a wrong
 *	      nonce or without the cluster key's MAC, an ECHO (at once), and
 *	      no HELLO_ACK at all (at the deadline).
 *  hold      opens N streams and never writes (with -i: a HELLO as that
 *	      node, then nothing, which must count against the limits just
 *	      the same); reports how many the daemon closed at once
 *	      (limits.max_pending_streams, limits.pending_per_address), at
 *	      the HELLO deadline, otherwise, and how many are still open
 *	      after SECONDS.
 *  hellos    N valid HELLOs with unknown node ids: each must get REFUSE.
 *
 * Local side, on the Unix socket:
 *  ugarbage  N connections (default 20) of random bytes.
 *  ufirst    a valid frame other than CTL_HELLO first, a peer frame, a
 *	      daemon-only frame, a bad version, a second CTL_HELLO.
 *  ulengths  bad marker, lengths 0, 15, 2^31, 2^32-1, over the 64 MiB
 *	      ceiling, an unknown type, a short body; then truncated frames
 *	      held open for a while, during which another client must be
 *	      served (the local socket has no deadline: they may stay open).
 *  uflood    CTL_STATS_REQ without ever reading the answers: the daemon
 *	      must disconnect it once its queue is over its bound.
 *	      Each of the above must get CTL_ERROR and then be closed.
 *  noread    subscribes to SUBJECT and never reads, while a second client
 *	      floods that subject.  "backpressure": the publisher must stall
 *	      with the subscriber still connected, the daemon must answer a
 *	      third client meanwhile, and the publisher must resume once the
 *	      subscriber leaves.  "disconnect": the subscriber must be
 *	      disconnected, and the publisher must go on.
 *  requests  COUNT requests to NODE on SUBJECT with the longest timeout
 *	      (2^32-1 ms), 1,000 per connection, each connection closed
 *	      once the daemon has taken them; prints how many went out.
 *
 * Each mode prints one line, "MODE: ...", and exits 0 when the daemon
 * behaved, 1 when it did not (details on stderr), 2 on a usage or local
 * error.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/wire.h"

#define IN_MAX		(256 * 1024)	/* daemon output we keep */
#define ERROR_MS	2000		/* CTL_ERROR then close, at most */
#define STALL_MS	1000		/* no progress for this long: stalled */
#define BODY_LEN	16384		/* noread: each published body */
#define SRC_MAX		16

enum expect {
	AT_ONCE,		/* closed before half the HELLO deadline */
	AT_DEADLINE,		/* closed at the HELLO deadline */
};

/* One connection to the daemon and what it said on it. */
struct conn {
	int			 fd;
	enum wire_channel	 chan;
	uint64_t		 opened;	/* ms */
	uint64_t		 closed;	/* ms; 0 while open */
	uint8_t			*in;
	size_t			 have;
	unsigned int		 frames;
	int			 garbled;	/* unparseable output */
	int			 errors;	/* CTL_ERROR or REFUSE */
	uint32_t		 reason;	/* of the last one */
	char			 text[WIRE_TEXT_MAX + 1];
	int			 welcome;
	struct wire_ctl_welcome	 w;
	int			 hello;		/* peer HELLO */
	struct wire_hello	 h;
	int			 acked;		/* HELLO_ACK */
	unsigned int		 oks, stats;
};

static const char	*cluster = "test";
static const char	*down_id;
static const char	*pub_path;
static const char	*run_cmd;
static unsigned int	 hello_ms = 5000;
static unsigned int	 wait_s = 10;
static const char	*src_addr[SRC_MAX];
static size_t		 n_src, next_src;
static uint64_t		 rng;

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* xorshift64*: reproducible from the seed printed in each result. */
static uint32_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return ((uint32_t)((rng * 2685821657736338717ULL) >> 32));
}

static void
rnd_fill(uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

static void
set_nonblock(int fd)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		err(2, "fcntl");
}

static struct conn *
conn_new(int fd, enum wire_channel chan)
{
	struct conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->in = malloc(IN_MAX)) == NULL)
		err(2, "malloc");
	c->fd = fd;
	c->chan = chan;
	c->opened = now_ms();
	set_nonblock(fd);
	return (c);
}

static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	free(c->in);
	free(c);
}

/* A TCP stream to host:port from the next source address, if any. */
static struct conn *
tcp_open(const char *host, const char *port)
{
	struct addrinfo		 hints, *res;
	struct sockaddr_in	 sin;
	const char		*src = NULL;
	int			 fd, rv;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if ((rv = getaddrinfo(host, port, &hints, &res)) != 0)
		errx(2, "%s: %s", host, gai_strerror(rv));
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(2, "socket");
	if (n_src > 0) {
		src = src_addr[next_src++ % n_src];
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		if (inet_pton(AF_INET, src, &sin.sin_addr) != 1)
			errx(2, "%s: not an IPv4 address", src);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
			err(2, "bind %s", src);
	}
	if (connect(fd, res->ai_addr, res->ai_addrlen) == -1)
		err(2, "connect %s port %s%s%s", host, port,
		    src ? " from " : "", src ? src : "");
	freeaddrinfo(res);
	return (conn_new(fd, WIRE_PEER));
}

static struct conn *
unix_open(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(2, "%s: path too long", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(2, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(2, "connect %s", path);
	return (conn_new(fd, WIRE_LOCAL));
}

static void
conn_closed(struct conn *c)
{
	if (c->closed == 0)
		c->closed = now_ms();
}

/* Take one whole frame from the input and note what it says. */
static void
conn_frame(struct conn *c, const struct wire_hdr *hdr)
{
	struct wire_ctl_error	e;
	struct wire_refuse	r;

	c->frames++;
	switch (hdr->type) {
	case WT_CTL_ERROR:
		if (wire_decode_ctl_error(c->in, hdr->len, &e) != WIRE_OK) {
			c->garbled = 1;
			break;
		}
		c->errors++;
		c->reason = e.code;
		strlcpy(c->text, e.text, sizeof(c->text));
		break;
	case WT_REFUSE:
		if (wire_decode_refuse(c->in, hdr->len, &r) != WIRE_OK) {
			c->garbled = 1;
			break;
		}
		c->errors++;
		c->reason = r.reason;
		strlcpy(c->text, r.text, sizeof(c->text));
		break;
	case WT_CTL_WELCOME:
		if (wire_decode_ctl_welcome(c->in, hdr->len, &c->w) != WIRE_OK)
			c->garbled = 1;
		else
			c->welcome = 1;
		break;
	case WT_HELLO:
		if (wire_decode_hello(c->in, hdr->len, &c->h) != WIRE_OK)
			c->garbled = 1;
		else
			c->hello = 1;
		break;
	case WT_HELLO_ACK:
		c->acked = 1;
		break;
	case WT_CTL_OK:
		c->oks++;
		break;
	case WT_CTL_STATS:
		c->stats++;
		break;
	}
}

static void
conn_parse(struct conn *c)
{
	struct wire_hdr		hdr;
	enum wire_status	st;

	for (;;) {
		st = wire_check_header(c->in, c->have, IN_MAX, c->chan, &hdr);
		if (st == WIRE_SHORT || (st == WIRE_OK && c->have < hdr.len))
			return;
		if (st != WIRE_OK) {
			/* Not ours to judge further: drop it all. */
			c->garbled = 1;
			c->have = 0;
			return;
		}
		conn_frame(c, &hdr);
		memmove(c->in, c->in + hdr.len, c->have - hdr.len);
		c->have -= hdr.len;
	}
}

/* Read what is there; notes EOF and resets. */
static void
conn_read(struct conn *c)
{
	ssize_t	n;

	while (c->closed == 0) {
		n = read(c->fd, c->in + c->have, IN_MAX - c->have);
		if (n > 0) {
			c->have += (size_t)n;
			conn_parse(c);
			if (c->have == IN_MAX)
				c->have = 0;	/* a frame we cannot hold */
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			conn_closed(c);
		if (n == -1 && errno == EINTR)
			continue;
		return;
	}
}

/* Until pred(c) holds or c is closed or ms pass: 1 if pred held. */
static int
conn_wait(struct conn *c, int (*pred)(struct conn *), unsigned int ms)
{
	struct pollfd	pfd;
	uint64_t	end = now_ms() + ms, now;

	for (;;) {
		conn_read(c);
		if (pred != NULL && pred(c))
			return (1);
		if (c->closed != 0 || (now = now_ms()) >= end)
			return (0);
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, (int)(end - now));
	}
}

/* Write it all, waiting for room: -1 if the daemon closed. */
static int
conn_send(struct conn *c, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	struct pollfd	 pfd;
	ssize_t		 n;
	uint64_t	 end = now_ms() + (uint64_t)wait_s * 1000;

	while (len > 0) {
		if ((n = write(c->fd, p, len)) > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN)
			return (-1);
		if (now_ms() >= end)
			return (-1);
		pfd.fd = c->fd;
		pfd.events = POLLOUT;
		(void)poll(&pfd, 1, 100);
	}
	return (0);
}

static int
has_welcome(struct conn *c)
{
	return (c->welcome || c->errors > 0);
}

/*
 * The daemon's HELLO (it sends one as soon as it accepts) or a refusal.
 * It proves itself only after we do (cohort-protocol(7)), so a HELLO of
 * ours that it accepts gets no answer of its own: what proves it was
 * accepted is that no REFUSE follows (see peer_probe_run).
 */
static int
has_hello_answer(struct conn *c)
{
	return (c->hello || c->errors > 0);
}

static int
has_error(struct conn *c)
{
	return (c->errors > 0);
}

static int
has_stats(struct conn *c)
{
	return (c->stats > 0 || c->errors > 0);
}

static int
has_ok(struct conn *c)
{
	return (c->oks > 0 || c->errors > 0);
}

/* Frames we build. */

static void
make_hello(struct wire_hello *h, const char *id)
{
	memset(h, 0, sizeof(*h));
	h->version = PROTO_VERSION;
	h->min_version = PROTO_MIN_VERSION;
	h->incarnation = ((uint64_t)rnd() << 32) | rnd();
	h->port = 7400;
	rnd_fill(h->nonce, sizeof(h->nonce));
	strlcpy(h->cluster, cluster, sizeof(h->cluster));
	strlcpy(h->node_id, id, sizeof(h->node_id));
	strlcpy(h->address, "127.0.0.1", sizeof(h->address));
}

static size_t
enc_hello(uint8_t *buf, size_t cap, const char *id)
{
	struct wire_hello	h;

	make_hello(&h, id);
	return (wire_encode_hello(buf, cap, &h));
}

static size_t
enc_ctl_hello(uint8_t *buf, size_t cap, uint16_t version, uint16_t min)
{
	struct wire_ctl_hello	h;

	memset(&h, 0, sizeof(h));
	h.version = version;
	h.min_version = min;
	h.pid = (uint32_t)getpid();
	strlcpy(h.name, "hostile", sizeof(h.name));
	return (wire_encode_ctl_hello(buf, cap, &h));
}

static size_t
enc_header(uint8_t *buf, uint32_t type, uint32_t len)
{
	wire_put_header(buf, type, len);
	return (WIRE_HDR_LEN);
}

static size_t
enc_pub(uint8_t *buf, size_t cap, const char *node, const char *subject,
    const uint8_t *body, size_t len)
{
	struct wire_ctl_pub	 m;
	const char		*targets[1] = { node };

	memset(&m, 0, sizeof(m));
	m.req_id = 1;
	m.mode = PUB_UNICAST;
	m.ntargets = 1;
	strlcpy(m.subject, subject, sizeof(m.subject));
	m.body = body;
	m.body_len = len;
	return (wire_encode_ctl_pub(buf, cap, &m, targets));
}

/* A local client that said hello and was welcomed, or NULL. */
static struct conn *
local_client(const char *path)
{
	struct conn	*c = unix_open(path);
	uint8_t		 buf[256];

	if (conn_send(c, buf, enc_ctl_hello(buf, sizeof(buf), CTL_VERSION,
	    CTL_MIN_VERSION)) == -1 || !conn_wait(c, has_welcome, ERROR_MS) ||
	    !c->welcome) {
		conn_free(c);
		return (NULL);
	}
	return (c);
}

/* Does the daemon still answer a well-behaved client? */
static int
daemon_answers(const char *path)
{
	struct conn		*c;
	struct wire_ctl_req	 r = { 7 };
	uint8_t			 buf[64];
	int			 ok;

	if ((c = local_client(path)) == NULL)
		return (0);
	ok = conn_send(c, buf, wire_encode_ctl_req(buf, sizeof(buf),
	    WT_CTL_STATS_REQ, &r)) == 0 && conn_wait(c, has_stats, ERROR_MS) &&
	    c->stats > 0;
	conn_free(c);
	return (ok);
}

/* Peer side */

/*
 * A probe: bytes a, then, once the daemon acknowledged a's HELLO, bytes
 * b.  expect says when the daemon must close the stream.
 */
struct probe {
	const char	*name;
	uint8_t		 a[4096], b[4096];
	size_t		 alen, blen;
	enum expect	 expect;
	int		 their_nonce;	/* b is an ACK of the daemon's HELLO */
};

static int
peer_probe_build(int i, struct probe *p)
{
	struct wire_echo	e;
	struct wire_data	d;
	struct wire_bye		b;
	struct wire_hello_ack	k;
	struct wire_hello	h;
	uint8_t			*q;

	memset(p, 0, sizeof(*p));
	p->expect = AT_ONCE;
	switch (i) {
	case 0:
		p->name = "bad marker";
		p->alen = enc_hello(p->a, sizeof(p->a), "hostile");
		p->a[7] ^= 0x01;
		break;
	case 1:
		p->name = "length 0";
		p->alen = enc_header(p->a, WT_HELLO, 0);
		break;
	case 2:
		p->name = "length 15";
		p->alen = enc_header(p->a, WT_HELLO, 15);
		break;
	case 3:
		p->name = "length 2^31";
		p->alen = enc_header(p->a, WT_HELLO, 0x80000000U);
		break;
	case 4:
		p->name = "length 2^32-1";
		p->alen = enc_header(p->a, WT_HELLO, 0xffffffffU);
		break;
	case 5:
		p->name = "length 1 MiB before HELLO";
		p->alen = enc_header(p->a, WT_HELLO, 1024 * 1024);
		break;
	case 6:
		p->name = "unknown type";
		p->alen = enc_header(p->a, 4242, WIRE_HDR_LEN);
		break;
	case 7:
		p->name = "local frame on the peer port";
		p->alen = enc_ctl_hello(p->a, sizeof(p->a), CTL_VERSION,
		    CTL_MIN_VERSION);
		break;
	case 8:
		p->name = "ECHO before HELLO";
		memset(&e, 0, sizeof(e));
		strlcpy(e.node_id, "hostile", sizeof(e.node_id));
		p->alen = wire_encode_echo(p->a, sizeof(p->a), &e);
		break;
	case 9:
		p->name = "DATA before HELLO";
		memset(&d, 0, sizeof(d));
		strlcpy(d.origin, "hostile", sizeof(d.origin));
		strlcpy(d.subject, "x", sizeof(d.subject));
		p->alen = wire_encode_data(p->a, sizeof(p->a), &d);
		break;
	case 10:
		p->name = "BYE before HELLO";
		memset(&b, 0, sizeof(b));
		strlcpy(b.node_id, "hostile", sizeof(b.node_id));
		p->alen = wire_encode_bye(p->a, sizeof(p->a), &b);
		break;
	case 11:
		p->name = "HELLO_ACK before HELLO";
		memset(&k, 0, sizeof(k));
		strlcpy(k.node_id, "hostile", sizeof(k.node_id));
		p->alen = wire_encode_hello_ack(p->a, sizeof(p->a), &k);
		break;
	case 12:
		/* The cluster string claims 65535 bytes. */
		p->name = "HELLO with a corrupt body";
		p->alen = enc_hello(p->a, sizeof(p->a), "hostile");
		q = p->a + WIRE_HDR_LEN + 2 + 2 + 8 + 2 + WIRE_NONCE_LEN;
		q[0] = q[1] = 0xff;
		break;
	case 13:
		p->name = "HELLO with an empty node id";
		make_hello(&h, "");
		p->alen = wire_encode_hello(p->a, sizeof(p->a), &h);
		break;
	case 14:
		p->name = "1000 bytes announced, 10 sent";
		p->alen = enc_header(p->a, WT_HELLO, 1000);
		memset(p->a + p->alen, 0, 10);
		p->alen += 10;
		p->expect = AT_DEADLINE;
		break;
	case 15:
		p->name = "half a header";
		p->alen = enc_header(p->a, WT_HELLO, 100) / 2;
		p->expect = AT_DEADLINE;
		break;
	/* These need a HELLO the daemon accepts: the id of a down node. */
	case 16:
	case 17:
	case 18:
	case 19:
	case 20:
		if (down_id == NULL)
			return (-1);
		break;
	default:
		return (0);
	}
	switch (i) {
	case 16:
		p->name = "a second HELLO";
		p->alen = enc_hello(p->a, sizeof(p->a), down_id);
		p->blen = enc_hello(p->b, sizeof(p->b), down_id);
		break;
	case 17:
		p->name = "HELLO accepted, never acknowledged";
		p->alen = enc_hello(p->a, sizeof(p->a), down_id);
		p->expect = AT_DEADLINE;
		break;
	case 18:
		p->name = "HELLO_ACK with a wrong nonce";
		p->alen = enc_hello(p->a, sizeof(p->a), down_id);
		memset(&k, 0, sizeof(k));
		rnd_fill(k.nonce, sizeof(k.nonce));
		strlcpy(k.node_id, down_id, sizeof(k.node_id));
		p->blen = wire_encode_hello_ack(p->b, sizeof(p->b), &k);
		break;
	case 19:
		p->name = "ECHO before the handshake is complete";
		p->alen = enc_hello(p->a, sizeof(p->a), down_id);
		memset(&e, 0, sizeof(e));
		strlcpy(e.node_id, down_id, sizeof(e.node_id));
		p->blen = wire_encode_echo(p->b, sizeof(p->b), &e);
		break;
	case 20:
		/* The right nonce (filled in once known), no key: zero MAC. */
		p->name = "HELLO_ACK without the cluster key";
		p->alen = enc_hello(p->a, sizeof(p->a), down_id);
		memset(&k, 0, sizeof(k));
		strlcpy(k.node_id, down_id, sizeof(k.node_id));
		p->blen = wire_encode_hello_ack(p->b, sizeof(p->b), &k);
		p->their_nonce = 1;
		break;
	}
	if (p->alen == 0)
		errx(2, "%s: cannot encode", p->name);
	return (1);
}

/* The most a close "at once" may take, and the HELLO deadline's window. */
static uint64_t
at_once_ms(void)
{
	return (hello_ms / 2 < 1000 ? hello_ms / 2 : 1000);
}

static int
at_deadline(uint64_t ms)
{
	return (ms >= hello_ms * 8 / 10 && ms <= hello_ms + 2000);
}

/* How long a refusal of our HELLO may take to come, if it comes. */
#define ACCEPT_GRACE_MS	200

/* One probe on a stream of its own: 1 if the daemon behaved. */
static int
peer_probe_run(const char *host, const char *port, struct probe *p)
{
	struct conn	*c = tcp_open(host, port);
	uint64_t	 sent, took;
	int		 ok;

	(void)conn_send(c, p->a, p->alen);
	if (p->blen > 0) {
		if (!conn_wait(c, has_hello_answer, ERROR_MS) ||
		    (conn_wait(c, has_error, ACCEPT_GRACE_MS), c->errors > 0)) {
			warnx("lengths: %s: the daemon did not accept the "
			    "HELLO as %s%s%s", p->name, down_id,
			    c->errors ? ": " : "", c->errors ? c->text : "");
			conn_free(c);
			return (0);
		}
		if (p->their_nonce) {
			if (!c->hello) {
				warnx("lengths: %s: no HELLO from the daemon",
				    p->name);
				conn_free(c);
				return (0);
			}
			memcpy(p->b + WIRE_HDR_LEN, c->h.nonce,
			    sizeof(c->h.nonce));
		}
		(void)conn_send(c, p->b, p->blen);
	}
	sent = now_ms();
	(void)conn_wait(c, NULL, hello_ms + 3000);
	if (c->closed == 0) {
		warnx("lengths: %s: still open after %u ms", p->name,
		    hello_ms + 3000);
		conn_free(c);
		return (0);
	}
	if (p->expect == AT_ONCE) {
		took = c->closed - sent;
		ok = took <= at_once_ms();
	} else {
		took = c->closed - c->opened;
		ok = at_deadline(took);
	}
	if (!ok)
		warnx("lengths: %s: closed after %llu ms, expected %s", p->name,
		    (unsigned long long)took, p->expect == AT_ONCE ? "at once" :
		    "at the HELLO deadline");
	conn_free(c);
	return (ok);
}

static int
mode_lengths(const char *host, const char *port)
{
	struct probe	p;
	int		i, rv, n = 0, good = 0;

	for (i = 0; (rv = peer_probe_build(i, &p)) != 0; i++) {
		if (rv == -1)
			continue;
		n++;
		good += peer_probe_run(host, port, &p);
	}
	printf("lengths: %d/%d streams closed as expected\n", good, n);
	return (good == n ? 0 : 1);
}

static int
mode_garbage(const char *host, const char *port, int n)
{
	struct conn	*c;
	uint8_t		 buf[8192];
	size_t		 len;
	int		 i, good = 0, late = 0;

	for (i = 0; i < n; i++) {
		c = tcp_open(host, port);
		len = 16 + rnd() % (sizeof(buf) - 16);
		rnd_fill(buf, len);
		if (i % 2)
			wire_put_header(buf, rnd() % 8, rnd());
		else if (buf[0] == 0xfe)
			buf[0] = 0;
		(void)conn_send(c, buf, len);
		(void)conn_wait(c, NULL, hello_ms + 3000);
		if (c->closed != 0) {
			good++;
			if (c->closed - c->opened > at_once_ms())
				late++;
		} else
			warnx("garbage: stream %d (%zu bytes) still open after "
			    "%u ms", i, len, hello_ms + 3000);
		conn_free(c);
	}
	printf("garbage: %d/%d streams closed (%d at the HELLO deadline)\n",
	    good, n, late);
	return (good == n ? 0 : 1);
}

static int
mode_hold(const char *host, const char *port, int n, unsigned int secs)
{
	struct conn	**v;
	struct pollfd	 *pfd;
	uint8_t		  buf[1024];
	uint64_t	  end, now, took;
	int		  i, open, at_once = 0, deadline = 0, other = 0;

	if ((v = calloc((size_t)n, sizeof(*v))) == NULL ||
	    (pfd = calloc((size_t)n, sizeof(*pfd))) == NULL)
		err(2, "calloc");
	for (i = 0; i < n; i++) {
		v[i] = tcp_open(host, port);
		/* With -i, a HELLO the daemon accepts, and then silence. */
		if (down_id != NULL) {
			(void)conn_send(v[i], buf, enc_hello(buf, sizeof(buf),
			    down_id));
			(void)conn_wait(v[i], has_hello_answer, ERROR_MS);
		}
	}
	end = now_ms() + (uint64_t)secs * 1000;
	for (;;) {
		open = 0;
		for (i = 0; i < n; i++) {
			conn_read(v[i]);
			pfd[i].fd = v[i]->closed ? -1 : v[i]->fd;
			pfd[i].events = POLLIN;
			open += v[i]->closed == 0;
		}
		if (open == 0 || (now = now_ms()) >= end)
			break;
		(void)poll(pfd, (nfds_t)n, (int)(end - now));
	}
	for (i = 0; i < n; i++) {
		if (v[i]->closed == 0)
			continue;
		took = v[i]->closed - v[i]->opened;
		if (took <= at_once_ms())
			at_once++;
		else if (at_deadline(took))
			deadline++;
		else {
			other++;
			warnx("hold: stream %d closed after %llu ms", i,
			    (unsigned long long)took);
		}
	}
	for (i = 0; i < n; i++)
		conn_free(v[i]);
	free(v);
	free(pfd);
	printf("hold: opened=%d at_once=%d at_deadline=%d other=%d open=%d\n",
	    n, at_once, deadline, other, open);
	return (open == 0 && other == 0 ? 0 : 1);
}

static int
mode_hellos(const char *host, const char *port, int n)
{
	struct conn	*c;
	uint8_t		 buf[1024];
	char		 id[WIRE_ID_MAX + 1], first[WIRE_TEXT_MAX + 1] = "";
	int		 i, refused = 0, same = 0;
	uint32_t	 reason = 0;

	for (i = 0; i < n; i++) {
		c = tcp_open(host, port);
		snprintf(id, sizeof(id), "hostile-%d", i);
		(void)conn_send(c, buf, enc_hello(buf, sizeof(buf), id));
		if (conn_wait(c, has_error, ERROR_MS)) {
			refused++;
			if (refused == 1) {
				reason = c->reason;
				strlcpy(first, wire_reason_name(c->reason),
				    sizeof(first));
			}
			same += c->reason == reason;
		} else
			warnx("hellos: HELLO as %s: %s", id, c->closed ?
			    "closed without REFUSE" : "no answer");
		conn_free(c);
	}
	printf("hellos: %d/%d refused (%d for %s)\n", refused, n, same, first);
	return (refused == n ? 0 : 1);
}

/* Local side */

/* A connection that must get CTL_ERROR and then be closed. */
static int
local_expect_error(struct conn *c, const char *what, uint32_t code)
{
	uint64_t	t0 = now_ms();

	(void)conn_wait(c, NULL, ERROR_MS);
	if (c->errors == 0 || c->closed == 0 || (code != 0 &&
	    c->reason != code)) {
		warnx("%s: %s%s%s%s after %llu ms", what,
		    c->errors ? "CTL_ERROR " : "no CTL_ERROR",
		    c->errors ? wire_reason_name(c->reason) : "",
		    code != 0 && c->errors && c->reason != code ? " (wrong "
		    "code)" : "", c->closed ? ", closed" : ", still open",
		    (unsigned long long)(now_ms() - t0));
		return (0);
	}
	return (1);
}

static int
mode_ugarbage(const char *path, int n)
{
	struct conn	*c;
	uint8_t		 buf[8192];
	size_t		 len;
	int		 i, good = 0;
	char		 what[64];

	for (i = 0; i < n; i++) {
		c = unix_open(path);
		len = 16 + rnd() % (sizeof(buf) - 16);
		rnd_fill(buf, len);
		if (buf[0] == 0xfe)
			buf[0] = 0;
		(void)conn_send(c, buf, len);
		snprintf(what, sizeof(what), "ugarbage: connection %d", i);
		good += local_expect_error(c, what, REASON_PROTOCOL);
		conn_free(c);
	}
	printf("ugarbage: %d/%d connections answered CTL_ERROR and closed\n",
	    good, n);
	return (good == n ? 0 : 1);
}

/*
 * One local case: with hello set, a proper CTL_HELLO first; then the
 * bytes; CTL_ERROR with code (0: any) and a close must follow.
 */
static int
local_case(const char *path, const char *name, int hello, const uint8_t *buf,
    size_t len, uint32_t code)
{
	struct conn	*c;
	char		 what[128];
	int		 ok;

	if (hello) {
		if ((c = local_client(path)) == NULL) {
			warnx("%s: no CTL_WELCOME", name);
			return (0);
		}
	} else
		c = unix_open(path);
	(void)conn_send(c, buf, len);
	snprintf(what, sizeof(what), "%s", name);
	ok = local_expect_error(c, what, code);
	conn_free(c);
	return (ok);
}

static int
mode_ufirst(const char *path)
{
	struct wire_ctl_req	r = { 1 };
	struct wire_ctl_watch	w = { 1, 1 };
	struct wire_ctl_sub	s;
	struct wire_ctl_msg	m;
	uint8_t			buf[4096], body[4] = "abc";
	size_t			len;
	int			n = 0, good = 0;

	memset(&s, 0, sizeof(s));
	strlcpy(s.pattern, "a.b", sizeof(s.pattern));
	memset(&m, 0, sizeof(m));
	strlcpy(m.origin, "n1", sizeof(m.origin));
	strlcpy(m.subject, "a.b", sizeof(m.subject));
#define CASE(name, hello, l, code) do {					\
	n++;								\
	good += local_case(path, "ufirst: " name, hello, buf, l, code);	\
} while (0)
	len = wire_encode_ctl_req(buf, sizeof(buf), WT_CTL_STATS_REQ, &r);
	CASE("CTL_STATS_REQ first", 0, len, REASON_PROTOCOL);
	len = wire_encode_ctl_req(buf, sizeof(buf), WT_CTL_MEMBERS_REQ, &r);
	CASE("CTL_MEMBERS_REQ first", 0, len, REASON_PROTOCOL);
	len = wire_encode_ctl_req(buf, sizeof(buf), WT_CTL_RELOAD, &r);
	CASE("CTL_RELOAD first", 0, len, REASON_PROTOCOL);
	len = wire_encode_ctl_switch(buf, sizeof(buf), WT_CTL_LOG_LEVEL, &w);
	CASE("CTL_LOG_LEVEL first", 0, len, REASON_PROTOCOL);
	len = wire_encode_ctl_watch(buf, sizeof(buf), &w);
	CASE("CTL_WATCH first", 0, len, REASON_PROTOCOL);
	len = wire_encode_ctl_sub(buf, sizeof(buf), WT_CTL_SUB, &s);
	CASE("CTL_SUB first", 0, len, REASON_PROTOCOL);
	len = enc_pub(buf, sizeof(buf), "n1", "a.b", body, 3);
	CASE("CTL_PUB first", 0, len, REASON_PROTOCOL);
	len = enc_hello(buf, sizeof(buf), "hostile");
	CASE("peer HELLO on the local socket", 0, len, REASON_PROTOCOL);
	len = wire_encode_ctl_req(buf, sizeof(buf), WT_CTL_OK, &r);
	CASE("CTL_OK (daemon-only) first", 0, len, REASON_PROTOCOL);
	len = enc_ctl_hello(buf, sizeof(buf), CTL_VERSION + 5,
	    CTL_VERSION + 3);
	CASE("CTL_HELLO of a future version", 0, len, REASON_VERSION);
	len = enc_ctl_hello(buf, sizeof(buf), 0, 0);
	CASE("CTL_HELLO of version 0", 0, len, REASON_VERSION);
	len = enc_ctl_hello(buf, sizeof(buf), CTL_VERSION, CTL_MIN_VERSION);
	buf[WIRE_HDR_LEN + 8] = 0xff;	/* name length */
	CASE("CTL_HELLO with a corrupt body", 0, len, REASON_PROTOCOL);
	len = enc_ctl_hello(buf, sizeof(buf), CTL_VERSION, CTL_MIN_VERSION);
	CASE("a second CTL_HELLO", 1, len, REASON_PROTOCOL);
	len = wire_encode_ctl_msg(buf, sizeof(buf), &m);
	CASE("CTL_MSG (daemon-only) after CTL_HELLO", 1, len, REASON_PROTOCOL);
	len = enc_header(buf, WT_CTL_WELCOME, WIRE_HDR_LEN);
	CASE("CTL_WELCOME (daemon-only) after CTL_HELLO", 1, len,
	    REASON_PROTOCOL);
#undef CASE
	printf("ufirst: %d/%d connections answered CTL_ERROR and closed\n",
	    good, n);
	return (good == n ? 0 : 1);
}

/*
 * A truncated frame held open: the daemon may wait for the rest (the
 * local socket has no deadline) or close, but must serve others meanwhile.
 */
static int
local_held(const char *path, const char *name, int hello,
    const uint8_t *buf, size_t len, const char **fate)
{
	struct conn	*c;
	int		 ok;

	if (hello) {
		if ((c = local_client(path)) == NULL) {
			warnx("%s: no CTL_WELCOME", name);
			return (0);
		}
	} else
		c = unix_open(path);
	(void)conn_send(c, buf, len);
	(void)conn_wait(c, NULL, 500);
	ok = daemon_answers(path);
	if (!ok)
		warnx("%s: the daemon did not answer another client "
		    "meanwhile", name);
	(void)conn_wait(c, NULL, 1000);
	*fate = c->closed ? "closed" : "held open";
	conn_free(c);
	return (ok);
}

static int
mode_ulengths(const char *path)
{
	uint8_t		 buf[256];
	size_t		 len;
	int		 n = 0, good = 0;
	const char	*f1, *f2;

#define CASE(name, hello, l) do {					\
	n++;								\
	good += local_case(path, "ulengths: " name, hello, buf, l,	\
	    REASON_PROTOCOL);						\
} while (0)
	len = enc_ctl_hello(buf, sizeof(buf), CTL_VERSION, CTL_MIN_VERSION);
	buf[0] ^= 0x80;
	CASE("bad marker", 0, len);
	CASE("length 0", 0, enc_header(buf, WT_CTL_HELLO, 0));
	CASE("length 15", 0, enc_header(buf, WT_CTL_HELLO, 15));
	CASE("length 2^31", 0, enc_header(buf, WT_CTL_HELLO, 0x80000000U));
	CASE("length 2^32-1", 0, enc_header(buf, WT_CTL_HELLO, 0xffffffffU));
	CASE("length 2^31 after CTL_HELLO", 1, enc_header(buf, WT_CTL_PUB,
	    0x80000000U));
	CASE("length over the ceiling after CTL_HELLO", 1, enc_header(buf,
	    WT_CTL_PUB, WIRE_FRAME_CEILING + 1));
	CASE("unknown type after CTL_HELLO", 1, enc_header(buf, 4242,
	    WIRE_HDR_LEN));
	len = enc_header(buf, WT_CTL_STATS_REQ, WIRE_HDR_LEN + 2);
	buf[len] = buf[len + 1] = 0;
	CASE("CTL_STATS_REQ with a short body", 1, len + 2);
#undef CASE
	/* Truncated frames: 1000 bytes announced, 10 sent. */
	len = enc_header(buf, WT_CTL_HELLO, 1000);
	memset(buf + len, 0, 10);
	n++;
	good += local_held(path, "ulengths: truncated CTL_HELLO", 0, buf,
	    len + 10, &f1);
	len = enc_header(buf, WT_CTL_PUB, 1000);
	memset(buf + len, 0, 10);
	n++;
	good += local_held(path, "ulengths: truncated CTL_PUB", 1, buf,
	    len + 10, &f2);
	printf("ulengths: %d/%d as expected (truncated frames: %s before "
	    "CTL_HELLO, %s after)\n", good, n, f1, f2);
	return (good == n ? 0 : 1);
}

/* Requests whose answers are never read: the daemon must cut us off. */
static int
mode_uflood(const char *path)
{
	struct conn		*c;
	struct wire_ctl_req	 r = { 1 };
	struct pollfd		 pfd;
	uint8_t			 buf[64 * 20];
	size_t			 len = 0, off = 0;
	uint64_t		 end, sent = 0;
	ssize_t			 n;
	int			 i, cut = 0;

	if ((c = local_client(path)) == NULL) {
		printf("uflood: no CTL_WELCOME\n");
		return (1);
	}
	for (i = 0; i < 64; i++)
		len += wire_encode_ctl_req(buf + len, sizeof(buf) - len,
		    WT_CTL_STATS_REQ, &r);
	end = now_ms() + (uint64_t)wait_s * 1000;
	while (!cut && now_ms() < end) {
		n = write(c->fd, buf + off, len - off);
		if (n > 0) {
			sent += (uint64_t)n;
			off = (off + (size_t)n) % len;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			cut = 1;
			break;
		}
		/* Look for the close without reading what is queued. */
		pfd.fd = c->fd;
		pfd.events = POLLRDHUP;
		if (poll(&pfd, 1, 100) == 1 && (pfd.revents &
		    (POLLRDHUP | POLLHUP | POLLERR)))
			cut = 1;
	}
	conn_free(c);
	printf("uflood: %s after %llu requests\n", cut ? "disconnected" :
	    "still connected", (unsigned long long)(sent / 20));
	return (cut ? 0 : 1);
}

/* Has the daemon hung up on c (without our reading its queue)? */
static int
hung_up(struct conn *c)
{
	struct pollfd	pfd;

	pfd.fd = c->fd;
	pfd.events = POLLRDHUP;
	return (poll(&pfd, 1, 0) == 1 && (pfd.revents &
	    (POLLRDHUP | POLLHUP | POLLERR)));
}

/* The publisher of mode noread: a frame it writes over and over. */
struct publisher {
	struct conn	*c;
	uint8_t		*frame;
	size_t		 len, off;
	uint64_t	 bytes;		/* written in all */
	uint64_t	 last;		/* ms of the last progress */
	int		 gone;
};

/* Write for up to ms; returns the bytes written meanwhile. */
static uint64_t
pub_run(struct publisher *p, unsigned int ms)
{
	struct pollfd	pfd;
	uint64_t	end = now_ms() + ms, before = p->bytes, now;
	ssize_t		n;

	while (!p->gone && (now = now_ms()) < end) {
		conn_read(p->c);	/* errors, results: keep it drained */
		n = write(p->c->fd, p->frame + p->off, p->len - p->off);
		if (n > 0) {
			p->bytes += (uint64_t)n;
			p->off = (p->off + (size_t)n) % p->len;
			p->last = now;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			p->gone = 1;
			break;
		}
		pfd.fd = p->c->fd;
		pfd.events = POLLOUT | POLLIN;
		(void)poll(&pfd, 1, (int)(end - now < 50 ? end - now : 50));
	}
	return (p->bytes - before);
}

/* Until the publisher made no progress for STALL_MS: 1 if it stalled. */
static int
pub_stall(struct publisher *p, struct conn *sub, unsigned int ms)
{
	uint64_t	end = now_ms() + ms;

	p->last = now_ms();
	while (now_ms() < end && !p->gone && !hung_up(sub)) {
		(void)pub_run(p, 10);
		if (now_ms() - p->last >= STALL_MS)
			return (1);
	}
	return (0);
}

/*
 * noread with -x: while the publisher waits on the subscriber, run a
 * command (a reload to policy "disconnect"); then the subscriber must be
 * cut off and the publisher go on, with the subscriber still not reading.
 */
static int
noread_cmd(struct publisher *pb, struct conn *sub)
{
	uint64_t	went;
	int		rv, cut;

	if ((rv = system(run_cmd)) != 0)
		errx(2, "%s: exit status %d", run_cmd, rv);
	went = pub_run(pb, wait_s * 1000 / 2);
	cut = hung_up(sub);
	printf("noread backpressure: after \"%s\", subscriber %s, publisher "
	    "%s\n", run_cmd, cut ? "disconnected" : "kept",
	    went >= (uint64_t)BODY_LEN * 8 ? "went on" : "still waiting");
	conn_free(sub);
	conn_free(pb->c);
	free(pb->frame);
	return (cut && went >= (uint64_t)BODY_LEN * 8 ? 0 : 1);
}

static int
mode_noread(const char *path, const char *subject, int disconnect)
{
	struct conn		*sub, *spare;
	struct publisher	 pb;
	struct wire_ctl_sub	 s;
	uint8_t			 buf[512], *body;
	uint64_t		 at_stall, resumed;
	int			 ok = 1, stalled, answers;

	memset(&pb, 0, sizeof(pb));
	if ((sub = local_client(path)) == NULL) {
		printf("noread: no CTL_WELCOME\n");
		return (1);
	}
	memset(&s, 0, sizeof(s));
	s.req_id = 1;
	strlcpy(s.pattern, subject, sizeof(s.pattern));
	if (conn_send(sub, buf, wire_encode_ctl_sub(buf, sizeof(buf),
	    WT_CTL_SUB, &s)) == -1 || !conn_wait(sub, has_ok, ERROR_MS) ||
	    sub->oks == 0) {
		printf("noread: CTL_SUB %s not acknowledged%s%s\n", subject,
		    sub->errors ? ": " : "", sub->errors ? sub->text : "");
		conn_free(sub);
		return (1);
	}
	/* From here on the subscriber reads nothing. */
	if ((pb.c = local_client(pub_path ? pub_path : path)) == NULL) {
		printf("noread: the publisher got no CTL_WELCOME\n");
		conn_free(sub);
		return (1);
	}
	if ((body = malloc(BODY_LEN)) == NULL ||
	    (pb.frame = malloc(BODY_LEN + 512)) == NULL)
		err(2, "malloc");
	memset(body, 'h', BODY_LEN);
	pb.len = enc_pub(pb.frame, BODY_LEN + 512, sub->w.node_id, subject,
	    body, BODY_LEN);
	free(body);

	stalled = pub_stall(&pb, sub, wait_s * 1000);
	at_stall = pb.bytes;
	if (!disconnect) {
		/* The publisher waits, the subscriber stays, others served. */
		if (!stalled || hung_up(sub)) {
			warnx("noread: publisher %s, subscriber %s, after %llu "
			    "bytes", stalled ? "stalled" : "never stalled",
			    hung_up(sub) ? "disconnected" : "connected",
			    (unsigned long long)pb.bytes);
			ok = 0;
		}
		answers = daemon_answers(path);
		if (!answers) {
			warnx("noread: the daemon did not answer a third "
			    "client while the publisher waited");
			ok = 0;
		}
		if (pub_run(&pb, 300) > (uint64_t)BODY_LEN * 4) {
			warnx("noread: the publisher was not held back");
			ok = 0;
		}
		if (run_cmd != NULL)
			return (noread_cmd(&pb, sub));
		/* The subscriber leaves: the publisher must resume. */
		close(sub->fd);
		sub->fd = -1;
		resumed = pub_run(&pb, wait_s * 1000 / 2);
		if (resumed < (uint64_t)BODY_LEN * 8) {
			warnx("noread: the publisher did not resume after the "
			    "subscriber left (%llu bytes)",
			    (unsigned long long)resumed);
			ok = 0;
		}
		printf("noread backpressure: publisher %s after %llu KiB, "
		    "subscriber kept, daemon %s, publisher %s when it left\n",
		    stalled ? "stalled" : "NOT stalled",
		    (unsigned long long)at_stall / 1024,
		    answers ? "answered others" : "DID NOT ANSWER",
		    resumed >= (uint64_t)BODY_LEN * 8 ? "resumed" :
		    "DID NOT RESUME");
	} else {
		/* The subscriber is cut off; the publisher goes on. */
		if (!hung_up(sub)) {
			warnx("noread: subscriber not disconnected after %llu "
			    "bytes published (publisher %s)",
			    (unsigned long long)pb.bytes, stalled ?
			    "stalled" : "not stalled");
			ok = 0;
		}
		resumed = pub_run(&pb, 1000);
		if (resumed < (uint64_t)BODY_LEN * 8) {
			warnx("noread: the publisher did not go on after the "
			    "subscriber was cut off (%llu bytes)",
			    (unsigned long long)resumed);
			ok = 0;
		}
		spare = sub;
		conn_read(spare);	/* what was sent before the cut */
		printf("noread disconnect: subscriber %s after %llu KiB "
		    "published (%u frames then %s), publisher %s\n",
		    hung_up(sub) ? "disconnected" : "NOT disconnected",
		    (unsigned long long)at_stall / 1024, spare->frames,
		    spare->errors ? "CTL_ERROR" : "no error frame",
		    resumed >= (uint64_t)BODY_LEN * 8 ? "went on" :
		    "STALLED");
	}
	conn_free(sub);
	conn_free(pb.c);
	free(pb.frame);
	return (ok ? 0 : 1);
}

/*
 * Requests that nobody answers, with the longest timeout there is, from
 * clients that then leave: the daemon that serves them keeps a token for
 * each until the timeout (49 days) unless something bounds them.
 */
static int
mode_requests(const char *path, const char *node, const char *subject,
    int count)
{
	struct conn		*c;
	struct wire_ctl_pub	 m;
	struct wire_ctl_req	 r = { 0xffff };
	const char		*targets[1] = { node };
	uint8_t			 buf[1024];
	size_t			 len;
	int			 i, sent = 0, batch, conns = 0, errors = 0;

	memset(&m, 0, sizeof(m));
	m.mode = PUB_UNICAST;
	m.flags = PUB_REQUEST;
	m.timeout_ms = UINT32_MAX;
	m.ntargets = 1;
	strlcpy(m.subject, subject, sizeof(m.subject));
	while (sent < count) {
		if ((c = local_client(path)) == NULL) {
			printf("requests: no CTL_WELCOME\n");
			return (1);
		}
		conns++;
		/* Under limits.requests_per_client's default. */
		batch = count - sent < 1000 ? count - sent : 1000;
		for (i = 0; i < batch; i++) {
			m.req_id = (uint32_t)(sent + i);
			len = wire_encode_ctl_pub(buf, sizeof(buf), &m,
			    targets);
			if (conn_send(c, buf, len) == -1)
				break;
			conn_read(c);
		}
		/* Once this is answered, every request was handled. */
		(void)conn_send(c, buf, wire_encode_ctl_req(buf, sizeof(buf),
		    WT_CTL_STATS_REQ, &r));
		(void)conn_wait(c, has_stats, (unsigned int)wait_s * 1000);
		sent += i;
		errors += c->errors;
		conn_free(c);
	}
	printf("requests: %d sent over %d connections, %d refused\n", sent,
	    conns, errors);
	return (0);
}

static void
usage(void)
{
	fprintf(stderr, "usage: hostile [-b addr,...] [-C cluster] "
	    "[-H hello_ms] [-i node] [-p socket] [-s seed] [-t secs]\n"
	    "\t[-x command]\n"
	    "\tgarbage|lengths|hold|hellos HOST PORT [N [SECONDS]]\n"
	    "\tugarbage|ufirst|ulengths|uflood SOCKET [N]\n"
	    "\tnoread SOCKET SUBJECT backpressure|disconnect\n"
	    "\trequests SOCKET NODE SUBJECT COUNT\n");
	exit(2);
}

static int
number(const char *s, int min, int max)
{
	const char	*errstr;
	long long	 v;

	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL)
		errx(2, "%s is %s", s, errstr);
	return ((int)v);
}

int
main(int argc, char *argv[])
{
	const char	*mode;
	char		*list, *tok;
	int		 ch, n;

	signal(SIGPIPE, SIG_IGN);
	rng = (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid();
	while ((ch = getopt(argc, argv, "b:C:H:i:p:s:t:x:")) != -1) {
		switch (ch) {
		case 'b':
			if ((list = strdup(optarg)) == NULL)
				err(2, "strdup");
			while ((tok = strsep(&list, ",")) != NULL &&
			    n_src < SRC_MAX)
				if (*tok != '\0')
					src_addr[n_src++] = tok;
			break;
		case 'C':
			cluster = optarg;
			break;
		case 'H':
			hello_ms = (unsigned int)number(optarg, 1, 3600000);
			break;
		case 'i':
			down_id = optarg;
			break;
		case 'p':
			pub_path = optarg;
			break;
		case 's':
			rng = strtoull(optarg, NULL, 0);
			break;
		case 't':
			wait_s = (unsigned int)number(optarg, 1, 3600);
			break;
		case 'x':
			run_cmd = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	if (rng == 0)
		rng = 1;
	fprintf(stderr, "hostile: %s: seed %llu\n", argv[0],
	    (unsigned long long)rng);
	mode = argv[0];
	if (strcmp(mode, "garbage") == 0 && (argc == 3 || argc == 4))
		return (mode_garbage(argv[1], argv[2], argc == 4 ?
		    number(argv[3], 1, 100000) : 20));
	if (strcmp(mode, "lengths") == 0 && argc == 3)
		return (mode_lengths(argv[1], argv[2]));
	if (strcmp(mode, "hold") == 0 && argc == 5) {
		n = number(argv[3], 1, 10000);
		return (mode_hold(argv[1], argv[2], n,
		    (unsigned int)number(argv[4], 1, 3600)));
	}
	if (strcmp(mode, "hellos") == 0 && argc == 4)
		return (mode_hellos(argv[1], argv[2], number(argv[3], 1,
		    1000000)));
	if (strcmp(mode, "ugarbage") == 0 && (argc == 2 || argc == 3))
		return (mode_ugarbage(argv[1], argc == 3 ?
		    number(argv[2], 1, 100000) : 20));
	if (strcmp(mode, "ufirst") == 0 && argc == 2)
		return (mode_ufirst(argv[1]));
	if (strcmp(mode, "ulengths") == 0 && argc == 2)
		return (mode_ulengths(argv[1]));
	if (strcmp(mode, "uflood") == 0 && argc == 2)
		return (mode_uflood(argv[1]));
	if (strcmp(mode, "requests") == 0 && argc == 5)
		return (mode_requests(argv[1], argv[2], argv[3],
		    number(argv[4], 1, 100000000)));
	if (strcmp(mode, "noread") == 0 && argc == 4) {
		if (strcmp(argv[3], "backpressure") != 0 &&
		    strcmp(argv[3], "disconnect") != 0)
			usage();
		return (mode_noread(argv[1], argv[2],
		    strcmp(argv[3], "disconnect") == 0));
	}
	usage();
	return (2);
}
