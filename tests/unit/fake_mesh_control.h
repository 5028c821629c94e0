/*
 * fake_mesh_control.h: a mesh and a control socket for relay.c to call
 * in check_relay, without sockets.
 *
 * fake_mesh_control.c defines every mesh_* and control_* function that
 * relay.c calls.  Each call is recorded, with the frame it carried
 * decoded by the codec (a frame that does not decode fails the test);
 * the test sets what the calls answer: each peer's state (its reason,
 * 0 when up) and whether its queue is congested, and what
 * control_deliver returns for each client.
 */
#ifndef FAKE_MESH_CONTROL_H
#define FAKE_MESH_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "common/wire.h"

struct mesh;
struct control;
struct client;

enum fake_call {
	FAKE_ANY = 0,
	FAKE_MESH_SEND,		/* node, data, tag */
	FAKE_MESH_BROADCAST,	/* one per peer reached: node, data, tag */
	FAKE_MESH_PAUSE_READ,	/* node */
	FAKE_MESH_RESUME_READS,
	FAKE_CTL_DELIVER,	/* cl, type: msg or result */
	FAKE_CTL_ERROR,		/* cl, req_id, code, text */
	FAKE_CTL_PAUSE,		/* cl, node */
	FAKE_CTL_RESUME,	/* node */
	FAKE_CTL_EVENT,		/* ev */
	FAKE_CTL_LOST,		/* client_id, node, count, first_req, req_id */
};

#define FAKE_UNREACHED_MAX	64

struct fake_rec {
	enum fake_call		 call;
	char			 node[WIRE_ID_MAX + 1];
	struct client		*cl;
	/* mesh sends: the tag (has_tag 0 for NULL); lost: the client */
	int			 has_tag;
	uint64_t		 client_id;
	uint32_t		 req_id;	/* tag, error, lost (last) */
	uint32_t		 first_req;	/* lost */
	uint32_t		 count;		/* lost */
	uint32_t		 code;		/* error */
	char			 text[WIRE_TEXT_MAX + 1];
	/* the frame (head and body as one), owned, and what it decodes to */
	uint8_t			*frame;
	size_t			 frame_len;
	uint32_t		 type;
	struct wire_data	 data;		/* WT_DATA */
	struct wire_ctl_msg	 msg;		/* WT_CTL_MSG */
	uint32_t		 delivered;	/* WT_CTL_PUB_RESULT */
	uint32_t		 n_unreached;
	struct wire_unreached	 unreached[FAKE_UNREACHED_MAX];
	struct wire_ctl_event	 ev;		/* FAKE_CTL_EVENT */
};

struct mesh	*fake_mesh(void);
struct control	*fake_control(void);
/* Forget every call, peer and client. */
void		 fake_reset(void);

/* A peer (added in order, for broadcasts): its reason, 0 if up. */
void		 fake_peer_set(const char *, int, int);

/* A client with this id; freed by fake_reset. */
struct client	*fake_client_new(uint64_t);
/* What control_deliver returns for it (0, 1 full, -1 gone). */
void		 fake_client_deliver_rv(struct client *, int);
/* Closing: control_client_mark skips it, as control.c does. */
void		 fake_client_closing(struct client *, int);
/* Its requests in flight, as control_client_requests counts them. */
uint32_t	 fake_client_requests(const struct client *);

/* The calls recorded, oldest first; each stays valid until fake_reset. */
size_t		 fake_n(void);
const struct fake_rec *fake_rec(size_t);
/* How many calls match (FAKE_ANY, NULL node or client: any). */
size_t		 fake_count(enum fake_call, const char *, const struct client *);
/* The nth (from 0) matching call; fails the test if there is none. */
const struct fake_rec *fake_find(enum fake_call, const char *,
		    const struct client *, size_t);

#endif /* FAKE_MESH_CONTROL_H */
