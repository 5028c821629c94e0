/*
 * check_acl.c: unit tests for the local socket's access rules
 * (src/common/acl.c): who may connect, which rule names a client, and
 * which subjects that rule lets it publish to and subscribe to.
 *
 * acl_covers() must agree with subject_matches(), the specification: a
 * rule pattern covers a subscription pattern exactly when every subject
 * the subscription matches, the rule matches too.  A table pins down the
 * cases that matter to an operator, and a brute force over every pattern
 * of a small alphabet checks the rest against the subjects it spans.
 *
 * Rules are built here as the config reader builds them (patterns on the
 * heap, freed by acl_free); the last case reads them from a config so
 * that the rule a client gets is named as the daemon names it.
 */
#include <check.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/acl.h"
#include "common/config.h"
#include "common/subject.h"
#include "check_main.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define SLOW_TIMEOUT	120	/* seconds, for valgrind */

/* Client ids used by the hand-built rules. */
#define ALICE		1001
#define BOB		1002
#define CAROL		1003
#define APPS		2001
#define OPS		2002
#define NOBODY_GID	2999

static char **
patterns(const char *const *v, size_t *n)
{
	char	**out;
	size_t	  i;

	for (*n = 0; v != NULL && v[*n] != NULL; (*n)++)
		;
	if (*n == 0)
		return (NULL);
	ck_assert_ptr_nonnull(out = calloc(*n, sizeof(*out)));
	for (i = 0; i < *n; i++) {
		ck_assert_msg(subject_check(v[i], 1) == SUBJECT_OK,
		    "test pattern \"%s\" is not valid", v[i]);
		ck_assert_ptr_nonnull(out[i] = strdup(v[i]));
	}
	return (out);
}

/*
 * Append a rule for a user (is_group 0, id a uid) or a group (id a gid),
 * with NULL-terminated publish and subscribe lists (NULL: none).
 */
static int
add_rule(struct acl *a, int is_group, unsigned int id, const char *name,
    const char *const *pub, const char *const *sub)
{
	struct acl_rule	*r;

	ck_assert_ptr_nonnull(r = reallocarray(a->rules, a->n_rules + 1,
	    sizeof(*r)));
	a->rules = r;
	r = &a->rules[a->n_rules];
	memset(r, 0, sizeof(*r));
	r->is_group = is_group;
	if (is_group)
		r->gid = (gid_t)id;
	else
		r->uid = (uid_t)id;
	snprintf(r->who, sizeof(r->who), "%s %s", is_group ? "group" : "user",
	    name);
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->line = (int)a->n_rules + 1;
	r->publish = patterns(pub, &r->n_publish);
	r->subscribe = patterns(sub, &r->n_subscribe);
	return ((int)a->n_rules++);
}

#define LIST(...)	((const char *const []){ __VA_ARGS__, NULL })

/* Covering */

struct cover_case {
	const char	*rule;
	const char	*pattern;
	int		 want;
};

