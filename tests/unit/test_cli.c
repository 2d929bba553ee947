/*
 * Unit tests for the pure parts of the CLI: flag parsing, K=V arguments,
 * path encoding, table layout and Vault's error message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/table.h"

struct parsed {
	const char *format;
	const char *path;
	bool detailed;
	int64_t shares;
	struct flag_list options;
};

static err_t parse(struct parsed *p, int argc, char **argv, int *first,
                   struct buf *msg)
{
	struct flag_def defs[] = {{"format", FLAG_STRING, &p->format},
	                          {"path", FLAG_STRING, &p->path},
	                          {"detailed", FLAG_BOOL, &p->detailed},
	                          {"key-shares", FLAG_INT, &p->shares},
	                          {"options", FLAG_LIST, &p->options},
	                          {0}};

	return flags_parse(defs, argc, argv, first, msg);
}

static void test_flags_forms(void **state)
{
	char *argv[] = {
	    "-format=json", "-path",    "kv2", "--detailed", "-key-shares=7",
	    "-options=a=b", "-options", "c=d", "secret/foo", "-path=late"};
	struct parsed p = {0};
	struct buf msg = BUF_INIT;
	int first = -1;

	(void)state;
	assert_int_equal(parse(&p, 10, argv, &first, &msg), ERR_OK);
	assert_string_equal(p.format, "json");
	assert_string_equal(p.path, "kv2");
	assert_true(p.detailed);
	assert_int_equal(p.shares, 7);
	assert_int_equal(p.options.n, 2);
	assert_string_equal(p.options.items[0], "a=b");
	assert_string_equal(p.options.items[1], "c=d");
	/* Flags stop at the first positional argument, as in Go's flag. */
	assert_int_equal(first, 8);
	flags_list_release(&p.options);
	buf_release(&msg);
}

static void test_flags_bool_does_not_eat_argument(void **state)
{
	char *argv[] = {"-detailed", "false"};
	char *argv2[] = {"-detailed=false", "-", "x"};
	struct parsed p = {0};
	struct buf msg = BUF_INIT;
	int first;

	(void)state;
	assert_int_equal(parse(&p, 2, argv, &first, &msg), ERR_OK);
	assert_true(p.detailed);
	assert_int_equal(first, 1);

	/* A lone "-" is an argument (standard input), not a flag. */
	assert_int_equal(parse(&p, 3, argv2, &first, &msg), ERR_OK);
	assert_false(p.detailed);
	assert_int_equal(first, 1);
	buf_release(&msg);
}

static void test_flags_double_dash_ends_flags(void **state)
{
	char *argv[] = {"--", "-format=json"};
	struct parsed p = {0};
	struct buf msg = BUF_INIT;
	int first;

	(void)state;
	assert_int_equal(parse(&p, 2, argv, &first, &msg), ERR_OK);
	assert_null(p.format);
	assert_int_equal(first, 1);
	buf_release(&msg);
}

static void test_flags_errors(void **state)
{
	char *unknown[] = {"-nope=1", "x"};
	char *missing[] = {"-format"};
	char *bad_int[] = {"-key-shares=five"};
	char *bad_bool[] = {"-detailed=maybe"};
	struct parsed p = {0};
	struct buf msg = BUF_INIT;
	int first;

	(void)state;
	assert_int_equal(parse(&p, 2, unknown, &first, &msg), ERR_INVALID);
	assert_string_equal(buf_str(&msg),
	                    "flag provided but not defined: -nope=1");
	buf_reset(&msg);
	assert_int_equal(parse(&p, 1, missing, &first, &msg), ERR_INVALID);
	assert_string_equal(buf_str(&msg), "flag needs an argument: -format");
	buf_reset(&msg);
	assert_int_equal(parse(&p, 1, bad_int, &first, &msg), ERR_INVALID);
	assert_non_null(strstr(buf_str(&msg), "five"));
	buf_reset(&msg);
	assert_int_equal(parse(&p, 1, bad_bool, &first, &msg), ERR_INVALID);
	buf_release(&msg);
}

/* A temporary file holding text; the caller unlinks path. */
static FILE *temp_with(const char *text, char *path)
{
	int fd;
	FILE *f;

	snprintf(path, 32, "%s", "/tmp/test_cli_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w+");
	assert_non_null(f);
	fputs(text, f);
	rewind(f);
	return f;
}

