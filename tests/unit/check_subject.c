/*
 * check_subject.c: unit tests for subject validation, pattern matching and
 * the subscription trie (src/subject.c).
 *
 * subject_matches() is the specification: a truth table pins it down, and
 * the trie is then checked against it by brute force, both on a table and
 * on thousands of random patterns drawn from a small alphabet so that they
 * share prefixes, wildcards and owners.  Owners are addresses in tag
 * arrays, so a callback turns an owner back into an index and counts it.
 */
#include <check.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/subject.h"
#include "check_main.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define PATLEN		(SUBJECT_MAX + 1)
#define SLOW_TIMEOUT	120	/* seconds, for valgrind */

/* Owners are &tags[i]; calls are counted per index. */
struct tally {
	const char	*tags;
	size_t		 ntags;
	size_t		*hits;
	size_t		 calls;
};

static void
tally_cb(void *owner, void *arg)
{
	struct tally	*ta = arg;
	const char	*o = owner;

	ck_assert_ptr_nonnull(o);
	ck_assert(o >= ta->tags && o < ta->tags + ta->ntags);
	ta->hits[o - ta->tags]++;
	ta->calls++;
}

static void
tally_init(struct tally *ta, const char *tags, size_t ntags)
{
	ta->tags = tags;
	ta->ntags = ntags;
	ck_assert_ptr_nonnull(ta->hits = calloc(ntags, sizeof(*ta->hits)));
	ta->calls = 0;
}

static void
tally_reset(struct tally *ta)
{
	memset(ta->hits, 0, ta->ntags * sizeof(*ta->hits));
	ta->calls = 0;
}

static void
count_cb(void *owner, void *arg)
{
	(void)owner;
	(*(size_t *)arg)++;
}

static void
never_cb(void *owner, void *arg)
{
	(void)owner;
	(void)arg;
	ck_abort_msg("callback called on a tree that should match nothing");
}

/* Matches of subject in t, checking the return value against the calls. */
static size_t
nmatch(const struct subtree *t, const char *subject)
{
	size_t	calls = 0, rv;

	rv = subtree_match(t, subject, count_cb, &calls);
	ck_assert_uint_eq(rv, calls);
	return (rv);
}

/* ntok tokens of toklen bytes ('a' + position), dot-separated, into buf. */
static void
make_subject(char *buf, size_t ntok, size_t toklen)
{
	size_t	i, j;
	char	*p = buf;

	for (i = 0; i < ntok; i++) {
		if (i > 0)
			*p++ = '.';
		for (j = 0; j < toklen; j++)
			*p++ = 'a' + (i + j) % 26;
	}
	*p = '\0';
}

/* Both modes: a subject refused as such is refused as a pattern too. */
static void
check_both(const char *s, enum subject_error want)
{
	ck_assert_msg(subject_check(s, 0) == want,
	    "subject_check(\"%s\", 0) = %d, want %d", s, subject_check(s, 0),
	    want);
	ck_assert_msg(subject_check(s, 1) == want,
	    "subject_check(\"%s\", 1) = %d, want %d", s, subject_check(s, 1),
	    want);
}

/* Validation */

START_TEST(test_check_valid)
{
	static const char	*ok[] = { "a", "orders", "orders.eu.created",
	    "A.Z.0.9", "$SYS.x", "a-b_c:d/e~!#%&()+,;<=?@[]^`{|}\"'\\",
	    "x.y.z.w.v", "1.2.3" };
	size_t			 i;

	for (i = 0; i < NITEMS(ok); i++)
		check_both(ok[i], SUBJECT_OK);
}
END_TEST

START_TEST(test_check_empty)
{
	check_both("", SUBJECT_EMPTY);
}
END_TEST

START_TEST(test_check_empty_token)
{
	static const char	*bad[] = { ".", "..", ".a", "a.", "a..b",
	    "a.b.", ".a.b", "a.b..c", "a...b", "*.", ".*", ".>", "a..>",
	    "a.*." };
	size_t			 i;

	for (i = 0; i < NITEMS(bad); i++)
		ck_assert_msg(subject_check(bad[i], 1) == SUBJECT_EMPTY_TOKEN,
		    "pattern \"%s\": %d", bad[i], subject_check(bad[i], 1));
	for (i = 0; i < 7; i++)		/* the wildcard-free ones */
		check_both(bad[i], SUBJECT_EMPTY_TOKEN);
}
END_TEST

START_TEST(test_check_wildcards)
{
	static const char	*good[] = { "*", ">", "a.*", "*.a", "a.>",
	    "*.>", "*.*", "*.*.>", "a.*.b", "a.*.*.b.>", "a.b.c.>" };
	static const char	*bad[] = { ">.a", "a.>.b", ">.>", ">.*",
	    "a>", ">a", "*b", "b*", "**", ">>", "*>", ">*", "a*b", "a.b*",
	    "a.*b.c", "a.b>", "a.>b", "a.b.c>" };
	size_t			 i;

	for (i = 0; i < NITEMS(good); i++)
		ck_assert_msg(subject_check(good[i], 1) == SUBJECT_OK,
		    "pattern \"%s\": %d", good[i], subject_check(good[i], 1));
	for (i = 0; i < NITEMS(bad); i++)
		ck_assert_msg(subject_check(bad[i], 1) ==
		    SUBJECT_BAD_WILDCARD, "pattern \"%s\": %d", bad[i],
		    subject_check(bad[i], 1));
}
END_TEST

START_TEST(test_check_publish_wildcard)
{
	/* Any '*' or '>' in a subject to publish, whole token or not. */
	static const char	*bad[] = { "*", ">", "a.*", "*.a", "a.>",
	    "*.>", "a.*.b", "a*", "*b", "**", "a>", ">.a", "a.b>c" };
	size_t			 i;

	for (i = 0; i < NITEMS(bad); i++)
		ck_assert_msg(subject_check(bad[i], 0) == SUBJECT_WILDCARD,
		    "subject \"%s\": %d", bad[i], subject_check(bad[i], 0));
}
END_TEST

START_TEST(test_check_bad_char)
{
	static const char	*bad[] = { " ", "a b", "a.b c", " a", "a ",
	    "a.\tb", "a\nb", "\x01", "a.\x1f", "a\x7f", "\x80", "a.\xc3\xa9",
	    "\xff", "a. .b", "* ", " >" };
	size_t			 i;

	for (i = 0; i < NITEMS(bad); i++)
		check_both(bad[i], SUBJECT_BAD_CHAR);
	/* The lowest and highest accepted bytes. */
	check_both("!.~", SUBJECT_OK);
}
END_TEST