static const struct cover_case cover_cases[] = {
	/* Literals: only the same subject. */
	{ "orders", "orders", 1 },
	{ "orders.eu", "orders.eu", 1 },
	{ "orders.eu", "orders.us", 0 },
	{ "orders", "order", 0 },		/* a token, not a prefix */
	{ "order", "orders", 0 },
	{ "orders.eu", "orders.eu.created", 0 },
	{ "orders.eu.created", "orders.eu", 0 },
	{ "orders.eu", "orders", 0 },
	/* "*" in the rule: any one token of the pattern, literal or "*". */
	{ "orders.*", "orders.eu", 1 },
	{ "orders.*", "orders.*", 1 },
	{ "*", "*", 1 },
	{ "*.created", "orders.created", 1 },
	{ "*.created", "*.created", 1 },
	{ "*.created", "*.deleted", 0 },
	{ "orders.*.created", "orders.eu.created", 1 },
	{ "orders.*.created", "orders.*.created", 1 },
	{ "orders.*", "orders", 0 },		/* exactly one token */
	{ "orders.*", "orders.eu.created", 0 },
	/* ... but not ">": one token does not grant a subtree. */
	{ "orders.*", "orders.>", 0 },
	{ "*", ">", 0 },
	/* A literal in the rule is not covered by a wildcard asked for. */
	{ "orders.eu", "orders.*", 0 },
	{ "orders.eu", "orders.>", 0 },
	{ "orders.*.created", "orders.*.*", 0 },
	{ "orders.*.created", "orders.eu.>", 0 },
	/* ">" in the rule: one or more remaining tokens, wildcards too. */
	{ ">", ">", 1 },
	{ ">", "a", 1 },
	{ ">", "*", 1 },
	{ ">", "a.*.b.>", 1 },
	{ "orders.>", "orders.eu", 1 },
	{ "orders.>", "orders.eu.created", 1 },
	{ "orders.>", "orders.*", 1 },
	{ "orders.>", "orders.>", 1 },
	{ "orders.>", "orders.*.>", 1 },
	{ "orders.>", "orders.eu.>", 1 },
	{ "orders.>", "orders", 0 },		/* one or more, not zero */
	{ "orders.>", ">", 0 },
	{ "orders.>", "*.>", 0 },
	{ "orders.>", "*.eu", 0 },
	{ "orders.>", "metrics.eu", 0 },
	{ "orders.*.>", "orders.eu.x", 1 },
	{ "orders.*.>", "orders.*.>", 1 },
	{ "orders.*.>", "orders.>", 0 },	/* would match orders.eu */
	{ "orders.*.>", "orders.eu", 0 },
	{ "orders.eu.>", "orders.*.x", 0 },
};

START_TEST(test_covers_table)
{
	const struct cover_case	*c = &cover_cases[_i];

	ck_assert_msg(acl_covers(c->rule, c->pattern) == c->want,
	    "acl_covers(\"%s\", \"%s\") = %d, want %d", c->rule, c->pattern,
	    acl_covers(c->rule, c->pattern), c->want);
}
END_TEST

/*
 * Every pattern of 1 to 3 tokens over { a, b, *, > } (">" last only),
 * and every subject of 1 to 4 tokens over { a, b, c }: "c" is in no
 * pattern, and four tokens are one more than any pattern names, so a
 * subject that one pattern matches and another does not is always among
 * them.
 */
#define U_PATTERNS	(4 + 3 * 4 + 3 * 3 * 4)
#define U_SUBJECTS	(3 + 9 + 27 + 81)
#define U_LEN		16

static void
universe(char pats[U_PATTERNS][U_LEN], char subs[U_SUBJECTS][U_LEN])
{
	static const char	*ptok[] = { "a", "b", "*", ">" };
	static const char	*stok[] = { "a", "b", "c" };
	size_t			 np = 0, ns = 0, len, i, k, code, ntok;
	char			*p;

	for (ntok = 1; ntok <= 3; ntok++) {
		/* Tokens before the last from the first three, then any. */
		for (len = 1, i = 1; i < ntok; i++)
			len *= 3;
		for (code = 0; code < len * 4; code++) {
			p = pats[np++];
			k = code;
			for (i = 0; i < ntok; i++) {
				if (i > 0)
					*p++ = '.';
				*p++ = *ptok[i + 1 < ntok ? k % 3 : k % 4];
				k /= i + 1 < ntok ? 3 : 4;
			}
			*p = '\0';
		}
	}
	for (ntok = 1; ntok <= 4; ntok++) {
		for (len = 1, i = 0; i < ntok; i++)
			len *= 3;
		for (code = 0; code < len; code++) {
			p = subs[ns++];
			for (k = code, i = 0; i < ntok; i++, k /= 3) {
				if (i > 0)
					*p++ = '.';
				*p++ = *stok[k % 3];
			}
			*p = '\0';
		}
	}
	ck_assert_uint_eq(np, U_PATTERNS);
	ck_assert_uint_eq(ns, U_SUBJECTS);
	for (i = 0; i < np; i++)
		ck_assert_msg(subject_check(pats[i], 1) == SUBJECT_OK,
		    "generated pattern \"%s\" is not valid", pats[i]);
	for (i = 0; i < ns; i++)
		ck_assert_int_eq(subject_check(subs[i], 0), SUBJECT_OK);
}

