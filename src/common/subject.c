/*
 * subject.c: subject validation and the subscription trie.  See subject.h.
 *
 * The trie: a node per token of a pattern, "*" included; a node keeps
 * the owners whose pattern ends there ("exact") and the owners of a ">"
 * at its depth ("rest").  Nodes are pruned when the last subscription
 * under them goes.
 *
 * Every node but the root lives in one table for the whole tree, keyed
 * by (parent, token), rather than each node keeping a hash table of its
 * children: a uthash table per node cost about 600 bytes, and a pattern
 * of 32 fresh tokens 25 KB (issue 12).  A node is now its token and
 * four words, 48 bytes or so with malloc's own, plus its share of the
 * table, 9 bytes a slot (a pointer and a tag byte) kept between 3/8 and
 * 3/4 full.  "*" children are in the table too, so that freeing the
 * tree is one pass over it, and also hang off their parent, which
 * matching follows without a look-up; a subject never has a "*" token,
 * so a literal look-up cannot find one.
 *
 * The table is open addressing with linear probing; a deletion shifts
 * the rest of its run back, so there are no tombstones.  The tag byte
 * (7 more bits of the hash) is compared before a node is touched, so a
 * look-up that fails reads only the tag array.  A token's hash is
 * computed once per subject token and mixed with the parent's address
 * at each look-up; its seed comes from the caller (subtree_new_seed),
 * so that a client cannot pick tokens that collide.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "subject.h"

struct owners {
	void		**v;
	uint32_t	  n, cap;
};

/* The patterns that end at a node; allocated only where some do. */
struct ends {
	struct owners	  exact;	/* patterns ending here */
	struct owners	  rest;		/* "...>" at this depth */
};

struct subnode {
	struct subnode	 *parent;	/* NULL: the root */
	struct subnode	 *star;		/* the "*" child */
	struct ends	 *ends;
	uint32_t	  hash;		/* low bits of its key's hash */
	uint32_t	  nchild;	/* children, "*" included */
	uint8_t		  toklen;
	char		  token[];	/* toklen bytes, no NUL */
};

#define TABLE_MIN	64		/* slots; a power of two */
#define TAG_USED	0x80

struct subtree {
	struct subnode	 *root;
	struct subnode	**slot;
	uint8_t		 *tag;		/* 0: empty; else TAG_USED | 7 bits */
	size_t		  cap;		/* slots: a power of two, or 0 */
	size_t		  used;		/* nodes in the table */
	size_t		  count;	/* subscriptions */
	uint64_t	  seed;
};

const char *
subject_strerror(enum subject_error e)
{
	switch (e) {
	case SUBJECT_OK:		return ("valid");
	case SUBJECT_EMPTY:		return ("empty subject");
	case SUBJECT_TOO_LONG:		return ("subject longer than 255 bytes");
	case SUBJECT_TOO_MANY_TOKENS:	return ("subject has more than 32 tokens");
	case SUBJECT_EMPTY_TOKEN:	return ("empty token (\"..\", or a "
					    "leading or trailing \".\")");
	case SUBJECT_BAD_CHAR:		return ("subjects are printable ASCII "
					    "without spaces");
	case SUBJECT_WILDCARD:		return ("wildcards are for "
					    "subscriptions, not for sending");
	case SUBJECT_BAD_WILDCARD:	return ("\"*\" and \">\" must be whole "
					    "tokens, and \">\" the last");
	}
	return ("invalid subject");
}

enum subject_error
subject_check(const char *s, int pattern)
{
	const char	*tok = s, *p;
	size_t		 len, ntok = 0;

	if (*s == '\0')
		return (SUBJECT_EMPTY);
	if ((len = strnlen(s, SUBJECT_MAX + 1)) > SUBJECT_MAX)
		return (SUBJECT_TOO_LONG);
	for (p = s;; p++) {
		if (*p != '.' && *p != '\0') {
			if ((unsigned char)*p <= ' ' ||
			    (unsigned char)*p >= 0x7f)
				return (SUBJECT_BAD_CHAR);
			continue;
		}
		if (p == tok)
			return (SUBJECT_EMPTY_TOKEN);
		if (++ntok > SUBJECT_TOKENS_MAX)
			return (SUBJECT_TOO_MANY_TOKENS);
		if (memchr(tok, '*', (size_t)(p - tok)) != NULL ||
		    memchr(tok, '>', (size_t)(p - tok)) != NULL) {
			if (!pattern)
				return (SUBJECT_WILDCARD);
			if (p - tok != 1)
				return (SUBJECT_BAD_WILDCARD);
			if (*tok == '>' && *p != '\0')
				return (SUBJECT_BAD_WILDCARD);
		}
		if (*p == '\0')
			break;
		tok = p + 1;
	}
	return (SUBJECT_OK);
}

