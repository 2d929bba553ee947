/*
 * The file formats of `coffer import`: dotenv, the YAML subset, and JSON
 * documents turned into secrets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "cli/import.h"

static json_t *dotenv(const char *text, err_t want, struct buf *msg)
{
	json_t *out = NULL;

	buf_reset(msg);
	assert_int_equal(
	    import_parse_dotenv(text, strlen(text), "app.env", &out, msg),
	    want);
	return out;
}

static const char *str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static void test_dotenv(void **state)
{
	static const char text[] =
	    "# database\n"
	    "export DB_USER=svc\n"
	    "DB_PASS=\"p@ss \\\"q\\\" \\$x\\nline2\"   # comment\n"
	    "SINGLE='a #b \\n'\n"
	    "PLAIN = value with spaces # trailing\n"
	    "HASH=a#b\n"
	    "EMPTY=\n"
	    "MULTI=\"one\n"
	    "two\"\n"
	    "dotted.key-x=1\r\n"
	    "DB_USER=svc2\n";
	struct buf msg = BUF_INIT;
	json_t *o;

	(void)state;
	o = dotenv(text, ERR_OK, &msg);
	assert_int_equal(json_object_size(o), 8);
	assert_string_equal(str(o, "DB_USER"), "svc2");
	assert_string_equal(str(o, "DB_PASS"), "p@ss \"q\" $x\nline2");
	assert_string_equal(str(o, "SINGLE"), "a #b \\n");
	assert_string_equal(str(o, "PLAIN"), "value with spaces");
	assert_string_equal(str(o, "HASH"), "a#b");
	assert_string_equal(str(o, "EMPTY"), "");
	assert_string_equal(str(o, "MULTI"), "one\ntwo");
	assert_string_equal(str(o, "dotted.key-x"), "1");
	json_decref(o);

	o = dotenv("", ERR_OK, &msg);
	assert_int_equal(json_object_size(o), 0);
	json_decref(o);
	buf_release(&msg);
}

static void test_dotenv_errors(void **state)
{
	static const char *const bad[] = {
	    "A=1\nNOVALUE\n",
	    "A=1\n=nokey\n",
	    "A=1\nB=\"unclosed\n",
	    "A=1\nB=\"x\" junk\n",
	    "A=1\nB=\"bad \\q escape\"\n",
	    "A=1\n1B=x\n",
	};
	struct buf msg = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(dotenv(bad[i], ERR_INVALID, &msg));
		assert_non_null(strstr(buf_str(&msg), "app.env line 2"));
	}
	/* The message never repeats a value. */
	assert_null(dotenv("A=\"s3cret\" junk\n", ERR_INVALID, &msg));
	assert_null(strstr(buf_str(&msg), "s3cret"));
	buf_release(&msg);
}

static json_t *yaml(const char *text, err_t want, struct buf *msg)
{
	json_t *out = NULL;

	buf_reset(msg);
	assert_int_equal(
	    import_parse_yaml(text, strlen(text), "app.yaml", &out, msg), want);
	return out;
}

static void test_yaml(void **state)
{
	static const char text[] = "---\n"
	                           "# settings\n"
	                           "top: plain value # comment\n"
	                           "quoted: \"a \\\"b\\\" # kept\"\n"
	                           "single: 'it''s'\n"
	                           "empty:\n"
	                           "url: http://x:80/a\n"
	                           "db:\n"
	                           "  user: svc\n"
	                           "  port: 5432\n"
	                           "\n"
	                           "  nested:\n"
	                           "      deep: \"yes\"\n"
	                           "  after: 1\n"
	                           "last: z\n";
	struct buf msg = BUF_INIT;
	json_t *o, *db;

	(void)state;
	o = yaml(text, ERR_OK, &msg);
	assert_non_null(o);
	assert_string_equal(str(o, "top"), "plain value");
	assert_string_equal(str(o, "quoted"), "a \"b\" # kept");
	assert_string_equal(str(o, "single"), "it's");
	assert_string_equal(str(o, "empty"), "");
	assert_string_equal(str(o, "url"), "http://x:80/a");
	assert_string_equal(str(o, "last"), "z");
	db = json_object_get(o, "db");
	assert_string_equal(str(db, "user"), "svc");
	assert_string_equal(str(db, "port"), "5432");
	assert_string_equal(str(db, "after"), "1");
	assert_string_equal(str(json_object_get(db, "nested"), "deep"), "yes");
	json_decref(o);
	buf_release(&msg);
}

static void test_yaml_refuses_the_rest(void **state)
{
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
	    {"a: 1\nlist:\n  - x\n", "lists"},
	    {"a: 1\nb: &anchor x\n", "anchors"},
	    {"a: 1\nb: *alias\n", "aliases"},
	    {"a: 1\nb: !!str x\n", "tags"},
	    {"a: 1\nb: |\n  text\n", "block"},
	    {"a: 1\nb: [1, 2]\n", "flow"},
	    {"a: 1\na: 2\n", "twice"},
	    {"a: 1\n\tb: 2\n", "tabs"},
	    {"a:\n    b: 1\n  c: 2\n", "indentation"},
	    {"a: 1\nnot a mapping\n", "key: value"},
	    {"a: 1\nb: \"open\n", "quoted"},
	};
	struct buf msg = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(yaml(bad[i].text, ERR_INVALID, &msg));
		assert_non_null(strstr(buf_str(&msg), bad[i].why));
		assert_non_null(strstr(buf_str(&msg), "app.yaml line"));
	}
	buf_release(&msg);
}

static void test_flatten(void **state)
{
	json_t *doc =
	    json_loads("{\"top\":\"1\",\"n\":2,\"db\":{\"user\":\"u\","
	               "\"pass\":\"p\"},\"api\":{\"inner\":{\"x\":"
	               "\"y\"}},\"none\":{}}",
	               0, NULL);
	json_t *out = json_object(), *s;
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(import_flatten(doc, "app", out, &msg), ERR_OK);
	/* A level with only objects below it is no secret of its own. */
	assert_int_equal(json_object_size(out), 3);
	s = json_object_get(out, "app");
	assert_string_equal(str(s, "top"), "1");
	assert_int_equal(json_integer_value(json_object_get(s, "n")), 2);
	assert_null(json_object_get(s, "db"));
	assert_string_equal(str(json_object_get(out, "app/db"), "pass"), "p");
	assert_string_equal(str(json_object_get(out, "app/api/inner"), "x"),
	                    "y");
	assert_null(json_object_get(out, "app/api"));
	json_decref(out);

	/* At a mount's root, nested objects land at their own keys. */
	out = json_object();
	assert_int_equal(
	    import_flatten(json_object_get(doc, "db"), "", out, &msg), ERR_OK);
	assert_non_null(json_object_get(out, ""));
	json_decref(out);

	out = json_object();
	assert_int_equal(
	    import_flatten(json_object_get(doc, "top"), "x", out, &msg),
	    ERR_INVALID);
	json_decref(out);
	json_decref(doc);
	buf_release(&msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dotenv),
	    cmocka_unit_test(test_dotenv_errors),
	    cmocka_unit_test(test_yaml),
	    cmocka_unit_test(test_yaml_refuses_the_rest),
	    cmocka_unit_test(test_flatten),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