START_TEST(test_covers_agrees_with_matching)
{
	static char	 pats[U_PATTERNS][U_LEN], subs[U_SUBJECTS][U_LEN];
	static char	 m[U_PATTERNS][U_SUBJECTS];
	size_t		 r, p, s, covered = 0;
	int		 want;

	universe(pats, subs);
	for (p = 0; p < U_PATTERNS; p++)
		for (s = 0; s < U_SUBJECTS; s++)
			m[p][s] = (char)subject_matches(pats[p], subs[s]);
	for (r = 0; r < U_PATTERNS; r++)
		for (p = 0; p < U_PATTERNS; p++) {
			want = 1;
			for (s = 0; s < U_SUBJECTS && want; s++)
				if (m[p][s] && !m[r][s])
					want = 0;
			ck_assert_msg(acl_covers(pats[r], pats[p]) == want,
			    "acl_covers(\"%s\", \"%s\") = %d, but subject_"
			    "matches says %d", pats[r], pats[p],
			    acl_covers(pats[r], pats[p]), want);
			covered += want;
		}
	/* Both answers are common: the universe is not degenerate. */
	ck_assert_uint_gt(covered, U_PATTERNS);
	ck_assert_uint_lt(covered, U_PATTERNS * U_PATTERNS / 2);
}
END_TEST

/* Connecting */

START_TEST(test_connect_no_list)
{
	struct acl	a;
	gid_t		g[] = { APPS };

	/* No allow-list: everyone, with or without groups. */
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(acl_connect_ok(&a, ALICE, NULL, 0), 1);
	ck_assert_int_eq(acl_connect_ok(&a, 0, g, 1), 1);
	/* Rules alone do not restrict who connects. */
	add_rule(&a, 0, ALICE, "alice", LIST("a.>"), NULL);
	ck_assert_int_eq(acl_connect_ok(&a, BOB, NULL, 0), 1);
	acl_free(&a);
}
END_TEST

START_TEST(test_connect_users)
{
	struct acl	a;
	gid_t		g[] = { APPS, OPS };

	memset(&a, 0, sizeof(a));
	a.allow_uids[a.n_allow_uids++] = ALICE;
	a.allow_uids[a.n_allow_uids++] = CAROL;
	ck_assert_int_eq(acl_connect_ok(&a, ALICE, NULL, 0), 1);
	ck_assert_int_eq(acl_connect_ok(&a, CAROL, NULL, 0), 1);
	ck_assert_int_eq(acl_connect_ok(&a, BOB, NULL, 0), 0);
	/* Groups do not help when only users are listed. */
	ck_assert_int_eq(acl_connect_ok(&a, BOB, g, 2), 0);
	/* Root is not special. */
	ck_assert_int_eq(acl_connect_ok(&a, 0, NULL, 0), 0);
}
END_TEST

START_TEST(test_connect_groups)
{
	struct acl	a;
	gid_t		apps[] = { APPS }, ops_last[] = { NOBODY_GID, 7, OPS },
			none[] = { NOBODY_GID };

	memset(&a, 0, sizeof(a));
	a.allow_gids[a.n_allow_gids++] = OPS;
	ck_assert_int_eq(acl_connect_ok(&a, BOB, ops_last, 3), 1);
	/* Only the groups given, not past ngroups. */
	ck_assert_int_eq(acl_connect_ok(&a, BOB, ops_last, 2), 0);
	ck_assert_int_eq(acl_connect_ok(&a, BOB, apps, 1), 0);
	ck_assert_int_eq(acl_connect_ok(&a, BOB, none, 1), 0);
	ck_assert_int_eq(acl_connect_ok(&a, BOB, NULL, 0), 0);
	/* A uid equal to a listed gid is not that group. */
	ck_assert_int_eq(acl_connect_ok(&a, OPS, NULL, 0), 0);
	/* Users and groups together: either one lets a client in. */
	a.allow_uids[a.n_allow_uids++] = ALICE;
	ck_assert_int_eq(acl_connect_ok(&a, ALICE, NULL, 0), 1);
	ck_assert_int_eq(acl_connect_ok(&a, BOB, ops_last, 3), 1);
	ck_assert_int_eq(acl_connect_ok(&a, BOB, apps, 1), 0);
}
END_TEST

