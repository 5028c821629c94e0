/*
 * promfmt.c: see promfmt.h.  The rows are kept as (section, family,
 * value); writing counts the samples of each family, places the rows by
 * family in one pass (a counting sort, stable: samples stay in section
 * order), and prints family after family.  Linear in the rows, so that
 * a scrape of 1,024 peers costs the event loop a few milliseconds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promfmt.h"
#include "proto.h"

struct pf_known {
	const char	*key;
	int		 gauge;
	const char	*help;
};

#define PF_KIND_gauge		1
#define PF_KIND_counter		0
#define PF_DAEMON_(owner, name, kind, help)	{ #name, PF_KIND_##kind, help },
#define PF_PEER_(name, kind, help)		{ #name, PF_KIND_##kind, help },

static const struct pf_known pf_daemon_rows[] = {
	COHORT_STATS(PF_DAEMON_)
};
static const struct pf_known pf_peer_rows[] = {
	COHORT_PEER_STATS(PF_PEER_)
};

#define PF_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

enum pf_type {
	PF_COUNTER,
	PF_GAUGE,
	PF_UNTYPED
};

struct pf_section {
	char		*kind;
	char		*name;
};

struct pf_family {
	size_t		 kind;		/* the section it was first seen in */
	char		*key;
	enum pf_type	 type;
	const char	*help;		/* NULL: none known */
	size_t		 n;		/* samples */
	size_t		 start;		/* its first row in the sorted order */
};

struct pf_row {
	size_t		 section;
	size_t		 family;
	uint64_t	 value;
};

struct promfmt {
	struct pf_section	*sec;
	size_t			 nsec, capsec;
	struct pf_family	*fam;
	size_t			 nfam, capfam;
	struct pf_row		*row;
	size_t			 nrow, caprow;
	size_t			 next_fam;	/* likely family of next row */
	int			 failed;	/* out of memory while adding */
};

/* v (*cap elements of size sz) with room for n + 1; NULL if not. */
static void *
pf_grow(void *v, size_t *cap, size_t n, size_t sz)
{
	void	*nv;
	size_t	 ncap;

	if (n < *cap)
		return (v);
	ncap = *cap == 0 ? 64 : *cap * 2;
	if ((nv = reallocarray(v, ncap, sz)) == NULL)
		return (NULL);
	*cap = ncap;
	return (nv);
}

struct promfmt *
promfmt_new(void)
{
	return (calloc(1, sizeof(struct promfmt)));
}

void
promfmt_free(struct promfmt *pf)
{
	size_t	i;

	if (pf == NULL)
		return;
	for (i = 0; i < pf->nsec; i++) {
		free(pf->sec[i].kind);
		free(pf->sec[i].name);
	}
	for (i = 0; i < pf->nfam; i++)
		free(pf->fam[i].key);
	free(pf->sec);
	free(pf->fam);
	free(pf->row);
	free(pf);
}

void
promfmt_section(struct promfmt *pf, const char *kind, const char *name)
{
	struct pf_section	*s;

	if (pf->failed || (s = pf_grow(pf->sec, &pf->capsec, pf->nsec,
	    sizeof(*pf->sec))) == NULL) {
		pf->failed = 1;
		return;
	}
	pf->sec = s;
	s = &pf->sec[pf->nsec];
	s->kind = strdup(kind);
	s->name = strdup(name);
	if (s->kind == NULL || s->name == NULL) {
		free(s->kind);
		free(s->name);
		pf->failed = 1;
		return;
	}
	pf->nsec++;
}

/* What the lists of counters.h say of key in a section of kind. */
static void
pf_lookup(const char *kind, const char *key, struct pf_family *f)
{
	const struct pf_known	*rows = NULL;
	size_t			 n = 0, i;

	f->type = PF_UNTYPED;
	f->help = NULL;
	if (strcmp(kind, "daemon") == 0) {
		rows = pf_daemon_rows;
		n = PF_NITEMS(pf_daemon_rows);
	} else if (strcmp(kind, "peer") == 0) {
		rows = pf_peer_rows;
		n = PF_NITEMS(pf_peer_rows);
	}
	for (i = 0; i < n; i++)
		if (strcmp(rows[i].key, key) == 0) {
			f->type = rows[i].gauge ? PF_GAUGE : PF_COUNTER;
			f->help = rows[i].help;
			return;
		}
}

