/*
 * test_agent_delim.c - templates with custom delimiters rewritten into
 * the engine's "{{ }}": actions, literal braces, quoted delimiters, and
 * line numbers kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/agent_delim.h"

static void check(const char *src, const char *left, const char *right,
                  const char *want)
{
	struct buf out = BUF_INIT, msg = BUF_INIT;

	assert_int_equal(
	    agent_delim_translate(src, strlen(src), left, right, &out, &msg),
	    ERR_OK);
	assert_string_equal(buf_str(&out), want);
	buf_release(&out);
	buf_release(&msg);
}

static void test_default_is_a_copy(void **state)
{
	(void)state;
	check("a {{ .x }} [[ b ]]", NULL, NULL, "a {{ .x }} [[ b ]]");
	check("a {{ .x }}", "{{", "}}", "a {{ .x }}");
}

static void test_actions(void **state)
{
	(void)state;
	check("host=[[ .Data.host ]]\n", "[[", "]]", "host={{ .Data.host }}\n");
	check("[[- with secret \"kv/a\" -]]x[[ end ]]", "[[", "]]",
	      "{{- with secret \"kv/a\" -}}x{{ end }}");
	/* Only one side given: the other keeps its default. */
	check("<% .x }}", "<%", NULL, "{{ .x }}");
}

static void test_literal_braces(void **state)
{
	(void)state;
	/* Helm-style text survives as text. */
	check("{{ .Values.x }} [[ .y ]]", "[[", "]]",
	      "{{\"{\"}}{ .Values.x }} {{ .y }}");
	check("{{{", "[[", "]]", "{{\"{\"}}{{\"{\"}}{");
	/* A brace right before an action would join its "{{". */
	check("{[[ .y ]]}", "[[", "]]", "{{\"{\"}}{{ .y }}}");
	check("a { b } c", "[[", "]]", "a { b } c");
}

static void test_quoted_delimiters(void **state)
{
	(void)state;
	check("[[ \"]]\" ]]", "[[", "]]", "{{ \"]]\" }}");
	check("[[ `a]]b` ]]", "[[", "]]", "{{ `a]]b` }}");
	check("[[ \"a\\\"]]\" ]]", "[[", "]]", "{{ \"a\\\"]]\" }}");
	check("[[/* a ]] b */]]", "[[", "]]", "{{/* a ]] b */}}");
}

static void test_lines_kept(void **state)
{
	(void)state;
	check("a\n[[ if .x ]]\n{{\n[[ end ]]\n", "[[", "]]",
	      "a\n{{ if .x }}\n{{\"{\"}}{\n{{ end }}\n");
	/* An unclosed action is left for the engine to report. */
	check("a\n[[ .x\n", "[[", "]]", "a\n{{ .x\n");
}

static void test_bad_delimiters(void **state)
{
	struct buf out = BUF_INIT, msg = BUF_INIT;

	(void)state;
	assert_int_equal(agent_delim_translate("x", 1, "", "]]", &out, &msg),
	                 ERR_INVALID);
	assert_string_equal(buf_str(&msg), "a delimiter must be non-empty and "
	                                   "hold no white space");
	assert_int_equal(agent_delim_translate("x", 1, "[[", "] ]", &out, &msg),
	                 ERR_INVALID);
	assert_int_equal(out.len, 0);
	buf_release(&out);
	buf_release(&msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_is_a_copy),
	    cmocka_unit_test(test_actions),
	    cmocka_unit_test(test_literal_braces),
	    cmocka_unit_test(test_quoted_delimiters),
	    cmocka_unit_test(test_lines_kept),
	    cmocka_unit_test(test_bad_delimiters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
