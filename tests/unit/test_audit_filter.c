/*
 * test_audit_filter.c - the audit filter language: what each operator
 * takes and leaves, precedence, the forms of values and fields, and the
 * messages for expressions that must be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit/filter.h"

/* A KV read in namespace team-a/. */
static const struct audit_filter_fields kv_read = {
    "secret/", "kv", "team-a/", "read", "secret/data/app/db"};

/* A login in the root namespace. */
static const struct audit_filter_fields login = {
    "auth/approle/", "approle", "", "update", "auth/approle/login"};

/* A request refused before routing: no mount. */
static const struct audit_filter_fields unrouted = {NULL, NULL, NULL, "read",
                                                    "nosuch/path"};

/* Parses expr, which must be valid, and matches it against in. */
static bool takes(const char *expr, const struct audit_filter_fields *in)
{
	struct audit_filter *f = NULL;
	struct buf msg = BUF_INIT;
	bool hit;

	if (audit_filter_parse(expr, &f, &msg) != ERR_OK)
		fail_msg("\"%s\" did not parse: %s", expr, buf_str(&msg));
	hit = audit_filter_match(f, in);
	audit_filter_free(f);
	buf_release(&msg);
	return hit;
}

/* expr must be refused with a message that contains why. */
static void refused(const char *expr, const char *why)
{
	struct audit_filter *f = (struct audit_filter *)1;
	struct buf msg = BUF_INIT;

	assert_int_equal(audit_filter_parse(expr, &f, &msg), ERR_INVALID);
	assert_null(f);
	if (strstr(buf_str(&msg), why) == NULL)
		fail_msg("\"%s\": message \"%s\" does not say \"%s\"", expr,
		         buf_str(&msg), why);
	buf_release(&msg);
}

static void test_equality(void **state)
{
	(void)state;
	assert_true(takes("mount_type == \"kv\"", &kv_read));
	assert_false(takes("mount_type == \"kv\"", &login));
	assert_true(takes("mount_type != \"kv\"", &login));
	assert_true(takes("operation==\"read\"", &kv_read));
	assert_true(takes("namespace == \"team-a/\"", &kv_read));
	/* The root namespace is the empty string, as in Vault. */
	assert_true(takes("namespace == \"\"", &login));
	assert_false(takes("namespace == \"\"", &kv_read));
	assert_true(takes("mount_point == \"auth/approle/\"", &login));
	assert_true(takes("path == \"auth/approle/login\"", &login));
	/* Exact: neither a prefix nor a different case. */
	assert_false(takes("path == \"auth/approle\"", &login));
	assert_false(takes("mount_type == \"KV\"", &kv_read));
	/* Whitespace inside a string counts. */
	assert_false(takes("mount_type == \" kv\"", &kv_read));
	/* Fields a request refused before routing does not have are "". */
	assert_true(takes("mount_type == \"\"", &unrouted));
	assert_true(takes("mount_point is empty", &unrouted));
}

static void test_empty_contains_in(void **state)
{
	(void)state;
	assert_true(takes("namespace is empty", &login));
	assert_false(takes("namespace is empty", &kv_read));
	assert_true(takes("namespace is not empty", &kv_read));
	assert_true(takes("path contains \"data/app\"", &kv_read));
	assert_false(takes("path contains \"metadata\"", &kv_read));
	assert_true(takes("path not contains \"metadata\"", &kv_read));
	assert_true(takes("\"approle\" in path", &login));
	assert_true(takes("\"userpass\" not in path", &login));
	assert_false(takes("\"approle\" not in mount_point", &login));
	/* A bare word and a number are values too. */
	assert_true(takes("operation == read", &kv_read));
	assert_true(takes("read in operation", &kv_read));
	assert_false(takes("path == 5", &kv_read));
	assert_true(takes("path contains \"\"", &kv_read));
}

