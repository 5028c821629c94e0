/*
 * cohort_bench.c: cohort-bench, throughput and latency between apps on
 * running daemons, through libcohort alone.  It starts nothing.
 *
 *	cohort-bench tput [options] --pub SOCKET --sub SOCKET [--to NODE]
 *	cohort-bench lat [options] --a SOCKET --b SOCKET
 *	cohort-bench bcast [options] --pub SOCKET --sub SOCKET...
 *
 * The shape follows the NATS anchor (bench/nats/natsbench.c) so that the
 * numbers compare: one publisher and one subscriber on different
 * daemons, sequence-numbered payloads ended by a marker, rates as the
 * subscriber sees them; a ping-pong timed with nearest-rank percentiles.
 * bcast is tput with cohort_broadcast() and a subscriber on every other
 * node named; NATS has no counterpart, so its shape is our own.
 *
 * Each side runs in its own thread with its own handle, since a handle
 * is not thread-safe.  Threads share only their result structs, which
 * main reads after joining them.  Progress goes to stderr; the last line
 * on stdout is the result, as key=value pairs.
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
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cohort.h"

#define CALL_TIMEOUT_MS	5000	/* connect, subscribe, members */
#define PUB_DISPATCH_EVERY 1024	/* messages between looks for refusals */
#define POLL_SLICE_MS	100	/* how often lat checks the other side */
#define SUBJECT_LEN	200
#define SEQ_LEN		sizeof(uint64_t)
#define SUBS_MAX	64	/* bcast: --sub sockets */
#define HANDLES_MAX	(SUBS_MAX + 1)	/* daemons_cpu_s(): one run's */

enum bench_exit {
	EXIT_OK = 0,
	EXIT_ERR = 1,		/* could not run; the reason is on stderr */
	EXIT_LOSS = 3,		/* tput ran, but not everything arrived */
};

enum bench_mode {
	MODE_TPUT,
	MODE_LAT,
	MODE_BCAST,
};

/* Indexed by enum bench_mode. */
static const struct {
	const char	*name;
	uint64_t	 n;		/* the default count */
} bench_modes[] = {
	{ "tput",	1000000 },
	{ "lat",	20000 },
	{ "bcast",	100000 },
};

struct opts {
	enum bench_mode	 mode;
	uint64_t	 n;
	size_t		 size;
	uint64_t	 warmup;
	int		 timeout_ms;	/* -T: the longest wait for progress */
	uint64_t	 rate;		/* -R: a slow subscriber, msgs/s; 0 = no */
	const char	*sock_a;	/* --pub or --a */
	const char	*sock_b[SUBS_MAX];	/* --sub or --b; bcast: many */
	size_t		 n_b;
	const char	*to_a;		/* --to-a: a's node, for the pongs */
	const char	*to_b;		/* --to or --to-b: b's node */
	char		 subject[SUBJECT_LEN];
	char		 subject2[SUBJECT_LEN + 8];	/* .end or .pong */
};

/* tput, subscriber side; main reads it after the join. */
struct tput_sub {
	struct cohort	*c;
	const struct opts *o;
	const uint8_t	*ref;		/* the body every message carries */
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
	uint8_t		*body;
	uint64_t	 published;	/* cohort_publish() took it */
	uint64_t	 refused_now;	/* cohort_publish() said no */
	uint64_t	 refused_later;	/* the daemon said no */
	double		 t0, t_flushed;
	int		 failed;
	sem_t		 done;		/* posted when the thread is done */
};

/* lat: the echo on b, and the client on a, which times. */
struct lat_echo {
	struct cohort	*c;
	const struct opts *o;
	atomic_int	 stop;
	atomic_int	 failed;	/* set by either side */
};

