/*
 * test_hcl.c - the HCL/JSON parser: trees of good inputs, positions and
 * reasons of bad ones, and block collection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "hcl/hcl.h"

/* ---- a compact text form of a tree ------------------------------------- */

static void dump_string(struct buf *b, const char *s, size_t n)
{
	size_t i;

	buf_append_byte(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			buf_append_str(b, "\\n");
		else if (c == '\t')
			buf_append_str(b, "\\t");
		else if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			buf_printf(b, "\\x%02x", c);
		else
			buf_append_byte(b, c);
	}
	buf_append_byte(b, '"');
}

static void dump_node(struct buf *b, const struct hcl_node *n);

static void dump_children(struct buf *b, const struct hcl_node *n)
{
	const struct hcl_node *c;
	size_t i;

	for (c = n->child; c != NULL; c = c->next) {
		if (c != n->child)
			buf_append_byte(b, n->type == HCL_LIST ? ',' : ' ');
		if (c->key != NULL) {
			buf_append_str(b, c->key);
			for (i = 0; i < c->n_labels; i++)
				dump_string(b, c->labels[i],
				            strlen(c->labels[i]));
			buf_append_byte(b, '=');
		}
		dump_node(b, c);
	}
}

static void dump_node(struct buf *b, const struct hcl_node *n)
{
	switch (n->type) {
	case HCL_OBJECT:
		buf_append_byte(b, '{');
		dump_children(b, n);
		buf_append_byte(b, '}');
		break;
	case HCL_LIST:
		buf_append_byte(b, '[');
		dump_children(b, n);
		buf_append_byte(b, ']');
		break;
	case HCL_STRING:
		assert_int_equal(strlen(n->str), n->len);
		dump_string(b, n->str, n->len);
		break;
	case HCL_INT:
		buf_printf(b, "%lld", (long long)n->i);
		break;
	case HCL_FLOAT:
		buf_printf(b, "%gf", n->f);
		break;
	case HCL_BOOL:
		buf_append_str(b, n->b ? "true" : "false");
		break;
	}
}

/* Parses text (which must succeed) and returns its dump; caller frees. */
static char *parse_dump(const char *text, size_t len)
{
	struct hcl_node *root = NULL;
	struct hcl_error err;
	struct buf b = BUF_INIT;
	err_t rc;

	rc = hcl_parse(text, len, &root, &err);
	if (rc != ERR_OK)
		fail_msg("parse failed: %d:%d: %s\ninput: %s", err.line,
		         err.col, err.msg, text);
	dump_node(&b, root);
	hcl_free(root);
	return buf_detach(&b);
}

/* ---- good inputs -------------------------------------------------------- */

struct good_case {
	const char *in;
	const char *tree;
};

