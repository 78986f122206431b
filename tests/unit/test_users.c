/* tests/unit/test_users.c: the users file written by `wicket passwd` and
 * the password check. */
#include "core/wk.h"

#include <sys/stat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sess/users.h"

static char dir[] = "/tmp/wk-users-XXXXXX";
static char path[64];

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/users", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void
test_set_and_verify(void **state)
{
	char err[256];
	struct stat st;

	(void)state;
	assert_int_equal(wk_users_verify(path, "alice", "x"), -1); /* no file */
	assert_int_equal(
	    wk_users_set(path, "alice", "secret", err, sizeof(err)), 0);
	assert_int_equal(
	    wk_users_set(path, "bob", "hunter2", err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(wk_users_verify(path, "alice", "secret"), 1);
	assert_int_equal(wk_users_verify(path, "alice", "Secret"), 0);
	assert_int_equal(wk_users_verify(path, "alice", ""), 0);
	assert_int_equal(wk_users_verify(path, "bob", "hunter2"), 1);
	assert_int_equal(wk_users_verify(path, "carol", "secret"), 0);
	/* a prefix of a user name is not that user */
	assert_int_equal(wk_users_verify(path, "ali", "secret"), 0);
}

static void
test_replace_keeps_others(void **state)
{
	char err[256], line[512];
	FILE *f;
	int n = 0;

	(void)state;
	assert_int_equal(
	    wk_users_set(path, "alice", "new", err, sizeof(err)), 0);
	assert_int_equal(wk_users_verify(path, "alice", "secret"), 0);
	assert_int_equal(wk_users_verify(path, "alice", "new"), 1);
	assert_int_equal(wk_users_verify(path, "bob", "hunter2"), 1);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		/* stored as a crypt(3) yescrypt hash, never the password */
		assert_non_null(strstr(line, ":$y$"));
		assert_null(strstr(line, "new\n"));
	}
	fclose(f);
	assert_int_equal(n, 2);
}

static void
test_bad_names(void **state)
{
	char err[256], longpw[300];

	(void)state;
	assert_int_equal(wk_users_set(path, "a:b", "x", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "':'"));
	assert_int_equal(wk_users_set(path, "", "x", err, sizeof(err)), -1);
	memset(longpw, 'p', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	assert_int_equal(
	    wk_users_set(path, "dave", longpw, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "255"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_and_verify),
		cmocka_unit_test(test_replace_keeps_others),
		cmocka_unit_test(test_bad_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