/* Who may reload the daemon and set its log level */

#define DAEMON_UID	999

START_TEST(test_is_admin)
{
	struct acl	a;
	gid_t		ops[] = { APPS, OPS }, apps[] = { APPS };

	memset(&a, 0, sizeof(a));
	/* No admin_group: root and the daemon's user, nobody else. */
	ck_assert_int_eq(acl_is_admin(&a, 0, DAEMON_UID, NULL, 0), 1);
	ck_assert_int_eq(acl_is_admin(&a, DAEMON_UID, DAEMON_UID, NULL, 0),
	    1);
	ck_assert_int_eq(acl_is_admin(&a, ALICE, DAEMON_UID, ops, 2), 0);
	/* gid 0 is not uid 0: an unset admin_gid of 0 admits nobody. */
	ck_assert_int_eq(acl_is_admin(&a, ALICE, DAEMON_UID,
	    (gid_t[]){ 0 }, 1), 0);
	/* Rules or allow-lists give no admin rights. */
	a.allow_uids[a.n_allow_uids++] = ALICE;
	ck_assert_int_eq(acl_is_admin(&a, ALICE, DAEMON_UID, NULL, 0), 0);
	/* admin_group: its members too, by any of their groups. */
	strlcpy(a.admin_group, "ops", sizeof(a.admin_group));
	a.admin_gid = OPS;
	ck_assert_int_eq(acl_is_admin(&a, ALICE, DAEMON_UID, ops, 2), 1);
	ck_assert_int_eq(acl_is_admin(&a, BOB, DAEMON_UID, ops, 1), 0);
	ck_assert_int_eq(acl_is_admin(&a, BOB, DAEMON_UID, apps, 1), 0);
	ck_assert_int_eq(acl_is_admin(&a, OPS, DAEMON_UID, NULL, 0), 0);
	ck_assert_int_eq(acl_is_admin(&a, 0, DAEMON_UID, NULL, 0), 1);
}
END_TEST

/* The rule for a client */

START_TEST(test_rule_for)
{
	struct acl	a;
	gid_t		apps[] = { APPS }, both[] = { NOBODY_GID, OPS, APPS },
			none[] = { NOBODY_GID };
	int		ra, rg, rb;

	memset(&a, 0, sizeof(a));
	/* No rules: nobody has one. */
	ck_assert_int_eq(acl_rule_for(&a, ALICE, apps, 1), -1);
	ra = add_rule(&a, 0, ALICE, "alice", LIST("a.>"), NULL);
	rg = add_rule(&a, 1, APPS, "apps", LIST("apps.>"), NULL);
	rb = add_rule(&a, 0, BOB, "bob", NULL, LIST("b.*"));
	ck_assert_int_eq(ra, 0);
	ck_assert_int_eq(rg, 1);
	ck_assert_int_eq(rb, 2);
	ck_assert_int_eq(acl_rule_for(&a, ALICE, NULL, 0), ra);
	ck_assert_int_eq(acl_rule_for(&a, BOB, NULL, 0), rb);
	ck_assert_int_eq(acl_rule_for(&a, CAROL, apps, 1), rg);
	/* Any of the client's groups, wherever in its list. */
	ck_assert_int_eq(acl_rule_for(&a, CAROL, both, 3), rg);
	ck_assert_int_eq(acl_rule_for(&a, CAROL, both, 2), -1);
	ck_assert_int_eq(acl_rule_for(&a, CAROL, none, 1), -1);
	ck_assert_int_eq(acl_rule_for(&a, CAROL, NULL, 0), -1);
	/* The first rule that names the client, in the config's order. */
	ck_assert_int_eq(acl_rule_for(&a, ALICE, apps, 1), ra);
	ck_assert_int_eq(acl_rule_for(&a, BOB, apps, 1), rg);
	/* A rule matched is named as the daemon's refusals name it. */
	ck_assert_str_eq(a.rules[acl_rule_for(&a, BOB, apps, 1)].who,
	    "group apps");
	ck_assert_str_eq(a.rules[acl_rule_for(&a, BOB, NULL, 0)].who,
	    "user bob");
	acl_free(&a);
}
END_TEST

