/*
 * cohort_bench.c: cohort-bench, throughput and latency between the apps
 * of two already running daemons, through libcohort only.
 *
 *	cohort-bench tput [options] --pub SOCKET --sub SOCKET [--to NODE]
 *	cohort-bench lat [options] --a SOCKET --b SOCKET
 *
 * The shape follows the NATS anchor benchmark (bench/nats/natsbench.c) so
 * that the numbers compare: one publisher and one subscriber, each on its
 * own daemon, sequence-numbered payloads, an end marker, rates seen by
 * the subscriber, nearest-rank percentiles for the ping-pong.
 *
 * Each side runs in its own thread with its own handle (a handle is not
 * thread-safe); threads share only their result structs, read by main
 * after pthread_join.  Progress goes to stderr; the last line on stdout
 * is the result, as key=value pairs.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cohort.h"

#define OPEN_TIMEOUT_MS	5000
/* Let the publisher look at async errors this often (messages). */
#define PUB_DISPATCH_EVERY 1024
/* How often a waiting thread looks at the other side's failure flag. */
#define POLL_SLICE_MS	100
#define SUBJECT_LEN	200

enum bench_exit {
	EXIT_OK = 0,
	EXIT_ERR = 1,		/* could not run: the reason is on stderr */
	EXIT_LOSS = 3,		/* tput ran, but not every message arrived */
};

struct opts {
	const char	*mode;
	uint64_t	 n;
	size_t		 size;
	uint64_t	 warmup;
	int		 timeout_ms;	/* -T: longest wait for anything */
	const char	*sock_a;	/* --pub or --a */
	const char	*sock_b;	/* --sub or --b */
	const char	*to_a;		/* node id of a's daemon, for pongs */
	const char	*to_b;		/* node id of b's daemon */
	char		 subject[SUBJECT_LEN];
};

/* The subscriber's side of tput; main reads it after the join. */
struct tput_sub {
	struct cohort	*c;
	const struct opts *o;
	char		 end_subject[SUBJECT_LEN + 8];
	const uint8_t	*ref;		/* the body every message must carry */
	uint8_t		*seen;		/* one bit per sequence number */
	uint64_t	 recv, unique, bytes, next;
	uint64_t	 gaps, reordered, dup, corrupt;
	uint64_t	 marker_count;	/* what the publisher says it sent */
	double		 t_first, t_last, t_end;
	int		 got_marker, closed, timed_out;
};

struct tput_pub {
	struct cohort	*c;
	const struct opts *o;
	const char	*to;
	uint8_t		*body;
	uint64_t	 published;	/* cohort_publish() took it */
	uint64_t	 refused_now;	/* cohort_publish() said no */
	uint64_t	 refused_later;	/* the daemon said no */
	double		 t0, t_flushed;
	int		 failed;
	atomic_int	 done;
};

struct lat_echo {
	struct cohort	*c;
	const char	*to;
	char		 pong[SUBJECT_LEN + 8];
	atomic_int	 stop;
	atomic_int	 failed;
};

struct lat_client {
	struct cohort	*c;
	const struct opts *o;
	struct lat_echo	*e;
	char		 ping[SUBJECT_LEN + 8];
	uint8_t		*body;
	uint64_t	 expect;
	uint64_t	 t_recv;
	int		 got, refused;
};

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fputs("cohort-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(EXIT_ERR);
}

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

static double
now_s(void)
{
	return ((double)now_ns() / 1e9);
}

/* CPU seconds (user + system) of this process, all threads. */
static double
cpu_s(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

/*
 * CPU seconds used so far by the daemons behind both handles, found with
 * SO_PEERCRED and read from /proc (they are local: Unix sockets).  -1
 * when that is not possible, e.g. another user's daemon under hidepid.
 */
static double
daemons_cpu_s(struct cohort *a, struct cohort *b)
{
	struct ucred	 cred[2];
	socklen_t	 len;
	unsigned long	 ut, st, ticks = 0;
	char		 path[64], buf[1024], *p;
	FILE		*fp;
	size_t		 n;
	int		 i, fds[2] = { cohort_fd(a), cohort_fd(b) };

	for (i = 0; i < 2; i++) {
		len = sizeof(cred[i]);
		if (getsockopt(fds[i], SOL_SOCKET, SO_PEERCRED, &cred[i],
		    &len) == -1)
			return (-1);
		if (i == 1 && cred[1].pid == cred[0].pid)
			break;		/* one daemon serves both */
		snprintf(path, sizeof(path), "/proc/%ld/stat",
		    (long)cred[i].pid);
		if ((fp = fopen(path, "r")) == NULL)
			return (-1);
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		buf[n] = '\0';
		/* The command name may hold spaces: start after its ')'. */
		if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
		    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		    &ut, &st) != 2)
			return (-1);
		ticks += ut + st;
	}
	return ((double)ticks / (double)sysconf(_SC_CLK_TCK));
}

