/*
 * check_promfmt.c: unit tests for the Prometheus text formatter
 * (src/common/promfmt.c): the exact text of a small report, families
 * grouped whatever the section order, names and labels escaped, the
 * kinds and help of counters.h, and failures reported.
 */
#include <check.h>

#include "check_main.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/promfmt.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

struct outbuf {
	char	*text;
	size_t	 len;
	size_t	 calls;
	size_t	 biggest;
	size_t	 fail_at;	/* fail the call after this many, 0: never */
};

static int
out_cb(void *arg, const char *s, size_t len)
{
	struct outbuf	*o = arg;

	if (o->fail_at != 0 && o->calls == o->fail_at)
		return (-1);
	o->calls++;
	if (len > o->biggest)
		o->biggest = len;
	o->text = realloc(o->text, o->len + len + 1);
	ck_assert_ptr_nonnull(o->text);
	memcpy(o->text + o->len, s, len);
	o->len += len;
	o->text[o->len] = '\0';
	return (0);
}

static char *
render(struct promfmt *pf)
{
	struct outbuf	o;

	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(promfmt_write(pf, out_cb, &o), 0);
	return (o.text != NULL ? o.text : strdup(""));
}

/* The exact text: families in order of first sight, samples grouped. */
START_TEST(test_exact)
{
	static const char want[] =
	    "# HELP cohort_uptime_ms milliseconds since the daemon started\n"
	    "# TYPE cohort_uptime_ms gauge\n"
	    "cohort_uptime_ms{node=\"n1\"} 1234\n"
	    "# HELP cohort_msgs_sent DATA frames sent to peers\n"
	    "# TYPE cohort_msgs_sent counter\n"
	    "cohort_msgs_sent{node=\"n1\"} 18446744073709551615\n"
	    "# TYPE cohort_future_key untyped\n"
	    "cohort_future_key{node=\"n1\"} 7\n"
	    "# HELP cohort_peer_state member state (cohort-protocol(7) codes)\n"
	    "# TYPE cohort_peer_state gauge\n"
	    "cohort_peer_state{node=\"n1\",peer=\"n2\"} 2\n"
	    "cohort_peer_state{node=\"n1\",peer=\"n3\"} 3\n"
	    "# HELP cohort_peer_up 1 if the peer is up (state 2), else 0\n"
	    "# TYPE cohort_peer_up gauge\n"
	    "cohort_peer_up{node=\"n1\",peer=\"n2\"} 1\n"
	    "cohort_peer_up{node=\"n1\",peer=\"n3\"} 0\n"
	    "# HELP cohort_peer_incarnation the peer's incarnation\n"
	    "# TYPE cohort_peer_incarnation gauge\n"
	    "cohort_peer_incarnation{node=\"n1\",peer=\"n2\"} 42\n"
	    "cohort_peer_incarnation{node=\"n1\",peer=\"n3\"} 43\n"
	    "# HELP cohort_peer_frames_in frames received\n"
	    "# TYPE cohort_peer_frames_in counter\n"
	    "cohort_peer_frames_in{node=\"n1\",peer=\"n2\"} 5\n"
	    "cohort_peer_frames_in{node=\"n1\",peer=\"n3\"} 0\n";
	struct promfmt	*pf;
	char		*text;

	ck_assert_ptr_nonnull(pf = promfmt_new());
	promfmt_section(pf, "daemon", "n1");
	promfmt_add(pf, "uptime_ms", 1234);
	promfmt_add(pf, "msgs_sent", UINT64_MAX);
	promfmt_add(pf, "future_key", 7);
	promfmt_section(pf, "peer", "n2");
	promfmt_add(pf, "state", 2);
	promfmt_add(pf, "incarnation", 42);
	promfmt_add(pf, "frames_in", 5);
	promfmt_section(pf, "peer", "n3");
	promfmt_add(pf, "state", 3);
	promfmt_add(pf, "incarnation", 43);
	promfmt_add(pf, "frames_in", 0);
	text = render(pf);
	ck_assert_str_eq(text, want);
	free(text);
	/* Written twice, the same. */
	text = render(pf);
	ck_assert_str_eq(text, want);
	free(text);
	promfmt_free(pf);
}
END_TEST

/* The node label comes from the daemon section wherever it is. */
START_TEST(test_order)
{
	struct promfmt		*pf;
	struct stats_sink	 sink;
	char			*text;

	ck_assert_ptr_nonnull(pf = promfmt_new());
	promfmt_sink(pf, &sink);
	sink.section(sink.arg, "peer", "n2");
	sink.add(sink.arg, "frames_out", 1);
	sink.section(sink.arg, "daemon", "self");
	sink.add(sink.arg, "peers", 2);
	sink.section(sink.arg, "peer", "n3");
	sink.add(sink.arg, "frames_out", 3);
	text = render(pf);
	ck_assert_str_eq(text,
	    "# HELP cohort_peer_frames_out frames sent\n"
	    "# TYPE cohort_peer_frames_out counter\n"
	    "cohort_peer_frames_out{node=\"self\",peer=\"n2\"} 1\n"
	    "cohort_peer_frames_out{node=\"self\",peer=\"n3\"} 3\n"
	    "# HELP cohort_peers peers in the config (this node excluded)\n"
	    "# TYPE cohort_peers gauge\n"
	    "cohort_peers{node=\"self\"} 2\n");
	free(text);
	promfmt_free(pf);
}
END_TEST

