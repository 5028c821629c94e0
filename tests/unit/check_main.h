/*
 * check_main.h: the one main() every Check program shares (check_main.c).
 *
 * A program defines unit_suite(), its Suite with a TCase per concern;
 * check_main.c runs it the same way for all: forking per test unless
 * CK_FORK=no (valgrind), Check's verbosity from CK_VERBOSITY (normal:
 * the "N%: Checks: ..." summary line and each failure), and an exit
 * status that make check reads.
 */
#ifndef COHORT_CHECK_MAIN_H
#define COHORT_CHECK_MAIN_H

#include <check.h>

Suite	*unit_suite(void);

#endif /* COHORT_CHECK_MAIN_H */