static const struct good_case good[] = {
    {"", "{}"},
    {"  \n\t\r\n", "{}"},
    {"a = 1", "{a=1}"},
    /* a leading zero reads as octal, as HCL 1 does (file modes) */
    {"mode = 0600\nz = 00\nn = -017", "{mode=384 z=0 n=-15}"},
    {"a = \"x\"\nb = true\nc = false", "{a=\"x\" b=true c=false}"},
    /* comments of all three kinds, also between tokens */
    {"# hash\n// slashes\n/* block\n comment */ a = /* here */ 1 # tail\n"
     "b = 2 // tail",
     "{a=1 b=2}"},
    /* the policy examples */
    {"path \"secret/data/*\" { capabilities = [\"create\", \"read\"] "
     "allowed_parameters = { \"foo\" = [] \"*\" = [\"a\", \"b\"] } "
     "min_wrapping_ttl = \"1s\" }",
     "{path\"secret/data/*\"={capabilities=[\"create\",\"read\"] "
     "allowed_parameters={foo=[] *=[\"a\",\"b\"]} "
     "min_wrapping_ttl=\"1s\"}}"},
    {"path \"secret/*\" { policy = \"write\" }",
     "{path\"secret/*\"={policy=\"write\"}}"},
    /* repeated blocks keep all, in order; also repeated keys */
    {"path \"a\" {}\npath \"b\" { capabilities = [\"deny\"] }\n"
     "path \"a\" {}\nx = 1\nx = 2",
     "{path\"a\"={} path\"b\"={capabilities=[\"deny\"]} path\"a\"={} x=1 "
     "x=2}"},
    {"listener \"tcp\" {\n  address = \"127.0.0.1:8200\"\n}\n"
     "listener \"tcp\" {\n  address = \"[::1]:8200\"\n}\n",
     "{listener\"tcp\"={address=\"127.0.0.1:8200\"} "
     "listener\"tcp\"={address=\"[::1]:8200\"}}"},
    /* block forms: no label, two labels, '=' and Allman brace */
    {"a { b = 1 }\nc \"x\" \"y\" { }\nd = { e = 2 }\nf\n{\n}",
     "{a={b=1} c\"x\"\"y\"={} d={e=2} f={}}"},
    {"x \"1\" \"2\" \"3\" \"4\" \"5\" {}", "{x\"1\"\"2\"\"3\"\"4\"\"5\"={}}"},
    /* keys: bare with - and ., quoted, keyword-looking */
    {"a-b.c_d = 1\n\"quoted key\" = 2\n_x = 3\ntrue = 4",
     "{a-b.c_d=1 quoted key=2 _x=3 true=4}"},
    /* optional commas between members */
    {"o = { a = 1, b = 2, }", "{o={a=1 b=2}}"},
    /* numbers */
    {"a = 0\nb = -12\nc = 9223372036854775807\nd = -9223372036854775808\n"
     "e = 1.5\nf = -0.25\ng = 1e3\nh = 2.5E-1",
     "{a=0 b=-12 c=9223372036854775807 d=-9223372036854775808 e=1.5f "
     "f=-0.25f g=1000f h=0.25f}"},
    /* string escapes, \u with a surrogate pair, UTF-8 and tabs kept */
    {"s = \"q\\\" b\\\\ s\\/ n\\n t\\t r\\r \\u00e9 \\ud83d\\ude00 é\tx\"",
     "{s=\"q\\\" b\\\\ s/ n\\n t\\t r\\x0d é 😀 é\\tx\"}"},
    {"s = \"{{identity.entity.id}} ${x}\"",
     "{s=\"{{identity.entity.id}} ${x}\"}"},
    /* lists: empty, trailing comma, newlines, nesting, objects */
    {"l = []\nm = [\n  1,\n  \"two\",\n  [3],\n  { a = 4 },\n]",
     "{l=[] m=[1,\"two\",[3],{a=4}]}"},
    /* heredocs */
    {"h = <<EOF\nline one\n  line two\nEOF\nn = 1",
     "{h=\"line one\\n  line two\\n\" n=1}"},
    {"h = <<EOF\nEOF\n", "{h=\"\"}"},
    {"h = <<EOF\nnot EOF\nEOFX\nEOF", "{h=\"not EOF\\nEOFX\\n\"}"},
    {"x {\n  h = <<-POLICY\n    path \"a\" {\n      x = 1\n    }\n\n"
     "    POLICY\n}",
     "{x={h=\"path \\\"a\\\" {\\n  x = 1\\n}\\n\\n\"}}"},
    {"l = [<<EOF\na\nEOF\n, \"b\"]", "{l=[\"a\\n\",\"b\"]}"},
    /* CRLF line endings and a byte order mark */
    {"\xef\xbb\xbf"
     "a = 1\r\nh = <<EOF\r\nx\r\nEOF\r\n",
     "{a=1 h=\"x\\n\"}"},
    /* JSON documents */
    {"{}", "{}"},
    {"{\"path\": {\"secret/*\": {\"capabilities\": [\"read\", \"list\"]}},"
     " \"n\": -1.5, \"t\": true, \"e\": [], \"o\": {}}",
     "{path={secret/*={capabilities=[\"read\",\"list\"]}} n=-1.5f t=true "
     "e=[] o={}}"},
    {"\n  {\n\"a\" : \"\\u00e9\"\n}\n", "{a=\"é\"}"},
};