static struct cohort *
bench_open(const char *path, const char *what)
{
	struct cohort	*c;

	if (path == NULL)
		die("%s: no socket given (see -h)", what);
	if (cohort_open(&c, path, OPEN_TIMEOUT_MS) != COHORT_OK)
		die("%s: %s", what, cohort_errmsg(c));
	return (c);
}

/* Refuse to measure towards a node that is not up: nothing would arrive. */
static void
bench_check_up(struct cohort *c, const char *node)
{
	struct cohort_member	*m;
	size_t			 i, n;
	int			 state = -1;

	if (cohort_members(c, &m, &n, OPEN_TIMEOUT_MS) != COHORT_OK)
		die("members of %s: %s", cohort_node_id(c), cohort_errmsg(c));
	for (i = 0; i < n; i++)
		if (strcmp(m[i].id, node) == 0)
			state = (int)m[i].state;
	cohort_members_free(m);
	if (state == -1)
		die("node %s is not in the cluster of %s", node,
		    cohort_node_id(c));
	if (state != COHORT_STATE_UP && state != COHORT_STATE_SELF)
		die("node %s is %s as seen from %s", node,
		    cohort_state_name((enum cohort_state)state),
		    cohort_node_id(c));
}

static void
bench_subscribe(struct cohort *c, const char *subject)
{
	if (cohort_subscribe(c, subject, OPEN_TIMEOUT_MS) != COHORT_OK)
		die("subscribe %s on %s: %s", subject, cohort_node_id(c),
		    cohort_errmsg(c));
}

/*
 * Wait until c is readable or the timeout passes; then dispatch.  Returns
 * the dispatch result, or 0 after an idle timeout (with *idle set).
 *
 * No cohort_pending() shortcut: we make no blocking call that could
 * queue messages, and it also counts a partial frame, which would have
 * us spin until the rest arrives.  POLLHUP is checked because
 * cohort_dispatch() does not report a close that leaves a partial frame
 * behind (as when the daemon cuts a slow subscriber).
 */
static int
bench_wait_dispatch(struct cohort *c, int timeout_ms, int *idle)
{
	struct pollfd	pfd;
	int		rv;

	*idle = 0;
	pfd.fd = cohort_fd(c);
	pfd.events = POLLIN;
	if ((rv = poll(&pfd, 1, timeout_ms)) == -1 && errno != EINTR)
		die("poll: %s", strerror(errno));
	if (rv == 0) {
		*idle = 1;
		return (0);
	}
	if ((rv = cohort_dispatch(c)) >= 0 && (pfd.revents & POLLHUP))
		return (COHORT_ERR_CLOSED);
	return (rv);
}

/* Sequence number first, then a pattern the subscriber checks. */
static void
body_fill(uint8_t *b, size_t size)
{
	size_t	i;

	memset(b, 0, sizeof(uint64_t));
	for (i = sizeof(uint64_t); i < size; i++)
		b[i] = (uint8_t)(i * 7 + (i >> 8));
}

static void
seq_put(uint8_t *b, uint64_t seq)
{
	seq = htobe64(seq);
	memcpy(b, &seq, sizeof(seq));
}

static uint64_t
seq_get(const void *b)
{
	uint64_t	seq;

	memcpy(&seq, b, sizeof(seq));
	return (be64toh(seq));
}

/* tput, subscriber side */

static void
tput_sub_data(struct tput_sub *s, const struct cohort_msg *m)
{
	uint64_t	seq;
	size_t		size = s->o->size;

	if (s->recv++ == 0)
		s->t_first = now_s();
	s->bytes += m->len;
	if (m->len != size || memcmp((const uint8_t *)m->data +
	    sizeof(seq), s->ref + sizeof(seq), size - sizeof(seq)) != 0) {
		s->corrupt++;
		return;
	}
	if ((seq = seq_get(m->data)) >= s->o->n) {
		s->corrupt++;
		return;
	}
	if (s->seen[seq / 8] & (1u << (seq % 8))) {
		s->dup++;
		return;
	}
	s->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	s->unique++;
	if (seq < s->next)
		s->reordered++;
	else {
		if (seq > s->next)
			s->gaps++;
		s->next = seq + 1;
	}
}

