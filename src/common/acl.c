/*
 * acl.c: see acl.h.
 */
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "subject.h"

/* Next token of s at *pos (start, length); 0 at the end. */
static int
token(const char *s, size_t *pos, const char **t, size_t *len)
{
	const char	*dot;

	if (s[*pos] == '\0')
		return (0);
	*t = s + *pos;
	dot = strchr(*t, '.');
	*len = dot ? (size_t)(dot - *t) : strlen(*t);
	*pos += *len + (dot ? 1 : 0);
	return (1);
}

/*
 * r covers p when every subject p matches, r matches too: token by
 * token, ">" in r takes whatever remains of p (one token or more), "*"
 * in r takes any one token of p but not its ">", and a literal only the
 * same literal.
 */
int
acl_covers(const char *r, const char *p)
{
	const char	*rt, *pt;
	size_t		 rp = 0, pp = 0, rl, pl;

	while (token(r, &rp, &rt, &rl)) {
		if (rl == 1 && *rt == '>')
			return (token(p, &pp, &pt, &pl));
		if (!token(p, &pp, &pt, &pl))
			return (0);
		if (pl == 1 && *pt == '>')
			return (0);
		if (rl == 1 && *rt == '*')
			continue;
		if (pl == 1 && *pt == '*')
			return (0);
		if (rl != pl || memcmp(rt, pt, rl) != 0)
			return (0);
	}
	return (!token(p, &pp, &pt, &pl));
}

static int
in_groups(gid_t gid, const gid_t *groups, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return (1);
	return (0);
}

int
acl_is_admin(const struct acl *a, uid_t uid, uid_t daemon_uid,
    const gid_t *groups, size_t ngroups)
{
	if (uid == 0 || uid == daemon_uid)
		return (1);
	return (a->admin_group[0] != '\0' && in_groups(a->admin_gid, groups,
	    ngroups));
}

int
acl_connect_ok(const struct acl *a, uid_t uid, const gid_t *groups,
    size_t ngroups)
{
	size_t	i;

	if (a->n_allow_uids == 0 && a->n_allow_gids == 0)
		return (1);
	for (i = 0; i < a->n_allow_uids; i++)
		if (a->allow_uids[i] == uid)
			return (1);
	for (i = 0; i < a->n_allow_gids; i++)
		if (in_groups(a->allow_gids[i], groups, ngroups))
			return (1);
	return (0);
}

int
acl_rule_for(const struct acl *a, uid_t uid, const gid_t *groups,
    size_t ngroups)
{
	size_t	i;

	for (i = 0; i < a->n_rules; i++)
		if ((!a->rules[i].is_group && a->rules[i].uid == uid) ||
		    (a->rules[i].is_group && in_groups(a->rules[i].gid,
		    groups, ngroups)))
			return ((int)i);
	return (-1);
}

/* With rule ri (or -1), does one of its patterns allow what? */
static int
acl_allows(const struct acl *a, int ri, int publish, const char *what)
{
	const struct acl_rule	*r;
	char			**v;
	size_t			  i, n;

	if (a->n_rules == 0)
		return (1);
	if (ri < 0)
		return (0);
	r = &a->rules[ri];
	v = publish ? r->publish : r->subscribe;
	n = publish ? r->n_publish : r->n_subscribe;
	for (i = 0; i < n; i++)
		if (publish ? subject_matches(v[i], what) :
		    acl_covers(v[i], what))
			return (1);
	return (0);
}

int
acl_may_publish(const struct acl *a, int ri, const char *subject)
{
	return (acl_allows(a, ri, 1, subject));
}

int
acl_may_subscribe(const struct acl *a, int ri, const char *pattern)
{
	return (acl_allows(a, ri, 0, pattern));
}

static void
free_list(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
acl_free(struct acl *a)
{
	size_t	i;

	for (i = 0; i < a->n_rules; i++) {
		free_list(a->rules[i].publish, a->rules[i].n_publish);
		free_list(a->rules[i].subscribe, a->rules[i].n_subscribe);
	}
	free(a->rules);
	memset(a, 0, sizeof(*a));
}