START_TEST(test_check_length)
{
	char	buf[SUBJECT_MAX + 8];

	make_subject(buf, 32, 7);		/* 32 * 7 + 31 = 255 */
	ck_assert_uint_eq(strlen(buf), SUBJECT_MAX);
	check_both(buf, SUBJECT_OK);

	make_subject(buf, 1, SUBJECT_MAX);	/* one 255-byte token */
	check_both(buf, SUBJECT_OK);
	make_subject(buf, 1, SUBJECT_MAX + 1);
	check_both(buf, SUBJECT_TOO_LONG);

	make_subject(buf, 2, 128);		/* 128 + 1 + 128 = 257 */
	check_both(buf, SUBJECT_TOO_LONG);
	make_subject(buf, 2, 127);		/* 255 */
	check_both(buf, SUBJECT_OK);
	strlcat(buf, "x", sizeof(buf));		/* 256 */
	check_both(buf, SUBJECT_TOO_LONG);

	/* A 255-byte pattern ending in a wildcard, and one byte more. */
	make_subject(buf, 2, 127);
	buf[SUBJECT_MAX - 1] = '>';
	buf[SUBJECT_MAX - 2] = '.';
	ck_assert_int_eq(subject_check(buf, 1), SUBJECT_OK);
	buf[SUBJECT_MAX - 3] = '*';
	buf[SUBJECT_MAX - 4] = '.';
	ck_assert_int_eq(subject_check(buf, 1), SUBJECT_OK);
	memmove(buf + 1, buf, SUBJECT_MAX + 1);
	ck_assert_int_eq(subject_check(buf, 1), SUBJECT_TOO_LONG);
}
END_TEST

START_TEST(test_check_tokens)
{
	char	buf[2 * (SUBJECT_TOKENS_MAX + 2)];

	make_subject(buf, SUBJECT_TOKENS_MAX, 1);
	check_both(buf, SUBJECT_OK);
	make_subject(buf, SUBJECT_TOKENS_MAX + 1, 1);
	check_both(buf, SUBJECT_TOO_MANY_TOKENS);

	/* ">" counts as a token: 31 + ">" is fine, 32 + ">" is not. */
	make_subject(buf, SUBJECT_TOKENS_MAX - 1, 1);
	strlcat(buf, ".>", sizeof(buf));
	ck_assert_int_eq(subject_check(buf, 1), SUBJECT_OK);
	make_subject(buf, SUBJECT_TOKENS_MAX, 1);
	strlcat(buf, ".>", sizeof(buf));
	ck_assert_int_eq(subject_check(buf, 1), SUBJECT_TOO_MANY_TOKENS);
}
END_TEST

START_TEST(test_strerror)
{
	enum subject_error	 e, f;

	for (e = SUBJECT_OK; e <= SUBJECT_BAD_WILDCARD; e++) {
		ck_assert_ptr_nonnull(subject_strerror(e));
		ck_assert_uint_gt(strlen(subject_strerror(e)), 0);
		for (f = SUBJECT_OK; f < e; f++)
			ck_assert_str_ne(subject_strerror(e),
			    subject_strerror(f));
	}
}
END_TEST

/* subject_matches(pattern, subject), and the trie on the same rows */

static const struct match_row {
	const char	*pattern;
	const char	*subject;
	int		 want;
} match_rows[] = {
	{ "a",		"a",		1 },
	{ "a",		"b",		0 },
	{ "a",		"a.b",		0 },
	{ "a.b",	"a",		0 },
	{ "a.b",	"a.b",		1 },
	{ "a.b",	"a.bc",		0 },
	{ "a.bc",	"a.b",		0 },
	{ "ab",		"a",		0 },
	{ "a",		"ab",		0 },
	{ "orders.eu",	"orders.eur",	0 },
	{ "a.b.c",	"a.b.c.d",	0 },
	{ "a.b.c.d",	"a.b.c",	0 },
	/* "*": exactly one token, in every position */
	{ "*",		"a",		1 },
	{ "*",		"a.b",		0 },
	{ "*.b",	"a.b",		1 },
	{ "*.b",	"a.c",		0 },
	{ "*.b",	"b",		0 },
	{ "a.*",	"a.b",		1 },
	{ "a.*",	"a",		0 },
	{ "a.*",	"a.b.c",	0 },
	{ "a.*",	"b.a",		0 },
	{ "a.*.c",	"a.b.c",	1 },
	{ "a.*.c",	"a.x.c",	1 },
	{ "a.*.c",	"a.b.d",	0 },
	{ "a.*.c",	"a.c",		0 },
	{ "a.*.c",	"a.b.b.c",	0 },
	{ "*.*",	"a.b",		1 },
	{ "*.*",	"a",		0 },
	{ "*.*",	"a.b.c",	0 },
	{ "*.*.*",	"x.y.z",	1 },
	{ "*.b.*",	"a.b.c",	1 },
	{ "*.b.*",	"a.c.c",	0 },
	/* ">": one or more remaining tokens */
	{ ">",		"a",		1 },
	{ ">",		"a.b",		1 },
	{ ">",		"a.b.c.d.e",	1 },
	{ "a.>",	"a",		0 },
	{ "a.>",	"a.b",		1 },
	{ "a.>",	"a.b.c",	1 },
	{ "a.>",	"b.c",		0 },
	{ "a.>",	"ab.c",		0 },
	{ "a.>",	"b.a.c",	0 },
	{ "a.b.c.>",	"a.b.c",	0 },
	{ "a.b.c.>",	"a.b.c.d",	1 },
	{ "a.b.c.>",	"a.b.c.d.e.f",	1 },
	{ "a.b.c.>",	"a.b.x.d",	0 },
	/* both */
	{ "*.>",	"a",		0 },
	{ "*.>",	"a.b",		1 },
	{ "*.>",	"a.b.c.d",	1 },
	{ "a.*.>",	"a.b",		0 },
	{ "a.*.>",	"a.b.c",	1 },
	{ "a.*.>",	"a.b.c.d",	1 },
	{ "a.*.>",	"b.b.c",	0 },
	{ "*.b.>",	"a.b.c",	1 },
	{ "*.b.>",	"a.b",		0 },
	{ "*.b.>",	"a.c.c",	0 },
	{ "*.*.>",	"a.b",		0 },
	{ "*.*.>",	"a.b.c",	1 },
	{ "orders.*.>",	"orders.eu.created", 1 },
	{ "orders.*.>",	"orders.eu",	0 },
};

START_TEST(test_matches_table)
{
	const struct match_row	*r = &match_rows[_i];

	ck_assert_int_eq(subject_check(r->pattern, 1), SUBJECT_OK);
	ck_assert_int_eq(subject_check(r->subject, 0), SUBJECT_OK);
	ck_assert_msg(!!subject_matches(r->pattern, r->subject) == r->want,
	    "subject_matches(\"%s\", \"%s\") != %d", r->pattern, r->subject,
	    r->want);
}
END_TEST

