/*
 * check_main.c: see check_main.h.
 */
#include <check.h>
#include <stdlib.h>

#include "check_main.h"

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(unit_suite());
	/* CK_FORK from the environment: "no" runs every test in-process. */
	srunner_set_fork_status(sr, CK_FORK_GETENV);
	/* CK_VERBOSITY from the environment, else CK_NORMAL. */
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
