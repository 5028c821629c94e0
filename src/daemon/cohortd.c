/*
 * cohortd.c: main: options, config, wiring, signals and the event loop.
 */
#include <sys/time.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/cohortd.h"
#include "daemon/io/tls.h"

#ifndef COHORT_CONF_DEFAULT
#define COHORT_CONF_DEFAULT	"/etc/cohort/cohortd.conf"
#endif

/* How long SIGTERM waits for BYE frames to flush before exiting. */
#define SHUTDOWN_GRACE_MS	1000

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cohortd [-dtvV] [-c file] [-n node_id] | --keygen file\n"
	    "  -c file     config file (default %s)\n"
	    "  -n node_id  act as this node of the config's nodes list\n"
	    "  -t          check the config and exit: 0 if valid, 1 if not\n"
	    "  -v          with -t, print the config with every default\n"
	    "  -d          log debug messages\n"
	    "  -V          print the version and exit\n"
	    "  -h          print this help and exit\n"
	    "  --keygen file  write a new random cluster key (mode 0600)\n",
	    COHORT_CONF_DEFAULT);
}

uint64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

uint64_t
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/*
 * What cannot change while running is put back to its running value,
 * each with a warning that names it: the node's identity, its listening
 * address, the socket path, and the message size (read limits are set
 * per stream when it opens).
 */
static void
reload_keep(struct cohortd *sc, struct cohort_conf *nc)
{
	const struct conf_node	*old_self = &sc->conf.nodes[sc->conf.self];
	struct conf_node	*new_self;

	if (strcmp(nc->cluster, sc->conf.cluster) != 0)
		log_warnx("reload: cluster takes effect at the next restart");
	if (strcmp(nc->node_id, sc->conf.node_id) != 0)
		log_warnx("reload: node_id takes effect at the next restart");
	if (strcmp(nc->socket, sc->conf.socket) != 0)
		log_warnx("reload: socket takes effect at the next restart");
	if (nc->lim.max_message_size != sc->conf.lim.max_message_size)
		log_warnx("reload: limits.max_message_size takes effect at "
		    "the next restart; keeping %u",
		    sc->conf.lim.max_message_size);
	/* Every stream of the cluster is TLS or none is: no mixing. */
	if (nc->tls_on != sc->conf.tls_on) {
		log_warnx("reload: turning security.tls %s takes effect at the "
		    "next restart (of every node); peer streams stay %s",
		    nc->tls_on ? "on" : "off", sc->conf.tls_on ? "in TLS" :
		    "plain");
		nc->tls_on = sc->conf.tls_on;
		nc->tls_line = sc->conf.tls_line;
		strlcpy(nc->tls_cert, sc->conf.tls_cert, sizeof(nc->tls_cert));
		strlcpy(nc->tls_key, sc->conf.tls_key, sizeof(nc->tls_key));
		strlcpy(nc->tls_ca, sc->conf.tls_ca, sizeof(nc->tls_ca));
	}
	strlcpy(nc->cluster, sc->conf.cluster, sizeof(nc->cluster));
	strlcpy(nc->socket, sc->conf.socket, sizeof(nc->socket));
	nc->lim.max_message_size = sc->conf.lim.max_message_size;
	/* The queues were checked against the new size: check them again. */
	if (nc->lim.peer_queue_bytes < config_max_frame(nc) ||
	    nc->lim.client_queue_bytes < config_max_frame(nc)) {
		log_warnx("reload: the queue limits must hold a frame of the "
		    "message size in force; keeping the old ones");
		nc->lim.peer_queue_bytes = sc->conf.lim.peer_queue_bytes;
		nc->lim.client_queue_bytes = sc->conf.lim.client_queue_bytes;
	}
	if (config_find_node(nc, sc->conf.node_id) == NULL) {
		/* Cannot happen: -n or node_id pins it.  Keep the old. */
		return;
	}
	strlcpy(nc->node_id, sc->conf.node_id, sizeof(nc->node_id));
	new_self = (struct conf_node *)config_find_node(nc, nc->node_id);
	nc->self = (size_t)(new_self - nc->nodes);
	if (strcmp(new_self->address, old_self->address) != 0 ||
	    new_self->port != old_self->port) {
		log_warnx("reload: this node's own address and port take "
		    "effect at the next restart; still on %s port %u",
		    old_self->address, old_self->port);
		strlcpy(new_self->address, old_self->address,
		    sizeof(new_self->address));
		new_self->port = old_self->port;
	}
}

/*
 * SIGHUP or cohortctl reload: parse the file again.  An invalid file
 * changes nothing and says why.  Otherwise the differences are applied
 * without touching streams to unchanged peers.  msg gets one line for
 * the one who asked.
 */