/*
 * A user rule holds a gid of 0 and a group rule a uid of 0 (the config
 * reader callocs them): neither may name root, or a member of group 0,
 * by accident.
 */
START_TEST(test_rule_for_kind)
{
	struct acl	a;
	gid_t		root_grp[] = { 0 }, apps[] = { APPS },
			alice_as_gid[] = { ALICE };

	memset(&a, 0, sizeof(a));
	add_rule(&a, 1, APPS, "apps", LIST(">"), NULL);
	add_rule(&a, 0, ALICE, "alice", LIST(">"), NULL);
	ck_assert_int_eq(a.rules[0].uid, 0);
	ck_assert_int_eq(a.rules[1].gid, 0);
	ck_assert_int_eq(acl_rule_for(&a, 0, NULL, 0), -1);
	ck_assert_int_eq(acl_rule_for(&a, BOB, root_grp, 1), -1);
	/* A gid equal to a user rule's uid is not that user. */
	ck_assert_int_eq(acl_rule_for(&a, BOB, alice_as_gid, 1), -1);
	/* A uid equal to a group rule's gid is not in that group. */
	ck_assert_int_eq(acl_rule_for(&a, APPS, NULL, 0), -1);
	ck_assert_int_eq(acl_rule_for(&a, APPS, apps, 1), 0);
	acl_free(&a);
}
END_TEST

/* Publishing */

START_TEST(test_publish_no_rules)
{
	struct acl	a;

	/* No rules at all: everything, even without a rule index. */
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(acl_may_publish(&a, -1, "anything.at.all"), 1);
	ck_assert_int_eq(acl_may_subscribe(&a, -1, ">"), 1);
}
END_TEST

START_TEST(test_publish)
{
	struct acl	a;
	int		r, empty, subonly;

	memset(&a, 0, sizeof(a));
	r = add_rule(&a, 0, ALICE, "alice",
	    LIST("orders.>", "metrics.*.cpu", "log"), LIST(">"));
	empty = add_rule(&a, 0, BOB, "bob", NULL, NULL);
	subonly = add_rule(&a, 0, CAROL, "carol", NULL, LIST("orders.>"));

	/* Each pattern of the rule, as subject_matches reads it. */
	ck_assert_int_eq(acl_may_publish(&a, r, "orders.eu"), 1);
	ck_assert_int_eq(acl_may_publish(&a, r, "orders.eu.created"), 1);
	ck_assert_int_eq(acl_may_publish(&a, r, "metrics.h1.cpu"), 1);
	ck_assert_int_eq(acl_may_publish(&a, r, "log"), 1);
	ck_assert_int_eq(acl_may_publish(&a, r, "orders"), 0);
	ck_assert_int_eq(acl_may_publish(&a, r, "metrics.h1.mem"), 0);
	ck_assert_int_eq(acl_may_publish(&a, r, "metrics.h1.cpu.0"), 0);
	ck_assert_int_eq(acl_may_publish(&a, r, "log.x"), 0);
	ck_assert_int_eq(acl_may_publish(&a, r, "logs"), 0);
	ck_assert_int_eq(acl_may_publish(&a, r, "other"), 0);
	/* A rule without publish patterns allows none. */
	ck_assert_int_eq(acl_may_publish(&a, empty, "orders.eu"), 0);
	/* Subscribe patterns grant no publishing. */
	ck_assert_int_eq(acl_may_publish(&a, subonly, "orders.eu"), 0);
	/* With rules, a client no rule names may do nothing. */
	ck_assert_int_eq(acl_may_publish(&a, -1, "orders.eu"), 0);
	acl_free(&a);
}
END_TEST

/* Subscribing */