static void test_matches(void **state)
{
	(void)state;
	assert_true(takes("path matches \"^auth/.+/login$\"", &login));
	assert_false(takes("path matches \"^auth/.+/login$\"", &kv_read));
	/* Found anywhere unless anchored. */
	assert_true(takes("path matches \"data/app\"", &kv_read));
	assert_true(takes("path not matches \"^sys/\"", &kv_read));
	assert_true(takes("mount_type matches \"^(kv|approle)$\"", &login));
	assert_true(takes("path matches `^secret/data/[a-z]+/db$`", &kv_read));
	assert_true(takes("path matches \"app/d{1}b\"", &kv_read));
}

static void test_logic_and_precedence(void **state)
{
	(void)state;
	assert_true(
	    takes("mount_type == \"kv\" and operation == \"read\"", &kv_read));
	assert_false(takes("mount_type == \"kv\" and operation == \"update\"",
	                   &kv_read));
	assert_true(
	    takes("mount_type == \"x\" or operation == \"read\"", &kv_read));
	assert_true(takes("not mount_type == \"x\"", &kv_read));
	assert_true(takes("not not mount_type == \"kv\"", &kv_read));
	/* not binds tighter than and, and than or. */
	assert_true(takes("not mount_type == \"x\" and operation == \"read\"",
	                  &kv_read));
	assert_true(takes("mount_type == \"x\" and operation == \"y\" or "
	                  "path contains \"app\"",
	                  &kv_read));
	assert_false(takes("mount_type == \"x\" and (operation == \"y\" or "
	                   "path contains \"app\")",
	                   &kv_read));
	assert_false(takes("not (mount_type == \"kv\" or mount_type == "
	                   "\"approle\")",
	                   &login));
	assert_true(takes("(((mount_type == \"approle\")))", &login));
	/* A long chain is one level, whatever its length. */
	assert_true(takes("operation == \"a\" or operation == \"b\" or "
	                  "operation == \"c\" or operation == \"d\" or "
	                  "operation == \"update\"",
	                  &login));
}

static void test_values_and_fields(void **state)
{
	(void)state;
	/* Escapes in double-quoted strings; none in raw ones. */
	assert_true(takes("path == \"auth\\/approle\\u002flogin\"", &login));
	assert_true(takes("path == \"auth/approle/\\x6cogin\"", &login));
	assert_false(takes("path == `auth\\/approle/login`", &login));
	/* A field named by a JSON pointer. */
	assert_true(takes("\"/mount_type\" == \"approle\"", &login));
	assert_true(takes("\"/namespace\" is empty", &login));
	/* Words are case-sensitive, and so is and. */
	refused("mount_type == \"kv\" AND path == \"x\"", "column 20");
}

static void test_bad_expressions(void **state)
{
	(void)state;
	refused("", "empty");
	refused("   \n\t ", "empty");
	refused("mount_typo == \"kv\"", "unknown field \"mount_typo\"");
	refused("request.path == \"kv\"", "unknown field");
	refused("\"/nosuch\" == \"x\"", "unknown field \"nosuch\"");
	refused("mount_type = \"kv\"", "expected \"==\" or \"!=\"");
	refused("mount_type == ", "expected a value at the end");
	refused("mount_type \"kv\"",
	        "expected ==, !=, is, contains or matches");
	refused("mount_type == \"kv", "unterminated string");
	refused("mount_type == `kv", "unterminated string");
	refused("mount_type == \"k\nv\"", "control character");
	refused("mount_type == \"k\\qv\"", "unknown escape");
	refused("mount_type == \"k\\u00\"", "bad hexadecimal escape");
	refused("mount_type == \"\\u0000\"", "NUL");
	refused("mount_type == \"\\ud800\"", "surrogate");
	refused("(mount_type == \"kv\"", "expected \")\" at the end");
	refused("mount_type == \"kv\")", "expected \"and\", \"or\" or the end");
	refused("mount_type == \"kv\" and", "expected a field name at the end");
	refused("mount_type is \"kv\"", "expected \"empty\"");
	refused("\"kv\" in", "expected a field name");
	refused("\"kv\" in \"/nosuch\"", "unknown field");
	refused("mount_type == 12abc", "invalid number");
	refused("mount_type == kv-v2", "unexpected character");
	refused("mount_type == \"kv\" & path == \"x\"", "unexpected character");
	refused("path matches \"(\"", "bad regular expression");
	refused("path matches \"(a)\\\\1\"", "back-reference");
	refused("path matches \"a{1000}\"", "repetition");
	refused("path matches \"a{2}b{2}\"", "repetition");
	refused("path matches \"a{17}\"", "repetition");
	refused("path matches \"a++\"", "repetition of a repetition");
	refused("path matches \"x(a+)*\"", "repetition of a repetition");
	refused("path matches \"((a|b)*c)+\"", "repetition of a repetition");
	refused("path matches \"m+++++++++\"", "repetition of a repetition");
	/* Repeating a group without a repetition inside is fine. */
	assert_true(takes("path matches \"^(secret/)+data\"", &kv_read));
	assert_true(takes("path matches \"[+*]*app\"", &kv_read));
}