START_TEST(test_matches_trie_table)
{
	const struct match_row	*r = &match_rows[_i];
	struct subtree		*t;
	char			 tag;

	ck_assert_ptr_nonnull(t = subtree_new());
	ck_assert_int_eq(subtree_add(t, r->pattern, &tag), 0);
	ck_assert_msg(nmatch(t, r->subject) == (size_t)r->want,
	    "trie: \"%s\" on \"%s\" != %d", r->pattern, r->subject, r->want);
	subtree_free(t);
}
END_TEST

START_TEST(test_matches_self)
{
	/* A literal pattern matches itself and no longer or shorter one. */
	char	buf[PATLEN], longer[PATLEN + 2];
	size_t	n;

	for (n = 1; n <= SUBJECT_TOKENS_MAX; n++) {
		make_subject(buf, n, 3);
		ck_assert(subject_matches(buf, buf));
		snprintf(longer, sizeof(longer), "%s.z", buf);
		ck_assert(!subject_matches(buf, longer));
		ck_assert(!subject_matches(longer, buf));
	}
}
END_TEST

/* Trie: add, remove, count */

START_TEST(test_tree_empty)
{
	struct subtree	*t;

	ck_assert_ptr_nonnull(t = subtree_new());
	ck_assert_uint_eq(subtree_count(t), 0);
	ck_assert_uint_eq(subtree_match(t, "a", never_cb, NULL), 0);
	ck_assert_uint_eq(subtree_match(t, "a.b.c", never_cb, NULL), 0);
	ck_assert_int_eq(subtree_remove(t, "a", t), -1);
	ck_assert_int_eq(subtree_remove(t, ">", t), -1);
	ck_assert_int_eq(subtree_remove(t, "*", t), -1);
	subtree_free(t);
	subtree_free(NULL);
}
END_TEST

START_TEST(test_tree_add_remove)
{
	struct subtree	*t;
	char		 o[2];

	ck_assert_ptr_nonnull(t = subtree_new());
	ck_assert_int_eq(subtree_add(t, "a.b", &o[0]), 0);
	ck_assert_uint_eq(subtree_count(t), 1);
	ck_assert_int_eq(subtree_add(t, "a.*", &o[0]), 0);
	ck_assert_int_eq(subtree_add(t, "a.>", &o[0]), 0);
	ck_assert_int_eq(subtree_add(t, "a.b", &o[1]), 0);
	ck_assert_uint_eq(subtree_count(t), 4);
	ck_assert_uint_eq(nmatch(t, "a.b"), 4);
	ck_assert_uint_eq(nmatch(t, "a.c"), 2);
	ck_assert_uint_eq(nmatch(t, "a.b.c"), 1);
	ck_assert_uint_eq(nmatch(t, "a"), 0);

	ck_assert_int_eq(subtree_remove(t, "a.*", &o[0]), 0);
	ck_assert_uint_eq(subtree_count(t), 3);
	ck_assert_uint_eq(nmatch(t, "a.c"), 1);
	ck_assert_int_eq(subtree_remove(t, "a.*", &o[0]), -1);
	ck_assert_uint_eq(subtree_count(t), 3);
	ck_assert_int_eq(subtree_remove(t, "a.b", &o[0]), 0);
	ck_assert_int_eq(subtree_remove(t, "a.b", &o[1]), 0);
	ck_assert_int_eq(subtree_remove(t, "a.>", &o[0]), 0);
	ck_assert_uint_eq(subtree_count(t), 0);
	ck_assert_uint_eq(subtree_match(t, "a.b", never_cb, NULL), 0);
	subtree_free(t);
}
END_TEST

START_TEST(test_tree_add_twice)
{
	struct subtree	*t;
	char		 o[2];

	ck_assert_ptr_nonnull(t = subtree_new());
	ck_assert_int_eq(subtree_add(t, "a.*.>", &o[0]), 0);
	ck_assert_int_eq(subtree_add(t, "a.*.>", &o[0]), 1);
	ck_assert_int_eq(subtree_add(t, "a.*.>", &o[0]), 1);
	ck_assert_uint_eq(subtree_count(t), 1);
	ck_assert_uint_eq(nmatch(t, "a.b.c"), 1);
	ck_assert_int_eq(subtree_add(t, "a.*.>", &o[1]), 0);
	ck_assert_int_eq(subtree_add(t, "a.*.>", &o[1]), 1);
	ck_assert_uint_eq(subtree_count(t), 2);
	ck_assert_uint_eq(nmatch(t, "a.b.c"), 2);
	/* Added twice, removed once: gone, not refcounted. */
	ck_assert_int_eq(subtree_remove(t, "a.*.>", &o[0]), 0);
	ck_assert_int_eq(subtree_remove(t, "a.*.>", &o[0]), -1);
	ck_assert_uint_eq(nmatch(t, "a.b.c"), 1);
	subtree_free(t);
}
END_TEST

START_TEST(test_tree_invalid)
{
	static const char	*bad[] = { "", ".a", "a.", "a..b", ">.a",
	    "a>", "*b", "**", "a b", "a.\x80" };
	struct subtree		*t;
	char			 o, buf[PATLEN + 2];
	size_t			 i;

	ck_assert_ptr_nonnull(t = subtree_new());
	ck_assert_int_eq(subtree_add(t, "a.b", &o), 0);
	for (i = 0; i < NITEMS(bad); i++) {
		ck_assert_int_eq(subtree_add(t, bad[i], &o), -1);
		ck_assert_int_eq(subtree_remove(t, bad[i], &o), -1);
	}
	make_subject(buf, 1, SUBJECT_MAX + 1);
	ck_assert_int_eq(subtree_add(t, buf, &o), -1);
	make_subject(buf, SUBJECT_TOKENS_MAX + 1, 1);
	ck_assert_int_eq(subtree_add(t, buf, &o), -1);
	ck_assert_uint_eq(subtree_count(t), 1);

	/* Subjects that cannot be published match nothing. */
	ck_assert_int_eq(subtree_add(t, "a.*", &o), 0);
	ck_assert_int_eq(subtree_add(t, ">", &o), 0);
	ck_assert_uint_eq(nmatch(t, "a.*"), 0);
	ck_assert_uint_eq(nmatch(t, "a.>"), 0);
	ck_assert_uint_eq(nmatch(t, ""), 0);
	ck_assert_uint_eq(nmatch(t, "a."), 0);
	ck_assert_uint_eq(nmatch(t, "a b"), 0);
	ck_assert_uint_eq(nmatch(t, buf), 0);	/* 33 tokens */
	ck_assert_uint_eq(nmatch(t, "a.b"), 3);
	subtree_free(t);
}
END_TEST