static void test_good_inputs(void **state)
{
	size_t i;
	char *tree;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		tree = parse_dump(good[i].in, strlen(good[i].in));
		if (strcmp(tree, good[i].tree) != 0)
			fail_msg("case %zu:\n input: %s\n want:  %s\n got:   "
			         "%s",
			         i, good[i].in, good[i].tree, tree);
		free(tree);
	}
}

/* ---- bad inputs --------------------------------------------------------- */

struct bad_case {
	const char *in;
	int line, col;
	const char *reason; /* a part of the message */
};

static const struct bad_case bad[] = {
    {"a = \"abc", 1, 5, "unterminated string"},
    {"a = \"abc\nb = 1", 1, 5, "unterminated string"},
    {"a = 1\nb = \"x\\qy\"", 2, 7, "invalid escape \"\\q\""},
    {"a = \"\\u12\"", 1, 6, "four hex digits"},
    {"a = \"\\ud800\"", 1, 6, "unpaired surrogate"},
    {"a = \"\\udc00\"", 1, 6, "unpaired surrogate"},
    {"a = \"\\u0000\"", 1, 6, "NUL"},
    {"a = \"x\x01y\"", 1, 7, "control character"},
    {"a = 1\nb\nc = 2", 2, 1, "missing '=' after \"b\""},
    {"a = 1\nb", 2, 1, "missing '=' after \"b\""},
    {"x {\n  address \"127.0.0.1\"\n}", 2, 3, "missing '=' after \"address\""},
    {"a\n= 1", 1, 1, "missing '=' after \"a\""},
    {"a\n\"b\" = 1", 1, 1, "missing '=' after \"a\""},
    {"\"a\\nb\"", 1, 1, "missing '=' after \"a?b\""},
    {"a = 1\nb =\n2", 2, 3, "missing value for \"b\""},
    {"a =", 1, 3, "missing value for \"a\""},
    {"a = }", 1, 5, "unexpected '}', expected a value"},
    {"a = foo", 1, 5, "strings need double quotes"},
    {"a = null", 1, 5, "null is not supported"},
    {"path \"x\" = 1", 1, 10, "block labels must be followed by '{'"},
    {"\n\na = [1, 2", 3, 10, "missing ']' for the list opened on line 3"},
    {"a = [1 2]", 1, 8, "expected ',' or ']'"},
    {"a = [,]", 1, 6, "expected a value"},
    {"a {\n b = 1\n", 3, 1, "missing '}' for the block opened on line 1"},
    {"}", 1, 1, "unexpected '}', expected a key"},
    {"a = 1,,", 1, 7, "expected a key"},
    {"= 1", 1, 1, "expected a key"},
    {"a = 1 @", 1, 7, "unexpected character '@'"},
    {"a = 0800", 1, 5, "invalid octal number: digit 8"},
    {"a = 01.5", 1, 5, "invalid octal number"},
    {"a = 07x", 1, 5, "invalid octal number"},
    {"a = 01777777777777777777777", 1, 5, "out of range"},
    {"a = 1.", 1, 5, "invalid number"},
    {"a = -", 1, 5, "invalid number"},
    {"a = 1e", 1, 5, "invalid number"},
    {"a = 10s", 1, 5, "text needs double quotes"},
    {"a = 1.2.3", 1, 5, "invalid number"},
    {"a = 9223372036854775808", 1, 5, "out of range"},
    {"a = -9223372036854775809", 1, 5, "out of range"},
    {"a = 1e999", 1, 5, "out of range"},
    {"a = 1\n/* open", 2, 1, "unterminated /* comment"},
    {"a = <<EOF\nx\n", 1, 5, "unterminated heredoc"},
    {"a = <<EOF\n  EOF\n", 1, 5, "unterminated heredoc"},
    {"a = << EOF\nEOF", 1, 5, "expected a marker"},
    {"a = <<EOF x\nEOF", 1, 5, "followed by a line break"},
    {"a = <<EOF", 1, 5, "followed by a line break"},
    /* JSON */
    {"{\"a\": 1,}", 1, 9, "trailing comma"},
    {"{\"a\": [1,]}", 1, 10, "trailing comma"},
    {"{\n\"a\" 1}", 2, 1, "missing ':' after \"a\""},
    {"{a: 1}", 1, 2, "expected a quoted key"},
    {"{\"a\" = 1}", 1, 2, "missing ':'"},
    {"{\"a\": 1 \"b\": 2}", 1, 9, "expected ',' or '}'"},
    {"{\"a\": 1}\nb = 2", 2, 1, "after the JSON object"},
    {"{\"a\": 1", 1, 8, "missing '}'"},
    {"{\"a\": <<EOF\nx\nEOF\n}", 1, 7, "unexpected character '<'"},
    {"{\"a\": null}", 1, 7, "null is not supported"},
    /* bytes */
    {"a = 1\r\n\xff", 2, 1, "invalid UTF-8"},
    {"a = \"\xc0\xaf\"", 1, 6, "invalid UTF-8"},
    {"a = \"\xed\xa0\x80\"", 1, 6, "invalid UTF-8"},
    {"a = \"é\xe9\"", 1, 7, "invalid UTF-8"},
};