static void
tput_sub_msg_cb(struct cohort *c, const struct cohort_msg *m, void *arg)
{
	struct tput_sub	*s = arg;

	(void)c;
	if (strcmp(m->subject, s->o->subject) == 0)
		tput_sub_data(s, m);
	else if (strcmp(m->subject, s->end_subject) == 0 &&
	    m->len >= sizeof(uint64_t)) {
		s->t_end = now_s();
		s->marker_count = seq_get(m->data);
		s->got_marker = 1;
	}
}

/*
 * Until the marker, the daemon closing us, or an idle timeout.  The
 * marker ends the run because the daemon delivers one sender's messages
 * to a node in the order they were sent: when it arrives, every data
 * message before it has arrived or is lost for good.
 */
static void *
tput_sub_main(void *arg)
{
	struct tput_sub	*s = arg;
	uint64_t	 before;
	int		 rv, idle;

	while (!s->got_marker) {
		before = s->recv;
		rv = bench_wait_dispatch(s->c, s->o->timeout_ms, &idle);
		if (idle) {
			s->timed_out = 1;
			fprintf(stderr, "cohort-bench: subscriber: nothing for "
			    "%d ms, stopping\n", s->o->timeout_ms);
			break;
		}
		if (rv < 0 && !s->got_marker) {
			s->closed = 1;
			fprintf(stderr, "cohort-bench: subscriber: %s\n",
			    cohort_errmsg(s->c));
			break;
		}
		if (s->recv != before)
			s->t_last = now_s();
	}
	if (!s->got_marker)
		s->t_end = s->t_last;
	return (NULL);
}

/* tput, publisher side */

static void
tput_pub_error_cb(struct cohort *c, int status, const char *text, void *arg)
{
	struct tput_pub	*p = arg;

	(void)c;
	if (p->refused_now + p->refused_later++ == 0)
		fprintf(stderr, "cohort-bench: publisher: refused: %s (%s)\n",
		    text, cohort_strerror(status));
}

/* Publish, counting a refusal; -1 when the connection is gone. */
static int
tput_pub_one(struct tput_pub *p, const char *subject, const void *body,
    size_t len)
{
	int	rv;

	if ((rv = cohort_publish(p->c, p->to, subject, body, len)) ==
	    COHORT_OK)
		return (0);
	if (rv == COHORT_ERR_CLOSED || rv == COHORT_ERR_SYS) {
		fprintf(stderr, "cohort-bench: publisher: %s\n",
		    cohort_errmsg(p->c));
		return (-1);
	}
	if (p->refused_now++ + p->refused_later == 0)
		fprintf(stderr, "cohort-bench: publisher: refused: %s\n",
		    cohort_errmsg(p->c));
	return (1);
}

static void *
tput_pub_main(void *arg)
{
	struct tput_pub	*p = arg;
	const struct opts *o = p->o;
	char		 end[SUBJECT_LEN + 8];
	uint8_t		 mark[sizeof(uint64_t)];
	uint64_t	 seq;
	int		 rv;

	snprintf(end, sizeof(end), "%s.end", o->subject);
	p->t0 = now_s();
	for (seq = 0; seq < o->n && !p->failed; seq++) {
		seq_put(p->body, seq);
		if ((rv = tput_pub_one(p, o->subject, p->body, o->size)) < 0)
			p->failed = 1;
		else if (rv == 0)
			p->published++;
		/* Async refusals arrive only when we read: look now and then. */
		if (seq % PUB_DISPATCH_EVERY == 0 && cohort_dispatch(p->c) < 0)
			p->failed = 1;
	}
	if (!p->failed && cohort_flush(p->c, o->timeout_ms) != COHORT_OK) {
		fprintf(stderr, "cohort-bench: publisher: flush: %s\n",
		    cohort_errmsg(p->c));
		p->failed = 1;
	}
	p->t_flushed = now_s();
	/*
	 * The marker goes with cohort_send: its acknowledgement comes after
	 * the daemon has handled every publish before it, so any refusal of
	 * ours is queued by then and the dispatch below counts them all.
	 */
	seq_put(mark, p->published);
	if (!p->failed && cohort_send(p->c, p->to, end, mark, sizeof(mark),
	    o->timeout_ms) != COHORT_OK) {
		fprintf(stderr, "cohort-bench: publisher: end marker: %s\n",
		    cohort_errmsg(p->c));
		p->failed = 1;
	}
	if (!p->failed)
		(void)cohort_dispatch(p->c);
	atomic_store(&p->done, 1);
	return (NULL);
}

