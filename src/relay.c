/*
 * relay.c: where peers and local clients meet.  peer.c reports what
 * happened to the mesh; this file decides which clients hear of it.
 */
#include <string.h>

#include "cohortd.h"

void
relay_member_changed(struct cohortd *sc, const char *node,
    enum member_state state, enum member_state prev, uint64_t incarnation)
{
	struct wire_ctl_event	ev;

	if (sc->stopping)
		return;
	memset(&ev, 0, sizeof(ev));
	strlcpy(ev.node, node, sizeof(ev.node));
	ev.state = (uint8_t)state;
	ev.prev_state = (uint8_t)prev;
	ev.incarnation = incarnation;
	ev.time_ms = wall_ms();
	control_broadcast_event(sc, &ev);
}