static int
pf_family_is(const struct promfmt *pf, size_t f, const char *kind,
    const char *key)
{
	return (f < pf->nfam && strcmp(pf->fam[f].key, key) == 0 &&
	    strcmp(pf->sec[pf->fam[f].kind].kind, kind) == 0);
}

/*
 * The family of (kind, key), made if new.  Sections of one kind give
 * their keys in the same order, so the one after the last is tried
 * first: a lookup is then one comparison.
 */
static int
pf_family(struct promfmt *pf, size_t sec, const char *key, size_t *out)
{
	const char		*kind = pf->sec[sec].kind;
	struct pf_family	*f;
	size_t			 i;

	if (pf_family_is(pf, pf->next_fam, kind, key)) {
		*out = pf->next_fam;
		return (0);
	}
	for (i = 0; i < pf->nfam; i++)
		if (pf_family_is(pf, i, kind, key)) {
			*out = i;
			return (0);
		}
	if ((f = pf_grow(pf->fam, &pf->capfam, pf->nfam,
	    sizeof(*pf->fam))) == NULL)
		return (-1);
	pf->fam = f;
	f = &pf->fam[pf->nfam];
	memset(f, 0, sizeof(*f));
	if ((f->key = strdup(key)) == NULL)
		return (-1);
	f->kind = sec;
	pf_lookup(kind, key, f);
	*out = pf->nfam++;
	return (0);
}

void
promfmt_add(struct promfmt *pf, const char *key, uint64_t value)
{
	struct pf_row	*r;
	size_t		 f;

	if (pf->failed)
		return;
	if (pf->nsec == 0 || pf_family(pf, pf->nsec - 1, key, &f) == -1 ||
	    (r = pf_grow(pf->row, &pf->caprow, pf->nrow,
	    sizeof(*pf->row))) == NULL) {
		pf->failed = 1;
		return;
	}
	pf->row = r;
	r = &pf->row[pf->nrow++];
	r->section = pf->nsec - 1;
	r->family = f;
	r->value = value;
	pf->next_fam = f + 1;
}

static void
pf_sink_section(void *arg, const char *kind, const char *name)
{
	promfmt_section(arg, kind, name);
}

static void
pf_sink_add(void *arg, const char *key, uint64_t value)
{
	promfmt_add(arg, key, value);
}

void
promfmt_sink(struct promfmt *pf, struct stats_sink *sink)
{
	sink->section = pf_sink_section;
	sink->add = pf_sink_add;
	sink->arg = pf;
}

/* Writing: pieces gathered in a buffer, handed to out when it fills. */

struct pf_out {
	int		(*out)(void *, const char *, size_t);
	void		 *arg;
	char		  buf[8192];
	size_t		  len;
	int		  failed;
};

static void
pf_flush(struct pf_out *o)
{
	if (!o->failed && o->len > 0 && o->out(o->arg, o->buf, o->len) == -1)
		o->failed = 1;
	o->len = 0;
}

static void
pf_put(struct pf_out *o, const char *s, size_t len)
{
	size_t	n;

	while (len > 0) {
		if (o->len == sizeof(o->buf))
			pf_flush(o);
		n = sizeof(o->buf) - o->len;
		if (n > len)
			n = len;
		memcpy(o->buf + o->len, s, n);
		o->len += n;
		s += n;
		len -= n;
	}
}

static void
pf_puts(struct pf_out *o, const char *s)
{
	pf_put(o, s, strlen(s));
}

/* A metric or label name: what is not [A-Za-z0-9_] becomes '_'. */
static void
pf_put_name(struct pf_out *o, const char *s)
{
	char	c;

	for (; *s != '\0'; s++) {
		c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			c = '_';
		pf_put(o, &c, 1);
	}
}

/*
 * A label value (quoted) or HELP text: backslash and newline escaped,
 * and the double quote in label values.
 */
static void
pf_put_escaped(struct pf_out *o, const char *s, int quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			pf_puts(o, "\\\\");
		else if (*s == '\n')
			pf_puts(o, "\\n");
		else if (*s == '"' && quote)
			pf_puts(o, "\\\"");
		else
			pf_put(o, s, 1);
	}
}

