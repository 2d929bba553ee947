/* Request targets: decoding, canonical paths, query parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/path.h"

static err_t parse(struct http_target *t, const char *target)
{
	const char *why = NULL;
	err_t rc;

	http_target_init(t);
	rc = http_target_parse(t, target, strlen(target), &why);
	if (rc != ERR_OK)
		assert_non_null(why);
	return rc;
}

static void expect_path(const char *target, const char *path)
{
	struct http_target t;

	if (parse(&t, target) != ERR_OK)
		fail_msg("%s refused", target);
	assert_string_equal(t.path, path);
	http_target_release(&t);
}

static void expect_error(const char *target, err_t code)
{
	struct http_target t;

	if (parse(&t, target) != code)
		fail_msg("%s: expected %s", target, err_str(code));
	http_target_release(&t);
}

static void test_paths(void **state)
{
	(void)state;
	expect_path("/v1/secret/data/foo", "secret/data/foo");
	expect_path("/v1/secret/data/a%20b/c%25d", "secret/data/a b/c%d");
	expect_path("/v1/secret//data///x", "secret/data/x");
	expect_path("/v1//secret/", "secret/");
	expect_path("/v1/secret/metadata/", "secret/metadata/");
	expect_path("/v1/", "");
	expect_path("/v1/a+b", "a+b");
	expect_path("/v1/a.b/..c/.d", "a.b/..c/.d");
	expect_path("/v1/caf%C3%A9", "caf\xc3\xa9");
	/* An encoded slash splits like a real one (Vault clients never send
	 * one), so it cannot hide a segment from the checks below. */
	expect_path("/v1/a%2Fb", "a/b");
}

static void test_bad_paths(void **state)
{
	(void)state;
	expect_error("/v2/secret", ERR_NOT_FOUND);
	expect_error("/v1", ERR_NOT_FOUND);
	expect_error("/secret/v1/", ERR_NOT_FOUND);
	expect_error("*", ERR_NOT_FOUND);
	expect_error("/v1/secret/../sys/raw", ERR_INVALID);
	expect_error("/v1/secret/./x", ERR_INVALID);
	expect_error("/v1/secret/..", ERR_INVALID);
	expect_error("/v1/secret/%2e%2e/sys", ERR_INVALID);
	expect_error("/v1/secret/%2E/x", ERR_INVALID);
	expect_error("/v1/a%2F..%2Fb", ERR_INVALID);
	expect_error("/v1/a%00b", ERR_INVALID);
	expect_error("/v1/a%0ab", ERR_INVALID);
	expect_error("/v1/a%", ERR_INVALID);
	expect_error("/v1/a%4", ERR_INVALID);
	expect_error("/v1/a%zz", ERR_INVALID);
	expect_error("/v1/a%C3", ERR_INVALID);
	expect_error("/v1/a%C0%AF", ERR_INVALID);
	expect_error("/v1/a%ED%A0%80", ERR_INVALID);
}

static void test_query(void **state)
{
	struct http_target t;

	(void)state;
	assert_int_equal(parse(&t, "/v1/secret/data/x?version=2&a+b=c%20d&e"
	                           "&&=skip&k=1&k=2"),
	                 ERR_OK);
	assert_string_equal(t.path, "secret/data/x");
	assert_string_equal(
	    json_string_value(json_object_get(t.query, "version")), "2");
	assert_string_equal(json_string_value(json_object_get(t.query, "a b")),
	                    "c d");
	assert_string_equal(json_string_value(json_object_get(t.query, "e")),
	                    "");
	assert_int_equal(json_array_size(json_object_get(t.query, "k")), 2);
	assert_int_equal(json_object_size(t.query), 4);
	assert_false(t.list);
	http_target_release(&t);

	expect_error("/v1/x?a=%zz", ERR_INVALID);
	expect_error("/v1/x?a=%00", ERR_INVALID);
	expect_error("/v1/x?a=%ff", ERR_INVALID);
}

static void test_list_and_help(void **state)
{
	static const char *const yes[] = {"True", "true", "1", "t", "TRUE"};
	static const char *const no[] = {"False", "false", "0", "f"};
	char target[64];
	struct http_target t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(target, sizeof(target), "/v1/secret?list=%s", yes[i]);
		assert_int_equal(parse(&t, target), ERR_OK);
		assert_true(t.list);
		/* Consumed: not passed on as a parameter. */
		assert_null(json_object_get(t.query, "list"));
		http_target_release(&t);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(target, sizeof(target), "/v1/secret?list=%s", no[i]);
		assert_int_equal(parse(&t, target), ERR_OK);
		assert_false(t.list);
		http_target_release(&t);
	}
	expect_error("/v1/secret?list=yes", ERR_INVALID);
	expect_error("/v1/secret?list=", ERR_INVALID);
	expect_error("/v1/secret?list", ERR_INVALID);

	assert_int_equal(parse(&t, "/v1/secret?help=1&x=y"), ERR_OK);
	assert_true(t.help);
	assert_null(json_object_get(t.query, "help"));
	assert_non_null(json_object_get(t.query, "x"));
	http_target_release(&t);
}

static void test_namespace(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {{"", ""},
	             {"/", ""},
	             {"team-a", "team-a/"},
	             {"team-a/", "team-a/"},
	             {"/team-a//b/", "team-a/b/"}};
	char out[64];
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(http_namespace_normalise(cases[i].in,
		                                          strlen(cases[i].in),
		                                          out, &why),
		                 ERR_OK);
		assert_string_equal(out, cases[i].out);
	}
	assert_int_equal(http_namespace_normalise("a/../b", 6, out, &why),
	                 ERR_INVALID);
	assert_int_equal(http_namespace_normalise("a\x01", 2, out, &why),
	                 ERR_INVALID);
}

static void test_form(void **state)
{
	json_t *obj = json_object();
	const char *why;

	(void)state;
	assert_int_equal(
	    http_form_parse("password=p%40ss+word&user=bob", 29, obj, &why),
	    ERR_OK);
	assert_string_equal(json_string_value(json_object_get(obj, "password")),
	                    "p@ss word");
	assert_string_equal(json_string_value(json_object_get(obj, "user")),
	                    "bob");
	assert_int_equal(http_form_parse("a=%", 3, obj, &why), ERR_INVALID);
	json_decref(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_bad_paths),
	    cmocka_unit_test(test_query),
	    cmocka_unit_test(test_list_and_help),
	    cmocka_unit_test(test_namespace),
	    cmocka_unit_test(test_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
