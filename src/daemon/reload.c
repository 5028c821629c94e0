/*
 * reload.c: SIGHUP or `cohortctl reload` (daemon.h).  The file is read
 * again; an invalid one changes nothing and says why.  Otherwise the
 * differences are applied without touching streams to unchanged peers.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>

#include "common/log.h"
#include "daemon/control/control.h"
#include "daemon/io/transport.h"
#include "daemon/mesh/mesh.h"
#include "daemon.h"
#include "notify.h"

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
	if (config_encrypted(nc) != config_encrypted(&sc->conf)) {
		log_warnx("reload: security.encryption (or authentication) "
		    "changes take effect at the next restart (of every node); "
		    "peer streams stay %s", config_encrypted(&sc->conf) ?
		    "encrypted" : "plain");
		nc->encrypt_none = sc->conf.encrypt_none;
		nc->auth_none = sc->conf.auth_none;
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

int
daemon_reload(struct cohortd *sc, char *msg, size_t len)
{
	struct cohort_conf	 nc, old;
	struct auth_keys	 keys;
	struct mesh_changes	 ch;
	SSL_CTX			*tls;
	char			 err[512];

	notify_reloading();
	if (daemon_load(sc->conf_path, sc->node_override, &nc, &keys, &tls,
	    err, sizeof(err)) == -1) {
		log_warnx("reload refused, still running on the old config: "
		    "%s", err);
		snprintf(msg, len, "reload refused, still running on the old "
		    "config: %s", err);
		notify_ready(mesh_count_up(sc->mesh), sc->conf.n_nodes - 1);
		return (-1);
	}
	reload_keep(sc, &nc);
	metrics_reload(sc, &nc);
	/*
	 * Renewed certificates apply to the next handshakes; streams
	 * already open keep the context they began with.  TLS turned on
	 * or off waits for a restart (reload_keep said so).
	 */
	if (tls != NULL && nc.tls_on)
		transport_set_tls(sc->tr, tls);
	else
		SSL_CTX_free(tls);	/* the PSK context reads the keys in place */
	/* New keys apply to the next handshakes: rotation, see auth.h. */
	sc->keys = keys;
	explicit_bzero(&keys, sizeof(keys));
	old = sc->conf;
	sc->conf = nc;
	log_setverbose(sc->debug || sc->conf.log_debug);
	mesh_reconfigure(sc->mesh, &ch);
	control_apply_acl(sc->ctl);
	control_apply_policy(sc->ctl);
	config_free(&old);
	log_info("reloaded %s: %zu nodes added, %zu removed, %zu readdressed, "
	    "%zu unchanged", sc->conf_path, ch.added, ch.removed, ch.changed,
	    ch.kept);
	snprintf(msg, len, "reloaded %s: %zu nodes added, %zu removed, %zu "
	    "readdressed, %zu unchanged", sc->conf_path, ch.added, ch.removed,
	    ch.changed, ch.kept);
	notify_ready(mesh_count_up(sc->mesh), sc->conf.n_nodes - 1);
	return (0);
}