static void check_bad(const char *in, size_t len, int line, int col,
                      const char *reason)
{
	struct hcl_node *root = (struct hcl_node *)1;
	struct hcl_error err;
	err_t rc;

	rc = hcl_parse(in, len, &root, &err);
	if (rc != ERR_INVALID || err.line != line ||
	    (col > 0 && err.col != col) || strstr(err.msg, reason) == NULL)
		fail_msg("input: %s\n want: %d:%d: ...%s...\n got:  rc %d "
		         "%d:%d: %s",
		         in, line, col, reason, rc, err.line, err.col, err.msg);
	assert_null(root);
}

static void test_bad_inputs(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_bad(bad[i].in, strlen(bad[i].in), bad[i].line, bad[i].col,
		          bad[i].reason);
}

static void test_nul_byte(void **state)
{
	static const char in[] = "a = 1\nb = \"x\0y\"";

	(void)state;
	check_bad(in, sizeof(in) - 1, 2, 7, "NUL byte");
}

/* Builds "a = [[[...]]]" with depth brackets. */
static char *nested(int depth)
{
	struct buf b = BUF_INIT;
	int i;

	buf_append_str(&b, "a = ");
	for (i = 0; i < depth; i++)
		buf_append_byte(&b, '[');
	for (i = 0; i < depth; i++)
		buf_append_byte(&b, ']');
	return buf_detach(&b);
}

static void test_depth_limit(void **state)
{
	struct hcl_node *root = NULL;
	struct hcl_error err;
	char *ok = nested(HCL_MAX_DEPTH), *deep = nested(HCL_MAX_DEPTH + 1);
	char *deeper = nested(100000);

	(void)state;
	assert_int_equal(hcl_parse(ok, strlen(ok), &root, &err), ERR_OK);
	hcl_free(root);
	check_bad(deep, strlen(deep), 1, 5 + HCL_MAX_DEPTH,
	          "nesting deeper than 100");
	check_bad(deeper, strlen(deeper), 1, 5 + HCL_MAX_DEPTH, "nesting");
	free(ok);
	free(deep);
	free(deeper);
}

static void test_size_limit(void **state)
{
	struct hcl_node *root = NULL;
	struct hcl_error err;
	size_t n = HCL_MAX_INPUT + 1;
	char *text = malloc(n);

	(void)state;
	assert_non_null(text);
	memset(text, '\n', n);
	check_bad(text, n, 0, 0, "input larger than");
	/* exactly the limit is fine */
	assert_int_equal(hcl_parse(text, n - 1, &root, &err), ERR_OK);
	assert_int_equal(root->n_children, 0);
	hcl_free(root);
	free(text);
}

/* ---- positions and the node API --------------------------------------- */