START_TEST(test_tree_remove_missing)
{
	struct subtree	*t;
	char		 o[2];

	ck_assert_ptr_nonnull(t = subtree_new());
	ck_assert_int_eq(subtree_add(t, "a.b.c", &o[0]), 0);
	ck_assert_int_eq(subtree_add(t, "x.>", &o[0]), 0);
	/* A prefix, an extension, a sibling, another wildcard, owner. */
	ck_assert_int_eq(subtree_remove(t, "a", &o[0]), -1);
	ck_assert_int_eq(subtree_remove(t, "a.b", &o[0]), -1);
	ck_assert_int_eq(subtree_remove(t, "a.b.c.d", &o[0]), -1);
	ck_assert_int_eq(subtree_remove(t, "a.b.d", &o[0]), -1);
	ck_assert_int_eq(subtree_remove(t, "a.b.*", &o[0]), -1);
	ck_assert_int_eq(subtree_remove(t, "a.b.>", &o[0]), -1);
	ck_assert_int_eq(subtree_remove(t, "a.>", &o[0]), -1);
	ck_assert_int_eq(subtree_remove(t, "a.b.c", &o[1]), -1);
	ck_assert_int_eq(subtree_remove(t, "x", &o[0]), -1);
	ck_assert_int_eq(subtree_remove(t, "x.*", &o[0]), -1);
	ck_assert_int_eq(subtree_remove(t, "x.y", &o[0]), -1);
	ck_assert_int_eq(subtree_remove(t, ">", &o[0]), -1);
	ck_assert_int_eq(subtree_remove(t, "x.>", &o[1]), -1);
	ck_assert_uint_eq(subtree_count(t), 2);
	ck_assert_uint_eq(nmatch(t, "a.b.c"), 1);
	ck_assert_uint_eq(nmatch(t, "x.y.z"), 1);
	subtree_free(t);
}
END_TEST

START_TEST(test_tree_remove_keeps_others)
{
	struct subtree	*t;
	struct tally	 ta;
	char		 o[4] = { 0 };

	tally_init(&ta, o, NITEMS(o));
	ck_assert_ptr_nonnull(t = subtree_new());
	ck_assert_int_eq(subtree_add(t, "a.b", &o[0]), 0);
	ck_assert_int_eq(subtree_add(t, "a.b", &o[1]), 0);
	ck_assert_int_eq(subtree_add(t, "a.b", &o[2]), 0);
	ck_assert_int_eq(subtree_add(t, "a.b.c", &o[3]), 0);
	ck_assert_int_eq(subtree_add(t, "a.>", &o[3]), 0);
	ck_assert_int_eq(subtree_add(t, "a", &o[3]), 0);

	/* The middle owner: the last one moves into its slot. */
	ck_assert_int_eq(subtree_remove(t, "a.b", &o[1]), 0);
	ck_assert_uint_eq(subtree_match(t, "a.b", tally_cb, &ta), 3);
	ck_assert_uint_eq(ta.hits[0], 1);
	ck_assert_uint_eq(ta.hits[1], 0);
	ck_assert_uint_eq(ta.hits[2], 1);
	ck_assert_uint_eq(ta.hits[3], 1);

	/* A deeper pattern goes; the node above it keeps its owners. */
	ck_assert_int_eq(subtree_remove(t, "a.b.c", &o[3]), 0);
	tally_reset(&ta);
	ck_assert_uint_eq(subtree_match(t, "a.b.c", tally_cb, &ta), 1);
	ck_assert_uint_eq(ta.hits[3], 1);
	ck_assert_uint_eq(nmatch(t, "a.b"), 3);
	ck_assert_uint_eq(nmatch(t, "a"), 1);

	/* Exact owners of a node go; its ">" owners stay, and vice versa. */
	ck_assert_int_eq(subtree_remove(t, "a.b", &o[0]), 0);
	ck_assert_int_eq(subtree_remove(t, "a.b", &o[2]), 0);
	ck_assert_uint_eq(nmatch(t, "a.b"), 1);
	ck_assert_int_eq(subtree_remove(t, "a.>", &o[3]), 0);
	ck_assert_uint_eq(nmatch(t, "a.b"), 0);
	ck_assert_uint_eq(nmatch(t, "a"), 1);
	ck_assert_int_eq(subtree_add(t, "a.>", &o[3]), 0);
	ck_assert_int_eq(subtree_remove(t, "a", &o[3]), 0);
	ck_assert_uint_eq(nmatch(t, "a"), 0);
	ck_assert_uint_eq(nmatch(t, "a.q"), 1);
	ck_assert_uint_eq(subtree_count(t), 1);

	/* A "*" child and a literal child of the same node. */
	ck_assert_int_eq(subtree_add(t, "a.*.c", &o[0]), 0);
	ck_assert_int_eq(subtree_add(t, "a.b.c", &o[1]), 0);
	ck_assert_int_eq(subtree_add(t, "a.*", &o[2]), 0);
	ck_assert_int_eq(subtree_remove(t, "a.*.c", &o[0]), 0);
	ck_assert_uint_eq(nmatch(t, "a.b.c"), 2);	/* a.b.c, a.> */
	ck_assert_uint_eq(nmatch(t, "a.z"), 2);		/* a.*, a.> */
	ck_assert_int_eq(subtree_remove(t, "a.*", &o[2]), 0);
	ck_assert_uint_eq(nmatch(t, "a.z"), 1);
	ck_assert_int_eq(subtree_add(t, "a.*.c", &o[0]), 0);
	ck_assert_uint_eq(nmatch(t, "a.z.c"), 2);	/* a.*.c, a.> */
	subtree_free(t);
	free(ta.hits);
}
END_TEST

/* Bytes the process has allocated from glibc's malloc. */
static long long
heap_in_use(void)
{
	struct mallinfo2	mi;

	mi = mallinfo2();
	return ((long long)(mi.uordblks + mi.hblkhd));
}

#define CHURN_PATTERNS	6

/* Pattern k of round c: fresh literal tokens next to wildcards. */
static void
churn_pattern(char *buf, size_t size, int c, int k)
{
	switch (k) {
	case 0:
		snprintf(buf, size, "u%d.x%d.y", c, c);
		break;
	case 1:
		snprintf(buf, size, "u%d.*.>", c);
		break;
	case 2:
		snprintf(buf, size, "u%d.x%d.*", c, c);
		break;
	case 3:
		snprintf(buf, size, "u%d.x%d.>", c, c);
		break;
	case 4:
		snprintf(buf, size, "u%d.x%d", c, c);
		break;
	default:
		snprintf(buf, size, "*.u%d.x%d", c, c);
		break;
	}
}

