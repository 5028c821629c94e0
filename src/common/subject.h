/*
 * subject.h: subjects and subscription matching, as pure code.
 *
 * A subject is dot-separated tokens ("orders.eu.created").  A pattern
 * may use "*" for exactly one token and ">" as its last token for one or
 * more remaining tokens ("orders.*.created", "orders.>").
 *
 * Subscriptions live in a token trie, so matching a subject costs time in
 * the number of its tokens and the wildcards along the way, not in the
 * number of subscriptions: a subject of k tokens visits at most 2^w * k
 * trie nodes for w wildcard levels, and a literal level is one hash look-
 * up.  tests/bench_subject.c measures it: finding the matches costs
 * about 1,000 instructions with 100 or with 100,000 subscriptions
 * (971 and 1,051 under callgrind); the total grows only with the
 * matches delivered.  A subscription of 32 tokens that shares none
 * costs about 2 KB (subtree_cost() bounds it).
 */
#ifndef COHORT_SUBJECT_H
#define COHORT_SUBJECT_H

#include <stddef.h>
#include <stdint.h>

#define SUBJECT_MAX		255	/* bytes */
#define SUBJECT_TOKENS_MAX	32

enum subject_error {
	SUBJECT_OK = 0,
	SUBJECT_EMPTY,			/* "" */
	SUBJECT_TOO_LONG,
	SUBJECT_TOO_MANY_TOKENS,
	SUBJECT_EMPTY_TOKEN,		/* "a..b", ".a", "a." */
	SUBJECT_BAD_CHAR,		/* space, control, non-ASCII */
	SUBJECT_WILDCARD,		/* wildcard in a subject to publish */
	SUBJECT_BAD_WILDCARD,		/* "a*", "*b", ">x", ">" not last */
};

struct subtree;

const char	*subject_strerror(enum subject_error);
/* Validate a subject (pattern = 0) or a subscription pattern. */
enum subject_error subject_check(const char *, int);
/* Does the pattern match the subject?  Both must be valid. */
int		 subject_matches(const char *, const char *);

/*
 * A tree whose hashes start from seed: the daemon's is random, so that
 * clients cannot choose tokens that collide.  subtree_new() is seed 0.
 */
struct subtree	*subtree_new_seed(uint64_t);
struct subtree	*subtree_new(void);
void		 subtree_free(struct subtree *);
/* 0 added, 1 the owner already had it, -1 out of memory or invalid. */
int		 subtree_add(struct subtree *, const char *, void *);
/* 0 removed, -1 not there. */
int		 subtree_remove(struct subtree *, const char *, void *);
/* Subscriptions held, all owners together. */
size_t		 subtree_count(const struct subtree *);
/*
 * The most one subscription to a valid pattern can hold in a tree, in
 * bytes, malloc's own included: what its nodes, their share of the
 * table and its owner entry cost when it shares no node with another.
 * What memory budgets charge for it (limits.client_memory_bytes).
 */
size_t		 subtree_cost(const char *);
/*
 * Call fn(owner, arg) for every subscription matching subject; an owner
 * with several matching patterns is called once per pattern (callers
 * dedupe).  Returns the number of calls.
 */
size_t		 subtree_match(const struct subtree *, const char *,
		    void (*)(void *, void *), void *);
/* The same for a subject that already passed subject_check(s, 0). */
size_t		 subtree_match_valid(const struct subtree *, const char *,
		    void (*)(void *, void *), void *);

#endif /* COHORT_SUBJECT_H */
