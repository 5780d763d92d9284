// SPDX-License-Identifier: BSD-3-Clause
/*
 * The receive parser under libFuzzer, for a bounded time, as one case of
 * the suite: tests/fuzz/run.sh builds the target with its own sanitizers
 * and fails on any crash, leak or broken invariant.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

Test(fuzz, udp_parser_survives_a_minute_of_libfuzzer, .timeout = 300.0)
{
	const char *root = getenv("HSK_SOURCE_ROOT");
	const char *secs = getenv("HSK_FUZZ_SECONDS");
	char cmd[4096];
	int rc;

	cr_assert_not_null(root, "HSK_SOURCE_ROOT is not set");
	snprintf(cmd, sizeof(cmd), "bash '%s/tests/fuzz/run.sh' %s", root,
		 secs ? secs : "60");
	rc = system(cmd);
	cr_assert_eq(rc, 0, "%s: exit status %d", cmd, rc);
}
