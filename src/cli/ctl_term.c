/*
 * ctl_term.c: the terminal of cohortctl top: take it, draw on it, read
 * keys, and give it back whatever ends the program.
 *
 * The state is this file's: the signal handlers need it.  What they do
 * is async-signal-safe (write, tcsetattr, sigaction, raise), so that the
 * terminal is given back at once, even while a call to the daemon waits.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl_term.h"

/* Alternate screen and hidden cursor, and back. */
#define TERM_ENTER	"\033[?1049h\033[?25l"
#define TERM_LEAVE	"\033[?25h\033[?1049l"
/* Home; erase to the end of the line; erase below. */
#define TERM_HOME	"\033[H"
#define TERM_EOL	"\033[K"
#define TERM_EOS	"\033[J"

static struct termios		term_saved;
static int			term_keys;	/* stdin is ours, raw */
static int			term_started;	/* ctl_term_start() done */
static volatile sig_atomic_t	term_active;	/* the screen is ours */
static volatile sig_atomic_t	term_dirty;	/* draw again */

static const int term_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
    SIGTSTP, SIGWINCH };
#define N_TERM_SIGNALS	(sizeof(term_signals) / sizeof(term_signals[0]))

static void	 term_signal(int);

static void
term_write(const char *s, size_t len)
{
	ssize_t	r;

	while (len > 0) {
		r = write(STDOUT_FILENO, s, len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		s += r;
		len -= (size_t)r;
	}
}

/* Both are called from signal handlers too. */
static void
term_take(void)
{
	struct termios	t;

	if (term_keys) {
		t = term_saved;
		t.c_lflag &= ~(ICANON | ECHO);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &t);
	}
	term_write(TERM_ENTER, sizeof(TERM_ENTER) - 1);
	term_active = 1;
	term_dirty = 1;
}

static void
term_give_back(void)
{
	if (!term_active)
		return;
	term_active = 0;
	term_write(TERM_LEAVE, sizeof(TERM_LEAVE) - 1);
	if (term_keys)
		(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &term_saved);
}

static void
term_handle(int sig, void (*fn)(int))
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(sig, &sa, NULL);
}

/* Give the terminal back, then let sig do what it does by default. */
static void
term_default(int sig)
{
	sigset_t	set;

	term_handle(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)raise(sig);
}

static void
term_signal(int sig)
{
	int	saved_errno = errno, was_active = term_active;

	switch (sig) {
	case SIGWINCH:
		term_dirty = 1;
		break;
	case SIGTSTP:
		term_give_back();
		term_default(sig);
		/* Stopped until SIGCONT; then the screen is ours again. */
		term_handle(sig, term_signal);
		if (was_active)
			term_take();
		break;
	default:
		term_give_back();
		term_default(sig);
		break;
	}
	errno = saved_errno;
}

int
ctl_term_start(void)
{
	size_t	i;

	if (!isatty(STDOUT_FILENO))
		return (-1);
	term_keys = isatty(STDIN_FILENO) &&
	    tcgetattr(STDIN_FILENO, &term_saved) == 0;
	if (!term_started) {
		term_started = 1;
		atexit(ctl_term_end);
	}
	for (i = 0; i < N_TERM_SIGNALS; i++)
		term_handle(term_signals[i], term_signal);
	term_take();
	return (0);
}

void
ctl_term_end(void)
{
	size_t	i;

	if (!term_started)
		return;
	for (i = 0; i < N_TERM_SIGNALS; i++)
		term_handle(term_signals[i], SIG_DFL);
	term_give_back();
}

int
ctl_term_key(int ms)
{
	struct pollfd	pfd;
	unsigned char	ch;
	ssize_t		r;

	pfd.fd = term_keys ? STDIN_FILENO : -1;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) <= 0)
		return (0);
	if ((r = read(STDIN_FILENO, &ch, 1)) == 1)
		return (ch);
	if (r == 0 || (errno != EINTR && errno != EAGAIN))
		term_keys = 0;
	return (0);
}

int
ctl_term_redraw(void)
{
	int	dirty = term_dirty;

	term_dirty = 0;
	return (dirty);
}

void
ctl_term_draw(const char *text, size_t len)
{
	struct winsize	 ws;
	const char	*p = text, *end = text + len, *nl;
	size_t		 n, rows = 24, cols = 80, row;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 1) {
		rows = ws.ws_row;
		cols = ws.ws_col;
	}
	term_write(TERM_HOME, sizeof(TERM_HOME) - 1);
	/* Never the last column nor past the last row: no wrap, no scroll. */
	for (row = 0; row < rows && p < end; row++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		term_write(p, n < cols ? n : cols - 1);
		term_write(TERM_EOL, sizeof(TERM_EOL) - 1);
		p = nl < end ? nl + 1 : end;
		if (row + 1 < rows && p < end)
			term_write("\r\n", 2);
	}
	term_write(TERM_EOS, sizeof(TERM_EOS) - 1);
}