static void test_kv_pairs(void **state)
{
	char path[32];
	FILE *file = temp_with("from a file\n", path);
	char at[64];
	char *argv[] = {"user=alice", "query=a=b", "empty=", at, "p=x", "p=y"};
	struct buf msg = BUF_INIT;
	json_t *obj, *p;

	(void)state;
	snprintf(at, sizeof(at), "body=@%s", path);
	assert_int_equal(args_parse_kv(6, argv, stdin, &obj, &msg), ERR_OK);
	assert_string_equal(json_string_value(json_object_get(obj, "user")),
	                    "alice");
	/* Split at the first "=" only. */
	assert_string_equal(json_string_value(json_object_get(obj, "query")),
	                    "a=b");
	assert_string_equal(json_string_value(json_object_get(obj, "empty")),
	                    "");
	assert_string_equal(json_string_value(json_object_get(obj, "body")),
	                    "from a file\n");
	/* A repeated key becomes a list. */
	p = json_object_get(obj, "p");
	assert_true(json_is_array(p));
	assert_int_equal(json_array_size(p), 2);
	assert_string_equal(json_string_value(json_array_get(p, 1)), "y");
	json_decref(obj);
	fclose(file);
	unlink(path);
	buf_release(&msg);
}

static void test_kv_stdin(void **state)
{
	char path[32];
	FILE *in = temp_with("s3cret", path);
	char *one[] = {"password=-", "user=bob"};
	char *twice[] = {"a=-", "b=-"};
	struct buf msg = BUF_INIT;
	json_t *obj;

	(void)state;
	assert_int_equal(args_parse_kv(2, one, in, &obj, &msg), ERR_OK);
	assert_string_equal(json_string_value(json_object_get(obj, "password")),
	                    "s3cret");
	json_decref(obj);

	rewind(in);
	assert_int_equal(args_parse_kv(2, twice, in, &obj, &msg), ERR_INVALID);
	assert_null(obj);
	fclose(in);
	unlink(path);
	buf_release(&msg);
}

static void test_kv_json_stdin(void **state)
{
	char path[32];
	FILE *in = temp_with("{\"a\": 1, \"b\": {\"c\": true}}", path);
	FILE *bad = NULL;
	char *argv[] = {"-", "d=e"};
	struct buf msg = BUF_INIT;
	json_t *obj;

	(void)state;
	assert_int_equal(args_parse_kv(2, argv, in, &obj, &msg), ERR_OK);
	assert_int_equal(json_integer_value(json_object_get(obj, "a")), 1);
	assert_true(json_is_object(json_object_get(obj, "b")));
	assert_string_equal(json_string_value(json_object_get(obj, "d")), "e");
	json_decref(obj);
	fclose(in);
	unlink(path);

	bad = temp_with("[1, 2]", path);
	assert_int_equal(args_parse_kv(1, argv, bad, &obj, &msg), ERR_INVALID);
	fclose(bad);
	unlink(path);
	buf_release(&msg);
}

static void test_kv_bad(void **state)
{
	char *no_eq[] = {"novalue"};
	char *no_key[] = {"=v"};
	char *no_file[] = {"k=@/nonexistent/file"};
	struct buf msg = BUF_INIT;
	json_t *obj;

	(void)state;
	assert_int_equal(args_parse_kv(1, no_eq, stdin, &obj, &msg),
	                 ERR_INVALID);
	assert_non_null(strstr(buf_str(&msg), "novalue"));
	assert_int_equal(args_parse_kv(1, no_key, stdin, &obj, &msg),
	                 ERR_INVALID);
	assert_int_equal(args_parse_kv(1, no_file, stdin, &obj, &msg), ERR_IO);
	assert_null(obj);
	buf_release(&msg);
}

static void test_escape_path(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(client_escape_path("/secret/a b/c%d/ü?x#", &out),
	                 ERR_OK);
	assert_string_equal(buf_str(&out), "secret/a%20b/c%25d/%C3%BC%3Fx%23");
	buf_reset(&out);
	assert_int_equal(client_escape_path("dir/", &out), ERR_OK);
	assert_string_equal(buf_str(&out), "dir/");
	buf_reset(&out);
	assert_int_equal(client_escape_component("a/b=c&d", &out), ERR_OK);
	assert_string_equal(buf_str(&out), "a%2Fb%3Dc%26d");
	buf_release(&out);
}

static void test_table_layout(void **state)
{
	static const char *const headers[] = {"Key", "Value"};
	struct table t;
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(table_init(&t, 2, headers), ERR_OK);
	assert_int_equal(table_add_kv(&t, "Seal Type", "shamir"), ERR_OK);
	assert_int_equal(table_add_kv(&t, "Sealed", "false"), ERR_OK);
	assert_int_equal(table_add_kv(&t, "café", "ok"), ERR_OK);
	assert_int_equal(table_render(&t, &out), ERR_OK);
	assert_string_equal(buf_str(&out), "Key          Value\n"
	                                   "---          -----\n"
	                                   "Seal Type    shamir\n"
	                                   "Sealed       false\n"
	                                   "café         ok\n");
	table_release(&t);
	table_release(&t); /* twice is harmless */
	buf_release(&out);
}

