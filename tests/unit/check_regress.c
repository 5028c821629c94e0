/*
 * check_regress.c: one test per defect that check_auth and check_bufio
 * found, each of which failed before its fix: a refused key file left key
 * bytes behind; a FIFO as a key file hung the daemon at start; a reset
 * stream read by bufread_fill was reported as a plain EOF.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/auth.h"
#include "daemon/io/bufio.h"
#include "check_main.h"

static char	tmpdir[64];

static void
dir_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_known_bugs.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		ck_abort_msg("mkdtemp: %s", strerror(errno));
}

static void
dir_teardown(void)
{
	static const char	*names[] = { "long", "badhex", "fifo" };
	char			 path[128];
	size_t			 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		(void)unlink(path);
	}
	(void)rmdir(tmpdir);
}

static const char *
key_file(const char *name, const char *text)
{
	static char	path[128];
	int		fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600),
	    0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return (path);
}

/*
 * auth_load_key wipes the key it refuses for being short, but not one
 * refused for a bad digit or for being too long: those leave the bytes
 * decoded so far in *key (config_load_keys wipes its copy, so the daemon
 * does not keep them today; any other caller would).
 */
START_TEST(test_auth_refused_key_wiped)
{
	static const char *const names[] = { "long", "badhex" };
	struct auth_key	 key;
	char		 text[2 * AUTH_KEY_MAX + 8], err[512];
	const char	*path;
	size_t		 i, j, left[2];

	for (j = 0; j < 2; j++) {
		for (i = 0; i < 2 * AUTH_KEY_MAX + 2; i++)
			text[i] = "123456789abcdef"[i % 15];
		text[i] = '\0';
		if (j == 1)
			text[2 * AUTH_KEY_MIN] = 'g';
		path = key_file(names[j], text);
		ck_assert_int_eq(auth_load_key(path, &key, err, sizeof(err)),
		    -1);
		for (i = 0, left[j] = 0; i < AUTH_KEY_MAX; i++)
			left[j] += key.k[i] != 0;
	}
	ck_assert_msg(left[0] == 0 && left[1] == 0, "auth_load_key "
	    "refused a key file but left key bytes in *key: %zu for one too "
	    "long, %zu for one with a bad digit (only the short-key refusal "
	    "wipes it)", left[0], left[1]);
}
END_TEST

/*
 * A key_file that is a FIFO: auth_open_secret opens it (O_RDONLY,
 * blocking) before it checks for a regular file, so the open waits for
 * a writer forever and cohortd, or cohortd -t, hangs at start.  The same
 * call opens TLS private keys.  Run in a child, bounded to 3 s.
 */
START_TEST(test_auth_fifo_refused)
{
	struct auth_key		 key;
	struct timespec		 ts = { 0, 10 * 1000 * 1000 };
	char			 path[128], err[512];
	pid_t			 pid;
	int			 st = 0, i;

	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0)
		_exit(auth_load_key(path, &key, err, sizeof(err)) == -1 &&
		    strstr(err, "not a regular file") != NULL ? 0 : 1);
	for (i = 0; i < 300 && waitpid(pid, &st, WNOHANG) == 0; i++)
		nanosleep(&ts, NULL);
	if (i == 300) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		ck_abort_msg("auth_load_key on a FIFO was still "
		    "blocked in open(2) after 3 s: auth_open_secret opens "
		    "before its regular-file check (O_NONBLOCK would do)");
	}
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a FIFO key "
	    "file was not refused as \"not a regular file\"");
}
END_TEST

struct reset {
	struct event_base	*base;
	short			 events;
};

static void
reset_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct reset	*r = arg;

	(void)bev;
	r->events = what;
	event_base_loopbreak(r->base);
}

static void
reset_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	(void)arg;
}

/*
 * What libevent reports on a stream reset by its peer (the peer closed
 * with our bytes unread: ECONNRESET here), with or without a
 * bufread_fill first.
 */
static short
reset_events(int fill)
{
	struct reset		 r;
	struct bufferevent	*bev;
	struct timeval		 tv = { 10, 0 };
	int			 fds[2];

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	ck_assert_int_eq(evutil_make_socket_nonblocking(fds[0]), 0);
	ck_assert_ptr_nonnull(r.base = event_base_new());
	ck_assert_ptr_nonnull(bev = bufferevent_socket_new(r.base, fds[0],
	    BEV_OPT_CLOSE_ON_FREE));
	ck_assert_int_eq(write(fds[0], "unread", 6), 6);
	close(fds[1]);
	if (fill)
		ck_assert_uint_eq(bufread_fill(bev, 1 << 20), 0);
	bufferevent_setcb(bev, reset_read_cb, NULL, reset_event_cb, &r);
	ck_assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	ck_assert_int_eq(event_base_loopexit(r.base, &tv), 0);
	ck_assert_int_eq(event_base_dispatch(r.base), 0);
	bufferevent_free(bev);
	event_base_free(r.base);
	return (r.events);
}

/*
 * bufio.h: "EOF and errors are left to libevent's next read of the
 * socket".  EOF is; an error is not: the recv(2) that meets it clears
 * the socket's error, so libevent's next read sees EOF, and the daemon
 * logs "stream closed by the peer" for a stream that was reset.  The
 * same holds on TCP (an RST).
 */
START_TEST(test_bufio_fill_keeps_error)
{
	short	plain, filled;

	plain = reset_events(0);
	ck_assert_msg(plain == (BEV_EVENT_ERROR | BEV_EVENT_READING),
	    "without bufread_fill, a reset stream reported %#x", plain);
	filled = reset_events(1);
	ck_assert_msg(filled == plain, "after bufread_fill, a "
	    "reset stream is reported as %#x (%s), not %#x (error): "
	    "bufread_fill's recv took the socket's error", filled,
	    filled & BEV_EVENT_EOF ? "EOF" : "?", plain);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("regress");

	tc = tcase_create("auth");
	tcase_add_unchecked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_auth_refused_key_wiped);
	tcase_add_test(tc, test_auth_fifo_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("bufio");
	tcase_add_test(tc, test_bufio_fill_keeps_error);
	suite_add_tcase(s, tc);

	return (s);
}