static void test_positions(void **state)
{
	static const char in[] = "# header\n"
	                         "path \"a/*\" {\n"
	                         "  capabilities = [\n"
	                         "    \"read\",\n"
	                         "    \"list\"]\n"
	                         "}\n"
	                         "\tname = \"é\" # col counts characters\n";
	struct hcl_node *root = NULL;
	const struct hcl_node *path, *caps, *item;
	struct hcl_error err;

	(void)state;
	assert_int_equal(hcl_parse(in, sizeof(in) - 1, &root, &err), ERR_OK);
	assert_int_equal(root->n_children, 2);
	path = hcl_get(root, "path");
	assert_non_null(path);
	assert_int_equal(path->line, 2);
	assert_int_equal(path->col, 1);
	assert_int_equal(path->n_labels, 1);
	assert_string_equal(path->labels[0], "a/*");
	caps = hcl_get(path, "capabilities");
	assert_int_equal(caps->line, 3);
	assert_int_equal(caps->col, 3);
	assert_int_equal(caps->type, HCL_LIST);
	assert_int_equal(caps->n_children, 2);
	item = caps->child->next;
	assert_int_equal(item->line, 5);
	assert_int_equal(item->col, 5);
	assert_string_equal(item->str, "list");
	assert_int_equal(hcl_get(root, "name")->col, 2);
	assert_null(hcl_get(root, "nope"));
	assert_null(hcl_get(item, "x"));
	hcl_free(root);
}

static void test_bare_non_ascii_key_rejected(void **state)
{
	(void)state;
	check_bad("é = 1", strlen("é = 1"), 1, 1,
	          "unexpected character (byte 0xc3)");
}

static void test_count_and_types(void **state)
{
	static const char in[] = "a = 1\nb = 2\na = 3\n";
	struct hcl_node *root = NULL;
	struct hcl_error err;

	(void)state;
	assert_int_equal(hcl_parse(in, sizeof(in) - 1, &root, &err), ERR_OK);
	assert_int_equal(hcl_count(root, "a"), 2);
	assert_int_equal(hcl_count(root, "c"), 0);
	assert_int_equal(hcl_get(root, "a")->i, 1);
	assert_string_equal(hcl_type_name(HCL_LIST), "list");
	assert_string_equal(hcl_type_name(HCL_FLOAT), "number");
	hcl_free(root);
	hcl_free(NULL);
	/* NULL text with no length is an empty document */
	assert_int_equal(hcl_parse(NULL, 0, &root, NULL), ERR_OK);
	hcl_free(root);
	assert_int_equal(hcl_parse("a =", 3, &root, NULL), ERR_INVALID);
	assert_null(root);
}

/* ---- blocks -------------------------------------------------------------- */

/* The blocks named name as "label,label:key1,key2;" per block. */
static char *blocks_dump(const char *in, const char *name, size_t n_labels,
                         err_t want_rc, struct hcl_error *err)
{
	struct hcl_node *root = NULL;
	struct hcl_block *blocks = NULL;
	const struct hcl_node *m;
	struct buf b = BUF_INIT;
	size_t n = 0, i, j;

	assert_int_equal(hcl_parse(in, strlen(in), &root, err), ERR_OK);
	assert_int_equal(hcl_blocks(root, name, n_labels, &blocks, &n, err),
	                 want_rc);
	for (i = 0; i < n; i++) {
		for (j = 0; j < n_labels; j++)
			buf_printf(&b, "%s%s", j ? "," : "",
			           blocks[i].labels[j]);
		buf_printf(&b, "@%d:", blocks[i].line);
		for (m = blocks[i].body->child; m != NULL; m = m->next)
			buf_printf(&b, "%s%s",
			           m == blocks[i].body->child ? "" : ",",
			           m->key);
		buf_append_byte(&b, ';');
	}
	free(blocks);
	hcl_free(root);
	return buf_detach(&b);
}

