/*
 * fuzz_subject: libFuzzer harness for subjects and the subscription trie
 * (src/subject.c).
 *
 * The input is text, one operation a line:
 *	+O PATTERN	subscribe owner O ('0'..'3') to PATTERN
 *	-O PATTERN	unsubscribe it
 *	?  SUBJECT	match SUBJECT
 *	=  PATTERN	match a subject made from PATTERN ("*" -> "x",
 *			">" -> "y.z"), so that matches are likely
 * and the first line, split at its first space, is also a pattern and a
 * subject for subject_matches.  A model (the list of subscriptions held)
 * must agree with the trie on every answer: add and remove results, the
 * count, and for every match the calls per owner, which brute force
 * subject_matches over the model gives.  The whole input is also checked
 * as a subject and as a pattern.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "common/subject.h"

#define OWNERS		4
#define MODEL_MAX	256

struct sub {
	char	*pattern;
	int	 owner;
};

struct model {
	struct sub	 v[MODEL_MAX];
	size_t		 n;
};

static int	owner_tag[OWNERS];	/* their addresses are the owners */

static void
count_cb(void *owner, void *arg)
{
	size_t	*calls = arg;
	int	 i = (int)((int *)owner - owner_tag);

	CHECK(i >= 0 && i < OWNERS);
	calls[i]++;
}

static ssize_t
model_find(const struct model *m, const char *pattern, int owner)
{
	size_t	i;

	for (i = 0; i < m->n; i++)
		if (m->v[i].owner == owner &&
		    strcmp(m->v[i].pattern, pattern) == 0)
			return ((ssize_t)i);
	return (-1);
}

static void
op_add(struct subtree *t, struct model *m, const char *pattern, int owner)
{
	int	rv, valid = subject_check(pattern, 1) == SUBJECT_OK;
	ssize_t	at = model_find(m, pattern, owner);

	if (valid && at == -1 && m->n == MODEL_MAX)
		return;
	rv = subtree_add(t, pattern, &owner_tag[owner]);
	if (!valid) {
		CHECK(rv == -1);
		return;
	}
	CHECK(rv == (at == -1 ? 0 : 1));
	if (at == -1) {
		if ((m->v[m->n].pattern = strdup(pattern)) == NULL)
			abort();
		m->v[m->n++].owner = owner;
	}
}

static void
op_remove(struct subtree *t, struct model *m, const char *pattern,
    int owner)
{
	ssize_t	at = model_find(m, pattern, owner);
	int	rv;

	rv = subtree_remove(t, pattern, &owner_tag[owner]);
	CHECK(rv == (at == -1 ? -1 : 0));
	if (at != -1) {
		free(m->v[at].pattern);
		m->v[at] = m->v[--m->n];
	}
}

static void
op_match(struct subtree *t, const struct model *m, const char *subject)
{
	size_t	got[OWNERS] = { 0 }, want[OWNERS] = { 0 }, calls, i;

	calls = subtree_match(t, subject, count_cb, got);
	if (subject_check(subject, 0) != SUBJECT_OK) {
		CHECK(calls == 0);
		return;
	}
	for (i = 0; i < m->n; i++)
		if (subject_matches(m->v[i].pattern, subject))
			want[m->v[i].owner]++;
	for (i = 0; i < OWNERS; i++)
		CHECK(got[i] == want[i]);
	CHECK(calls == got[0] + got[1] + got[2] + got[3]);
}

/* A subject that pattern matches: "*" -> "x", ">" -> "y.z". */
static void
op_derived(struct subtree *t, const struct model *m, const char *pattern)
{
	char	 s[2 * SUBJECT_MAX + 8];
	size_t	 j = 0;

	for (; *pattern != '\0' && j < sizeof(s) - 4; pattern++) {
		if (*pattern == '*')
			s[j++] = 'x';
		else if (*pattern == '>') {
			memcpy(s + j, "y.z", 3);
			j += 3;
		} else
			s[j++] = *pattern;
	}
	s[j] = '\0';
	op_match(t, m, s);
}

/* The first line: "PATTERN SUBJECT". */
static void
pair(const char *line)
{
	char		*p, *s;
	const char	*sp;

	if ((sp = strchr(line, ' ')) == NULL)
		return;
	if ((p = strndup(line, (size_t)(sp - line))) == NULL ||
	    (s = strdup(sp + 1)) == NULL)
		abort();
	if (subject_check(p, 1) == SUBJECT_OK &&
	    subject_check(s, 0) == SUBJECT_OK) {
		(void)subject_matches(p, s);
		/* Without wildcards, matching is equality. */
		if (strpbrk(p, "*>") == NULL)
			CHECK(subject_matches(p, s) == (strcmp(p, s) == 0));
		/* A subject is a pattern that matches itself. */
		CHECK(subject_matches(s, s));
	}
	free(p);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct subtree	*t;
	struct model	 m;
	char		*text, *line, *next, *arg;
	size_t		 i;
	int		 owner;

	/* NUL-terminated, in a buffer of exactly that size. */
	if ((text = malloc(size + 1)) == NULL)
		return (0);
	memcpy(text, data, size);
	text[size] = '\0';
	(void)subject_check(text, 0);
	(void)subject_check(text, 1);
	(void)subject_strerror(subject_check(text, 1));

	if ((t = subtree_new()) == NULL)
		abort();
	m.n = 0;
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line == text)
			pair(line);
		if (line[0] == '\0')
			continue;
		owner = line[1] >= '0' && line[1] < '0' + OWNERS ?
		    line[1] - '0' : 0;
		arg = line + (line[1] != '\0' ? 2 : 1);
		switch (line[0]) {
		case '+':
			op_add(t, &m, arg, owner);
			break;
		case '-':
			op_remove(t, &m, arg, owner);
			break;
		case '?':
			op_match(t, &m, arg);
			break;
		case '=':
			op_derived(t, &m, arg);
			break;
		}
		CHECK(subtree_count(t) == m.n);
	}
	/* Take half of it down again, then check once more. */
	for (i = 0; i < m.n; i += 2)
		op_remove(t, &m, m.v[i].pattern, m.v[i].owner);
	CHECK(subtree_count(t) == m.n);
	for (i = 0; i < m.n; i++)
		op_derived(t, &m, m.v[i].pattern);
	subtree_free(t);
	for (i = 0; i < m.n; i++)
		free(m.v[i].pattern);
	free(text);
	return (0);
}