struct lat_client {
	struct cohort	*c;
	const struct opts *o;
	atomic_int	*failed;
	char		 ping[SUBJECT_LEN + 8];
	uint8_t		*body;
	uint64_t	 expect, t_recv;
	int		 got;
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

/* CPU ticks (user + system) of process pid so far, or -1. */
static long
proc_cpu_ticks(pid_t pid)
{
	unsigned long	 ut, st;
	char		 path[64], buf[1024], *p;
	FILE		*fp;
	size_t		 n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* Fields 14 and 15; the name before them may hold spaces. */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return (-1);
	return ((long)(ut + st));
}

/*
 * CPU seconds used so far by the daemons behind n handles, each daemon
 * counted once: they are local, so SO_PEERCRED names them and /proc has
 * their times.  -1 when that fails (e.g. /proc mounted with hidepid).
 */
static double
daemons_cpu_s(struct cohort *const *c, size_t n)
{
	struct ucred	 cr;
	socklen_t	 len = sizeof(cr);
	pid_t		 pid[HANDLES_MAX];
	long		 t, ticks = 0;
	size_t		 i, j;

	for (i = 0; i < n && i < HANDLES_MAX; i++) {
		if (getsockopt(cohort_fd(c[i]), SOL_SOCKET, SO_PEERCRED, &cr,
		    &len) == -1)
			return (-1);
		pid[i] = cr.pid;
		for (j = 0; j < i && pid[j] != pid[i]; j++)
			continue;
		if (j < i)
			continue;	/* one daemon serves both */
		if ((t = proc_cpu_ticks(pid[i])) == -1)
			return (-1);
		ticks += t;
	}
	return ((double)ticks / (double)sysconf(_SC_CLK_TCK));
}

static struct cohort *
bench_open(const char *path, const char *what)
{
	struct cohort	*c;

	if (path == NULL)
		die("no %s socket given (see -h)", what);
	if (cohort_open(&c, path, CALL_TIMEOUT_MS) != COHORT_OK)
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

	if (cohort_members(c, &m, &n, CALL_TIMEOUT_MS) != COHORT_OK)
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
	if (cohort_subscribe(c, subject, CALL_TIMEOUT_MS) != COHORT_OK)
		die("subscribe %s on %s: %s", subject, cohort_node_id(c),
		    cohort_errmsg(c));
}

/*
 * Wait until c is readable, then dispatch.  Returns the dispatch result,
 * or 0 with *idle set when nothing came within timeout_ms.
 *
 * No cohort_pending() shortcut: we make no blocking call that could
 * queue messages, and it counts a partial frame too, which would have us
 * spin until the rest arrives.  POLLHUP is checked because
 * cohort_dispatch() does not report a close that leaves a partial frame
 * behind, as when the daemon cuts off a slow subscriber.
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

/* A body: room for the sequence number, then a pattern to check. */
static uint8_t *
body_new(size_t size)
{
	uint8_t	*b;
	size_t	 i;

	if ((b = calloc(1, size)) == NULL)
		die("out of memory");
	for (i = SEQ_LEN; i < size; i++)
		b[i] = (uint8_t)(i * 7 + (i >> 8));
	return (b);
}

/* Big-endian, so that any two machines agree. */
static void
seq_put(uint8_t *b, uint64_t seq)
{
	seq = htobe64(seq);
	memcpy(b, &seq, SEQ_LEN);
}

static uint64_t
seq_get(const void *b)
{
	uint64_t	seq;

	memcpy(&seq, b, SEQ_LEN);
	return (be64toh(seq));
}

/* tput: the subscriber */

/* Sleep until the n-th message is due at rate per second since t0. */
static void
bench_pace(double t0, uint64_t n, uint64_t rate)
{
	struct timespec	ts;
	double		due = t0 + (double)n / (double)rate, wait;

	if ((wait = due - now_s()) <= 0)
		return;
	ts.tv_sec = (time_t)wait;
	ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static void
tput_sub_data(struct tput_sub *s, const struct cohort_msg *m)
{
	uint64_t	seq;
	size_t		size = s->o->size;

	if (s->recv++ == 0)
		s->t_first = now_s();
	/* -R: a subscriber that cannot keep up, paced to rate msgs/s. */
	if (s->o->rate > 0)
		bench_pace(s->t_first, s->recv, s->o->rate);
	s->bytes += m->len;
	if (m->len != size || memcmp((const uint8_t *)m->data + SEQ_LEN,
	    s->ref + SEQ_LEN, size - SEQ_LEN) != 0 ||
	    (seq = seq_get(m->data)) >= s->o->n) {
		s->corrupt++;
		return;
	}
	if (s->seen[seq / 8] & (1u << (seq % 8))) {
		s->dup++;
		return;
	}
	s->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	s->unique++;
	/* gaps counts holes (jumps forward); lost, the messages missing. */
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
	else if (strcmp(m->subject, s->o->subject2) == 0 &&
	    m->len >= SEQ_LEN) {
		s->t_end = now_s();
		s->marker_count = seq_get(m->data);
		s->got_marker = 1;
	}
}

/*
 * Until the marker, the daemon closing us, or an idle timeout.  The
 * marker can end the run because a daemon delivers one sender's messages
 * in the order they were sent: when it arrives, every data message
 * before it has arrived or is lost for good.
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

/* tput: the publisher */

/* A refusal, now from cohort_publish() or later from the daemon. */
static void
tput_pub_refused(struct tput_pub *p, const char *text, uint64_t *count)
{
	if (p->refused_now + p->refused_later == 0)
		fprintf(stderr, "cohort-bench: publisher: refused: %s\n", text);
	(*count)++;
}

static void
tput_pub_error_cb(struct cohort *c, int status, const char *text, void *arg)
{
	struct tput_pub	*p = arg;

	(void)c;
	(void)status;
	tput_pub_refused(p, text, &p->refused_later);
}

static void
tput_pub_fail(struct tput_pub *p, const char *what)
{
	fprintf(stderr, "cohort-bench: publisher: %s: %s\n", what,
	    cohort_errmsg(p->c));
	p->failed = 1;
}

/*
 * One message: to node --to, or with bcast to every up node but ours;
 * queued (cohort_publish(), cohort_publish_all()) unless wait asks for
 * the daemon's answer.
 */
static int
tput_pub_send(struct tput_pub *p, const char *subject, const void *data,
    size_t len, int wait)
{
	const struct opts	*o = p->o;
	struct cohort_unreached	*u;
	size_t			 nu;
	int			 rv;

	if (o->mode == MODE_BCAST && !wait)
		return (cohort_publish_all(p->c, 0, subject, data, len));
	if (o->mode == MODE_BCAST) {
		rv = cohort_broadcast(p->c, 0, subject, data, len, &u, &nu,
		    o->timeout_ms);
		free(u);
		/* Down nodes are not an error; a receiver on one is lost. */
		return (rv == COHORT_ERR_UNREACHABLE ? COHORT_OK : rv);
	}
	if (wait)
		return (cohort_send(p->c, o->to_b, subject, data, len,
		    o->timeout_ms));
	return (cohort_publish(p->c, o->to_b, subject, data, len));
}

static void *
tput_pub_main(void *arg)
{
	struct tput_pub	*p = arg;
	const struct opts *o = p->o;
	uint8_t		 mark[SEQ_LEN];
	uint64_t	 seq;
	int		 rv;

	p->t0 = now_s();
	for (seq = 0; seq < o->n && !p->failed; seq++) {
		seq_put(p->body, seq);
		rv = tput_pub_send(p, o->subject, p->body, o->size, 0);
		if (rv == COHORT_OK)
			p->published++;
		else if (rv == COHORT_ERR_CLOSED || rv == COHORT_ERR_SYS)
			tput_pub_fail(p, "publish");
		else
			tput_pub_refused(p, cohort_errmsg(p->c),
			    &p->refused_now);
		/* Refusals arrive only when we read: look now and then. */
		if (seq % PUB_DISPATCH_EVERY == 0 && cohort_dispatch(p->c) < 0)
			tput_pub_fail(p, "dispatch");
	}
	if (!p->failed && cohort_flush(p->c, o->timeout_ms) != COHORT_OK)
		tput_pub_fail(p, "flush");
	p->t_flushed = now_s();
	/*
	 * The marker goes with cohort_send() (or a broadcast, which waits
	 * too): its answer comes after the daemon has handled every publish
	 * before it, so every refusal is queued by then, and the dispatch
	 * below counts them all.
	 */
	seq_put(mark, p->published);
	if (!p->failed && tput_pub_send(p, o->subject2, mark, sizeof(mark),
	    1) != COHORT_OK)
		tput_pub_fail(p, "end marker");
	if (!p->failed)
		(void)cohort_dispatch(p->c);
	sem_post(&p->done);
	return (NULL);
}

/* The daemons' CPU time is left out when we could not read it. */
static void
report_end(double srv_cpu)
{
	if (srv_cpu >= 0)
		printf(" srv_cpu_s=%.2f", srv_cpu);
	printf("\n");
	fflush(stdout);
}

/* tput: the run and its report */

/*
 * A subscriber on the daemon at path, subscribed to the subject and its
 * marker before anything is published, so that nothing is missed.  ref
 * is borrowed: it outlives the subscriber.
 */
static void
tput_sub_init(struct tput_sub *s, const struct opts *o, const char *path,
    const uint8_t *ref)
{
	memset(s, 0, sizeof(*s));
	s->o = o;
	s->ref = ref;
	s->c = bench_open(path, "--sub");
	bench_subscribe(s->c, o->subject);
	bench_subscribe(s->c, o->subject2);
	cohort_set_msg_cb(s->c, tput_sub_msg_cb, s);
	if ((s->seen = calloc(o->n / 8 + 1, 1)) == NULL)
		die("out of memory");
}

static void
tput_sub_free(struct tput_sub *s)
{
	cohort_close(s->c);
	free(s->seen);
}

static void
tput_pub_init(struct tput_pub *p, const struct opts *o)
{
	memset(p, 0, sizeof(*p));
	p->o = o;
	p->c = bench_open(o->sock_a, "--pub");
	if (o->size > cohort_max_message(p->c))
		die("size %zu is over the limit of %s (%zu)", o->size,
		    cohort_node_id(p->c), cohort_max_message(p->c));
	cohort_set_error_cb(p->c, tput_pub_error_cb, p);
	p->body = body_new(o->size);
	if (sem_init(&p->done, 0, 0) == -1)
		die("sem_init: %s", strerror(errno));
}

static void
tput_pub_free(struct tput_pub *p)
{
	sem_destroy(&p->done);
	cohort_close(p->c);
	free(p->body);
}

/*
 * Join the publisher once the subscribers have stopped (recv is what
 * they received).  Bounded: the publisher may block in backpressure for
 * ever.
 */
static void
tput_pub_join(struct tput_pub *p, pthread_t th, uint64_t recv)
{
	struct timespec	ts;
	int		rv;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += p->o->timeout_ms / 1000;
	while ((rv = sem_timedwait(&p->done, &ts)) == -1 && errno == EINTR)
		continue;
	if (rv == -1)
		die("the publisher is stuck %d ms after the subscriber "
		    "stopped (%" PRIu64 " published, %" PRIu64 " received)",
		    p->o->timeout_ms, p->published, recv);
	pthread_join(th, NULL);
}

/* Refused messages were reported to us: not lost, but not sent. */
static uint64_t
tput_pub_sent(const struct tput_pub *p)
{
	return (p->published - (p->refused_later < p->published ?
	    p->refused_later : p->published));
}

/* The marker and the publisher should agree on what was sent. */
static void
tput_sub_check_marker(const struct tput_sub *s, const struct tput_pub *p)
{
	if (s->got_marker && s->marker_count != p->published)
		fprintf(stderr, "cohort-bench: the marker says %" PRIu64
		    " sent, the publisher %" PRIu64 "\n", s->marker_count,
		    p->published);
}

/*
 * What a subscriber (or a sum of them) missed or got wrong, out of
 * expect messages sent to it, as key=value pairs; non-zero if anything.
 */
static int
tput_sub_faults(const struct tput_sub *s, uint64_t expect)
{
	uint64_t	lost = expect > s->unique ? expect - s->unique : 0;

	printf(" lost=%" PRIu64 " gaps=%" PRIu64 " reordered=%" PRIu64
	    " dup=%" PRIu64 " corrupt=%" PRIu64, lost, s->gaps, s->reordered,
	    s->dup, s->corrupt);
	return (lost || s->gaps || s->reordered || s->dup || s->corrupt ||
	    !s->got_marker);
}

static int
tput_report(const struct opts *o, const struct tput_sub *s,
    const struct tput_pub *p, double cpu, double srv_cpu)
{
	uint64_t	refused;
	double		secs, pub_secs;
	int		bad;

	refused = p->refused_now + p->refused_later;
	secs = s->recv > 0 ? s->t_end - s->t_first : 0;
	pub_secs = p->t_flushed - p->t0;
	printf("mode=tput size=%zu n=%" PRIu64 " from=%s to=%s recv=%" PRIu64
	    " msgs_per_s=%.0f MBps=%.1f secs=%.3f pub_msgs_per_s=%.0f",
	    o->size, o->n, cohort_node_id(p->c), o->to_b, s->recv,
	    secs > 0 ? (double)s->recv / secs : 0.0,
	    secs > 0 ? (double)s->bytes / secs / 1e6 : 0.0, secs,
	    pub_secs > 0 ? (double)p->published / pub_secs : 0.0);
	tput_sub_check_marker(s, p);
	bad = tput_sub_faults(s, tput_pub_sent(p));
	printf(" refused=%" PRIu64 " closed=%d timeout=%d cpu_s=%.2f",
	    refused, s->closed, s->timed_out, cpu);
	report_end(srv_cpu);
	return (bad || refused ? EXIT_LOSS : EXIT_OK);
}

static int
tput_run(struct opts *o)
{
	struct tput_sub	 s;
	struct tput_pub	 p;
	struct cohort	*h[2];
	pthread_t	 th_sub, th_pub;
	uint8_t		*ref;
	double		 cpu0, srv0, srv1;
	int		 rv;

	snprintf(o->subject2, sizeof(o->subject2), "%s.end", o->subject);
	ref = body_new(o->size);
	tput_sub_init(&s, o, o->sock_b[0], ref);
	tput_pub_init(&p, o);
	if (o->to_b == NULL)
		o->to_b = cohort_node_id(s.c);
	bench_check_up(p.c, o->to_b);
	h[0] = p.c;
	h[1] = s.c;

	fprintf(stderr, "cohort-bench: tput %" PRIu64 " x %zu B, %s -> %s, "
	    "subject %s\n", o->n, o->size, cohort_node_id(p.c), o->to_b,
	    o->subject);
	cpu0 = cpu_s();
	srv0 = daemons_cpu_s(h, 2);
	if (pthread_create(&th_sub, NULL, tput_sub_main, &s) != 0 ||
	    pthread_create(&th_pub, NULL, tput_pub_main, &p) != 0)
		die("cannot start threads");
	pthread_join(th_sub, NULL);
	tput_pub_join(&p, th_pub, s.recv);
	srv1 = daemons_cpu_s(h, 2);
	rv = tput_report(o, &s, &p, cpu_s() - cpu0,
	    srv0 >= 0 && srv1 >= 0 ? srv1 - srv0 : -1);
	tput_pub_free(&p);
	tput_sub_free(&s);
	free(ref);
	return (rv);
}

/* bcast: tput's publisher and subscribers, one on each receiving node */

static void
tput_sub_add(struct tput_sub *sum, const struct tput_sub *s)
{
	sum->recv += s->recv;
	sum->unique += s->unique;
	sum->bytes += s->bytes;
	sum->gaps += s->gaps;
	sum->reordered += s->reordered;
	sum->dup += s->dup;
	sum->corrupt += s->corrupt;
	sum->closed += s->closed;
	sum->timed_out += s->timed_out;
	sum->got_marker &= s->got_marker;
	if (s->recv > 0 && s->t_last > sum->t_last)
		sum->t_last = s->t_last;
}

/*
 * A line for each receiver, then the result: the rate is everything
 * delivered over the time from the first send to the last receipt on any
 * node, which is what a broadcast costs the cluster as a whole.
 */
static int
bcast_report(const struct opts *o, const struct tput_sub *s,
    const struct tput_pub *p, double cpu, double srv_cpu)
{
	struct tput_sub	sum;
	uint64_t	sent = tput_pub_sent(p), refused;
	double		secs, pub_secs;
	size_t		i;
	int		bad = 0;

	memset(&sum, 0, sizeof(sum));
	sum.got_marker = 1;
	for (i = 0; i < o->n_b; i++) {
		tput_sub_check_marker(&s[i], p);
		printf("node=%s recv=%" PRIu64, cohort_node_id(s[i].c),
		    s[i].recv);
		bad |= tput_sub_faults(&s[i], sent);
		printf(" closed=%d timeout=%d\n", s[i].closed, s[i].timed_out);
		tput_sub_add(&sum, &s[i]);
	}
	refused = p->refused_now + p->refused_later;
	secs = sum.recv > 0 ? sum.t_last - p->t0 : 0;
	pub_secs = p->t_flushed - p->t0;
	printf("mode=bcast size=%zu n=%" PRIu64 " from=%s nodes=%zu"
	    " recv=%" PRIu64 " msgs_per_s=%.0f MBps=%.1f secs=%.3f"
	    " pub_msgs_per_s=%.0f", o->size, o->n, cohort_node_id(p->c),
	    o->n_b, sum.recv, secs > 0 ? (double)sum.recv / secs : 0.0,
	    secs > 0 ? (double)sum.bytes / secs / 1e6 : 0.0, secs,
	    pub_secs > 0 ? (double)p->published / pub_secs : 0.0);
	(void)tput_sub_faults(&sum, sent * o->n_b);
	printf(" refused=%" PRIu64 " closed=%d timeout=%d cpu_s=%.2f",
	    refused, sum.closed, sum.timed_out, cpu);
	report_end(srv_cpu);
	return (bad || refused ? EXIT_LOSS : EXIT_OK);
}

/*
 * A broadcast is not delivered on the sender's own node (no
 * COHORT_SELF: that would be a local delivery, not a relay), so a
 * receiver there would only count as lost; refuse it, as tput refuses a
 * node that is down.
 */
static void
bcast_check_receiver(struct cohort *pub, struct cohort *sub)
{
	const char	*node = cohort_node_id(sub);

	if (strcmp(node, cohort_node_id(pub)) == 0)
		die("--sub %s is the publisher's node: a broadcast does not "
		    "deliver there", node);
	bench_check_up(pub, node);
}

static int
bcast_run(struct opts *o)
{
	struct tput_sub	*s;
	struct tput_pub	 p;
	struct cohort	*h[HANDLES_MAX];
	pthread_t	 th_sub[SUBS_MAX], th_pub;
	uint8_t		*ref;
	uint64_t	 recv = 0;
	double		 cpu0, srv0, srv1;
	size_t		 i;
	int		 rv;

	snprintf(o->subject2, sizeof(o->subject2), "%s.end", o->subject);
	if ((s = calloc(o->n_b, sizeof(*s))) == NULL)
		die("out of memory");
	ref = body_new(o->size);
	tput_pub_init(&p, o);
	h[0] = p.c;
	for (i = 0; i < o->n_b; i++) {
		tput_sub_init(&s[i], o, o->sock_b[i], ref);
		bcast_check_receiver(p.c, s[i].c);
		h[i + 1] = s[i].c;
	}

	fprintf(stderr, "cohort-bench: bcast %" PRIu64 " x %zu B, %s -> "
	    "%zu subscribers, subject %s\n", o->n, o->size,
	    cohort_node_id(p.c), o->n_b, o->subject);
	cpu0 = cpu_s();
	srv0 = daemons_cpu_s(h, o->n_b + 1);
	for (i = 0; i < o->n_b; i++)
		if (pthread_create(&th_sub[i], NULL, tput_sub_main, &s[i]) !=
		    0)
			die("cannot start threads");
	if (pthread_create(&th_pub, NULL, tput_pub_main, &p) != 0)
		die("cannot start threads");
	for (i = 0; i < o->n_b; i++) {
		pthread_join(th_sub[i], NULL);
		recv += s[i].recv;
	}
	tput_pub_join(&p, th_pub, recv);
	srv1 = daemons_cpu_s(h, o->n_b + 1);
	rv = bcast_report(o, s, &p, cpu_s() - cpu0,
	    srv0 >= 0 && srv1 >= 0 ? srv1 - srv0 : -1);
	tput_pub_free(&p);
	for (i = 0; i < o->n_b; i++)
		tput_sub_free(&s[i]);
	free(s);
	free(ref);
	return (rv);
}

/* lat */

static void
lat_error_cb(struct cohort *c, int status, const char *text, void *arg)
{
	atomic_int	*failed = arg;

	(void)status;
	fprintf(stderr, "cohort-bench: refused on %s: %s\n",
	    cohort_node_id(c), text);
	atomic_store(failed, 1);
}

static void
lat_echo_msg_cb(struct cohort *c, const struct cohort_msg *m, void *arg)
{
	struct lat_echo	*e = arg;

	if (cohort_publish(c, e->o->to_a, e->o->subject2, m->data, m->len) !=
	    COHORT_OK) {
		fprintf(stderr, "cohort-bench: echo: %s\n", cohort_errmsg(c));
		atomic_store(&e->failed, 1);
	}
}

/* Answer every ping at once, until main says stop. */
static void *
lat_echo_main(void *arg)
{
	struct lat_echo	*e = arg;
	int		 idle;

	while (!atomic_load(&e->stop) && !atomic_load(&e->failed)) {
		if (bench_wait_dispatch(e->c, POLL_SLICE_MS, &idle) < 0 ||
		    cohort_flush(e->c, e->o->timeout_ms) != COHORT_OK) {
			fprintf(stderr, "cohort-bench: echo: %s\n",
			    cohort_errmsg(e->c));
			atomic_store(&e->failed, 1);
		}
	}
	return (NULL);
}

static void
lat_client_msg_cb(struct cohort *c, const struct cohort_msg *m, void *arg)
{
	struct lat_client *l = arg;

	(void)c;
	/* Ignore a pong of an earlier round, should one ever come late. */
	if (m->len >= SEQ_LEN && seq_get(m->data) == l->expect) {
		l->t_recv = now_ns();
		l->got = 1;
	}
}

/*
 * One ping-pong; its duration in ns.  Any failure ends the program.  The
 * flush writes the ping now rather than when a batch has filled.
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
		if (atomic_load(l->failed))
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

	return ((double)v[(rank < 1 ? 1 : rank) - 1] / 1000.0);
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
	report_end(srv_cpu);
}

static int
lat_run(struct opts *o)
{
	struct lat_echo		 e;
	struct lat_client	 l;
	pthread_t		 th;
	uint64_t		*lat, i, seq = 0;
	struct cohort		*h[2];
	double			 cpu0, srv0, srv1;

	memset(&e, 0, sizeof(e));
	memset(&l, 0, sizeof(l));
	e.o = l.o = o;
	l.failed = &e.failed;
	e.c = bench_open(o->sock_b[0], "--b");
	l.c = bench_open(o->sock_a, "--a");
	if (o->to_b == NULL)
		o->to_b = cohort_node_id(e.c);
	if (o->to_a == NULL)
		o->to_a = cohort_node_id(l.c);
	bench_check_up(l.c, o->to_b);
	bench_check_up(e.c, o->to_a);
	h[0] = l.c;
	h[1] = e.c;
	snprintf(l.ping, sizeof(l.ping), "%s.ping", o->subject);
	snprintf(o->subject2, sizeof(o->subject2), "%s.pong", o->subject);
	bench_subscribe(e.c, l.ping);
	bench_subscribe(l.c, o->subject2);
	cohort_set_msg_cb(e.c, lat_echo_msg_cb, &e);
	cohort_set_msg_cb(l.c, lat_client_msg_cb, &l);
	cohort_set_error_cb(e.c, lat_error_cb, &e.failed);
	cohort_set_error_cb(l.c, lat_error_cb, &e.failed);
	l.body = body_new(o->size);
	if ((lat = calloc(o->n, sizeof(*lat))) == NULL)
		die("out of memory");
	if (pthread_create(&th, NULL, lat_echo_main, &e) != 0)
		die("pthread_create failed");

	fprintf(stderr, "cohort-bench: lat %" PRIu64 " (+%" PRIu64 " warm-up)"
	    " x %zu B, %s <-> %s\n", o->n, o->warmup, o->size, o->to_a,
	    o->to_b);
	for (i = 0; i < o->warmup; i++)
		(void)lat_round_trip(&l, seq++);
	cpu0 = cpu_s();
	srv0 = daemons_cpu_s(h, 2);
	for (i = 0; i < o->n; i++)
		lat[i] = lat_round_trip(&l, seq++);
	srv1 = daemons_cpu_s(h, 2);
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
"usage: cohort-bench tput [-n count] [-s size] [-S subject] [-T seconds] [-R rate]\n"
"           --pub socket --sub socket [--to node]\n"
"       cohort-bench lat [-n count] [-s size] [-w warmup] [-S subject]\n"
"           [-T seconds] --a socket --b socket [--to-a node] [--to-b node]\n"
"       cohort-bench bcast [-n count] [-s size] [-S subject] [-T seconds]\n"
"           [-R rate] --pub socket --sub socket [--sub socket ...]\n"
"\n"
"tput: an app on the daemon of --pub publishes count (1000000) messages\n"
"      of size (64, at least 8) bytes on subject (bench.PID), then a marker\n"
"      on subject.end, to an app on the daemon of --sub (node --to).\n"
"lat:  an app on --a sends subject.ping to one on --b (node --to-b), which\n"
"      answers on subject.pong (to node --to-a); after warmup (2000) round\n"
"      trips, count (20000) are timed.\n"
"bcast: as tput, but the app on --pub broadcasts count (100000) messages\n"
"      to every up node (queued, cohort_publish_all: no call waits for an\n"
"      answer; only the end marker does), and\n"
"      an app on each --sub daemon (up to 64, not the publisher's node)\n"
"      receives them.  msgs_per_s is all they received over the time\n"
"      from the first send to the last receipt; a line per receiver\n"
"      (node=...) comes before the result.\n"
"-R: the subscriber (bcast: each) reads at most rate messages a\n"
"      second (a slow subscriber: the publisher must be slowed, nothing\n"
"      lost).\n"
"Nodes default to the ids of the daemons.  -T: give up after this long\n"
"without progress (10).  The last line on stdout is the result, as\n"
"key=value pairs.  Exit status: 0 success, 1 error, 3 tput or bcast\n"
"lost, gaps, reordered, dup, corrupt or refused not 0, or no end marker.\n");
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
		{ "pub", required_argument, NULL, 'A' },
		{ "a", required_argument, NULL, 'A' },
		{ "sub", required_argument, NULL, 'B' },
		{ "b", required_argument, NULL, 'B' },
		{ "to-a", required_argument, NULL, 'X' },
		{ "to", required_argument, NULL, 'Y' },
		{ "to-b", required_argument, NULL, 'Y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	memset(o, 0, sizeof(*o));
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		exit(EXIT_OK);
	}
	if (argc < 2) {
		usage(stderr);
		exit(EXIT_ERR);
	}
	for (o->mode = 0; o->mode <= MODE_BCAST; o->mode++)
		if (strcmp(argv[1], bench_modes[o->mode].name) == 0)
			break;
	if (o->mode > MODE_BCAST)
		die("unknown mode %s: tput, lat or bcast (see -h)", argv[1]);
	o->n = bench_modes[o->mode].n;
	o->size = 64;
	o->warmup = 2000;
	o->timeout_ms = 10000;
	/* Our own subject, so that runs side by side do not mix. */
	snprintf(o->subject, sizeof(o->subject), "bench.%ld", (long)getpid());
	optind = 2;
	opterr = 0;	/* one line of our own instead */
	while ((ch = getopt_long(argc, argv, "hn:R:s:S:T:w:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'R':
			o->rate = opt_num(optarg, "rate", 1, 1000000000);
			break;
		case 'n':
			o->n = opt_num(optarg, "count", 1, 1000000000);
			break;
		case 's':
			o->size = opt_num(optarg, "size", SEQ_LEN, 1 << 30);
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
			if (o->n_b == SUBS_MAX)
				die("more than %d --sub sockets", SUBS_MAX);
			o->sock_b[o->n_b++] = optarg;
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
			die("bad option or missing value: %s (see -h)",
			    argv[optind - 1]);
		}
	}
	if (optind != argc)
		die("unexpected argument %s (see -h)", argv[optind]);
	if (o->mode != MODE_BCAST && o->n_b > 1)
		die("%s takes one --sub or --b socket", argv[1]);
	if (o->mode == MODE_BCAST && (o->to_a != NULL || o->to_b != NULL))
		die("bcast sends to every up node: no --to");
}

int
main(int argc, char *argv[])
{
	struct opts	o;

	opts_parse(&o, argc, argv);
	switch (o.mode) {
	case MODE_LAT:
		return (lat_run(&o));
	case MODE_BCAST:
		return (bcast_run(&o));
	default:
		return (tput_run(&o));
	}
}