/* Next token of s at *pos: start and length; 0 at the end. */
static int
next_token(const char *s, size_t *pos, const char **tok, size_t *len)
{
	const char	*p;

	if (s[*pos] == '\0')
		return (0);
	*tok = s + *pos;
	p = strchr(*tok, '.');
	*len = p ? (size_t)(p - *tok) : strlen(*tok);
	*pos += *len + (p ? 1 : 0);
	return (1);
}

int
subject_matches(const char *pattern, const char *subject)
{
	const char	*pt, *st;
	size_t		 pp = 0, sp = 0, pl, sl;

	while (next_token(pattern, &pp, &pt, &pl)) {
		if (pl == 1 && *pt == '>')
			return (next_token(subject, &sp, &st, &sl));
		if (!next_token(subject, &sp, &st, &sl))
			return (0);
		if (pl == 1 && *pt == '*')
			continue;
		if (pl != sl || memcmp(pt, st, pl) != 0)
			return (0);
	}
	return (!next_token(subject, &sp, &st, &sl));
}

/* Hashing */

/* FNV-1a over the token, from the tree's seed. */
static uint64_t
token_hash(const struct subtree *t, const char *tok, size_t len)
{
	uint64_t	h = t->seed ^ 0xcbf29ce484222325ULL;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)tok[i];
		h *= 0x100000001b3ULL;
	}
	return (h);
}

/* The key's hash: the token's, mixed with the parent (murmur3's fmix64). */
static uint64_t
key_hash(const struct subnode *parent, uint64_t th)
{
	uint64_t	h = th ^ ((uint64_t)(uintptr_t)parent *
			    0x9e3779b97f4a7c15ULL);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (h);
}

static uint8_t
hash_tag(uint64_t h)
{
	return ((uint8_t)(TAG_USED | (h >> 57)));
}

/* The table */

/* Tokens are short: a loop beats a call to memcmp. */
static int
token_eq(const char *a, const char *b, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return (0);
	return (1);
}

static struct subnode *
table_find(const struct subtree *t, const struct subnode *parent,
    uint64_t h, const char *tok, size_t len)
{
	const struct subnode	*n;
	size_t			 mask = t->cap - 1, i;
	uint8_t			 tag = hash_tag(h);

	if (t->cap == 0)
		return (NULL);
	for (i = (size_t)h & mask; t->tag[i] != 0; i = (i + 1) & mask) {
		if (t->tag[i] != tag)
			continue;
		n = t->slot[i];
		if (n->parent == parent && n->toklen == len &&
		    token_eq(n->token, tok, len))
			return (t->slot[i]);
	}
	return (NULL);
}

static void
table_place(struct subtree *t, struct subnode *n, uint8_t tag)
{
	size_t	mask = t->cap - 1, i;

	for (i = n->hash & mask; t->tag[i] != 0; i = (i + 1) & mask)
		;
	t->slot[i] = n;
	t->tag[i] = tag;
}

/* Move every node to a table of cap slots: -1 when out of memory. */
static int
table_resize(struct subtree *t, size_t cap)
{
	struct subnode	**oslot = t->slot;
	uint8_t		 *otag = t->tag;
	size_t		  ocap = t->cap, i;

	if ((t->slot = calloc(cap, sizeof(*t->slot))) == NULL ||
	    (t->tag = calloc(cap, 1)) == NULL) {
		free(t->slot);
		t->slot = oslot;
		t->tag = otag;
		return (-1);
	}
	t->cap = cap;
	for (i = 0; i < ocap; i++)
		if (otag[i] != 0)
			table_place(t, oslot[i], otag[i]);
	free(oslot);
	free(otag);
	return (0);
}

static int
table_add(struct subtree *t, struct subnode *n, uint8_t tag)
{
	if ((t->used + 1) * 4 > t->cap * 3 && table_resize(t, t->cap > 0 ?
	    t->cap * 2 : TABLE_MIN) == -1)
		return (-1);
	table_place(t, n, tag);
	t->used++;
	return (0);
}