/* Add and remove patterns under fresh tokens; return the net growth. */
static long long
churn(struct subtree *t, int from, int to, void *owner)
{
	char		 buf[PATLEN];
	long long	 before;
	int		 c, k;

	before = heap_in_use();
	for (c = from; c < to; c++) {
		for (k = 0; k < CHURN_PATTERNS; k++) {
			churn_pattern(buf, sizeof(buf), c, k);
			ck_assert_int_eq(subtree_add(t, buf, owner), 0);
		}
		ck_assert_uint_eq(subtree_count(t), 1 + CHURN_PATTERNS);
		for (k = 0; k < CHURN_PATTERNS; k++) {
			churn_pattern(buf, sizeof(buf), c, k);
			ck_assert_int_eq(subtree_remove(t, buf, owner), 0);
		}
	}
	return (heap_in_use() - before);
}

static void
prune_pattern(char *buf, size_t size, int i)
{
	snprintf(buf, size, "p.%d.%s", i % 7,
	    i % 3 == 0 ? "*" : i % 3 == 1 ? ">" : "q.r");
}

START_TEST(test_tree_prune)
{
	struct subtree	*t;
	char		 o[5], buf[PATLEN];
	size_t		 added = 0, removed = 0;
	long long	 grown;
	int		 i, rv;

	ck_assert_ptr_nonnull(t = subtree_new());
	/* Overlapping patterns, repeated pairs among them; all go. */
	for (i = 0; i < 200; i++) {
		prune_pattern(buf, sizeof(buf), i);
		ck_assert_int_ge(rv = subtree_add(t, buf, &o[i % 5]), 0);
		added += rv == 0;
	}
	ck_assert_uint_eq(subtree_count(t), added);
	ck_assert_uint_lt(added, 200);
	for (i = 0; i < 200; i++) {
		prune_pattern(buf, sizeof(buf), i);
		removed += subtree_remove(t, buf, &o[i % 5]) == 0;
	}
	ck_assert_uint_eq(removed, added);
	ck_assert_uint_eq(subtree_count(t), 0);
	ck_assert_uint_eq(subtree_match(t, "p.1.q.r", never_cb, NULL), 0);
	ck_assert_uint_eq(subtree_match(t, "p.1.x", never_cb, NULL), 0);
	ck_assert_int_eq(subtree_add(t, "p.1.q.r", &o[0]), 0);
	ck_assert_uint_eq(nmatch(t, "p.1.q.r"), 1);
	ck_assert_int_eq(subtree_remove(t, "p.1.q.r", &o[0]), 0);

	/*
	 * Without pruning, every fresh token would leave nodes and hash
	 * tables behind: over a megabyte in 1,000 rounds; the allowance is
	 * for malloc's caches.  Under ASan or valgrind mallinfo2() does not
	 * see the tool's heap and this passes trivially; a plain build
	 * checks it, and valgrind checks that subtree_free() leaks nothing.
	 */
	ck_assert_int_eq(subtree_add(t, "keep.me", &o[0]), 0);
	(void)churn(t, 0, 20, &o[0]);
	grown = churn(t, 20, 1020, &o[0]);
	ck_assert_msg(grown < 16384, "heap grew by %lld bytes", grown);
	ck_assert_uint_eq(nmatch(t, "keep.me"), 1);
	ck_assert_uint_eq(nmatch(t, "u5.x5.y"), 0);
	ck_assert_int_eq(subtree_remove(t, "keep.me", &o[0]), 0);
	ck_assert_uint_eq(subtree_match(t, "keep.me", never_cb, NULL), 0);
	subtree_free(t);
}
END_TEST

START_TEST(test_tree_many_owners)
{
	enum { NOWN = 1000 };
	struct subtree	*t;
	struct tally	 ta;
	char		*o;
	size_t		 i;

	ck_assert_ptr_nonnull(o = calloc(NOWN, 1));
	tally_init(&ta, o, NOWN);
	ck_assert_ptr_nonnull(t = subtree_new());
	for (i = 0; i < NOWN; i++)
		ck_assert_int_eq(subtree_add(t, "a.*.c", &o[i]), 0);
	for (i = 0; i < NOWN; i++)
		ck_assert_int_eq(subtree_add(t, "a.*.c", &o[i]), 1);
	ck_assert_uint_eq(subtree_count(t), NOWN);
	ck_assert_uint_eq(subtree_match(t, "a.b.c", tally_cb, &ta), NOWN);
	for (i = 0; i < NOWN; i++)
		ck_assert_uint_eq(ta.hits[i], 1);

	/* Remove the even ones, in an order that moves the others about. */
	for (i = 0; i < NOWN; i += 2)
		ck_assert_int_eq(subtree_remove(t, "a.*.c",
		    &o[(i * 7) % NOWN]), 0);
	ck_assert_uint_eq(subtree_count(t), NOWN / 2);
	tally_reset(&ta);
	ck_assert_uint_eq(subtree_match(t, "a.x.c", tally_cb, &ta), NOWN / 2);
	for (i = 0; i < NOWN; i++)
		ck_assert_uint_eq(ta.hits[i], i % 2);
	for (i = 1; i < NOWN; i += 2)
		ck_assert_int_eq(subtree_remove(t, "a.*.c", &o[i]), 0);
	ck_assert_uint_eq(subtree_count(t), 0);
	ck_assert_uint_eq(subtree_match(t, "a.x.c", never_cb, NULL), 0);
	subtree_free(t);
	free(ta.hits);
	free(o);
}
END_TEST

START_TEST(test_tree_one_owner_many_patterns)
{
	/* All of these match "a.b"; the owner is called once for each. */
	static const char	*hit[] = { "a.b", "a.*", "*.b", "*.*", "a.>",
	    "*.>", ">" };
	static const char	*miss[] = { "a", "b", "*", "a.b.c", "a.b.>",
	    "*.*.*", "*.*.>", "a.c", "b.>", "*.a" };
	struct subtree		*t;
	struct tally		 ta;
	char			 o[2] = { 0 };
	size_t			 i;

	tally_init(&ta, o, NITEMS(o));
	ck_assert_ptr_nonnull(t = subtree_new());
	for (i = 0; i < NITEMS(hit); i++)
		ck_assert_int_eq(subtree_add(t, hit[i], &o[0]), 0);
	for (i = 0; i < NITEMS(miss); i++)
		ck_assert_int_eq(subtree_add(t, miss[i], &o[0]), 0);
	ck_assert_int_eq(subtree_add(t, "a.b", &o[1]), 0);
	ck_assert_uint_eq(subtree_match(t, "a.b", tally_cb, &ta),
	    NITEMS(hit) + 1);
	ck_assert_uint_eq(ta.hits[0], NITEMS(hit));
	ck_assert_uint_eq(ta.hits[1], 1);

	/* Removing one pattern takes away one call. */
	ck_assert_int_eq(subtree_remove(t, "*.>", &o[0]), 0);
	tally_reset(&ta);
	ck_assert_uint_eq(subtree_match(t, "a.b", tally_cb, &ta),
	    NITEMS(hit));
	ck_assert_uint_eq(ta.hits[0], NITEMS(hit) - 1);
	subtree_free(t);
	free(ta.hits);
}
END_TEST