START_TEST(test_subscribe)
{
	struct acl	a;
	int		r, pubonly, empty;

	memset(&a, 0, sizeof(a));
	r = add_rule(&a, 1, APPS, "apps", NULL,
	    LIST("orders.*", "metrics.>", "log"));
	pubonly = add_rule(&a, 0, BOB, "bob", LIST(">"), NULL);
	empty = add_rule(&a, 0, CAROL, "carol", NULL, NULL);

	/* Patterns the rule covers. */
	ck_assert_int_eq(acl_may_subscribe(&a, r, "orders.eu"), 1);
	ck_assert_int_eq(acl_may_subscribe(&a, r, "orders.*"), 1);
	ck_assert_int_eq(acl_may_subscribe(&a, r, "metrics.h1"), 1);
	ck_assert_int_eq(acl_may_subscribe(&a, r, "metrics.*.cpu"), 1);
	ck_assert_int_eq(acl_may_subscribe(&a, r, "metrics.>"), 1);
	ck_assert_int_eq(acl_may_subscribe(&a, r, "log"), 1);
	/* Wider than the rule, though they overlap it: refused. */
	ck_assert_int_eq(acl_may_subscribe(&a, r, "orders.>"), 0);
	ck_assert_int_eq(acl_may_subscribe(&a, r, "*.eu"), 0);
	ck_assert_int_eq(acl_may_subscribe(&a, r, ">"), 0);
	ck_assert_int_eq(acl_may_subscribe(&a, r, "*"), 0);
	ck_assert_int_eq(acl_may_subscribe(&a, r, "metrics"), 0);
	ck_assert_int_eq(acl_may_subscribe(&a, r, "orders.eu.x"), 0);
	/* Publish patterns grant no subscribing, even ">". */
	ck_assert_int_eq(acl_may_subscribe(&a, pubonly, "orders.eu"), 0);
	ck_assert_int_eq(acl_may_subscribe(&a, empty, "log"), 0);
	ck_assert_int_eq(acl_may_subscribe(&a, -1, "log"), 0);
	acl_free(&a);
}
END_TEST

/* acl_free releases every pattern and leaves an empty acl. */
START_TEST(test_free)
{
	struct acl	a;

	memset(&a, 0, sizeof(a));
	acl_free(&a);
	ck_assert_ptr_null(a.rules);
	add_rule(&a, 0, ALICE, "alice", LIST("a", "b.>"), LIST("c.*"));
	add_rule(&a, 1, APPS, "apps", NULL, LIST(">"));
	a.allow_uids[a.n_allow_uids++] = ALICE;
	acl_free(&a);
	ck_assert_ptr_null(a.rules);
	ck_assert_uint_eq(a.n_rules, 0);
	ck_assert_uint_eq(a.n_allow_uids, 0);
	ck_assert_uint_eq(a.n_allow_gids, 0);
	/* Empty again: everyone, everything. */
	ck_assert_int_eq(acl_connect_ok(&a, BOB, NULL, 0), 1);
	ck_assert_int_eq(acl_may_publish(&a, -1, "x"), 1);
	acl_free(&a);
}
END_TEST

/* Rules from a config */

/*
 * The running user and its primary group, so that the names resolve on
 * any machine: a group rule first, then a user rule for the same client.
 */