/* Take n out, shifting back the rest of its run. */
static void
table_del(struct subtree *t, const struct subnode *n)
{
	size_t	mask = t->cap - 1, i, j, home;

	for (i = n->hash & mask; t->slot[i] != n; i = (i + 1) & mask)
		;
	for (j = (i + 1) & mask; t->tag[j] != 0; j = (j + 1) & mask) {
		home = t->slot[j]->hash & mask;
		/* Entry j may fill the hole unless its home lies in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->slot[i] = t->slot[j];
			t->tag[i] = t->tag[j];
			i = j;
		}
	}
	t->slot[i] = NULL;
	t->tag[i] = 0;
	t->used--;
	/* Shrink when an eighth full (a failure to shrink is harmless). */
	if (t->cap > TABLE_MIN && t->used * 8 < t->cap)
		(void)table_resize(t, t->cap / 2);
}

/* Owners */

static int
owners_add(struct owners *o, void *owner)
{
	uint32_t	 i, cap;
	void		**v;

	for (i = 0; i < o->n; i++)
		if (o->v[i] == owner)
			return (1);
	if (o->n == o->cap) {
		cap = o->cap ? o->cap * 2 : 2;
		if (cap < o->cap ||
		    (v = reallocarray(o->v, cap, sizeof(*v))) == NULL)
			return (-1);
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n++] = owner;
	return (0);
}

static int
owners_remove(struct owners *o, void *owner)
{
	uint32_t	i;

	for (i = 0; i < o->n; i++)
		if (o->v[i] == owner) {
			o->v[i] = o->v[--o->n];
			if (o->n == 0) {
				free(o->v);
				o->v = NULL;
				o->cap = 0;
			}
			return (0);
		}
	return (-1);
}

/* Nodes */

static void
node_free(struct subnode *n)
{
	if (n->ends != NULL) {
		free(n->ends->exact.v);
		free(n->ends->rest.v);
		free(n->ends);
	}
	free(n);
}

static int
node_empty(const struct subnode *n)
{
	return (n->nchild == 0 && n->ends == NULL);
}

/* Drop n's ends once nothing is left in them. */
static void
node_trim(struct subnode *n)
{
	if (n->ends != NULL && n->ends->exact.n == 0 && n->ends->rest.n == 0) {
		free(n->ends);
		n->ends = NULL;
	}
}

struct subtree *
subtree_new_seed(uint64_t seed)
{
	struct subtree	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (NULL);
	if ((t->root = calloc(1, sizeof(*t->root))) == NULL) {
		free(t);
		return (NULL);
	}
	t->seed = seed;
	return (t);
}

struct subtree *
subtree_new(void)
{
	return (subtree_new_seed(0));
}

void
subtree_free(struct subtree *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->cap; i++)
		if (t->tag[i] != 0)
			node_free(t->slot[i]);
	free(t->slot);
	free(t->tag);
	node_free(t->root);
	free(t);
}

/* The child of n for one token, created if create is set. */
static struct subnode *
node_child(struct subtree *t, struct subnode *n, const char *tok,
    size_t len, int create)
{
	struct subnode	*c;
	uint64_t	 h;
	int		 star = len == 1 && *tok == '*';

	if (star && (n->star != NULL || !create))
		return (n->star);
	h = key_hash(n, token_hash(t, tok, len));
	if (!star && ((c = table_find(t, n, h, tok, len)) != NULL || !create))
		return (c);
	if ((c = malloc(offsetof(struct subnode, token) + len)) == NULL)
		return (NULL);
	c->parent = n;
	c->star = NULL;
	c->ends = NULL;
	c->hash = (uint32_t)h;
	c->nchild = 0;
	c->toklen = (uint8_t)len;
	memcpy(c->token, tok, len);
	if (table_add(t, c, hash_tag(h)) == -1) {
		free(c);
		return (NULL);
	}
	if (star)
		n->star = c;
	n->nchild++;
	return (c);
}

/* Free empty nodes from n up to (not including) the root. */
static void
node_prune(struct subtree *t, struct subnode *n)
{
	struct subnode	*parent;

	node_trim(n);
	while (n != t->root && node_empty(n)) {
		parent = n->parent;
		if (parent->star == n)
			parent->star = NULL;
		parent->nchild--;
		table_del(t, n);
		free(n);
		n = parent;
	}
}

/*
 * Walk pattern to the node that holds it, and the list there: its
 * "exact" or "rest" owners.  *at is the deepest node on the path.  With
 * create unset, NULL if the path is absent; with it set, NULL when out
 * of memory.
 */
static struct owners *
pattern_slot(struct subtree *t, const char *pattern, int create,
    struct subnode **at)
{
	struct subnode	*n = t->root, *c;
	const char	*tok;
	size_t		 pos = 0, len;
	int		 rest = 0;

	while (next_token(pattern, &pos, &tok, &len)) {
		if (len == 1 && *tok == '>') {
			rest = 1;
			break;
		}
		if ((c = node_child(t, n, tok, len, create)) == NULL) {
			*at = n;
			return (NULL);
		}
		n = c;
	}
	*at = n;
	if (n->ends == NULL && (!create ||
	    (n->ends = calloc(1, sizeof(*n->ends))) == NULL))
		return (NULL);
	return (rest ? &n->ends->rest : &n->ends->exact);
}