/* Agreement with brute force over subject_matches() */

static uint64_t	rng_state;

/* xorshift64*: fixed seeds, so a failure reproduces. */
static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return ((uint32_t)((rng_state * 2685821657736338717ULL) >> 32) % n);
}

static const char	*alphabet[] = { "a", "b", "c", "ab", "ba" };

/*
 * Dense: a quarter of the tokens "*", a fifth of the last ones ">", the
 * pattern ">" included.  Sparse: fewer wildcards and none first, so that
 * subjects starting with a token no pattern has match nothing.
 */
static void
random_pattern(char *buf, size_t size, int dense)
{
	uint32_t	star = dense ? 25 : 10, rest = dense ? 20 : 10;
	size_t		ntok, i;
	uint32_t	r;

	buf[0] = '\0';
	ntok = 1 + rnd(5);
	for (i = 0; i < ntok; i++) {
		if (i > 0)
			strlcat(buf, ".", size);
		r = rnd(100);
		if (i == 0 && !dense)
			strlcat(buf, alphabet[rnd(NITEMS(alphabet))], size);
		else if (i == ntok - 1 && r < rest)
			strlcat(buf, ">", size);
		else if (r >= rest && r < rest + star)
			strlcat(buf, "*", size);
		else
			strlcat(buf, alphabet[rnd(NITEMS(alphabet))], size);
	}
}

static void
random_subject(char *buf, size_t size)
{
	size_t	ntok, i;

	buf[0] = '\0';
	ntok = 1 + rnd(6);
	for (i = 0; i < ntok; i++) {
		if (i > 0)
			strlcat(buf, ".", size);
		/* Now and then a token no pattern has. */
		strlcat(buf, rnd(8) == 0 ? "zz" :
		    alphabet[rnd(NITEMS(alphabet))], size);
	}
}

#define AGREE_SUBS	3000
#define AGREE_SUBJECTS	500
#define AGREE_OWNERS	16
#define AGREE_PATLEN	32

struct agree {
	char	 pattern[AGREE_SUBS][AGREE_PATLEN];
	size_t	 owner[AGREE_SUBS];
	int	 live[AGREE_SUBS];	/* added and not removed */
	char	 subject[AGREE_SUBJECTS][AGREE_PATLEN];
	char	 tags[AGREE_OWNERS];
};

/* Is the same (pattern, owner) live at an earlier index than i? */
static int
agree_dup(const struct agree *ag, size_t i)
{
	size_t	j;

	for (j = 0; j < i; j++)
		if (ag->live[j] && ag->owner[j] == ag->owner[i] &&
		    strcmp(ag->pattern[j], ag->pattern[i]) == 0)
			return (1);
	return (0);
}

/* Compare every subject; returns how many matched nothing. */
static size_t
agree_compare(struct agree *ag, const struct subtree *t)
{
	struct tally	 ta;
	size_t		 want[AGREE_OWNERS], total, s, i, rv, none = 0;

	tally_init(&ta, ag->tags, AGREE_OWNERS);
	for (s = 0; s < AGREE_SUBJECTS; s++) {
		memset(want, 0, sizeof(want));
		total = 0;
		for (i = 0; i < AGREE_SUBS; i++)
			if (ag->live[i] && subject_matches(ag->pattern[i],
			    ag->subject[s])) {
				want[ag->owner[i]]++;
				total++;
			}
		tally_reset(&ta);
		rv = subtree_match(t, ag->subject[s], tally_cb, &ta);
		ck_assert_msg(rv == total, "\"%s\": %zu calls, brute force "
		    "%zu", ag->subject[s], rv, total);
		ck_assert_uint_eq(ta.calls, rv);
		for (i = 0; i < AGREE_OWNERS; i++)
			ck_assert_msg(ta.hits[i] == want[i], "\"%s\" owner "
			    "%zu: %zu calls, brute force %zu", ag->subject[s],
			    i, ta.hits[i], want[i]);
		none += rv == 0;
	}
	free(ta.hits);
	return (none);
}

static size_t
agree_live(const struct agree *ag)
{
	size_t	i, n = 0;

	for (i = 0; i < AGREE_SUBS; i++)
		n += ag->live[i];
	return (n);
}

START_TEST(test_agree_random)
{
	struct agree	*ag;
	struct subtree	*t;
	size_t		 i, none;
	int		 rv;

	rng_state = 0x9e3779b97f4a7c15ULL + (uint64_t)_i;
	ck_assert_ptr_nonnull(ag = calloc(1, sizeof(*ag)));
	/* Runs 2 and 3: the same with seeded hashes, as the daemon has. */
	ck_assert_ptr_nonnull(t = _i < 2 ? subtree_new() :
	    subtree_new_seed(rng_state * 31));
	for (i = 0; i < AGREE_SUBJECTS; i++)
		random_subject(ag->subject[i], AGREE_PATLEN);
	for (i = 0; i < AGREE_SUBS; i++) {
		random_pattern(ag->pattern[i], AGREE_PATLEN, _i % 2);
		ag->owner[i] = rnd(AGREE_OWNERS);
		rv = subtree_add(t, ag->pattern[i], &ag->tags[ag->owner[i]]);
		ck_assert_int_ge(rv, 0);
		/* 1 exactly when that owner already has that pattern. */
		ck_assert_int_eq(rv, agree_dup(ag, i));
		ag->live[i] = rv == 0;
	}
	ck_assert_uint_eq(subtree_count(t), agree_live(ag));
	/* Both kinds of subject occur: matching nothing and something. */
	none = agree_compare(ag, t);
	ck_assert_uint_lt(none, AGREE_SUBJECTS);
	if (_i % 2 == 0)
		ck_assert_uint_gt(none, 0);

	/* Take away about half, some twice, and compare again. */
	for (i = 0; i < AGREE_SUBS; i++) {
		if (!ag->live[i] || rnd(2) == 0)
			continue;
		ck_assert_int_eq(subtree_remove(t, ag->pattern[i],
		    &ag->tags[ag->owner[i]]), 0);
		ag->live[i] = 0;
		ck_assert_int_eq(subtree_remove(t, ag->pattern[i],
		    &ag->tags[ag->owner[i]]), -1);
	}
	ck_assert_uint_eq(subtree_count(t), agree_live(ag));
	(void)agree_compare(ag, t);

	for (i = 0; i < AGREE_SUBS; i++)
		if (ag->live[i])
			ck_assert_int_eq(subtree_remove(t, ag->pattern[i],
			    &ag->tags[ag->owner[i]]), 0);
	ck_assert_uint_eq(subtree_count(t), 0);
	for (i = 0; i < AGREE_SUBJECTS; i++)
		ck_assert_uint_eq(subtree_match(t, ag->subject[i], never_cb,
		    NULL), 0);
	subtree_free(t);
	free(ag);
}
END_TEST