/* tput, the run and its report */

static int
tput_report(const struct opts *o, const struct tput_sub *s,
    const struct tput_pub *p, double cpu, double srv_cpu)
{
	uint64_t	sent, lost, refused;
	double		secs, pub_secs;

	/* Refused messages were reported to us: not lost, but not sent. */
	refused = p->refused_now + p->refused_later;
	sent = p->published > p->refused_later ?
	    p->published - p->refused_later : 0;
	if (s->got_marker && s->marker_count != p->published)
		fprintf(stderr, "cohort-bench: marker says %" PRIu64 " sent, "
		    "the publisher counted %" PRIu64 "\n", s->marker_count,
		    p->published);
	lost = sent > s->unique ? sent - s->unique : 0;
	secs = s->recv > 0 ? s->t_end - s->t_first : 0;
	pub_secs = p->t_flushed - p->t0;
	printf("mode=tput size=%zu n=%" PRIu64 " from=%s to=%s recv=%" PRIu64
	    " msgs_per_s=%.0f MBps=%.1f secs=%.3f pub_msgs_per_s=%.0f"
	    " lost=%" PRIu64 " gaps=%" PRIu64 " reordered=%" PRIu64
	    " dup=%" PRIu64 " corrupt=%" PRIu64 " refused=%" PRIu64
	    " closed=%d timeout=%d cpu_s=%.2f",
	    o->size, o->n, cohort_node_id(p->c), p->to, s->recv,
	    secs > 0 ? (double)s->recv / secs : 0.0,
	    secs > 0 ? (double)s->bytes / secs / 1e6 : 0.0, secs,
	    pub_secs > 0 ? (double)p->published / pub_secs : 0.0,
	    lost, s->gaps, s->reordered, s->dup, s->corrupt, refused,
	    s->closed, s->timed_out, cpu);
	if (srv_cpu >= 0)
		printf(" srv_cpu_s=%.2f", srv_cpu);
	printf("\n");
	fflush(stdout);
	if (lost || s->gaps || s->reordered || s->dup || s->corrupt ||
	    refused || !s->got_marker)
		return (EXIT_LOSS);
	return (EXIT_OK);
}

/* Wait for the publisher, but not forever: it may block in backpressure. */
static int
tput_join_pub(pthread_t th, struct tput_pub *p, int timeout_ms)
{
	uint64_t	deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;

	while (!atomic_load(&p->done)) {
		if (now_ns() > deadline)
			return (-1);
		usleep(10000);
	}
	pthread_join(th, NULL);
	return (0);
}