int
subtree_add(struct subtree *t, const char *pattern, void *owner)
{
	struct subnode	*at;
	struct owners	*o;
	int		 rv;

	if (subject_check(pattern, 1) != SUBJECT_OK)
		return (-1);
	if ((o = pattern_slot(t, pattern, 1, &at)) == NULL) {
		/* Out of memory part way: take down what was built. */
		node_prune(t, at);
		return (-1);
	}
	if ((rv = owners_add(o, owner)) == -1) {
		node_prune(t, at);
		return (-1);
	}
	if (rv == 0)
		t->count++;
	return (rv);
}

int
subtree_remove(struct subtree *t, const char *pattern, void *owner)
{
	struct subnode	*at;
	struct owners	*o;

	if (subject_check(pattern, 1) != SUBJECT_OK ||
	    (o = pattern_slot(t, pattern, 0, &at)) == NULL ||
	    owners_remove(o, owner) == -1)
		return (-1);
	t->count--;
	node_prune(t, at);
	return (0);
}

size_t
subtree_count(const struct subtree *t)
{
	return (t->count);
}

/*
 * What glibc's malloc takes for a request of n bytes: its 8-byte header,
 * rounded up to 16, 32 at least.
 */
static size_t
malloc_cost(size_t n)
{
	size_t	c = (n + 8 + 15) & ~(size_t)15;

	return (c < 32 ? 32 : c);
}

/* A node's share of the table at its emptiest (3/8 full): 24 bytes. */
#define SLOT_COST	((sizeof(struct subnode *) + 1) * 8 / 3)

size_t
subtree_cost(const char *pattern)
{
	const char	*tok;
	size_t		 pos = 0, len, cost;

	/* Its ends and an owners array of two, at the last node. */
	cost = malloc_cost(sizeof(struct ends)) +
	    malloc_cost(2 * sizeof(void *));
	while (next_token(pattern, &pos, &tok, &len))
		if (len != 1 || *tok != '>')
			cost += malloc_cost(offsetof(struct subnode, token) +
			    len) + SLOT_COST;
	return (cost);
}

/* Matching */

struct match_ctx {
	const struct subtree *t;
	const char	*tok[SUBJECT_TOKENS_MAX];
	size_t		 len[SUBJECT_TOKENS_MAX];
	uint64_t	 th[SUBJECT_TOKENS_MAX];	/* token_hash, once */
	uint32_t	 th_done;	/* bit i: th[i] is computed */
	size_t		 ntok;
	void		(*fn)(void *, void *);
	void		*arg;
	size_t		 calls;
};

static void
emit(struct match_ctx *m, const struct owners *o)
{
	void	**v = o->v;
	size_t	  i, n = o->n;

	/* Local copies: fn may write anywhere, o is reread otherwise. */
	for (i = 0; i < n; i++)
		m->fn(v[i], m->arg);
	m->calls += n;
}

static void
match_node(struct match_ctx *m, const struct subnode *n, size_t i)
{
	const struct subnode	*c;

	if (i == m->ntok) {
		if (n->ends != NULL)
			emit(m, &n->ends->exact);
		return;
	}
	/* ">" takes one or more remaining tokens. */
	if (n->ends != NULL)
		emit(m, &n->ends->rest);
	if (n->nchild == 0)
		return;
	if (!(m->th_done & (1U << i))) {
		m->th[i] = token_hash(m->t, m->tok[i], m->len[i]);
		m->th_done |= 1U << i;
	}
	if ((c = table_find(m->t, n, key_hash(n, m->th[i]), m->tok[i],
	    m->len[i])) != NULL)
		match_node(m, c, i + 1);
	if (n->star != NULL)
		match_node(m, n->star, i + 1);
}

size_t
subtree_match(const struct subtree *t, const char *subject,
    void (*fn)(void *, void *), void *arg)
{
	if (subject_check(subject, 0) != SUBJECT_OK)
		return (0);
	return (subtree_match_valid(t, subject, fn, arg));
}

size_t
subtree_match_valid(const struct subtree *t, const char *subject,
    void (*fn)(void *, void *), void *arg)
{
	struct match_ctx	m;
	size_t			pos = 0;

	m.t = t;
	m.ntok = 0;
	while (m.ntok < SUBJECT_TOKENS_MAX && next_token(subject, &pos,
	    &m.tok[m.ntok], &m.len[m.ntok]))
		m.ntok++;
	m.th_done = 0;
	m.fn = fn;
	m.arg = arg;
	m.calls = 0;
	match_node(&m, t->root, 0);
	return (m.calls);
}