/* Scale and size */

#define BIG_SUBS	10000

static const char	*regions[] = { "eu", "us", "ap", "sa" };

/* Subscription i of the 10,000: a mix of literal and wildcard patterns. */
static void
big_pattern(char *buf, size_t size, size_t i)
{
	const char	*r = regions[(i / 8) % NITEMS(regions)];

	switch (i % 8) {
	case 0:
	case 1:
	case 2:
		snprintf(buf, size, "orders.%s.%zu", r, i % 1000);
		break;
	case 3:
		snprintf(buf, size, "orders.*.%zu", i % 1000);
		break;
	case 4:
		snprintf(buf, size, "orders.%s.>", r);
		break;
	case 5:
		snprintf(buf, size, "metrics.h%zu.cpu", i % 500);
		break;
	case 6:
		snprintf(buf, size, "metrics.*.%s", i % 16 == 6 ? "cpu" :
		    "mem");
		break;
	default:
		snprintf(buf, size, "*.%s.%zu.>", r, i % 100);
		break;
	}
}

START_TEST(test_big)
{
	static const char	*subjects[] = { "orders.eu.1", "orders.us.999",
	    "orders.ap.42.x", "orders.sa.7.a.b.c", "metrics.h3.cpu",
	    "metrics.h499.mem", "metrics.h500.cpu", "orders.xx.5",
	    "nothing.here", "orders", "metrics.h3", "x.eu.42.y" };
	struct subtree		*t;
	char			*tags, buf[PATLEN];
	size_t			 i, s, want, added = 0;
	int			 rv;

	ck_assert_ptr_nonnull(tags = calloc(BIG_SUBS, 1));
	ck_assert_ptr_nonnull(t = subtree_new());
	/* An owner per subscription: repeated patterns get several. */
	for (i = 0; i < BIG_SUBS; i++) {
		big_pattern(buf, sizeof(buf), i);
		rv = subtree_add(t, buf, &tags[i]);
		ck_assert_int_eq(rv, 0);
		added++;
	}
	ck_assert_uint_eq(subtree_count(t), added);
	for (s = 0; s < NITEMS(subjects); s++) {
		want = 0;
		for (i = 0; i < BIG_SUBS; i++) {
			big_pattern(buf, sizeof(buf), i);
			want += subject_matches(buf, subjects[s]) != 0;
		}
		ck_assert_msg(nmatch(t, subjects[s]) == want,
		    "\"%s\": want %zu", subjects[s], want);
	}
	/* By hand: "orders.eu.>" is i = 32m + 4 < 10000, m = 0 .. 312. */
	ck_assert_uint_eq(nmatch(t, "orders.eu.x"), 313);
	ck_assert_uint_eq(nmatch(t, "nothing.here"), 0);
	ck_assert_uint_eq(nmatch(t, "metrics.hq.mem"), BIG_SUBS / 16);

	for (i = 0; i < BIG_SUBS; i++) {
		big_pattern(buf, sizeof(buf), i);
		ck_assert_int_eq(subtree_remove(t, buf, &tags[i]), 0);
	}
	ck_assert_uint_eq(subtree_count(t), 0);
	for (s = 0; s < NITEMS(subjects); s++)
		ck_assert_uint_eq(subtree_match(t, subjects[s], never_cb,
		    NULL), 0);
	subtree_free(t);
	free(tags);
}
END_TEST

START_TEST(test_long_subjects)
{
	struct subtree	*t;
	char		 subj[PATLEN], pat[PATLEN], one[PATLEN], o;
	size_t		 n = 0, k, j;

	make_subject(subj, SUBJECT_TOKENS_MAX, 7);	/* 255 bytes */
	ck_assert_uint_eq(strlen(subj), SUBJECT_MAX);
	ck_assert_ptr_nonnull(t = subtree_new());

	/* The subject itself, and with "*" at each of its 32 positions. */
	ck_assert_int_eq(subtree_add(t, subj, &o), 0);
	n++;
	for (k = 0; k < SUBJECT_TOKENS_MAX; k++) {
		make_subject(pat, SUBJECT_TOKENS_MAX, 7);
		/* Token k starts at 8k; shift the rest left over it. */
		pat[8 * k] = '*';
		memmove(pat + 8 * k + 1, pat + 8 * k + 7,
		    strlen(pat + 8 * k + 7) + 1);
		ck_assert(subject_matches(pat, subj));
		ck_assert_int_eq(subtree_add(t, pat, &o), 0);
		n++;
	}
	/* Its first k tokens then ">", for k = 0 .. 31. */
	for (k = 0; k < SUBJECT_TOKENS_MAX; k++) {
		make_subject(pat, k, 7);
		strlcat(pat, k > 0 ? ".>" : ">", sizeof(pat));
		ck_assert_int_eq(subtree_add(t, pat, &o), 0);
		n++;
	}
	/* 32 "*", and 31 "*" then ">". */
	pat[0] = '\0';
	for (k = 0; k < SUBJECT_TOKENS_MAX; k++)
		strlcat(pat, k > 0 ? ".*" : "*", sizeof(pat));
	ck_assert_int_eq(subtree_add(t, pat, &o), 0);
	n++;
	pat[strlen(pat) - 1] = '>';
	ck_assert_int_eq(subtree_add(t, pat, &o), 0);
	n++;
	ck_assert_uint_eq(subtree_count(t), n);
	ck_assert_uint_eq(nmatch(t, subj), n);

	/* The same subject one token short matches the ">" patterns only. */
	make_subject(pat, SUBJECT_TOKENS_MAX - 1, 7);
	ck_assert_uint_eq(nmatch(t, pat), SUBJECT_TOKENS_MAX - 1);

	/* A 255-byte single token beside it. */
	make_subject(one, 1, SUBJECT_MAX);
	ck_assert_int_eq(subtree_add(t, one, &o), 0);
	ck_assert_uint_eq(nmatch(t, one), 2);	/* itself and ">" */
	ck_assert_int_eq(subtree_remove(t, one, &o), 0);
	ck_assert_uint_eq(nmatch(t, one), 1);
	one[SUBJECT_MAX - 1] = 'Z';		/* differs in the last byte */
	ck_assert_uint_eq(nmatch(t, one), 1);

	/*
	 * Differs in the last byte of the 32nd token: the subject itself
	 * and the 31 patterns with a literal 32nd token no longer match.
	 */
	subj[SUBJECT_MAX - 1] = 'Z';
	ck_assert_uint_eq(nmatch(t, subj), n - SUBJECT_TOKENS_MAX);

	/* Take everything out, one pattern at a time. */
	make_subject(subj, SUBJECT_TOKENS_MAX, 7);
	ck_assert_int_eq(subtree_remove(t, subj, &o), 0);
	for (k = 0; k < SUBJECT_TOKENS_MAX; k++) {
		make_subject(pat, k, 7);
		strlcat(pat, k > 0 ? ".>" : ">", sizeof(pat));
		ck_assert_int_eq(subtree_remove(t, pat, &o), 0);
		make_subject(pat, SUBJECT_TOKENS_MAX, 7);
		pat[8 * k] = '*';
		memmove(pat + 8 * k + 1, pat + 8 * k + 7,
		    strlen(pat + 8 * k + 7) + 1);
		ck_assert_int_eq(subtree_remove(t, pat, &o), 0);
	}
	ck_assert_uint_eq(subtree_count(t), 2);
	pat[0] = '\0';
	for (j = 0; j < SUBJECT_TOKENS_MAX; j++)
		strlcat(pat, j > 0 ? ".*" : "*", sizeof(pat));
	ck_assert_int_eq(subtree_remove(t, pat, &o), 0);
	pat[strlen(pat) - 1] = '>';
	ck_assert_int_eq(subtree_remove(t, pat, &o), 0);
	ck_assert_uint_eq(subtree_count(t), 0);
	ck_assert_uint_eq(subtree_match(t, subj, never_cb, NULL), 0);
	subtree_free(t);
}
END_TEST

