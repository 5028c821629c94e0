/*
 * main.c: cohortd's options, the config check (-t), --keygen, and the
 * event loop.  Everything else is the daemon layer's (daemon.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "common/log.h"
#include "daemon/io/evutil.h"
#include "daemon.h"

#ifndef COHORT_CONF_DEFAULT
#define COHORT_CONF_DEFAULT	"/etc/cohort/cohortd.conf"
#endif

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

static int
check_config(const char *path, const char *node, int verbose)
{
	struct cohort_conf	conf;
	struct auth_keys	keys;
	SSL_CTX			*tls;
	char			err[512];

	if (daemon_load(path, node, &conf, &keys, &tls, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "cohortd: %s\n", err);
		return (1);
	}
	explicit_bzero(&keys, sizeof(keys));
	SSL_CTX_free(tls);
	if (verbose)
		config_print(&conf, stdout);
	else
		fprintf(stderr, "cohortd: %s: configuration OK (node %s, %zu "
		    "nodes in cluster %s)\n", path, conf.node_id, conf.n_nodes,
		    conf.cluster);
	config_free(&conf);
	return (0);
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
	SSL_CTX		*tls;
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
	if (daemon_load(sc.conf_path, sc.node_override, &sc.conf, &sc.keys,
	    &tls, err, sizeof(err)) == -1)
		fatalx("%s", err);
	log_setverbose(sc.debug || sc.conf.log_debug);
	if (sc.conf.tls_on)
		log_info("peer streams use TLS 1.3: certificate %s, CA %s",
		    sc.conf.tls_cert, sc.conf.tls_ca);
	else if (tls != NULL)
		log_info("peer streams use TLS 1.3 keyed by the cluster key");
	else if (sc.conf.auth_none && sc.conf.n_nodes > 1)
		log_warnx("security.authentication is \"none\": anything that "
		    "reaches port %u can join cluster %s as one of its nodes, "
		    "and peer streams are not encrypted",
		    sc.conf.nodes[sc.conf.self].port, sc.conf.cluster);
	else if (sc.conf.encrypt_none && sc.conf.n_nodes > 1)
		log_warnx("security.encryption is \"none\": peers prove the "
		    "cluster key when they connect, but what travels between "
		    "them is neither encrypted nor authenticated: anyone on the "
		    "path can read it, and change it");

	/* New at every start, and larger than the last one: a restart shows. */
	{
		struct timespec	ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		sc.incarnation = (uint64_t)ts.tv_sec * 1000000 +
		    (uint64_t)ts.tv_nsec / 1000;
	}
	sc.started_ms = wall_ms();
	if (daemon_start(&sc, tls) == -1) {
		daemon_free(&sc);
		return (1);
	}
	log_info("node %s of cluster %s started (incarnation %llu, %zu "
	    "peers, heartbeat %u ms, timeout %u ms)", sc.conf.node_id,
	    sc.conf.cluster, (unsigned long long)sc.incarnation,
	    sc.conf.n_nodes - 1, sc.conf.lim.hb_interval_ms,
	    sc.conf.lim.hb_timeout_ms);
	daemon_notify_status(&sc, 1);

	event_base_dispatch(sc.base);

	log_info("node %s stopped", sc.conf.node_id);
	daemon_free(&sc);
	return (0);
}