static void test_table_no_header_and_columns(void **state)
{
	static const char *const headers[] = {"Path", "Type", "Description"};
	const char *row[] = {"secret/", "kv", NULL};
	struct table t;
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(table_init(&t, 3, headers), ERR_OK);
	assert_int_equal(table_add_row(&t, row), ERR_OK);
	assert_int_equal(table_render(&t, &out), ERR_OK);
	assert_string_equal(buf_str(&out), "Path       Type    Description\n"
	                                   "----       ----    -----------\n"
	                                   "secret/    kv      \n");
	table_release(&t);

	buf_reset(&out);
	assert_int_equal(table_init(&t, 2, NULL), ERR_OK);
	assert_int_equal(table_add_kv(&t, "Key Term", "2"), ERR_OK);
	assert_int_equal(table_render(&t, &out), ERR_OK);
	assert_string_equal(buf_str(&out), "Key Term    2\n");
	table_release(&t);
	assert_int_equal(table_init(&t, 0, NULL), ERR_INVALID);
	buf_release(&out);
}

static void test_error_message(void **state)
{
	json_t *body = json_loads(
	    "{\"errors\": [\"permission denied\", \"invalid token\"]}", 0,
	    NULL);
	json_t *empty = json_loads("{\"errors\": []}", 0, NULL);
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(client_format_error(
	                     &out, "GET", "http://127.0.0.1:8200/v1/secret/foo",
	                     403, body, NULL),
	                 ERR_OK);
	assert_string_equal(buf_str(&out),
	                    "Error making API request.\n\n"
	                    "URL: GET http://127.0.0.1:8200/v1/secret/foo\n"
	                    "Code: 403. Errors:\n\n"
	                    "* permission denied\n"
	                    "* invalid token");
	buf_reset(&out);
	assert_int_equal(client_format_error(&out, "PUT", "http://h/v1/x", 404,
	                                     empty, "{\"errors\": []}"),
	                 ERR_OK);
	assert_string_equal(buf_str(&out), "Error making API request.\n\n"
	                                   "URL: PUT http://h/v1/x\n"
	                                   "Code: 404. Errors:\n\n");
	/* A body that is not Vault's error format is shown as it came. */
	buf_reset(&out);
	assert_int_equal(client_format_error(&out, "GET", "http://h/v1/x", 502,
	                                     NULL, "Bad Gateway"),
	                 ERR_OK);
	assert_string_equal(buf_str(&out), "Error making API request.\n\n"
	                                   "URL: GET http://h/v1/x\n"
	                                   "Code: 502. Raw Message:\n\n"
	                                   "Bad Gateway");
	json_decref(body);
	json_decref(empty);
	buf_release(&out);
}

static void test_format_value(void **state)
{
	json_t *v = json_loads("{\"s\": \"text\", \"n\": 3, \"b\": true, "
	                       "\"z\": null, \"o\": {\"y\": 1, \"x\": [1]}}",
	                       0, NULL);
	struct buf out = BUF_INIT;

	(void)state;
	command_format_value(json_object_get(v, "s"), &out);
	assert_string_equal(buf_str(&out), "text");
	buf_reset(&out);
	command_format_value(json_object_get(v, "n"), &out);
	assert_string_equal(buf_str(&out), "3");
	buf_reset(&out);
	command_format_value(json_object_get(v, "b"), &out);
	assert_string_equal(buf_str(&out), "true");
	buf_reset(&out);
	command_format_value(json_object_get(v, "z"), &out);
	assert_string_equal(buf_str(&out), "<nil>");
	buf_reset(&out);
	command_format_value(json_object_get(v, "o"), &out);
	assert_string_equal(buf_str(&out), "{\"x\":[1],\"y\":1}");
	json_decref(v);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flags_forms),
	    cmocka_unit_test(test_flags_bool_does_not_eat_argument),
	    cmocka_unit_test(test_flags_double_dash_ends_flags),
	    cmocka_unit_test(test_flags_errors),
	    cmocka_unit_test(test_kv_pairs),
	    cmocka_unit_test(test_kv_stdin),
	    cmocka_unit_test(test_kv_json_stdin),
	    cmocka_unit_test(test_kv_bad),
	    cmocka_unit_test(test_escape_path),
	    cmocka_unit_test(test_table_layout),
	    cmocka_unit_test(test_table_no_header_and_columns),
	    cmocka_unit_test(test_error_message),
	    cmocka_unit_test(test_format_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