static int
tput_run(const struct opts *o)
{
	struct tput_sub	 s;
	struct tput_pub	 p;
	pthread_t	 th_sub, th_pub;
	uint8_t		*ref;
	double		 cpu0, srv0, srv1;
	int		 rv;

	memset(&s, 0, sizeof(s));
	memset(&p, 0, sizeof(p));
	s.o = p.o = o;
	/* Subscriber first, so that nothing published is missed. */
	s.c = bench_open(o->sock_b, "--sub");
	p.c = bench_open(o->sock_a, "--pub");
	p.to = o->to_b != NULL ? o->to_b : cohort_node_id(s.c);
	if (o->size > cohort_max_message(p.c))
		die("size %zu is over the limit of %s (%zu)", o->size,
		    cohort_node_id(p.c), cohort_max_message(p.c));
	bench_check_up(p.c, p.to);
	snprintf(s.end_subject, sizeof(s.end_subject), "%s.end", o->subject);
	bench_subscribe(s.c, o->subject);
	bench_subscribe(s.c, s.end_subject);
	cohort_set_msg_cb(s.c, tput_sub_msg_cb, &s);
	cohort_set_error_cb(p.c, tput_pub_error_cb, &p);

	if ((ref = malloc(o->size)) == NULL || (p.body = malloc(o->size)) ==
	    NULL || (s.seen = calloc(o->n / 8 + 1, 1)) == NULL)
		die("out of memory");
	body_fill(ref, o->size);
	memcpy(p.body, ref, o->size);
	s.ref = ref;

	fprintf(stderr, "cohort-bench: tput %" PRIu64 " x %zu B, %s -> %s, "
	    "subject %s\n", o->n, o->size, cohort_node_id(p.c), p.to,
	    o->subject);
	cpu0 = cpu_s();
	srv0 = daemons_cpu_s(p.c, s.c);
	if (pthread_create(&th_sub, NULL, tput_sub_main, &s) != 0 ||
	    pthread_create(&th_pub, NULL, tput_pub_main, &p) != 0)
		die("pthread_create failed");
	pthread_join(th_sub, NULL);
	if (tput_join_pub(th_pub, &p, o->timeout_ms) == -1)
		die("publisher stuck for %d ms after the subscriber stopped "
		    "(%" PRIu64 " published, %" PRIu64 " received)",
		    o->timeout_ms, p.published, s.recv);
	srv1 = daemons_cpu_s(p.c, s.c);
	rv = tput_report(o, &s, &p, cpu_s() - cpu0,
	    srv0 >= 0 && srv1 >= 0 ? srv1 - srv0 : -1);
	cohort_close(p.c);
	cohort_close(s.c);
	free(s.seen);
	free(p.body);
	free(ref);
	return (rv);
}

/* lat: the echo on b */

static void
lat_echo_msg_cb(struct cohort *c, const struct cohort_msg *m, void *arg)
{
	struct lat_echo	*e = arg;

	if (cohort_publish(c, e->to, e->pong, m->data, m->len) != COHORT_OK) {
		fprintf(stderr, "cohort-bench: echo: %s\n", cohort_errmsg(c));
		atomic_store(&e->failed, 1);
	}
}

static void
lat_echo_error_cb(struct cohort *c, int status, const char *text, void *arg)
{
	struct lat_echo	*e = arg;

	(void)c;
	fprintf(stderr, "cohort-bench: echo: pong refused: %s (%s)\n", text,
	    cohort_strerror(status));
	atomic_store(&e->failed, 1);
}

/* Answer every ping at once; main tells us when to stop. */
static void *
lat_echo_main(void *arg)
{
	struct lat_echo	*e = arg;
	int		 idle;

	while (!atomic_load(&e->stop) && !atomic_load(&e->failed)) {
		if (bench_wait_dispatch(e->c, POLL_SLICE_MS, &idle) < 0 ||
		    cohort_flush(e->c, OPEN_TIMEOUT_MS) != COHORT_OK) {
			fprintf(stderr, "cohort-bench: echo: %s\n",
			    cohort_errmsg(e->c));
			atomic_store(&e->failed, 1);
		}
	}
	return (NULL);
}

/* lat: the client on a */

static void
lat_client_msg_cb(struct cohort *c, const struct cohort_msg *m, void *arg)
{
	struct lat_client *l = arg;

	(void)c;
	/* A late pong of an earlier round (none expected) is ignored. */
	if (m->len >= sizeof(uint64_t) && seq_get(m->data) == l->expect) {
		l->t_recv = now_ns();
		l->got = 1;
	}
}

static void
lat_client_error_cb(struct cohort *c, int status, const char *text,
    void *arg)
{
	struct lat_client *l = arg;

	(void)c;
	fprintf(stderr, "cohort-bench: ping refused: %s (%s)\n", text,
	    cohort_strerror(status));
	l->refused = 1;
}

/*
 * One ping-pong; its duration in ns.  Any failure ends the program.  The
 * flush writes the ping at once instead of waiting for a batch to fill.
 */
