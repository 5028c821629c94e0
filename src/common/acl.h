/*
 * acl.h: who may use the local socket, and which subjects each may
 * publish to and subscribe to.  Pure: uids and gids are resolved from
 * names when the config is loaded.
 */
#ifndef COHORT_ACL_H
#define COHORT_ACL_H

#include <sys/types.h>

#include <stddef.h>

#define ACL_NAMES_MAX		64	/* users or groups in an allow-list */
#define ACL_RULES_MAX		64
#define ACL_PATTERNS_MAX	32	/* per rule and direction */

struct acl_rule {
	char		  who[64];	/* "user alice" / "group apps" */
	char		  name[33];	/* "alice" / "apps" */
	int		  is_group;
	uid_t		  uid;
	gid_t		  gid;
	int		  line;
	char		**publish;	/* patterns, owned */
	size_t		  n_publish;
	char		**subscribe;
	size_t		  n_subscribe;
};

struct acl {
	uid_t		  allow_uids[ACL_NAMES_MAX];
	char		  allow_user_names[ACL_NAMES_MAX][33];	/* cohortd -tv */
	size_t		  n_allow_uids;
	gid_t		  allow_gids[ACL_NAMES_MAX];
	char		  allow_group_names[ACL_NAMES_MAX][33];
	size_t		  n_allow_gids;
	struct acl_rule	 *rules;	/* owned, n_rules */
	size_t		  n_rules;
	/* security.admin_group: may reload and set the log level too */
	char		  admin_group[33];	/* "": none */
	gid_t		  admin_gid;
};

/* Does rule pattern r allow everything pattern p may match?  Both valid. */
int	 acl_covers(const char *, const char *);
/* May a client of uid and groups connect?  No allow-list: everyone. */
int	 acl_connect_ok(const struct acl *, uid_t, const gid_t *, size_t);
/* The rule for a client, or -1 (then, with rules, it may do nothing). */
int	 acl_rule_for(const struct acl *, uid_t, const gid_t *, size_t);
/*
 * May a client of uid and groups change the daemon (reload it, set its
 * log level)?  Root, the daemon's own uid (the second argument) and the
 * members of security.admin_group may; nobody else, whatever the rules
 * let it publish.
 */
int	 acl_is_admin(const struct acl *, uid_t, uid_t, const gid_t *,
	    size_t);
/* With rule index ri (or -1): may it publish to / subscribe to s? */
int	 acl_may_publish(const struct acl *, int, const char *);
int	 acl_may_subscribe(const struct acl *, int, const char *);
void	 acl_free(struct acl *);

#endif /* COHORT_ACL_H */