int
cohortd_reload(struct cohortd *sc, char *msg, size_t len)
{
	struct cohort_conf	 nc, old;
	struct auth_keys	 keys;
	struct wire_unreached	*u;
	struct peer_changes	 ch;
	SSL_CTX			*tls = NULL;
	char			 err[512];

	notify_reloading();
	if (config_load(sc->conf_path, sc->node_override, &nc, err,
	    sizeof(err)) == -1)
		goto invalid;
	if (config_load_keys(&nc, &keys, err, sizeof(err)) == -1)
		goto refused;
	reload_keep(sc, &nc);
	/*
	 * Certificates are read again (renewed files apply to the next
	 * handshakes); streams already open keep the context they began
	 * with, which OpenSSL counts references to.
	 */
	if (nc.tls_on && (tls = tls_ctx_new(&nc, err, sizeof(err))) == NULL) {
		explicit_bzero(&keys, sizeof(keys));
		goto refused;
	}
	if ((u = reallocarray(sc->unreached, nc.n_nodes, sizeof(*u))) ==
	    NULL) {
		config_free(&nc);
		SSL_CTX_free(tls);
		explicit_bzero(&keys, sizeof(keys));
		snprintf(msg, len, "reload refused: out of memory");
		notify_ready(sc);
		return (-1);
	}
	sc->unreached = u;
	/* New keys apply to the next handshakes: rotation, see auth.h. */
	sc->keys = keys;
	explicit_bzero(&keys, sizeof(keys));
	if (tls != NULL) {
		SSL_CTX_free(sc->tls);
		sc->tls = tls;
	}
	old = sc->conf;
	sc->conf = nc;
	log_setverbose(sc->debug || sc->conf.log_debug);
	peer_reconfigure(sc, &ch);
	control_apply_acl(sc);
	control_apply_policy(sc);
	config_free(&old);
	log_info("reloaded %s: %zu nodes added, %zu removed, %zu readdressed, "
	    "%zu unchanged", sc->conf_path, ch.added, ch.removed, ch.changed,
	    ch.kept);
	snprintf(msg, len, "reloaded %s: %zu nodes added, %zu removed, %zu "
	    "readdressed, %zu unchanged", sc->conf_path, ch.added, ch.removed,
	    ch.changed, ch.kept);
	notify_ready(sc);
	return (0);
refused:
	config_free(&nc);
invalid:
	log_warnx("reload refused, still running on the old config: %s", err);
	snprintf(msg, len, "reload refused, still running on the old config: "
	    "%s", err);
	notify_ready(sc);
	return (-1);
}

static void
listener_resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	evconnlistener_enable(arg);
}

void
listener_pause(struct cohortd *sc, struct evconnlistener *l, int err)
{
	struct timeval	tv = { 1, 0 };

	if (err != EMFILE && err != ENFILE)
		return;
	sc->stats.accept_paused++;
	evconnlistener_disable(l);
	/* A one-shot event: libevent frees it, even at exit. */
	if (event_base_once(sc->base, -1, EV_TIMEOUT, listener_resume_cb, l,
	    &tv) == -1)
		evconnlistener_enable(l);
}

static void
cohortd_exit_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct cohortd	*sc = arg;

	(void)fd;
	(void)ev;
	log_info("BYE not flushed to every peer in %d ms, exiting anyway",
	    SHUTDOWN_GRACE_MS);
	event_base_loopexit(sc->base, NULL);
}

static void
cohortd_signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct cohortd	*sc = arg;
	struct timeval	 tv = { 0, SHUTDOWN_GRACE_MS * 1000 };

	(void)ev;
	if (sig == SIGHUP) {
		char	msg[WIRE_TEXT_MAX + 1];

		log_info("SIGHUP: reloading %s", sc->conf_path);
		(void)cohortd_reload(sc, msg, sizeof(msg));
		return;
	}
	if (sc->stopping)
		return;
	log_info("%s: leaving the cluster", sig == SIGTERM ? "SIGTERM" :
	    "SIGINT");
	sc->stopping = 1;
	notify_stopping();
	control_shutdown(sc);
	peer_shutdown(sc);
	sc->ev_exit_timer = evtimer_new(sc->base, cohortd_exit_cb, sc);
	if (sc->ev_exit_timer != NULL)
		evtimer_add(sc->ev_exit_timer, &tv);
}

static int
check_config(const char *path, const char *node, int verbose)
{
	struct cohort_conf	conf;
	struct auth_keys	keys;
	SSL_CTX			*tls;
	char			err[512];

	if (config_load(path, node, &conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "cohortd: %s\n", err);
		return (1);
	}
	if (config_load_keys(&conf, &keys, err, sizeof(err)) == -1) {
		fprintf(stderr, "cohortd: %s\n", err);
		config_free(&conf);
		return (1);
	}
	explicit_bzero(&keys, sizeof(keys));
	if (conf.tls_on) {
		if ((tls = tls_ctx_new(&conf, err, sizeof(err))) == NULL) {
			fprintf(stderr, "cohortd: %s\n", err);
			config_free(&conf);
			return (1);
		}
		SSL_CTX_free(tls);
	}
	if (verbose)
		config_print(&conf, stdout);
	else
		fprintf(stderr, "cohortd: %s: configuration OK (node %s, %zu "
		    "nodes in cluster %s)\n", path, conf.node_id, conf.n_nodes,
		    conf.cluster);
	config_free(&conf);
	return (0);
}