/* cohort_[<kind>_]<key>, or cohort_<kind>_<suffix> for derived ones. */
static void
pf_put_metric(struct pf_out *o, const char *kind, const char *key)
{
	pf_puts(o, "cohort_");
	if (strcmp(kind, "daemon") != 0) {
		pf_put_name(o, kind);
		pf_puts(o, "_");
	}
	pf_put_name(o, key);
}

static void
pf_put_head(struct pf_out *o, const char *kind, const char *key,
    const char *help, enum pf_type type)
{
	static const char *const types[] = { "counter", "gauge", "untyped" };

	if (help != NULL) {
		pf_puts(o, "# HELP ");
		pf_put_metric(o, kind, key);
		pf_puts(o, " ");
		pf_put_escaped(o, help, 0);
		pf_puts(o, "\n");
	}
	pf_puts(o, "# TYPE ");
	pf_put_metric(o, kind, key);
	pf_puts(o, " ");
	pf_puts(o, types[type]);
	pf_puts(o, "\n");
}

static void
pf_put_sample(struct pf_out *o, const struct pf_section *s, const char *key,
    const char *node, uint64_t value)
{
	char	num[32];

	pf_put_metric(o, s->kind, key);
	pf_puts(o, "{node=\"");
	pf_put_escaped(o, node, 1);
	pf_puts(o, "\"");
	if (strcmp(s->kind, "daemon") != 0) {
		pf_puts(o, ",");
		pf_put_name(o, s->kind);
		pf_puts(o, "=\"");
		pf_put_escaped(o, s->name, 1);
		pf_puts(o, "\"");
	}
	snprintf(num, sizeof(num), "} %" PRIu64 "\n", value);
	pf_puts(o, num);
}

static void
pf_put_family(struct promfmt *pf, struct pf_out *o, const size_t *order,
    size_t fi, const char *node)
{
	const struct pf_family	*f = &pf->fam[fi];
	const char		*kind = pf->sec[f->kind].kind;
	const struct pf_row	*r;
	size_t			 i;

	pf_put_head(o, kind, f->key, f->help, f->type);
	for (i = 0; i < f->n; i++) {
		r = &pf->row[order[f->start + i]];
		pf_put_sample(o, &pf->sec[r->section], f->key, node, r->value);
	}
	if (strcmp(kind, "peer") != 0 || strcmp(f->key, "state") != 0)
		return;
	/* Derived from the state codes of cohort-protocol(7). */
	pf_put_head(o, kind, "up", "1 if the peer is up (state 2), else 0",
	    PF_GAUGE);
	for (i = 0; i < f->n; i++) {
		r = &pf->row[order[f->start + i]];
		pf_put_sample(o, &pf->sec[r->section], "up", node,
		    r->value == MEMBER_UP);
	}
}

int
promfmt_write(struct promfmt *pf, int (*out)(void *, const char *, size_t),
    void *arg)
{
	struct pf_out	*o;
	const char	*node = "";
	size_t		*order, *next, i, at;
	int		 rv;

	if (pf->failed)
		return (-1);
	for (i = 0; i < pf->nsec; i++)
		if (strcmp(pf->sec[i].kind, "daemon") == 0) {
			node = pf->sec[i].name;
			break;
		}
	order = reallocarray(NULL, pf->nrow + 1, sizeof(*order));
	next = reallocarray(NULL, pf->nfam + 1, sizeof(*next));
	o = calloc(1, sizeof(*o));
	if (order == NULL || next == NULL || o == NULL) {
		free(order);
		free(next);
		free(o);
		return (-1);
	}
	for (i = 0; i < pf->nfam; i++)
		pf->fam[i].n = 0;
	for (i = 0; i < pf->nrow; i++)
		pf->fam[pf->row[i].family].n++;
	for (i = 0, at = 0; i < pf->nfam; i++) {
		pf->fam[i].start = next[i] = at;
		at += pf->fam[i].n;
	}
	for (i = 0; i < pf->nrow; i++)
		order[next[pf->row[i].family]++] = i;
	o->out = out;
	o->arg = arg;
	for (i = 0; i < pf->nfam && !o->failed; i++)
		pf_put_family(pf, o, order, i, node);
	pf_flush(o);
	rv = o->failed ? -1 : 0;
	free(order);
	free(next);
	free(o);
	return (rv);
}
