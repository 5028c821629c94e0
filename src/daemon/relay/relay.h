/*
 * relay.h: where peers and local clients meet.  The daemon hands the
 * relay what the mesh and the control socket report (through the
 * callback tables it registered with them); the relay decides who gets
 * what and calls down into the mesh and the control socket.
 */
#ifndef COHORT_RELAY_H
#define COHORT_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "common/config.h"
#include "common/counters.h"
#include "common/wire.h"

struct relay;
struct mesh;
struct control;
struct client;

struct relay_stats {
	STATS_FIELDS(relay)
};

/* Borrowed for the relay's lifetime; conf is replaced in place by reloads. */
struct relay	*relay_new(struct event_base *, const struct cohort_conf *,
		    struct mesh *, struct control *);
void		 relay_free(struct relay *);
const struct relay_stats *relay_stats(struct relay *);

/* From the mesh */
void		 relay_member_changed(struct relay *, const char *,
		    enum member_state, enum member_state, uint64_t);
/* DATA from a peer; -1 if it is malformed (the stream is then closed). */
int		 relay_data_in(struct relay *, const char *,
		    const struct wire_data *);
/* A congested peer's queue drained, or went away. */
void		 relay_peer_drained(struct relay *, const char *);
/* Messages of a client to node may be lost. */
void		 relay_lost(struct relay *, const char *, uint64_t, uint32_t,
		    uint32_t, uint32_t);

/* From the control socket */
void		 relay_publish(struct relay *, struct client *,
		    const struct wire_ctl_pub *);
/* -1 if the reply is malformed (the client is then dropped). */
int		 relay_reply(struct relay *, struct client *, uint64_t,
		    const uint8_t *, size_t);
int		 relay_subscribe(struct relay *, struct client *, const char *);
int		 relay_unsubscribe(struct relay *, struct client *,
		    const char *);
void		 relay_client_gone(struct relay *, struct client *);
/* No local subscriber is full any more. */
void		 relay_subscribers_drained(struct relay *);

#endif /* COHORT_RELAY_H */