static void
cohortd_signals(struct cohortd *sc)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sc->ev_sigterm = evsignal_new(sc->base, SIGTERM, cohortd_signal_cb, sc);
	sc->ev_sigint = evsignal_new(sc->base, SIGINT, cohortd_signal_cb, sc);
	sc->ev_sighup = evsignal_new(sc->base, SIGHUP, cohortd_signal_cb, sc);
	if (sc->ev_sigterm == NULL || sc->ev_sigint == NULL ||
	    sc->ev_sighup == NULL || evsignal_add(sc->ev_sigterm, NULL) ||
	    evsignal_add(sc->ev_sigint, NULL) || evsignal_add(sc->ev_sighup,
	    NULL))
		fatalx("cannot install signal handlers");
}

static void
cohortd_free(struct cohortd *sc)
{
	control_shutdown(sc);
	relay_free(sc);
	free(sc->unreached);
	peer_free_all(sc);
	if (sc->ev_sigterm)
		event_free(sc->ev_sigterm);
	if (sc->ev_sigint)
		event_free(sc->ev_sigint);
	if (sc->ev_sighup)
		event_free(sc->ev_sighup);
	if (sc->ev_exit_timer)
		event_free(sc->ev_exit_timer);
	if (sc->ev_watchdog)
		event_free(sc->ev_watchdog);
	config_free(&sc->conf);
	explicit_bzero(&sc->keys, sizeof(sc->keys));
	SSL_CTX_free(sc->tls);
	event_base_free(sc->base);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help",	no_argument,	NULL,	'h' },
		{ "version",	no_argument,	NULL,	'V' },
		{ "keygen",	required_argument, NULL, 'K' },
		{ NULL,		0,		NULL,	0 }
	};
	struct cohortd	 sc;
	char		 err[512];
	int		 ch, check = 0, verbose = 0;

	memset(&sc, 0, sizeof(sc));
	sc.conf_path = COHORT_CONF_DEFAULT;
	while ((ch = getopt_long(argc, argv, "c:dhn:tvV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			sc.conf_path = optarg;
			break;
		case 'd':
			sc.debug = 1;
			break;
		case 'h':
			usage(stdout);
			return (0);
		case 'K':
			if (auth_keygen(optarg, err, sizeof(err)) == -1) {
				fprintf(stderr, "cohortd: %s\n", err);
				return (1);
			}
			fprintf(stderr, "cohortd: wrote a new cluster key to %s "
			    "(mode 0600): copy it to every node\n", optarg);
			return (0);
		case 'n':
			sc.node_override = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("cohortd %s (protocol %d, systemd notify: %s)\n",
			    PACKAGE_VERSION, PROTO_VERSION,
#ifdef HAVE_LIBSYSTEMD
			    "yes"
#else
			    "no"
#endif
			    );
			return (0);
		default:
			usage(stderr);
			return (1);
		}
	}
	if (optind != argc) {
		usage(stderr);
		return (1);
	}
	if (check)
		return (check_config(sc.conf_path, sc.node_override, verbose));

	log_init("cohortd", sc.debug);
	if (config_load(sc.conf_path, sc.node_override, &sc.conf, err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
	log_setverbose(sc.debug || sc.conf.log_debug);
	if (config_load_keys(&sc.conf, &sc.keys, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (sc.conf.tls_on) {
		if ((sc.tls = tls_ctx_new(&sc.conf, err, sizeof(err))) == NULL)
			fatalx("%s", err);
		log_info("peer streams use TLS 1.3: certificate %s, CA %s",
		    sc.conf.tls_cert, sc.conf.tls_ca);
	} else if (sc.conf.auth_none && sc.conf.n_nodes > 1)
		log_warnx("security.authentication is \"none\": anything that "
		    "reaches port %u can join cluster %s as one of its nodes",
		    sc.conf.nodes[sc.conf.self].port, sc.conf.cluster);

	/* New at every start, and larger than the last one: a restart shows. */
	{
		struct timespec	ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		sc.incarnation = (uint64_t)ts.tv_sec * 1000000 +
		    (uint64_t)ts.tv_nsec / 1000;
	}
	sc.started_ms = wall_ms();
	if ((sc.base = event_base_new()) == NULL)
		fatalx("cannot create the event base");
	cohortd_signals(&sc);
	if ((sc.unreached = calloc(sc.conf.n_nodes,
	    sizeof(*sc.unreached))) == NULL || relay_init(&sc) == -1)
		fatalx("out of memory");
	if (peer_init(&sc) == -1 || control_init(&sc) == -1) {
		cohortd_free(&sc);
		return (1);
	}
	log_info("node %s of cluster %s started (incarnation %llu, %zu "
	    "peers, heartbeat %u ms, timeout %u ms)", sc.conf.node_id,
	    sc.conf.cluster, (unsigned long long)sc.incarnation,
	    sc.conf.n_nodes - 1, sc.conf.lim.hb_interval_ms,
	    sc.conf.lim.hb_timeout_ms);
	notify_ready(&sc);
	notify_watchdog_init(&sc);

	event_base_dispatch(sc.base);

	log_info("node %s stopped", sc.conf.node_id);
	cohortd_free(&sc);
	return (0);
}