START_TEST(test_config_rules)
{
	struct cohort_conf	 conf;
	struct passwd		*pw;
	struct group		*gr;
	char			 user[33], group[33], who[64], err[512];
	char			*text;
	gid_t			 mine[1], other[] = { NOBODY_GID };
	uid_t			 uid = getuid(), stranger;
	int			 n;

	ck_assert_msg((pw = getpwuid(uid)) != NULL, "uid %ld has no name",
	    (long)uid);
	ck_assert_msg((gr = getgrgid(getgid())) != NULL, "gid %ld has no "
	    "name", (long)getgid());
	snprintf(user, sizeof(user), "%s", pw->pw_name);
	snprintf(group, sizeof(group), "%s", gr->gr_name);
	mine[0] = gr->gr_gid;
	stranger = uid + 4242;
	n = asprintf(&text,
	    "cluster = \"c\";\n"
	    "node_id = \"n1\";\n"
	    "nodes = ( { id = \"n1\"; address = \"127.0.0.1\"; port = 7400; } );\n"
	    "security = {\n"
	    "  allow_users = [ \"%s\" ];\n"
	    "  allow_groups = [ \"%s\" ];\n"
	    "  rules = (\n"
	    "    { group = \"%s\"; publish = [ \"g.>\" ]; },\n"
	    "    { user = \"%s\"; publish = [ \"u.*\" ];\n"
	    "      subscribe = [ \"u.>\", \"v.*\" ]; }\n"
	    "  );\n"
	    "};\n", user, group, group, user);
	ck_assert_int_gt(n, 0);
	ck_assert_msg(config_load_string(text, "acl.conf", NULL, &conf, err,
	    sizeof(err)) == 0, "refused: %s", err);
	free(text);

	/* Read back every field of both rules and the allow-lists. */
	ck_assert_uint_eq(conf.acl.n_allow_uids, 1);
	ck_assert_int_eq(conf.acl.allow_uids[0], uid);
	ck_assert_str_eq(conf.acl.allow_user_names[0], user);
	ck_assert_uint_eq(conf.acl.n_allow_gids, 1);
	ck_assert_int_eq(conf.acl.allow_gids[0], mine[0]);
	ck_assert_str_eq(conf.acl.allow_group_names[0], group);
	ck_assert_uint_eq(conf.acl.n_rules, 2);
	snprintf(who, sizeof(who), "group %s", group);
	ck_assert_str_eq(conf.acl.rules[0].who, who);
	ck_assert_str_eq(conf.acl.rules[0].name, group);
	ck_assert_int_eq(conf.acl.rules[0].is_group, 1);
	ck_assert_int_eq(conf.acl.rules[0].gid, mine[0]);
	ck_assert_int_eq(conf.acl.rules[0].line, 8);
	ck_assert_uint_eq(conf.acl.rules[0].n_publish, 1);
	ck_assert_str_eq(conf.acl.rules[0].publish[0], "g.>");
	ck_assert_uint_eq(conf.acl.rules[0].n_subscribe, 0);
	snprintf(who, sizeof(who), "user %s", user);
	ck_assert_str_eq(conf.acl.rules[1].who, who);
	ck_assert_str_eq(conf.acl.rules[1].name, user);
	ck_assert_int_eq(conf.acl.rules[1].is_group, 0);
	ck_assert_int_eq(conf.acl.rules[1].uid, uid);
	ck_assert_int_eq(conf.acl.rules[1].line, 9);
	ck_assert_uint_eq(conf.acl.rules[1].n_publish, 1);
	ck_assert_str_eq(conf.acl.rules[1].publish[0], "u.*");
	ck_assert_uint_eq(conf.acl.rules[1].n_subscribe, 2);
	ck_assert_str_eq(conf.acl.rules[1].subscribe[0], "u.>");
	ck_assert_str_eq(conf.acl.rules[1].subscribe[1], "v.*");

	/* Who connects. */
	ck_assert_int_eq(acl_connect_ok(&conf.acl, uid, NULL, 0), 1);
	ck_assert_int_eq(acl_connect_ok(&conf.acl, stranger, mine, 1), 1);
	ck_assert_int_eq(acl_connect_ok(&conf.acl, stranger, other, 1), 0);

	/* The first rule naming the client is the one it gets. */
	ck_assert_int_eq(acl_rule_for(&conf.acl, uid, mine, 1), 0);
	ck_assert_int_eq(acl_rule_for(&conf.acl, stranger, mine, 1), 0);
	ck_assert_int_eq(acl_rule_for(&conf.acl, uid, other, 1), 1);
	ck_assert_int_eq(acl_rule_for(&conf.acl, stranger, other, 1), -1);

	/* And it alone decides. */
	ck_assert_int_eq(acl_may_publish(&conf.acl, 0, "g.x.y"), 1);
	ck_assert_int_eq(acl_may_publish(&conf.acl, 0, "u.x"), 0);
	ck_assert_int_eq(acl_may_subscribe(&conf.acl, 0, "u.x"), 0);
	ck_assert_int_eq(acl_may_publish(&conf.acl, 1, "u.x"), 1);
	ck_assert_int_eq(acl_may_publish(&conf.acl, 1, "g.x"), 0);
	ck_assert_int_eq(acl_may_subscribe(&conf.acl, 1, "u.*.>"), 1);
	ck_assert_int_eq(acl_may_subscribe(&conf.acl, 1, "v.x"), 1);
	ck_assert_int_eq(acl_may_subscribe(&conf.acl, 1, "v.>"), 0);
	ck_assert_int_eq(acl_may_publish(&conf.acl, -1, "g.x"), 0);
	config_free(&conf);
	ck_assert_ptr_null(conf.acl.rules);
}
END_TEST

