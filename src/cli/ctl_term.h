/*
 * ctl_term.h: the terminal of cohortctl top, with plain ANSI escapes.
 *
 * ctl_term_start() takes the terminal: the alternate screen, the cursor
 * hidden, and, when standard input is a terminal, keys read one at a
 * time without echo (signals stay on: Ctrl-C is SIGINT).  It is given
 * back as it was by ctl_term_end(), at exit(), and on SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT, which then end the program as if not caught;
 * around Ctrl-Z (SIGTSTP) it is given back and taken again.
 */
#ifndef COHORT_CTL_TERM_H
#define COHORT_CTL_TERM_H

#include <stddef.h>

/* 0, or -1 with errno: standard output is not a terminal. */
int	 ctl_term_start(void);
void	 ctl_term_end(void);
/*
 * Wait up to ms for a key: the key, or 0 when none came because the
 * time passed, a signal came (see ctl_term_redraw()), or there are no
 * keys to read (standard input is not a terminal, or it closed).
 */
int	 ctl_term_key(int ms);
/* Should the screen be drawn again (resized, or back from Ctrl-Z)? */
int	 ctl_term_redraw(void);
/* Draw lines of text (each ending in \n) over the screen, clipped to it. */
void	 ctl_term_draw(const char *, size_t);

#endif /* COHORT_CTL_TERM_H */
