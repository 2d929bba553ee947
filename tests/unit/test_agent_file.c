/*
 * test_agent_file.c - atomic replacement with the mode set before the
 * rename, comparison with a file, and credential files read the way
 * auto-auth reads them.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/agent_file.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_agent_file_XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_of(const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static size_t entries(const char *d)
{
	DIR *h = opendir(d);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(h);
	while ((e = readdir(h)) != NULL)
		n += e->d_name[0] != '.';
	closedir(h);
	return n;
}

static void test_write_replace(void **state)
{
	char p[128];
	struct buf msg = BUF_INIT, got = BUF_INIT;
	struct stat st;
	mode_t mode = 0;

	(void)state;
	path_of("out", p, sizeof(p));
	assert_int_equal(agent_file_write(p, "one", 3, 0600, &msg), ERR_OK);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(agent_file_write(p, "second", 6, 0640, &msg), ERR_OK);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(agent_file_read(p, 100, &got, &msg), ERR_OK);
	assert_string_equal(buf_str(&got), "second");
	/* No temporary file is left beside it. */
	assert_int_equal(entries(dir), 1);

	assert_true(agent_file_same(p, "second", 6, &mode));
	assert_int_equal(mode, 0640);
	assert_false(agent_file_same(p, "secone", 6, &mode));
	assert_false(agent_file_same(p, "second!", 7, &mode));
	path_of("missing", p, sizeof(p));
	assert_false(agent_file_same(p, "", 0, &mode));
	buf_release(&msg);
	buf_release(&got);
}

static void test_write_fails_cleanly(void **state)
{
	char p[160];
	struct buf msg = BUF_INIT;

	(void)state;
	path_of("no/such/dir/out", p, sizeof(p));
	assert_int_equal(agent_file_write(p, "x", 1, 0600, &msg), ERR_IO);
	assert_non_null(strstr(buf_str(&msg), "cannot create a temporary "
	                                      "file for"));
	assert_int_equal(agent_file_make_parents(p, &msg), ERR_OK);
	assert_int_equal(agent_file_write(p, "x", 1, 0600, &msg), ERR_OK);
	buf_release(&msg);
}

static void write_text(const char *name, const char *text, char *p, size_t n)
{
	FILE *f;

	path_of(name, p, n);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_credentials(void **state)
{
	char p[128], want[200];
	struct buf msg = BUF_INIT, got = BUF_INIT;

	(void)state;
	write_text("sid", "  \n3f2a-99\r\n", p, sizeof(p));
	assert_int_equal(
	    agent_file_read_credential("secret_id_file_path", p, &got, &msg),
	    ERR_OK);
	assert_string_equal(buf_str(&got), "3f2a-99");

	write_text("empty", " \n", p, sizeof(p));
	assert_int_equal(
	    agent_file_read_credential("secret_id_file_path", p, &got, &msg),
	    ERR_INVALID);
	snprintf(want, sizeof(want),
	         "secret_id_file_path: %s is empty or not "
	         "text",
	         p);
	assert_string_equal(buf_str(&msg), want);
	assert_int_equal(got.len, 0);

	write_text("two", "a\nb\n", p, sizeof(p));
	buf_reset(&msg);
	assert_int_equal(agent_file_read_credential("x", p, &got, &msg),
	                 ERR_INVALID);

	path_of("gone", p, sizeof(p));
	buf_reset(&msg);
	assert_int_equal(
	    agent_file_read_credential("role_id_file_path", p, &got, &msg),
	    ERR_NOT_FOUND);
	snprintf(want, sizeof(want),
	         "role_id_file_path: cannot read %s: No "
	         "such file or directory",
	         p);
	assert_string_equal(buf_str(&msg), want);
	buf_release(&msg);
	buf_release(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write_replace),
	    cmocka_unit_test(test_write_fails_cleanly),
	    cmocka_unit_test(test_credentials),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