/* security.admin_group from the config: a group that exists, or "". */
START_TEST(test_config_admin_group)
{
	static const char	 head[] =
	    "cluster = \"c\";\n"
	    "node_id = \"n1\";\n"
	    "nodes = ( { id = \"n1\"; address = \"127.0.0.1\"; port = 7400; } );\n";
	struct cohort_conf	 conf;
	struct group		*gr;
	char			 text[512], err[512];

	ck_assert_ptr_nonnull(gr = getgrgid(getgid()));
	snprintf(text, sizeof(text), "%ssecurity = { admin_group = \"%s\"; };\n",
	    head, gr->gr_name);
	ck_assert_msg(config_load_string(text, "a.conf", NULL, &conf, err,
	    sizeof(err)) == 0, "refused: %s", err);
	ck_assert_str_eq(conf.acl.admin_group, gr->gr_name);
	ck_assert_int_eq(conf.acl.admin_gid, gr->gr_gid);
	config_free(&conf);
	/* "" and none at all: no group. */
	snprintf(text, sizeof(text), "%ssecurity = { admin_group = \"\"; };\n",
	    head);
	ck_assert_msg(config_load_string(text, "a.conf", NULL, &conf, err,
	    sizeof(err)) == 0, "refused: %s", err);
	ck_assert_str_eq(conf.acl.admin_group, "");
	config_free(&conf);
	ck_assert_msg(config_load_string(head, "a.conf", NULL, &conf, err,
	    sizeof(err)) == 0, "refused: %s", err);
	ck_assert_str_eq(conf.acl.admin_group, "");
	config_free(&conf);
	/* A group that does not exist is an error, with its line. */
	snprintf(text, sizeof(text), "%ssecurity = {\n admin_group = "
	    "\"no-such-group-42\"; };\n", head);
	ck_assert_int_eq(config_load_string(text, "a.conf", NULL, &conf, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "a.conf:5: security.admin_group: no such "
	    "group \"no-such-group-42\"") != NULL, "%s", err);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("acl");

	tc = tcase_create("covers");
	tcase_set_timeout(tc, SLOW_TIMEOUT);
	tcase_add_loop_test(tc, test_covers_table, 0, NITEMS(cover_cases));
	tcase_add_test(tc, test_covers_agrees_with_matching);
	suite_add_tcase(s, tc);

	tc = tcase_create("connect");
	tcase_add_test(tc, test_connect_no_list);
	tcase_add_test(tc, test_connect_users);
	tcase_add_test(tc, test_connect_groups);
	suite_add_tcase(s, tc);

	tc = tcase_create("admin");
	tcase_add_test(tc, test_is_admin);
	tcase_add_test(tc, test_config_admin_group);
	suite_add_tcase(s, tc);

	tc = tcase_create("rule for");
	tcase_add_test(tc, test_rule_for);
	tcase_add_test(tc, test_rule_for_kind);
	suite_add_tcase(s, tc);

	tc = tcase_create("publish");
	tcase_add_test(tc, test_publish_no_rules);
	tcase_add_test(tc, test_publish);
	suite_add_tcase(s, tc);

	tc = tcase_create("subscribe");
	tcase_add_test(tc, test_subscribe);
	suite_add_tcase(s, tc);

	tc = tcase_create("free");
	tcase_add_test(tc, test_free);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_test(tc, test_config_rules);
	suite_add_tcase(s, tc);

	return (s);
}