static uint64_t
lat_round_trip(struct lat_client *l, uint64_t seq)
{
	const struct opts *o = l->o;
	uint64_t	 t0, deadline;
	int		 idle;

	seq_put(l->body, seq);
	l->expect = seq;
	l->got = 0;
	t0 = now_ns();
	deadline = t0 + (uint64_t)o->timeout_ms * 1000000u;
	if (cohort_publish(l->c, o->to_b, l->ping, l->body, o->size) !=
	    COHORT_OK || cohort_flush(l->c, o->timeout_ms) != COHORT_OK)
		die("ping %" PRIu64 ": %s", seq, cohort_errmsg(l->c));
	while (!l->got) {
		if (bench_wait_dispatch(l->c, POLL_SLICE_MS, &idle) < 0)
			die("client: %s", cohort_errmsg(l->c));
		if (l->refused || atomic_load(&l->e->failed))
			die("round trip %" PRIu64 " failed", seq);
		if (!l->got && now_ns() > deadline)
			die("no pong for round trip %" PRIu64 " within %d ms",
			    seq, o->timeout_ms);
	}
	return (l->t_recv - t0);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/* Nearest rank (as natsbench), in microseconds; q in thousandths. */
static double
pct_us(const uint64_t *v, uint64_t n, uint64_t q)
{
	uint64_t	rank = (n * q + 999) / 1000;

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return ((double)v[rank - 1] / 1000.0);
}

static void
lat_report(const struct opts *o, const char *from, uint64_t *lat,
    double cpu, double srv_cpu)
{
	uint64_t	i, sum = 0, n = o->n;

	qsort(lat, n, sizeof(*lat), cmp_u64);
	for (i = 0; i < n; i++)
		sum += lat[i];
	printf("mode=lat size=%zu n=%" PRIu64 " from=%s to=%s p50_us=%.1f"
	    " p90_us=%.1f p99_us=%.1f p999_us=%.1f min_us=%.1f max_us=%.1f"
	    " mean_us=%.1f cpu_s=%.2f", o->size, n, from, o->to_b,
	    pct_us(lat, n, 500), pct_us(lat, n, 900), pct_us(lat, n, 990),
	    pct_us(lat, n, 999), (double)lat[0] / 1000.0,
	    (double)lat[n - 1] / 1000.0, (double)sum / (double)n / 1000.0,
	    cpu);
	if (srv_cpu >= 0)
		printf(" srv_cpu_s=%.2f", srv_cpu);
	printf("\n");
	fflush(stdout);
}

static int
lat_run(struct opts *o)
{
	struct lat_echo		 e;
	struct lat_client	 l;
	pthread_t		 th;
	uint64_t		*lat, i, seq = 0;
	double			 cpu0, srv0, srv1;

	memset(&e, 0, sizeof(e));
	memset(&l, 0, sizeof(l));
	l.o = o;
	l.e = &e;
	e.c = bench_open(o->sock_b, "--b");
	l.c = bench_open(o->sock_a, "--a");
	if (o->to_b == NULL)
		o->to_b = cohort_node_id(e.c);
	e.to = o->to_a != NULL ? o->to_a : cohort_node_id(l.c);
	bench_check_up(l.c, o->to_b);
	bench_check_up(e.c, e.to);
	snprintf(l.ping, sizeof(l.ping), "%s.ping", o->subject);
	snprintf(e.pong, sizeof(e.pong), "%s.pong", o->subject);
	bench_subscribe(e.c, l.ping);
	bench_subscribe(l.c, e.pong);
	cohort_set_msg_cb(e.c, lat_echo_msg_cb, &e);
	cohort_set_error_cb(e.c, lat_echo_error_cb, &e);
	cohort_set_msg_cb(l.c, lat_client_msg_cb, &l);
	cohort_set_error_cb(l.c, lat_client_error_cb, &l);
	if ((l.body = malloc(o->size)) == NULL ||
	    (lat = calloc(o->n, sizeof(*lat))) == NULL)
		die("out of memory");
	body_fill(l.body, o->size);
	if (pthread_create(&th, NULL, lat_echo_main, &e) != 0)
		die("pthread_create failed");

	fprintf(stderr, "cohort-bench: lat %" PRIu64 " (+%" PRIu64 " warm-up)"
	    " x %zu B, %s <-> %s\n", o->n, o->warmup, o->size,
	    cohort_node_id(l.c), o->to_b);
	for (i = 0; i < o->warmup; i++)
		(void)lat_round_trip(&l, seq++);
	cpu0 = cpu_s();
	srv0 = daemons_cpu_s(l.c, e.c);
	for (i = 0; i < o->n; i++)
		lat[i] = lat_round_trip(&l, seq++);
	srv1 = daemons_cpu_s(l.c, e.c);
	lat_report(o, cohort_node_id(l.c), lat, cpu_s() - cpu0,
	    srv0 >= 0 && srv1 >= 0 ? srv1 - srv0 : -1);

	atomic_store(&e.stop, 1);
	pthread_join(th, NULL);
	cohort_close(l.c);
	cohort_close(e.c);
	free(lat);
	free(l.body);
	return (EXIT_OK);
}

/* Options */

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: cohort-bench tput [-n count] [-s size] [-S subject] [-T seconds]\n"
"           --pub socket --sub socket [--to node]\n"
"       cohort-bench lat [-n count] [-s size] [-w warmup] [-S subject]\n"
"           [-T seconds] --a socket --b socket [--to-a node] [--to-b node]\n"
"       cohort-bench -h\n"
"\n"
"Connects to running cohortd daemons through their Unix sockets.\n"
"tput: an app on --pub's daemon publishes count messages (default\n"
"      1000000) of size bytes (default 64, at least 8) to an app on\n"
"      --sub's daemon, on subject (default bench.PID), then an end marker\n"
"      on subject.end.  --to names the subscriber's node (default: the\n"
"      node id of --sub's daemon).\n"
"lat:  an app on --a's daemon sends subject.ping to one on --b's daemon,\n"
"      which answers on subject.pong; after warmup (default 2000) round\n"
"      trips it times count (default 20000); size defaults to 64.\n"
"      --to-a and --to-b default to the node ids of the daemons.\n"
"  -T seconds  give up after this long without progress (default 10)\n"
"\n"
"Progress goes to stderr; the last line on stdout is the result, as\n"
"key=value pairs (tput: msgs_per_s MBps pub_msgs_per_s lost gaps\n"
"reordered dup corrupt refused cpu_s ...; lat: p50_us p90_us p99_us\n"
"p999_us max_us mean_us ...).\n"
"Exit status: 0 success; 1 error (reason on stderr); 3 tput ran but lost,\n"
"gaps, reordered, dup or corrupt is not 0, or the end marker never came.\n");
}