/*
 * What one subscription holds (issue 12: 25 KB for 32 fresh tokens,
 * each trie node had a hash table of its own): under subtree_cost(),
 * which memory budgets charge, and about 2 KB for the longest pattern.
 * As in test_tree_prune, mallinfo2() sees nothing under ASan or
 * valgrind, and then only the cost's own bounds are checked.
 */
#define COST_SUBS	2000

static void
cost_pattern(char *buf, size_t size, size_t i, size_t ntok)
{
	size_t	k, o = 0;

	buf[0] = '\0';
	for (k = 0; k < ntok && o < size; k++)
		o += (size_t)snprintf(buf + o, size - o, "%s%c%06zx",
		    k > 0 ? "." : "", (int)('a' + k % 26), i);
}

START_TEST(test_tree_cost)
{
	static char	 o[COST_SUBS];
	struct subtree	*t;
	char		 buf[PATLEN];
	long long	 before, grown;
	size_t		 i, cost;

	cost_pattern(buf, sizeof(buf), 0, SUBJECT_TOKENS_MAX);
	ck_assert_uint_eq(strlen(buf), SUBJECT_MAX);
	cost = subtree_cost(buf);
	ck_assert_uint_gt(cost, SUBJECT_TOKENS_MAX * 48);
	ck_assert_uint_lt(cost, 3000);
	/* More tokens cost more; ">" costs no node, "*" one. */
	ck_assert_uint_lt(subtree_cost("a"), subtree_cost("a.b"));
	ck_assert_uint_eq(subtree_cost("a.>"), subtree_cost("a"));
	ck_assert_uint_eq(subtree_cost("a.*"), subtree_cost("a.b"));
	ck_assert_uint_lt(subtree_cost(">"), subtree_cost("a"));

	ck_assert_ptr_nonnull(t = subtree_new_seed(7));
	before = heap_in_use();
	for (i = 0; i < COST_SUBS; i++) {
		cost_pattern(buf, sizeof(buf), i, SUBJECT_TOKENS_MAX);
		ck_assert_int_eq(subtree_add(t, buf, &o[i]), 0);
	}
	grown = heap_in_use() - before;
	ck_assert_msg(grown <= (long long)(COST_SUBS * cost), "%d "
	    "subscriptions hold %lld bytes, more than %zu each", COST_SUBS,
	    grown, cost);
	ck_assert_uint_eq(nmatch(t, buf), 1);
	for (i = 0; i < COST_SUBS; i++) {
		cost_pattern(buf, sizeof(buf), i, SUBJECT_TOKENS_MAX);
		ck_assert_int_eq(subtree_remove(t, buf, &o[i]), 0);
	}
	/* All of it goes back: the table shrinks with its nodes. */
	grown = heap_in_use() - before;
	ck_assert_msg(grown < 16384, "heap still %lld bytes up", grown);
	subtree_free(t);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("subject");

	tc = tcase_create("validation");
	tcase_add_test(tc, test_check_valid);
	tcase_add_test(tc, test_check_empty);
	tcase_add_test(tc, test_check_empty_token);
	tcase_add_test(tc, test_check_wildcards);
	tcase_add_test(tc, test_check_publish_wildcard);
	tcase_add_test(tc, test_check_bad_char);
	tcase_add_test(tc, test_check_length);
	tcase_add_test(tc, test_check_tokens);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);

	tc = tcase_create("matches");
	tcase_add_loop_test(tc, test_matches_table, 0, NITEMS(match_rows));
	tcase_add_loop_test(tc, test_matches_trie_table, 0,
	    NITEMS(match_rows));
	tcase_add_test(tc, test_matches_self);
	suite_add_tcase(s, tc);

	tc = tcase_create("subtree");
	tcase_add_test(tc, test_tree_empty);
	tcase_add_test(tc, test_tree_add_remove);
	tcase_add_test(tc, test_tree_add_twice);
	tcase_add_test(tc, test_tree_invalid);
	tcase_add_test(tc, test_tree_remove_missing);
	tcase_add_test(tc, test_tree_remove_keeps_others);
	tcase_add_test(tc, test_tree_prune);
	tcase_add_test(tc, test_tree_many_owners);
	tcase_add_test(tc, test_tree_one_owner_many_patterns);
	suite_add_tcase(s, tc);

	tc = tcase_create("agreement");
	tcase_set_timeout(tc, SLOW_TIMEOUT);
	tcase_add_loop_test(tc, test_agree_random, 0, 4);
	suite_add_tcase(s, tc);

	tc = tcase_create("scale");
	tcase_set_timeout(tc, SLOW_TIMEOUT);
	tcase_add_test(tc, test_big);
	tcase_add_test(tc, test_long_subjects);
	tcase_add_test(tc, test_tree_cost);
	suite_add_tcase(s, tc);

	return (s);
}