static void test_limits(void **state)
{
	struct audit_filter *f = NULL;
	struct buf expr = BUF_INIT, msg = BUF_INIT;
	int i;

	(void)state;
	/* Nesting past the limit, with parentheses and with not. */
	for (i = 0; i <= AUDIT_FILTER_MAX_DEPTH; i++)
		buf_append_str(&expr, "(");
	buf_append_str(&expr, "path == \"x\"");
	for (i = 0; i <= AUDIT_FILTER_MAX_DEPTH; i++)
		buf_append_str(&expr, ")");
	refused(buf_str(&expr), "nested too deeply");
	buf_reset(&expr);
	for (i = 0; i <= AUDIT_FILTER_MAX_DEPTH; i++)
		buf_append_str(&expr, "not ");
	buf_append_str(&expr, "path == \"x\"");
	refused(buf_str(&expr), "nested too deeply");

	/* Just inside the depth limit is fine. */
	buf_reset(&expr);
	for (i = 0; i < AUDIT_FILTER_MAX_DEPTH; i++)
		buf_append_str(&expr, "(");
	buf_append_str(&expr, "path == \"secret/data/app/db\"");
	for (i = 0; i < AUDIT_FILTER_MAX_DEPTH; i++)
		buf_append_str(&expr, ")");
	assert_true(takes(buf_str(&expr), &kv_read));

	/* Too long. */
	buf_reset(&expr);
	buf_append_str(&expr, "path == \"");
	for (i = 0; i < AUDIT_FILTER_MAX_LEN; i++)
		buf_append_byte(&expr, 'a');
	buf_append_str(&expr, "\"");
	refused(buf_str(&expr), "longer than");

	/* A long regular expression. */
	buf_reset(&expr);
	buf_append_str(&expr, "path matches \"");
	for (i = 0; i <= AUDIT_FILTER_MAX_REGEX; i++)
		buf_append_byte(&expr, 'a');
	buf_append_str(&expr, "\"");
	refused(buf_str(&expr), "too long");

	/* Many terms in one chain, within the length limit. */
	buf_reset(&expr);
	buf_append_str(&expr, "path == \"secret/data/app/db\"");
	for (i = 0; i < 150; i++)
		buf_append_str(&expr, " and operation != \"list\"");
	assert_int_equal(audit_filter_parse(buf_str(&expr), &f, &msg), ERR_OK);
	assert_true(audit_filter_match(f, &kv_read));
	audit_filter_free(f);
	audit_filter_free(NULL);
	buf_release(&expr);
	buf_release(&msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_equality),
	    cmocka_unit_test(test_empty_contains_in),
	    cmocka_unit_test(test_matches),
	    cmocka_unit_test(test_logic_and_precedence),
	    cmocka_unit_test(test_values_and_fields),
	    cmocka_unit_test(test_bad_expressions),
	    cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