static uint64_t
opt_num(const char *s, const char *what, long long min, long long max)
{
	const char	*errstr;
	long long	 v;

	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL)
		die("%s %s is %s (%lld to %lld)", what, s, errstr, min, max);
	return ((uint64_t)v);
}

static void
opts_parse(struct opts *o, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "pub",	required_argument, NULL, 'A' },
		{ "a",		required_argument, NULL, 'A' },
		{ "sub",	required_argument, NULL, 'B' },
		{ "b",		required_argument, NULL, 'B' },
		{ "to",		required_argument, NULL, 'Y' },
		{ "to-b",	required_argument, NULL, 'Y' },
		{ "to-a",	required_argument, NULL, 'X' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch, lat;

	memset(o, 0, sizeof(*o));
	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		exit(argc < 2 ? EXIT_ERR : EXIT_OK);
	}
	o->mode = argv[1];
	if ((lat = strcmp(o->mode, "lat") == 0) == 0 &&
	    strcmp(o->mode, "tput") != 0)
		die("unknown mode %s: tput or lat (see -h)", o->mode);
	o->n = lat ? 20000 : 1000000;
	o->size = 64;
	o->warmup = 2000;
	o->timeout_ms = 10000;
	snprintf(o->subject, sizeof(o->subject), "bench.%ld", (long)getpid());
	optind = 2;
	while ((ch = getopt_long(argc, argv, "hn:s:S:T:w:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'n':
			o->n = opt_num(optarg, "count", 1, 1000000000);
			break;
		case 's':
			o->size = opt_num(optarg, "size", 8, 64 << 20);
			break;
		case 'S':
			if (strlcpy(o->subject, optarg, sizeof(o->subject)) >=
			    sizeof(o->subject))
				die("subject %s is too long", optarg);
			break;
		case 'T':
			o->timeout_ms = 1000 * (int)opt_num(optarg,
			    "timeout", 1, 3600);
			break;
		case 'w':
			o->warmup = opt_num(optarg, "warmup", 0, 100000000);
			break;
		case 'A':
			o->sock_a = optarg;
			break;
		case 'B':
			o->sock_b = optarg;
			break;
		case 'X':
			o->to_a = optarg;
			break;
		case 'Y':
			o->to_b = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			die("bad option (see -h)");
		}
	}
	if (optind != argc)
		die("unexpected argument %s (see -h)", argv[optind]);
}

int
main(int argc, char *argv[])
{
	struct opts	o;

	opts_parse(&o, argc, argv);
	if (strcmp(o.mode, "lat") == 0)
		return (lat_run(&o));
	return (tput_run(&o));
}
