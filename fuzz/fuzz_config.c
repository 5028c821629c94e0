/*
 * fuzz_config: libFuzzer harness for the config loader (src/config.c).
 *
 * The input is loaded as the text of a config file, without and with a
 * node override (cohortd -n).  A config that loads is printed
 * (cohortd -tv), and the printed text must load again to the same values
 * and print the same.  Inputs with libconfig's @include are skipped: it
 * would read whatever file the fuzzer names, and libconfig 1.5 exit()s
 * when that is a directory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "common/config.h"

/* config_print into a string the caller frees. */
static char *
print(const struct cohort_conf *c)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		abort();
	config_print(c, fp);
	if (fclose(fp) != 0)
		abort();
	return (buf);
}

#ifndef FUZZ_ACL_PRINTED_AS_COMMENTS
static void
same_list(char **a, size_t na, char **b, size_t nb)
{
	size_t	i;

	CHECK(na == nb);
	for (i = 0; i < na; i++)
		CHECK(strcmp(a[i], b[i]) == 0);
}

/* Access control: who may connect, and each rule's subjects. */
static void
same_acl(const struct acl *a, const struct acl *b)
{
	size_t	i;

	CHECK(a->n_allow_uids == b->n_allow_uids);
	CHECK(memcmp(a->allow_uids, b->allow_uids, a->n_allow_uids *
	    sizeof(a->allow_uids[0])) == 0);
	CHECK(a->n_allow_gids == b->n_allow_gids);
	CHECK(memcmp(a->allow_gids, b->allow_gids, a->n_allow_gids *
	    sizeof(a->allow_gids[0])) == 0);
	CHECK(a->n_rules == b->n_rules);
	for (i = 0; i < a->n_rules; i++) {
		CHECK(strcmp(a->rules[i].who, b->rules[i].who) == 0);
		same_list(a->rules[i].publish, a->rules[i].n_publish,
		    b->rules[i].publish, b->rules[i].n_publish);
		same_list(a->rules[i].subscribe, a->rules[i].n_subscribe,
		    b->rules[i].subscribe, b->rules[i].n_subscribe);
	}
}
#endif

/*
 * With -DFUZZ_ACL_PRINTED_AS_COMMENTS (config_print shows the access
 * rules as comments, which do not load back), comment lines are not
 * compared, nor the rules.
 */
static void
strip_comments(char *s)
{
#ifdef FUZZ_ACL_PRINTED_AS_COMMENTS
	char	*out = s, *nl;

	while (*s != '\0') {
		nl = strchr(s, '\n');
		if (strncmp(s, "  # ", 4) != 0) {
			if (nl == NULL) {
				memmove(out, s, strlen(s) + 1);
				return;
			}
			memmove(out, s, (size_t)(nl + 1 - s));
			out += nl + 1 - s;
		}
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	*out = '\0';
#else
	(void)s;
#endif
}

static void
same_conf(const struct cohort_conf *a, const struct cohort_conf *b)
{
	size_t	i;

	CHECK(strcmp(a->cluster, b->cluster) == 0);
	CHECK(strcmp(a->node_id, b->node_id) == 0);
	CHECK(strcmp(a->socket, b->socket) == 0);
	CHECK(a->n_nodes == b->n_nodes);
	CHECK(a->self == b->self);
	for (i = 0; i < a->n_nodes; i++) {
		CHECK(strcmp(a->nodes[i].id, b->nodes[i].id) == 0);
		CHECK(strcmp(a->nodes[i].address, b->nodes[i].address) == 0);
		CHECK(a->nodes[i].port == b->nodes[i].port);
	}
	CHECK(a->log_debug == b->log_debug);
	CHECK(a->slow_disconnect == b->slow_disconnect);
	CHECK(memcmp(&a->lim, &b->lim, sizeof(a->lim)) == 0);
	CHECK(a->n_key_files == b->n_key_files);
	for (i = 0; i < a->n_key_files; i++)
		CHECK(strcmp(a->key_files[i], b->key_files[i]) == 0);
	CHECK(a->auth_none == b->auth_none);
	CHECK(a->check_address == b->check_address);
	CHECK(strcmp(a->socket_group, b->socket_group) == 0);
#ifndef FUZZ_ACL_PRINTED_AS_COMMENTS
	same_acl(&a->acl, &b->acl);
#endif
}

static void
roundtrip(const char *text, const char *node)
{
	struct cohort_conf	 a, b;
	char			 err[1024], *p1, *p2;

	if (config_load_string(text, "fuzz.conf", node, &a, err,
	    sizeof(err)) == -1) {
		CHECK(err[0] != '\0');
		return;
	}
	if (node != NULL)
		CHECK(strcmp(a.node_id, node) == 0);
	CHECK(a.self < a.n_nodes);
	CHECK(strcmp(a.nodes[a.self].id, a.node_id) == 0);
	CHECK(config_find_node(&a, a.node_id) == &a.nodes[a.self]);
	(void)config_max_frame(&a);
	p1 = print(&a);
	if (config_load_string(p1, "fuzz.conf", NULL, &b, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "printed config does not load: %s\n%s", err,
		    p1);
		abort();
	}
	same_conf(&a, &b);
	p2 = print(&b);
	strip_comments(p1);
	strip_comments(p2);
	if (strcmp(p1, p2) != 0) {
		fprintf(stderr, "printed twice, differs:\n%s---\n%s", p1, p2);
		abort();
	}
	free(p1);
	free(p2);
	config_free(&a);
	config_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*text;

	if ((text = malloc(size + 1)) == NULL)
		return (0);
	memcpy(text, data, size);
	text[size] = '\0';
	if (strstr(text, "@include") == NULL) {
		roundtrip(text, NULL);
		roundtrip(text, "n1");
		if (size > 0 && size < 64)
			roundtrip(text, text);
	}
	free(text);
	return (0);
}