/* Label values escaped; names made valid; other kinds get a label. */
START_TEST(test_escaping)
{
	struct promfmt	*pf;
	char		*text;

	ck_assert_ptr_nonnull(pf = promfmt_new());
	promfmt_section(pf, "daemon", "a\"b\\c\nd");
	promfmt_add(pf, "bad-key.x", 1);
	promfmt_section(pf, "my-link", "l\"1");
	promfmt_add(pf, "rtt", 9);
	text = render(pf);
	ck_assert_str_eq(text,
	    "# TYPE cohort_bad_key_x untyped\n"
	    "cohort_bad_key_x{node=\"a\\\"b\\\\c\\nd\"} 1\n"
	    "# TYPE cohort_my_link_rtt untyped\n"
	    "cohort_my_link_rtt{node=\"a\\\"b\\\\c\\nd\",my_link=\"l\\\"1\"} 9\n");
	free(text);
	promfmt_free(pf);
}
END_TEST

/* Every row of counters.h: its HELP and its TYPE, as the list says. */
START_TEST(test_every_row)
{
#define ROW_(owner, name, kind, help)	{ #name, #kind, help },
#define PROW_(name, kind, help)		{ #name, #kind, help },
	static const struct {
		const char	*key, *kind, *help;
	} daemon_rows[] = { COHORT_STATS(ROW_) },
	    peer_rows[] = { COHORT_PEER_STATS(PROW_) };
	struct promfmt	*pf;
	char		*text, line[512];
	size_t		 i;

	ck_assert_ptr_nonnull(pf = promfmt_new());
	promfmt_section(pf, "daemon", "n1");
	for (i = 0; i < NITEMS(daemon_rows); i++)
		promfmt_add(pf, daemon_rows[i].key, i);
	promfmt_section(pf, "peer", "n2");
	for (i = 0; i < NITEMS(peer_rows); i++)
		promfmt_add(pf, peer_rows[i].key, i);
	text = render(pf);
	for (i = 0; i < NITEMS(daemon_rows); i++) {
		snprintf(line, sizeof(line), "# HELP cohort_%s %s\n"
		    "# TYPE cohort_%s %s\ncohort_%s{node=\"n1\"} %zu\n",
		    daemon_rows[i].key, daemon_rows[i].help,
		    daemon_rows[i].key, daemon_rows[i].kind,
		    daemon_rows[i].key, i);
		ck_assert_msg(strstr(text, line) != NULL, "no \"%s\"", line);
	}
	for (i = 0; i < NITEMS(peer_rows); i++) {
		snprintf(line, sizeof(line), "# HELP cohort_peer_%s %s\n"
		    "# TYPE cohort_peer_%s %s\n"
		    "cohort_peer_%s{node=\"n1\",peer=\"n2\"} %zu\n",
		    peer_rows[i].key, peer_rows[i].help, peer_rows[i].key,
		    peer_rows[i].kind, peer_rows[i].key, i);
		ck_assert_msg(strstr(text, line) != NULL, "no \"%s\"", line);
	}
	free(text);
	promfmt_free(pf);
}
END_TEST

/* 1024 peers: every sample once, in pieces of at most 8 KiB. */
START_TEST(test_large)
{
	struct promfmt	*pf;
	struct outbuf	 o;
	char		 name[16], *p;
	size_t		 i, samples = 0;

	ck_assert_ptr_nonnull(pf = promfmt_new());
	promfmt_section(pf, "daemon", "n0");
	promfmt_add(pf, "peers", 1024);
	for (i = 1; i <= 1024; i++) {
		snprintf(name, sizeof(name), "n%zu", i);
		promfmt_section(pf, "peer", name);
		promfmt_add(pf, "state", i % 2 ? 2 : 3);
		promfmt_add(pf, "bytes_in", i);
	}
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(promfmt_write(pf, out_cb, &o), 0);
	ck_assert_uint_le(o.biggest, 8192);
	ck_assert_uint_gt(o.calls, 1);
	for (p = o.text; (p = strchr(p, '\n')) != NULL; p++)
		if (p[1] != '#' && p[1] != '\0')
			samples++;
	/* The first line is a HELP line: every later sample is counted. */
	ck_assert_uint_eq(samples, 1 + 3 * 1024);
	ck_assert_ptr_nonnull(strstr(o.text,
	    "cohort_peer_up{node=\"n0\",peer=\"n1023\"} 1\n"
	    "cohort_peer_up{node=\"n0\",peer=\"n1024\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(o.text,
	    "cohort_peer_bytes_in{node=\"n0\",peer=\"n1024\"} 1024\n"));
	free(o.text);
	promfmt_free(pf);
}
END_TEST

/* A failing writer stops the output; a row without a section fails. */
START_TEST(test_failures)
{
	struct promfmt	*pf;
	struct outbuf	 o;
	size_t		 i;

	ck_assert_ptr_nonnull(pf = promfmt_new());
	promfmt_section(pf, "daemon", "n1");
	for (i = 0; i < 2000; i++)
		promfmt_add(pf, "uptime_ms", i);
	memset(&o, 0, sizeof(o));
	o.fail_at = 1;
	ck_assert_int_eq(promfmt_write(pf, out_cb, &o), -1);
	ck_assert_uint_eq(o.calls, 1);
	free(o.text);
	promfmt_free(pf);

	ck_assert_ptr_nonnull(pf = promfmt_new());
	promfmt_add(pf, "uptime_ms", 1);
	promfmt_section(pf, "daemon", "n1");
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(promfmt_write(pf, out_cb, &o), -1);
	ck_assert_uint_eq(o.calls, 0);
	promfmt_free(pf);
	promfmt_free(NULL);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("promfmt");
	tc = tcase_create("text");
	tcase_add_test(tc, test_exact);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_every_row);
	tcase_add_test(tc, test_large);
	tcase_add_test(tc, test_failures);
	suite_add_tcase(s, tc);
	return (s);
}