static void test_blocks_hcl_and_json_agree(void **state)
{
	static const char hcl[] =
	    "path \"a/*\" {\n capabilities = [\"read\"]\n}\n"
	    "other = 1\n"
	    "path \"b\" { policy = \"deny\" }\n";
	static const char json[] =
	    "{\"path\": {\n"
	    "  \"a/*\": {\"capabilities\": [\"read\"]},\n"
	    "  \"b\": {\"policy\": \"deny\"}\n"
	    "}, \"other\": 1}";
	static const char hcl_nested[] =
	    "path = {\n \"a/*\" = { capabilities = [\"read\"] }\n"
	    " b { policy = \"deny\" }\n}";
	struct hcl_error err;
	char *got;

	(void)state;
	got = blocks_dump(hcl, "path", 1, ERR_OK, &err);
	assert_string_equal(got, "a/*@1:capabilities;b@5:policy;");
	free(got);
	got = blocks_dump(json, "path", 1, ERR_OK, &err);
	assert_string_equal(got, "a/*@2:capabilities;b@3:policy;");
	free(got);
	got = blocks_dump(hcl_nested, "path", 1, ERR_OK, &err);
	assert_string_equal(got, "a/*@2:capabilities;b@3:policy;");
	free(got);
	got = blocks_dump(hcl, "missing", 1, ERR_OK, &err);
	assert_string_equal(got, "");
	free(got);
}

static void test_blocks_lists_and_labels(void **state)
{
	static const char json[] =
	    "{\"listener\": [{\"tcp\": {\"address\": \"a\"}},\n"
	    "{\"tcp\": {\"address\": \"b\", \"tls_disable\": true}}]}";
	static const char two[] = "x \"a\" \"b\" { k = 1 }\n"
	                          "x \"c\" { \"d\" { k = 2 } }\n"
	                          "x = { e = { f = { k = 3 } } }\n";
	struct hcl_error err;
	char *got;

	(void)state;
	got = blocks_dump(json, "listener", 1, ERR_OK, &err);
	assert_string_equal(got, "tcp@1:address;tcp@2:address,tls_disable;");
	free(got);
	got = blocks_dump(two, "x", 2, ERR_OK, &err);
	assert_string_equal(got, "a,b@1:k;c,d@2:k;e,f@3:k;");
	free(got);
	got = blocks_dump("seal { a = 1 }\nseal { b = 2 }", "seal", 0, ERR_OK,
	                  &err);
	assert_string_equal(got, "@1:a;@2:b;");
	free(got);
}

static void test_blocks_errors(void **state)
{
	static const struct {
		const char *in;
		size_t n_labels;
		int line;
		const char *reason;
	} cases[] = {
	    {"a = 1\nb \"x\" \"y\" {}", 1, 2, "has too many labels"},
	    {"b {}", 1, 1, "needs more labels"},
	    {"b {\n k = \"v\"\n}", 1, 2, "needs more labels"},
	    {"b = \"x\"", 0, 1, "must be an object"},
	    {"b = [1]", 0, 1, "must be an object"},
	    {"b {\n x \"y\" {} }", 1, 2, "has too many labels"},
	};
	struct hcl_error err;
	size_t i;
	char *got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = blocks_dump(cases[i].in, "b", cases[i].n_labels,
		                  ERR_INVALID, &err);
		if (got[0] != 0 || err.line != cases[i].line ||
		    strstr(err.msg, cases[i].reason) == NULL)
			fail_msg("case %zu: got %d: %s", i, err.line, err.msg);
		free(got);
		assert_non_null(strstr(err.msg, "block \"b\""));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_inputs),
	    cmocka_unit_test(test_bad_inputs),
	    cmocka_unit_test(test_nul_byte),
	    cmocka_unit_test(test_depth_limit),
	    cmocka_unit_test(test_size_limit),
	    cmocka_unit_test(test_positions),
	    cmocka_unit_test(test_bare_non_ascii_key_rejected),
	    cmocka_unit_test(test_count_and_types),
	    cmocka_unit_test(test_blocks_hcl_and_json_agree),
	    cmocka_unit_test(test_blocks_lists_and_labels),
	    cmocka_unit_test(test_blocks_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
