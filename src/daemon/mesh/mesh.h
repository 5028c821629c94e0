/*
 * mesh.h: the peer mesh, as the layers above see it.  One stream to
 * every configured node, HELLO and ECHO, failure detection, and DATA
 * frames to and from peers.  The mesh tells the layer above what
 * happens through the table of callbacks it was made with; it never
 * calls up.
 */
#ifndef COHORT_MESH_H
#define COHORT_MESH_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "common/auth.h"
#include "common/config.h"
#include "common/counters.h"
#include "common/wire.h"
#include "stream.h"

struct mesh;
struct transport;

struct mesh_stats {
	STATS_FIELDS(mesh)
};

struct mesh_events {
	/* A peer's member state changed (as users see it). */
	void	(*member)(void *, const char *, enum member_state,
		    enum member_state, uint64_t);
	/* DATA from a peer; -1 if it is malformed (the stream is dropped). */
	int	(*data)(void *, const char *, const struct wire_data *);
	/* The node's output queue drained, or went away. */
	void	(*drained)(void *, const char *);
	/* count messages of a client to node may be lost (first..last). */
	void	(*lost)(void *, const char *, uint64_t, uint32_t, uint32_t,
		    uint32_t);
	/* After mesh_shutdown: every stream is closed. */
	void	(*quiet)(void *);
};

/*
 * What the mesh borrows from the daemon, for its lifetime: the config
 * (replaced in place by reloads, then mesh_reconfigure), the cluster
 * keys (likewise), the transport.
 */
struct mesh_params {
	struct event_base		*base;
	const struct cohort_conf	*conf;
	const struct auth_keys		*keys;
	struct transport		*tr;
	uint64_t			 incarnation;
	uint64_t			 started_ms;
};

/* Listen and dial every peer; NULL (logged) if the port cannot be bound. */
struct mesh	*mesh_new(const struct mesh_params *,
		    const struct mesh_events *, void *);
/* SIGTERM: BYE to every peer; quiet() once every stream is closed. */
void		 mesh_shutdown(struct mesh *);
void		 mesh_free(struct mesh *);

struct mesh_changes {
	size_t		 added, removed, changed, kept;
};
/* The config was reloaded: add, remove, readdress peers to match. */
void		 mesh_reconfigure(struct mesh *, struct mesh_changes *);

const struct mesh_stats *mesh_stats(struct mesh *);
size_t		 mesh_count_up(struct mesh *);
/* The member record of node i of the config (self included). */
void		 mesh_member(struct mesh *, size_t, struct wire_member *);
/* One "peer" section per peer, its COHORT_PEER_STATS rows, into sink. */
void		 mesh_peer_stats(struct mesh *, const struct stats_sink *);
/* 0 if node is up, else REASON_NODE_UNKNOWN or REASON_NODE_DOWN. */
int		 mesh_state_reason(struct mesh *, const char *);

/*
 * Queue head + body on node's stream: 0, or a reason as above.  When
 * congested is not NULL, it says whether the node's output queue is
 * over limits.peer_queue_bytes now (the sender should pause).  A tag
 * names the client and request the message came from, so that the
 * client is told if it may be lost; NULL for what the daemon sends on
 * its own account (replies).
 */
int		 mesh_send(struct mesh *, const char *, const uint8_t *, size_t,
		    const uint8_t *, size_t, const struct send_tag *, int *);
/*
 * To every up peer; the others are reported through the callback.  The
 * first congested peer, if any, is named in the last buffer (room for
 * WIRE_ID_MAX + 1).
 */
size_t		 mesh_broadcast(struct mesh *, const uint8_t *, size_t,
		    const uint8_t *, size_t, const struct send_tag *,
		    void (*)(const char *, uint32_t, void *), void *, char *);
/* A local subscriber is full: stop reading node's stream; resume all. */
void		 mesh_pause_read(struct mesh *, const char *);
void		 mesh_resume_reads(struct mesh *);

#endif /* COHORT_MESH_H */
