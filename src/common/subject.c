/*
 * subject.c: subject validation and the subscription trie.  See subject.h.
 *
 * Each trie node has literal children in a uthash table keyed by token,
 * one "*" child, the owners whose pattern ends at the node, and the
 * owners of a ">" at the node's depth.  Nodes are pruned when the last
 * subscription under them goes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Out of memory inside uthash is reported through this flag rather than
 * exit(): a client's subscribe must fail, not the daemon.
 */
#define HASH_NONFATAL_OOM	1
#define uthash_nonfatal_oom(e)	(st_oom = 1)
#include <uthash.h>

#include "subject.h"

struct owners {
	void		**v;
	size_t		  n, cap;
};

struct subnode {
	UT_hash_handle	  hh;
	struct subnode	 *parent;
	char		 *token;	/* literal children: the hash key */
	size_t		  toklen;
	struct subnode	 *lit;		/* uthash head of literal children */
	struct subnode	 *star;
	struct owners	  exact;	/* patterns ending here */
	struct owners	  rest;		/* "...>" at this depth */
};

struct subtree {
	struct subnode	  root;
	size_t		  count;
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

static int
owners_add(struct owners *o, void *owner)
{
	size_t	 i;
	void	**v;

	for (i = 0; i < o->n; i++)
		if (o->v[i] == owner)
			return (1);
	if (o->n == o->cap) {
		if ((v = reallocarray(o->v, o->cap ? o->cap * 2 : 2,
		    sizeof(*v))) == NULL)
			return (-1);
		o->v = v;
		o->cap = o->cap ? o->cap * 2 : 2;
	}
	o->v[o->n++] = owner;
	return (0);
}

static int
owners_remove(struct owners *o, void *owner)
{
	size_t	i;

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

static int
node_empty(const struct subnode *n)
{
	return (n->lit == NULL && n->star == NULL && n->exact.n == 0 &&
	    n->rest.n == 0);
}

struct subtree *
subtree_new(void)
{
	return (calloc(1, sizeof(struct subtree)));
}

static void
node_free_children(struct subnode *n)
{
	struct subnode	*c, *tmp;

	HASH_ITER(hh, n->lit, c, tmp) {
		HASH_DEL(n->lit, c);
		node_free_children(c);
		free(c->token);
		free(c);
	}
	if (n->star != NULL) {
		node_free_children(n->star);
		free(n->star);
	}
	free(n->exact.v);
	free(n->rest.v);
}

void
subtree_free(struct subtree *t)
{
	if (t == NULL)
		return;
	node_free_children(&t->root);
	free(t);
}

/* The child of n for one token, created if create is set. */
static struct subnode *
node_child(struct subnode *n, const char *tok, size_t len, int create)
{
	struct subnode	*c;
	int		 st_oom = 0;

	if (len == 1 && *tok == '*') {
		if (n->star == NULL && create) {
			if ((n->star = calloc(1, sizeof(*c))) == NULL)
				return (NULL);
			n->star->parent = n;
		}
		return (n->star);
	}
	HASH_FIND(hh, n->lit, tok, len, c);
	if (c != NULL || !create)
		return (c);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->token = malloc(len + 1)) == NULL) {
		free(c);
		return (NULL);
	}
	memcpy(c->token, tok, len);
	c->token[len] = '\0';
	c->toklen = len;
	c->parent = n;
	HASH_ADD_KEYPTR(hh, n->lit, c->token, c->toklen, c);
	if (st_oom) {
		free(c->token);
		free(c);
		return (NULL);
	}
	return (c);
}

/* Free empty nodes from n up to (not including) the root. */
static void
node_prune(struct subtree *t, struct subnode *n)
{
	struct subnode	*parent;

	while (n != &t->root && node_empty(n)) {
		parent = n->parent;
		if (parent->star == n)
			parent->star = NULL;
		else {
			HASH_DEL(parent->lit, n);
			free(n->token);
		}
		free(n);
		n = parent;
	}
}

/*
 * Walk pattern to the node that holds it; the list is its "exact" or
 * "rest" owners.  With create unset, returns NULL if the path is absent.
 */
static struct owners *
pattern_slot(struct subtree *t, const char *pattern, int create,
    struct subnode **at)
{
	struct subnode	*n = &t->root, *c;
	const char	*tok;
	size_t		 pos = 0, len;

	while (next_token(pattern, &pos, &tok, &len)) {
		if (len == 1 && *tok == '>') {
			*at = n;
			return (&n->rest);
		}
		if ((c = node_child(n, tok, len, create)) == NULL) {
			*at = n;	/* the deepest node on the path */
			return (NULL);
		}
		n = c;
	}
	*at = n;
	return (&n->exact);
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

struct match_ctx {
	const char	*tok[SUBJECT_TOKENS_MAX];
	size_t		 len[SUBJECT_TOKENS_MAX];
	size_t		 ntok;
	void		(*fn)(void *, void *);
	void		*arg;
	size_t		 calls;
};

static void
emit(struct match_ctx *m, const struct owners *o)
{
	size_t	i;

	for (i = 0; i < o->n; i++)
		m->fn(o->v[i], m->arg);
	m->calls += o->n;
}

static void
match_node(struct match_ctx *m, const struct subnode *n, size_t i)
{
	const struct subnode	*c;

	if (i == m->ntok) {
		emit(m, &n->exact);
		return;
	}
	emit(m, &n->rest);	/* ">" takes one or more remaining tokens */
	HASH_FIND(hh, n->lit, m->tok[i], m->len[i], c);
	if (c != NULL)
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

	m.ntok = 0;
	while (m.ntok < SUBJECT_TOKENS_MAX && next_token(subject, &pos,
	    &m.tok[m.ntok], &m.len[m.ntok]))
		m.ntok++;
	m.fn = fn;
	m.arg = arg;
	m.calls = 0;
	match_node(&m, &t->root, 0);
	return (m.calls);
}
