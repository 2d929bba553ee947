/*
 * Every command that talks to the server answers -h with its usage on
 * standard output and exit code 0, and an unknown flag with its usage on
 * standard error and exit code 2, in both cases without sending anything:
 * help and usage errors stop a command before its request.
 */
#include "cli_fake.h"

/* The words that name each command, at most three. */
static const char *const commands[][3] = {
    {"status"},
    {"read"},
    {"write"},
    {"list"},
    {"delete"},
    {"operator", "init"},
    {"operator", "unseal"},
    {"operator", "seal"},
    {"operator", "rotate"},
    {"operator", "key-status"},
    {"secrets", "enable"},
    {"secrets", "disable"},
    {"secrets", "list"},
    {"secrets", "tune"},
    {"auth", "enable"},
    {"auth", "disable"},
    {"auth", "list"},
    {"audit", "enable"},
    {"audit", "disable"},
    {"audit", "list"},
    {"policy", "list"},
    {"policy", "read"},
    {"policy", "write"},
    {"policy", "delete"},
    {"namespace", "list"},
    {"namespace", "create"},
    {"namespace", "delete"},
    {"namespace", "lookup"},
    {"token", "create"},
    {"token", "lookup"},
    {"token", "renew"},
    {"token", "revoke"},
    {"token", "capabilities"},
    {"lease", "lookup"},
    {"lease", "renew"},
    {"lease", "revoke"},
    {"kv", "get"},
    {"kv", "put"},
    {"kv", "patch"},
    {"kv", "list"},
    {"kv", "delete"},
    {"kv", "undelete"},
    {"kv", "destroy"},
    {"kv", "metadata", "get"},
    {"kv", "metadata", "put"},
    {"kv", "metadata", "delete"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Runs the command named by w with the one argument arg. */
static int run_with(const char *const *w, const char *arg)
{
	if (w[1] == NULL)
		return cli(w[0], arg, NULL);
	if (w[2] == NULL)
		return cli(w[0], w[1], arg, NULL);
	return cli(w[0], w[1], w[2], arg, NULL);
}

/* "Usage: coffer kv metadata get" for the words w. */
static void usage_line(const char *const *w, char *out, size_t len)
{
	snprintf(out, len, "Usage: coffer %s%s%s%s%s", w[0], w[1] ? " " : "",
	         w[1] ? w[1] : "", w[2] ? " " : "", w[2] ? w[2] : "");
}

static void test_help_and_bad_flags_send_nothing(void **state)
{
	char usage[128];
	size_t i;

	(void)state;
	for (i = 0; i < NCOMMANDS; i++) {
		usage_line(commands[i], usage, sizeof(usage));
		forget();
		assert_int_equal(run_with(commands[i], "-h"), 0);
		if (strncmp(run.out, usage, strlen(usage)) != 0)
			fail_msg("%s -h printed: %s", usage, run.out);
		assert_string_equal(run.err, "");

		assert_int_equal(run_with(commands[i], "-nosuchflag"), 2);
		if (strstr(run.err, usage) == NULL)
			fail_msg("%s -nosuchflag said: %s", usage, run.err);
		assert_string_equal(run.out, "");
		assert_int_equal(srv.nreq, 0);
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_help_and_bad_flags_send_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
