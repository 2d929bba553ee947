/*
 * test_template.c - the agent's template engine: every construct and
 * function a Vault Agent template uses, rendered against a fake secret
 * source with a KV v2 secret, a KV v1 secret, leased database
 * credentials, a write with parameters and a login; whitespace trimming
 * to the byte; and the errors a user sees, with their "name:line:"
 * prefix, at parse time and at render time, limits included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/template.h"
#include "base/buf.h"

/* ---- the fake secret source ------------------------------------------- */

struct fake {
	int calls;      /* secret callbacks made */
	int db_serial;  /* each database read is a new lease */
	json_t *params; /* the last write's parameters */
};

static struct fake fake;

static json_t *kv2_app(void)
{
	return json_pack(
	    "{s:s, s:s, s:i, s:b, s:{s:{s:s, s:s, s:i, s:f, s:b, s:s, s:n, "
	    "s:[s,s]}, s:{s:i, s:s}}, s:n}",
	    "request_id", "req-kv", "lease_id", "", "lease_duration", 0,
	    "renewable", 0, "data", "data", "username", "app", "password",
	    "p<a>ss&w0rd", "port", 5432, "ratio", 0.5, "enabled", 1, "empty",
	    "", "nothing", "tags", "blue", "green", "metadata", "version", 3,
	    "created_time", "2024-01-02T03:04:05Z", "warnings");
}

static json_t *db_creds(void)
{
	char lease[64], user[32], pw[32];

	fake.db_serial++;
	snprintf(lease, sizeof(lease), "database/creds/ro/L%d", fake.db_serial);
	snprintf(user, sizeof(user), "v-ro-%d", fake.db_serial);
	snprintf(pw, sizeof(pw), "pw-%d", fake.db_serial);
	return json_pack(
	    "{s:s, s:s, s:i, s:b, s:{s:s, s:s}, s:[s]}", "request_id", "req-db",
	    "lease_id", lease, "lease_duration", 3600, "renewable", 1, "data",
	    "username", user, "password", pw, "warnings", "short ttl");
}

static json_t *login(void)
{
	return json_pack("{s:s, s:n, s:{s:s, s:s, s:[s,s], s:i, s:b}}",
	                 "request_id", "req-login", "data", "auth",
	                 "client_token", "s.token", "accessor", "acc-1",
	                 "policies", "default", "app", "lease_duration", 60,
	                 "renewable", 1);
}

static err_t fake_secret(void *ctx, const char *path, const json_t *params,
                         json_t **out, struct buf *errmsg)
{
	(void)ctx;
	fake.calls++;
	if (params != NULL) {
		json_decref(fake.params);
		fake.params = json_deep_copy(params);
	}
	if (strcmp(path, "secret/data/app") == 0)
		*out = kv2_app();
	else if (strcmp(path, "secret/app") == 0)
		*out = json_pack("{s:{s:s}}", "data", "api_key", "k-123");
	else if (strcmp(path, "database/creds/ro") == 0)
		*out = db_creds();
	else if (strcmp(path, "auth/approle/login") == 0)
		*out = login();
	else if (strcmp(path, "pki/issue/web") == 0)
		*out = json_pack("{s:{s:s}}", "data", "certificate", "CERT");
	else if (strcmp(path, "secret/data/shape") == 0)
		*out = json_pack("[i]", 1);
	else if (strcmp(path, "secret/data/silent") == 0)
		return ERR_UNAVAILABLE;
	else {
		buf_append_str(errmsg, "permission denied");
		return ERR_PERMISSION;
	}
	return ERR_OK;
}

static err_t fake_list(void *ctx, const char *path, json_t **out,
                       struct buf *errmsg)
{
	(void)ctx;
	if (strcmp(path, "secret/metadata/") == 0) {
		*out = json_pack("[s,s,s]", "app", "db/", "web");
		return ERR_OK;
	}
	if (strcmp(path, "secret/metadata/odd") == 0) {
		*out = json_pack("[i]", 7);
		return ERR_OK;
	}
	buf_append_str(errmsg, "no such path");
	return ERR_NOT_FOUND;
}

static char *const test_environ[] = {"HOME=/home/app", "EMPTY=", "EQ=a=b",
                                     NULL};

static const struct tmpl_env env = {fake_secret, fake_list, NULL,
                                    (char *const *)test_environ};

static int reset(void **state)
{
	(void)state;
	json_decref(fake.params);
	memset(&fake, 0, sizeof(fake));
	return 0;
}

/* ---- helpers -------------------------------------------------------- */

/* Parses and renders src; the output or the reason lands in *out. */
static err_t run_env(const char *src, const struct tmpl_env *e, char **out,
                     bool *parsed)
{
	struct buf text = BUF_INIT, why = BUF_INIT;
	struct tmpl *t = NULL;
	err_t rc;

	rc = tmpl_parse("t.tpl", src, strlen(src), &t, &why);
	*parsed = rc == ERR_OK;
	if (rc == ERR_OK) {
		rc = tmpl_render(t, e, &text, &why);
		tmpl_free(t);
	} else {
		assert_null(t);
	}
	*out = buf_detach(rc == ERR_OK ? &text : &why);
	buf_release(&text);
	buf_release(&why);
	return rc;
}

static void expect(const char *src, const char *want)
{
	bool parsed;
	char *got = NULL;
	err_t rc = run_env(src, &env, &got, &parsed);

	if (rc != ERR_OK)
		fail_msg("%s: %s", src, got);
	assert_string_equal(got, want);
	free(got);
}

static void expect_parse_error(const char *src, const char *want)
{
	bool parsed;
	char *got = NULL;
	err_t rc = run_env(src, &env, &got, &parsed);

	assert_int_equal(rc, ERR_INVALID);
	assert_false(parsed);
	assert_string_equal(got, want);
	free(got);
}

static void expect_render_error(const char *src, err_t code, const char *want)
{
	bool parsed;
	char *got = NULL;
	err_t rc = run_env(src, &env, &got, &parsed);

	assert_int_equal(rc, code);
	assert_true(parsed);
	assert_string_equal(got, want);
	free(got);
}

/* ---- reading secrets ------------------------------------------------- */

static void test_text_only(void **state)
{
	(void)state;
	expect("", "");
	expect("plain text, no actions\n", "plain text, no actions\n");
	expect("a { b } c", "a { b } c");
}

static void test_kv2_fields(void **state)
{
	(void)state;
	expect("{{ with secret \"secret/data/app\" }}"
	       "{{ .Data.data.username }}:{{ .Data.data.password }}"
	       "@db:{{ .Data.data.port }} v{{ .Data.metadata.version }}"
	       "{{ end }}",
	       "app:p<a>ss&w0rd@db:5432 v3");
	/* Numbers as JSON writes them, bools, lists as JSON. */
	expect("{{ with secret \"secret/data/app\" }}{{ .Data.data.ratio }} "
	       "{{ .Data.data.enabled }} {{ .Data.data.tags }}{{ end }}",
	       "0.5 true [\"blue\",\"green\"]");
	/* A missing key, a null, and anything below them: no value. */
	expect("{{ with secret \"secret/data/app\" }}{{ .Data.data.nope }} "
	       "{{ .Data.data.nothing }} {{ .Data.nope.deeper.still }}"
	       "{{ end }}",
	       "<no value> <no value> <no value>");
	/* KV v1: the secret's keys sit right under .Data. */
	expect("{{ with secret \"secret/app\" }}{{ .Data.api_key }}{{ end }}",
	       "k-123");
	/* A secret straight in a pipeline, with a field chain on parens. */
	expect("{{ (secret \"secret/data/app\").Data.data.username }}", "app");
	/* The whole data object prints as compact JSON, keys sorted. */
	expect("{{ (secret \"secret/app\").Data }}", "{\"api_key\":\"k-123\"}");
}

static void test_leased_response_fields(void **state)
{
	(void)state;
	expect("{{ with secret \"database/creds/ro\" }}{{ .Data.username }}/"
	       "{{ .Data.password }} {{ .LeaseID }} {{ .LeaseDuration }} "
	       "{{ .Renewable }} {{ .RequestID }} {{ .Warnings }}{{ end }}",
	       "v-ro-1/pw-1 database/creds/ro/L1 3600 true req-db "
	       "[\"short ttl\"]");
	/* Zero values for what a response lacks. */
	expect("{{ with secret \"secret/app\" }}[{{ .LeaseID }}] "
	       "{{ .LeaseDuration }} {{ .Renewable }} {{ .Warnings }} "
	       "{{ .Auth }}{{ end }}",
	       "[] 0 false [] <no value>");
	/* The response is a struct: a field it lacks is an error. */
	expect_render_error(
	    "{{ with secret \"secret/data/app\" }}\n{{ .data.password }}"
	    "{{ end }}",
	    ERR_INVALID,
	    "t.tpl:2: can't evaluate field data in a secret "
	    "response");
}

static void test_same_secret_read_once_per_render(void **state)
{
	(void)state;
	/* Username and password from two blocks must be one lease. */
	expect("{{ with secret \"database/creds/ro\" }}{{ .Data.username }}"
	       "{{ end }}:{{ with secret \"database/creds/ro\" }}"
	       "{{ .Data.password }}{{ end }}",
	       "v-ro-1:pw-1");
	assert_int_equal(fake.calls, 1);
	/* The next render asks again. */
	expect("{{ (secret \"database/creds/ro\").Data.username }}", "v-ro-2");
	assert_int_equal(fake.calls, 2);
}

static void test_secret_write_with_params(void **state)
{
	json_t *want;

	(void)state;
	expect(
	    "{{ with secret \"pki/issue/web\" \"common_name=web.example.com\" "
	    "\"ttl=24h\" \"alt_names=a=b\" }}{{ .Data.certificate }}"
	    "{{ end }}",
	    "CERT");
	want = json_pack("{s:s, s:s, s:s}", "common_name", "web.example.com",
	                 "ttl", "24h", "alt_names", "a=b");
	assert_true(json_equal(fake.params, want));
	json_decref(want);

	/* Other parameters are another call. */
	expect(
	    "{{ (secret \"pki/issue/web\" \"common_name=a\").Data.certificate"
	    " }}{{ (secret \"pki/issue/web\" \"common_name=b\")"
	    ".Data.certificate }}",
	    "CERTCERT");
	assert_int_equal(fake.calls, 3);

	/* A parameter without '=': the message does not echo it. */
	expect_render_error("{{ secret \"pki/issue/web\" \"hunter2\" }}",
	                    ERR_INVALID,
	                    "t.tpl:1: secret: parameter 1 is not key=value");
}

static void test_login_response_auth(void **state)
{
	(void)state;
	expect("{{ with secret \"auth/approle/login\" \"role_id=r\" "
	       "\"secret_id=s\" }}{{ .Auth.ClientToken }} {{ .Auth.Accessor }} "
	       "{{ .Auth.Policies }} {{ .Auth.LeaseDuration }} "
	       "{{ .Auth.Renewable }} {{ .Data }}{{ end }}",
	       "s.token acc-1 [\"default\",\"app\"] 60 true <no value>");
	expect_render_error("{{ (secret \"auth/approle/login\").Auth.Token }}",
	                    ERR_INVALID,
	                    "t.tpl:1: can't evaluate field Token in a secret "
	                    "response");
}

static void test_secrets_list(void **state)
{
	(void)state;
	expect("{{ range secrets \"secret/metadata/\" }}[{{ . }}]{{ end }}",
	       "[app][db/][web]");
	expect("{{ secrets \"secret/metadata/\" | join \",\" }}",
	       "app,db/,web");
	expect_render_error(
	    "{{ secrets \"secret/metadata/x\" }}", ERR_NOT_FOUND,
	    "t.tpl:1: secrets: secret/metadata/x: no such path");
	expect_render_error("{{ secrets \"secret/metadata/odd\" }}",
	                    ERR_INTERNAL,
	                    "t.tpl:1: secrets: secret/metadata/odd: the answer "
	                    "is not a list of keys");
}

static void test_secret_failures(void **state)
{
	struct tmpl_env none = {NULL, NULL, NULL, NULL};
	bool parsed;
	char *got = NULL;

	(void)state;
	expect_render_error("ok\n{{ with secret \"secret/data/denied\" }}"
	                    "{{ end }}",
	                    ERR_PERMISSION,
	                    "t.tpl:2: secret: secret/data/denied: permission "
	                    "denied");
	/* No reason from the source: the error's name stands in. */
	expect_render_error("{{ secret \"secret/data/silent\" }}",
	                    ERR_UNAVAILABLE,
	                    "t.tpl:1: secret: secret/data/silent: service "
	                    "unavailable");
	expect_render_error("{{ secret \"secret/data/shape\" }}", ERR_INTERNAL,
	                    "t.tpl:1: secret: secret/data/shape: the response "
	                    "is not an object");
	expect_render_error("{{ secret \"\" }}", ERR_INVALID,
	                    "t.tpl:1: secret: bad path");
	expect_render_error("{{ secret 12 }}", ERR_INVALID,
	                    "t.tpl:1: secret: expected a string, got int");

	/* Without a source, secret and secrets fail the render. */
	assert_int_equal(
	    run_env("{{ secret \"secret/app\" }}", &none, &got, &parsed),
	    ERR_UNSUPPORTED);
	assert_string_equal(got,
	                    "t.tpl:1: secret: secret/app: no secret source");
	free(got);
	assert_int_equal(
	    run_env("{{ secrets \"secret/\" }}", NULL, &got, &parsed),
	    ERR_UNSUPPORTED);
	free(got);
}

/* Output written before a failure stays in the buffer for the caller. */
static void test_partial_output_on_failure(void **state)
{
	struct buf out = BUF_INIT, why = BUF_INIT;
	struct tmpl *t = NULL;
	const char *src = "before {{ secret \"secret/data/denied\" }} after";

	(void)state;
	assert_int_equal(tmpl_parse("p", src, strlen(src), &t, &why), ERR_OK);
	assert_int_equal(buf_append_str(&out, "kept|"), ERR_OK);
	assert_int_equal(tmpl_render(t, &env, &out, &why), ERR_PERMISSION);
	assert_string_equal(buf_str(&out), "kept|before ");
	/* Only the first reason is recorded. */
	assert_string_equal(buf_str(&why),
	                    "p:1: secret: secret/data/denied: permission "
	                    "denied");
	tmpl_free(t);
	tmpl_free(NULL);
	buf_release(&out);
	buf_release(&why);
}

/* ---- the language ------------------------------------------------------ */

static void test_whitespace_trimming(void **state)
{
	(void)state;
	/* Spaces, tabs, CRs and newlines go, on the marked side only. */
	expect("a \t\r\n {{- \"x\" }} b", "ax b");
	expect("a {{ \"x\" -}} \t\r\n b", "a xb");
	expect("a \n {{- \"x\" -}} \n b", "axb");
	/* The usual block layout leaves one line per item. */
	expect("list:\n{{- range $i, $e := split \",\" \"a,b\" }}\n"
	       "- {{ $e }}\n{{- end }}\nend\n",
	       "list:\n- a\n- b\nend\n");
	/* A dash not followed by a space is a number, not a marker. */
	expect("x {{-3}} y", "x -3 y");
	expect("x {{- -3 -}} y", "x-3y");
	/* Trimming reaches across several lines, not beyond the text. */
	expect("1\n\n\n{{- /* gone */ -}}\n\n\n2", "12");
	expect("{{ \"a\" -}}{{ \"b\" }}", "ab");
	/* Comments print nothing and keep the text around them. */
	expect("a {{/* note */}} b", "a  b");
	expect("a {{- /* a\nmulti-line\nnote */}} b", "a b");
}

static void test_range(void **state)
{
	(void)state;
	/* Objects in sorted key order, with key and value variables. */
	expect("{{ range $k, $v := (secret \"secret/data/app\").Data.data }}"
	       "{{ $k }},{{ end }}",
	       "empty,enabled,nothing,password,port,ratio,tags,username,");
	expect("{{ range $k, $v := parseJSON `{\"b\":2,\"a\":1,\"c\":3}` }}"
	       "{{ $k }}={{ $v }};{{ end }}",
	       "a=1;b=2;c=3;");
	/* One variable is the element; dot is the element too. */
	expect("{{ range $v := parseJSON `{\"b\":2,\"a\":1}` }}{{ $v }}{{ . }}"
	       "{{ end }}",
	       "1122");
	/* Arrays in order, with index and element. */
	expect("{{ range $i, $e := parseJSON `[\"x\",\"y\",\"z\"]` }}"
	       "{{ $i }}:{{ $e }} {{ end }}",
	       "0:x 1:y 2:z ");
	/* Empty, null and missing run the else branch. */
	expect("{{ range parseJSON `[]` }}x{{ else }}empty{{ end }}", "empty");
	expect("{{ range parseJSON `{}` }}x{{ else }}empty{{ end }}", "empty");
	expect("{{ range .Nothing }}x{{ else }}none{{ end }}", "none");
	/* An integer n counts 0..n-1. */
	expect(
	    "{{ range 3 }}{{ . }}{{ end }}|{{ range 0 }}x{{ else }}0{{ end }}",
	    "012|0");
	/* break and continue. */
	expect("{{ range $e := parseJSON `[1,2,3,4,5]` }}"
	       "{{ if eq $e 2 }}{{ continue }}{{ end }}"
	       "{{ if eq $e 4 }}{{ break }}{{ end }}{{ $e }}{{ end }}",
	       "13");
	expect_render_error("{{ range \"abc\" }}{{ end }}", ERR_INVALID,
	                    "t.tpl:1: range can't iterate over string");
	expect_render_error("{{ range $i, $e := 3 }}{{ end }}", ERR_INVALID,
	                    "t.tpl:1: can't use two variables ranging over an "
	                    "int");
}

static void test_nested_blocks(void **state)
{
	(void)state;
	expect("{{ with secret \"secret/data/app\" }}"
	       "{{ range .Data.data.tags }}{{ . }}@v"
	       "{{ with $.Missing }}x{{ else }}{{ $.X }}{{ end }};{{ end }}"
	       "{{ end }}",
	       "blue@v<no value>;green@v<no value>;");
	/* Inner ranges see the outer variables. */
	expect("{{ range $i, $a := parseJSON `[[1,2],[3]]` }}"
	       "{{ range $b := $a }}{{ $i }}.{{ $b }} {{ end }}{{ end }}",
	       "0.1 0.2 1.3 ");
	/* A with inside a range inside a with: dot follows each block. */
	expect("{{ with parseJSON `{\"l\":[{\"n\":\"a\"},{\"n\":\"\"}]}` }}"
	       "{{ range .l }}{{ with .n }}<{{ . }}>{{ else }}-{{ end }}"
	       "{{ end }}{{ end }}",
	       "<a>-");
}

static void test_if_with_else(void **state)
{
	(void)state;
	expect("{{ if true }}a{{ end }}{{ if false }}b{{ end }}", "a");
	expect("{{ if 0 }}a{{ else if \"\" }}b{{ else if 2 }}c{{ else }}d"
	       "{{ end }}",
	       "c");
	expect("{{ if 0 }}a{{ else if 0 }}b{{ else }}d{{ end }}", "d");
	expect("{{ with \"x\" }}[{{ . }}]{{ else }}none{{ end }}", "[x]");
	expect("{{ with \"\" }}x{{ else with 0 }}y{{ else with \"z\" }}{{ . }}"
	       "{{ end }}",
	       "z");
	expect("{{ with .Missing }}x{{ else }}dot is {{ . }}{{ end }}",
	       "dot is <no value>");
}

static void test_truthiness(void **state)
{
	(void)state;
	/* false, 0, 0.0, "", empty list/map, null: false. */
	expect("{{ if false }}T{{ else }}F{{ end }}"
	       "{{ if 0 }}T{{ else }}F{{ end }}"
	       "{{ if 0.0 }}T{{ else }}F{{ end }}"
	       "{{ if \"\" }}T{{ else }}F{{ end }}"
	       "{{ if parseJSON `[]` }}T{{ else }}F{{ end }}"
	       "{{ if parseJSON `{}` }}T{{ else }}F{{ end }}"
	       "{{ if .Missing }}T{{ else }}F{{ end }}",
	       "FFFFFFF");
	expect("{{ if true }}T{{ else }}F{{ end }}"
	       "{{ if -1 }}T{{ else }}F{{ end }}"
	       "{{ if 0.5 }}T{{ else }}F{{ end }}"
	       "{{ if \"0\" }}T{{ else }}F{{ end }}"
	       "{{ if \" \" }}T{{ else }}F{{ end }}"
	       "{{ if parseJSON `[0]` }}T{{ else }}F{{ end }}"
	       "{{ if parseJSON `{\"a\":null}` }}T{{ else }}F{{ end }}",
	       "TTTTTTT");
	expect("{{ not 0 }} {{ not \"x\" }}", "true false");
}

static void test_variables_and_scope(void **state)
{
	(void)state;
	/* A declaration prints nothing; the variable prints its value. */
	expect("{{ $x := \"v\" }}[{{ $x }}]", "[v]");
	/* = changes the outer variable from inside a block. */
	expect("{{ $n := 1 }}{{ if true }}{{ $n = 2 }}{{ end }}{{ $n }}", "2");
	/* := inside a block shadows, and ends with the block. */
	expect("{{ $n := 1 }}{{ if true }}{{ $n := 5 }}{{ $n }}{{ end }}"
	       "{{ $n }}",
	       "51");
	/* A variable declared in a block's pipeline reaches its else. */
	expect("{{ if $v := \"\" }}yes{{ else }}[{{ $v }}]{{ end }}", "[]");
	expect("{{ with $s := secret \"secret/app\" }}{{ $s.Data.api_key }}"
	       "{{ end }}",
	       "k-123");
	/* $ is the root, null for templates: data comes from functions. */
	expect("{{ $ }}|{{ . }}", "<no value>|<no value>");
	/* Out of scope after its block's end. */
	expect_parse_error("{{ if true }}{{ $x := 1 }}{{ end }}{{ $x }}",
	                   "t.tpl:1: undefined variable \"$x\"");
	expect_parse_error("{{ $y = 1 }}",
	                   "t.tpl:1: undefined variable \"$y\"");
	/* Variables of a range's body do not leak into its else. */
	expect_parse_error(
	    "{{ range 1 }}{{ $z := 1 }}{{ else }}{{ $z }}{{ end }}",
	    "t.tpl:1: undefined variable \"$z\"");
	/* A variable holding a string has no fields. */
	expect_render_error("{{ $s := \"x\" }}{{ $s.y }}", ERR_INVALID,
	                    "t.tpl:1: can't evaluate field y in type string");
}

static void test_pipelines_and_literals(void **state)
{
	(void)state;
	/* The piped value is the last argument. */
	expect("{{ \"abc\" | printf \"%s-%s\" \"x\" }}", "x-abc");
	expect("{{ \"abc\" | len | printf \"%03d\" }}", "003");
	expect("{{ printf \"%d\" (len (printf \"%s%s\" \"ab\" \"c\")) }}", "3");
	/* String escapes, raw strings, characters, numbers, bools. */
	expect("{{ \"t\\tn\\\\q\\\"\\x41\\101\\u00e9\" }}", "t\tn\\q\"AAé");
	expect("{{ `raw \\n {{ }}` }}", "raw \\n {{ }}");
	expect("{{ 'a' }} {{ '\\n' }}", "97 10");
	expect("{{ 42 }} {{ -7 }} {{ 0x1F }} {{ 0o17 }} {{ 017 }} {{ 0b101 }} "
	       "{{ 1_000 }} {{ 1.5 }} {{ 2e3 }} {{ .25 }}",
	       "42 -7 31 15 15 5 1000 1.5 2000 0.25");
	expect("{{ true }} {{ false }}", "true false");
	/* A newline inside an action is whitespace. */
	expect("{{ printf \"%s\"\n  \"multi-line\" }}", "multi-line");
}

/* ---- functions ---------------------------------------------------------- */

static void test_printf(void **state)
{
	(void)state;
	expect("{{ printf \"%s|%v|%d|%q|%x|%X|%o|%b|%c|%t\" \"s\" 1.5 42 "
	       "\"a\\\"b\\n\" 255 \"hi\" 8 5 65 true }}",
	       "s|1.5|42|\"a\\\"b\\n\"|ff|6869|10|101|A|true");
	expect("{{ printf \"[%5s][%-5s][%05d][%+d][% d][%.2f][%8.3f][%.1s]\" "
	       "\"ab\" \"ab\" 42 3 3 3.14159 -2.5 \"xyz\" }}",
	       "[   ab][ab   ][00042][+3][ 3][3.14][  -2.500][x]");
	expect("{{ printf \"%e|%g|%g|%G|%.3g|%%|%*d|%-*d|\" 1234.5 0.000012 "
	       "100000 1e6 1234.5 4 7 3 8 }}",
	       "1.234500e+03|1.2e-05|100000|1E+06|1.23e+03|%|   7|8  |");
	/* %s prints numbers and bools as text, maps as JSON. */
	expect("{{ with secret \"secret/data/app\" }}{{ printf \"%s:%s:%s\" "
	       ".Data.data.port .Data.data.enabled .Data.metadata }}{{ end }}",
	       "5432:true:{\"created_time\":\"2024-01-02T03:04:05Z\","
	       "\"version\":3}");
	/* Go's complaints, in band. */
	expect("{{ printf \"%d %s\" }}", "%!d(MISSING) %!s(MISSING)");
	expect("{{ printf \"%d\" 1 \"x\" nil }}", "1%!(EXTRA string=x, <nil>)");
	expect("{{ printf \"%d|%t|%z|%s\" \"x\" 1 2 nil }}",
	       "%!d(string=x)|%!t(int=1)|%!z(int=2)|%!s(<nil>)");
	expect("{{ printf \"%\" }}|{{ printf \"%v\" nil }}",
	       "%!(NOVERB)|<nil>");
	expect("{{ printf \"%#q|%q\" \"a b\" \"\\x01\" }}", "`a b`|\"\\x01\"");
	/* A width past Go's bound is refused, not allocated. */
	expect("{{ printf \"%9999999d\" 1 }}", "%!(BADWIDTH)1");
}

static void test_print_println(void **state)
{
	(void)state;
	/* print puts spaces only between two operands that are not strings. */
	expect("{{ print 1 2 \"a\" \"b\" 3 true }}", "1 2ab3 true");
	expect("{{ print }}|{{ print nil }}", "|<nil>");
	expect("{{ println \"a\" 1 }}", "a 1\n");
}

static void test_comparisons(void **state)
{
	(void)state;
	expect(
	    "{{ eq 1 1 }} {{ eq 1 2 }} {{ eq 1 3 2 1 }} {{ eq \"a\" \"a\" }} "
	    "{{ eq 1 1.0 }} {{ eq true true }} {{ eq nil nil }} "
	    "{{ eq .Missing \"x\" }}",
	    "true false true true true true true false");
	/* A number equals its text, as in consul-template. */
	expect("{{ with secret \"secret/data/app\" }}"
	       "{{ eq .Data.data.port \"5432\" }} {{ eq .Data.data.port 5432 }}"
	       "{{ end }}",
	       "true true");
	expect("{{ ne 1 2 }} {{ ne \"a\" \"a\" }}", "true false");
	expect(
	    "{{ lt 1 2 }} {{ le 2 2 }} {{ gt 1.5 1 }} {{ ge 1 2 }} "
	    "{{ lt \"abc\" \"abd\" }} {{ lt \"ab\" \"abc\" }} {{ gt \"b\" \"a\" }}",
	    "true true true false true true true");
	expect_render_error("{{ lt 1 \"a\" }}", ERR_INVALID,
	                    "t.tpl:1: lt: incompatible types for comparison: "
	                    "int and string");
	expect_render_error("{{ eq (parseJSON `[1]`) (parseJSON `[1]`) }}",
	                    ERR_INVALID,
	                    "t.tpl:1: eq: incompatible types for comparison: "
	                    "[]interface {} and []interface {}");
}

static void test_and_or_short_circuit(void **state)
{
	(void)state;
	expect("{{ and 1 \"x\" }} {{ and 1 0 \"x\" }} {{ or 0 \"\" }} "
	       "{{ or 0 \"y\" 3 }}",
	       "x 0  y");
	/* The argument after the deciding one is never evaluated. */
	expect("{{ and false (index 1 2) }} {{ or 1 (index 1 2) }}", "false 1");
	/* The piped value is the last argument. */
	expect("{{ 0 | or \"\" }}|{{ \"p\" | and 1 }}", "0|p");
	expect("{{ if and (secret \"secret/app\").Data "
	       "(index (secret \"secret/app\").Data \"api_key\") }}ok{{ end }}",
	       "ok");
}

static void test_string_functions(void **state)
{
	(void)state;
	expect(
	    "{{ contains \"ell\" \"hello\" }} {{ \"hello\" | contains \"z\" }} "
	    "{{ contains \"b\" (split \",\" \"a,b\") }} "
	    "{{ in (split \",\" \"a,b\") \"c\" }} {{ in \"hello\" \"lo\" }}",
	    "true false true false true");
	expect("{{ split \",\" \"a,b,,c,\" }} {{ split \",\" \"  \" }} "
	       "{{ split \"\" \"ab\" }} {{ split \"::\" \" x::y \" }}",
	       "[\"a\",\"b\",\"\",\"c\",\"\"] [] [\"a\",\"b\"] [\"x\",\"y\"]");
	expect("{{ join \"-\" (split \",\" \"a,b,c\") }}|"
	       "{{ parseJSON `[1,true,\"s\"]` | join \",\" }}|"
	       "{{ join \",\" (parseJSON `[]`) }}",
	       "a-b-c|1,true,s|");
	expect(
	    "[{{ trimSpace \" \\t x y \\n\" }}] {{ trimPrefix \"v\" \"v1.2\" }} "
	    "{{ trimPrefix \"x\" \"v1\" }} {{ trimSuffix \".txt\" \"a.txt\" }}",
	    "[x y] 1.2 v1 a");
	expect("{{ toUpper \"abc-Z\" }} {{ \"MiXeD\" | toLower }}",
	       "ABC-Z mixed");
	expect(
	    "{{ replaceAll \".\" \"_\" \"a.b.c\" }} "
	    "{{ \"aaa\" | replaceAll \"aa\" \"b\" }} "
	    "{{ replaceAll \"\" \"-\" \"ab\" }} {{ replaceAll \"x\" \"y\" \"\" }}",
	    "a_b_c ba -a-b- ");
	expect(
	    "{{ sha256Hex \"abc\" }}",
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	expect_render_error("{{ toUpper 5 }}", ERR_INVALID,
	                    "t.tpl:1: toUpper: expected a string, got int");
	expect_render_error("{{ join \",\" \"abc\" }}", ERR_INVALID,
	                    "t.tpl:1: join: expected a list, got string");
}

static void test_base64(void **state)
{
	(void)state;
	expect("{{ base64Encode \"hello\" }} {{ base64Decode \"aGVsbG8=\" }} "
	       "{{ \"hi\" | base64Encode | base64Decode }}",
	       "aGVsbG8= hello hi");
	/* Line breaks inside base64 are skipped, as Go's decoder does. */
	expect("{{ base64Decode \"aGVs\\nbG8=\\r\\n\" }}", "hello");
	expect("{{ base64URLEncode \"\\xfb\\xff\" }} "
	       "{{ base64URLDecode \"-_8=\" | base64Encode }}",
	       "-_8= +/8=");
	expect_render_error("{{ base64Decode \"not base64!\" }}", ERR_INVALID,
	                    "t.tpl:1: base64Decode: input is not valid base64");
	expect_render_error("{{ base64URLDecode \"+/8=\" }}", ERR_INVALID,
	                    "t.tpl:1: base64URLDecode: input is not valid "
	                    "base64");
}

static void test_json_functions(void **state)
{
	(void)state;
	/* Keys sorted, <, > and & escaped, as Go's encoder writes them. */
	expect(
	    "{{ (secret \"secret/data/app\").Data.data | toJSON }}",
	    "{\"empty\":\"\",\"enabled\":true,\"nothing\":null,"
	    "\"password\":\"p\\u003ca\\u003ess\\u0026w0rd\",\"port\":5432,"
	    "\"ratio\":0.5,\"tags\":[\"blue\",\"green\"],\"username\":\"app\"}");
	expect(
	    "{{ parseJSON `{\"b\":[1,{}],\"a\":{\"c\":[]}}` | toJSONPretty }}",
	    "{\n  \"a\": {\n    \"c\": []\n  },\n  \"b\": [\n    1,\n"
	    "    {}\n  ]\n}");
	/* A response keeps its fields in their declared order. */
	expect("{{ secret \"secret/app\" | toJSON }}",
	       "{\"RequestID\":\"\",\"LeaseID\":\"\",\"LeaseDuration\":0,"
	       "\"Renewable\":false,\"Data\":{\"api_key\":\"k-123\"},"
	       "\"Warnings\":[],\"Auth\":null,\"WrapInfo\":null}");
	expect(
	    "{{ toJSON \"a\\u2028\\x01\" }} {{ toJSON 1.25 }} {{ toJSON nil }}",
	    "\"a\\u2028\\u0001\" 1.25 null");
	expect("{{ (parseJSON `{\"a\":{\"b\":[10,20]}}`).a.b }} "
	       "{{ parseJSON \"\" }} {{ parseJSON `\"s\"` }}",
	       "[10,20] {} s");
	expect("{{ keys (parseJSON `{\"b\":1,\"a\":2}`) }}", "[\"a\",\"b\"]");
	/* The message gives the place, not the (maybe secret) text. */
	expect_render_error("{{ parseJSON \"{\\\"pw\\\": hunter2}\" }}",
	                    ERR_INVALID,
	                    "t.tpl:1: parseJSON: not valid JSON (line 1, "
	                    "column 13)");
}

static void test_env_index_len(void **state)
{
	(void)state;
	expect("{{ env \"HOME\" }}|{{ env \"EMPTY\" }}|{{ env \"UNSET\" }}|"
	       "{{ env \"EQ\" }}|{{ env \"HOM\" }}",
	       "/home/app|||a=b|");
	expect(
	    "{{ index (secret \"secret/data/app\").Data.data \"username\" }} "
	    "{{ index (parseJSON `[[1,2],[3,4]]`) 1 0 }} "
	    "{{ index (parseJSON `{\"a\":1}`) \"b\" }} "
	    "{{ index \"whole\" }}",
	    "app 3 <no value> whole");
	expect_render_error("{{ index (parseJSON `[1]`) 5 }}", ERR_INVALID,
	                    "t.tpl:1: index: index out of range: 5");
	expect_render_error("{{ index .Missing \"a\" }}", ERR_INVALID,
	                    "t.tpl:1: index: index of untyped nil");
	expect("{{ len \"héllo\" }} {{ len (split \",\" \"a,b\") }} "
	       "{{ len (parseJSON `{\"a\":1}`) }}",
	       "6 2 1");
	expect_render_error("{{ len 5 }}", ERR_INVALID,
	                    "t.tpl:1: len: len of int");
}

/* ---- errors ------------------------------------------------------------- */

static void test_parse_errors(void **state)
{
	(void)state;
	expect_parse_error("ok\n{{ .Data", "t.tpl:2: unclosed action");
	expect_parse_error("{{ \"abc }}",
	                   "t.tpl:1: unterminated quoted string");
	expect_parse_error("{{ `abc }}", "t.tpl:1: unterminated raw quoted "
	                                 "string");
	expect_parse_error("a\nb\n{{/* x }}", "t.tpl:3: unclosed comment");
	expect_parse_error("{{/* x */ }}",
	                   "t.tpl:1: comment ends before closing delimiter");
	expect_parse_error("{{ x /* y */ }}",
	                   "t.tpl:1: bad character '/' in action");
	expect_parse_error("\n\n{{ toYAML . }}",
	                   "t.tpl:3: function \"toYAML\" not defined");
	expect_parse_error("x{{ end }}", "t.tpl:1: unexpected {{end}}");
	expect_parse_error("{{ else }}", "t.tpl:1: unexpected {{else}}");
	expect_parse_error("{{ if true }}\nx\n", "t.tpl:1: {{if}} has no "
	                                         "matching {{end}}");
	expect_parse_error("{{ range 1 }}{{ with 1 }}{{ end }}",
	                   "t.tpl:1: {{range}} has no matching {{end}}");
	expect_parse_error("{{ if 1 }}{{ else }}{{ else }}{{ end }}",
	                   "t.tpl:1: {{else}} after {{else}} in {{if}}");
	expect_parse_error("{{ range 1 }}{{ else if 1 }}{{ end }}",
	                   "t.tpl:1: unexpected \"if\" in else");
	expect_parse_error("{{ if }}{{ end }}",
	                   "t.tpl:1: unexpected \"}}\" in command");
	expect_parse_error("{{ }}", "t.tpl:1: unexpected \"}}\" in command");
	expect_parse_error("{{ end 1 }}", "t.tpl:1: unexpected \"1\" in end");
	expect_parse_error("{{ break }}", "t.tpl:1: {{break}} outside "
	                                  "{{range}}");
	expect_parse_error("{{ range 1 }}{{ else }}{{ continue }}{{ end }}",
	                   "t.tpl:1: {{continue}} outside {{range}}");
	expect_parse_error("{{ define \"x\" }}{{ end }}",
	                   "t.tpl:1: {{define}} is not supported");
	/* Arity is known before any data: the piped value counts. */
	expect_parse_error(
	    "{{ len 1 2 }}",
	    "t.tpl:1: wrong number of args for len: want 1 got 2");
	expect_parse_error(
	    "{{ \"a\" | len \"b\" }}",
	    "t.tpl:1: wrong number of args for len: want 1 got 2");
	expect_parse_error("{{ replaceAll \"a\" }}",
	                   "t.tpl:1: wrong number of args for replaceAll: want "
	                   "3 got 1");
	expect_parse_error("{{ printf }}",
	                   "t.tpl:1: wrong number of args for printf: want at "
	                   "least 1 got 0");
	expect_parse_error("{{ printf \"%s\" secret }}",
	                   "t.tpl:1: wrong number of args for secret: want at "
	                   "least 1 got 0");
	/* Operands that cannot be commands or take arguments. */
	expect_parse_error("{{ 1 | 2 }}",
	                   "t.tpl:1: can't give argument to non-function");
	expect_parse_error("{{ .a 1 }}",
	                   "t.tpl:1: can't give argument to non-function");
	expect_parse_error("{{ nil }}", "t.tpl:1: nil is not a command");
	expect_parse_error("{{ \"x\".y }}", "t.tpl:1: unexpected field after "
	                                    "\"x\"");
	expect_parse_error("{{ (1 }}", "t.tpl:1: unexpected \"}}\" in "
	                               "parenthesized pipeline");
	expect_parse_error("{{ 1) }}", "t.tpl:1: unexpected \")\" in action");
	expect_parse_error("{{ 1 := 2 }}",
	                   "t.tpl:1: unexpected \":=\" in operand");
	expect_parse_error("{{ if else }}", "t.tpl:1: unexpected keyword else");
	expect_parse_error("{{ 1abc }}", "t.tpl:1: bad literal 1abc");
	expect_parse_error("{{ \"\\q\" }}", "t.tpl:1: bad literal \"\\q\"");
	expect_parse_error("{{ # }}", "t.tpl:1: bad character '#' in action");
	expect_parse_error("{{ range $a, $b = 1 }}{{ end }}",
	                   "t.tpl:1: range can only declare with :=");
}

static void test_parse_limits(void **state)
{
	struct buf src = BUF_INIT, why = BUF_INIT;
	struct tmpl *t = NULL;
	int i;

	(void)state;
	/* 64 nested blocks parse; one more does not. */
	for (i = 0; i < 64; i++)
		assert_int_equal(buf_append_str(&src, "{{ if 1 }}"), ERR_OK);
	for (i = 0; i < 64; i++)
		assert_int_equal(buf_append_str(&src, "{{ end }}"), ERR_OK);
	assert_int_equal(
	    tmpl_parse("deep", (char *)src.data, src.len, &t, &why), ERR_OK);
	tmpl_free(t);
	buf_reset(&src);
	src.len = 0;
	for (i = 0; i < 65; i++)
		assert_int_equal(buf_append_str(&src, "{{ with 1 }}"), ERR_OK);
	assert_int_equal(
	    tmpl_parse("deep", (char *)src.data, src.len, &t, &why),
	    ERR_INVALID);
	assert_string_equal(buf_str(&why), "deep:1: nesting deeper than 64");
	assert_null(t);

	/* Parentheses count too. */
	buf_reset(&src);
	buf_reset(&why);
	src.len = why.len = 0;
	assert_int_equal(buf_append_str(&src, "{{ "), ERR_OK);
	for (i = 0; i < 65; i++)
		assert_int_equal(buf_append_str(&src, "(len "), ERR_OK);
	assert_int_equal(buf_append_str(&src, "\"x\""), ERR_OK);
	for (i = 0; i < 65; i++)
		assert_int_equal(buf_append_str(&src, ")"), ERR_OK);
	assert_int_equal(buf_append_str(&src, " }}"), ERR_OK);
	assert_int_equal(tmpl_parse("p", (char *)src.data, src.len, &t, &why),
	                 ERR_INVALID);
	assert_string_equal(buf_str(&why), "p:1: nesting deeper than 64");

	/* A long else-if chain is not nesting. */
	buf_reset(&src);
	buf_reset(&why);
	src.len = why.len = 0;
	assert_int_equal(buf_append_str(&src, "{{ if 0 }}"), ERR_OK);
	for (i = 0; i < 500; i++)
		assert_int_equal(buf_append_str(&src, "{{ else if 0 }}"),
		                 ERR_OK);
	assert_int_equal(buf_append_str(&src, "{{ else }}last{{ end }}"),
	                 ERR_OK);
	assert_int_equal(tmpl_parse("c", (char *)src.data, src.len, &t, &why),
	                 ERR_OK);
	buf_reset(&src);
	src.len = 0;
	assert_int_equal(tmpl_render(t, &env, &src, &why), ERR_OK);
	assert_string_equal(buf_str(&src), "last");
	tmpl_free(t);

	/* The template's own size. */
	buf_reset(&why);
	why.len = 0;
	assert_int_equal(
	    tmpl_parse("big", "x", ((size_t)1 << 20) + 1, &t, &why),
	    ERR_INVALID);
	assert_string_equal(buf_str(&why),
	                    "big:1: template larger than 1048576 bytes");
	buf_release(&src);
	buf_release(&why);
}

static void test_render_limits(void **state)
{
	(void)state;
	/* Output: 17 copies of a 1 MB string pass 16 MiB. */
	expect_render_error("{{ $s := printf \"%1000000d\" 1 }}"
	                    "{{ range 17 }}{{ $s }}{{ end }}",
	                    ERR_TOO_LARGE,
	                    "t.tpl:1: output larger than 16777216 bytes");
	/* Range iterations over the whole render. */
	expect_render_error("{{ range 600000 }}{{ end }}\n"
	                    "{{ range 600000 }}{{ end }}",
	                    ERR_TOO_LARGE,
	                    "t.tpl:2: more than 1000000 range iterations");
	/* Work done by functions: 300 copies of 1 MB. */
	expect_render_error("{{ $s := printf \"%1000000d\" 1 }}"
	                    "{{ range 300 }}{{ $t := toUpper $s }}{{ end }}",
	                    ERR_TOO_LARGE,
	                    "t.tpl:1: toUpper: functions built or scanned more "
	                    "than 268435456 bytes");
	/* A search that would take quadratic time is cut off too. */
	expect_render_error(
	    "{{ $h := printf \"%0800000d\" 0 }}{{ $n := printf \"%0400000d1\" 0 }}"
	    "{{ contains $n $h }}",
	    ERR_TOO_LARGE,
	    "t.tpl:1: contains: functions built or scanned more than "
	    "268435456 bytes");
}

static void test_render_error_lines(void **state)
{
	(void)state;
	expect_render_error("line one\n{{ if true }}\n  {{ index 1 2 }}\n"
	                    "{{ end }}",
	                    ERR_INVALID,
	                    "t.tpl:3: index: can't index item of type int with "
	                    "int");
	/* In a pipeline over several lines, the line of the failing part. */
	expect_render_error("{{ printf \"%s\"\n  (toUpper 1) }}", ERR_INVALID,
	                    "t.tpl:2: toUpper: expected a string, got int");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_text_only, reset),
	    cmocka_unit_test_setup(test_kv2_fields, reset),
	    cmocka_unit_test_setup(test_leased_response_fields, reset),
	    cmocka_unit_test_setup(test_same_secret_read_once_per_render,
	                           reset),
	    cmocka_unit_test_setup(test_secret_write_with_params, reset),
	    cmocka_unit_test_setup(test_login_response_auth, reset),
	    cmocka_unit_test_setup(test_secrets_list, reset),
	    cmocka_unit_test_setup(test_secret_failures, reset),
	    cmocka_unit_test_setup(test_partial_output_on_failure, reset),
	    cmocka_unit_test_setup(test_whitespace_trimming, reset),
	    cmocka_unit_test_setup(test_range, reset),
	    cmocka_unit_test_setup(test_nested_blocks, reset),
	    cmocka_unit_test_setup(test_if_with_else, reset),
	    cmocka_unit_test_setup(test_truthiness, reset),
	    cmocka_unit_test_setup(test_variables_and_scope, reset),
	    cmocka_unit_test_setup(test_pipelines_and_literals, reset),
	    cmocka_unit_test_setup(test_printf, reset),
	    cmocka_unit_test_setup(test_print_println, reset),
	    cmocka_unit_test_setup(test_comparisons, reset),
	    cmocka_unit_test_setup(test_and_or_short_circuit, reset),
	    cmocka_unit_test_setup(test_string_functions, reset),
	    cmocka_unit_test_setup(test_base64, reset),
	    cmocka_unit_test_setup(test_json_functions, reset),
	    cmocka_unit_test_setup(test_env_index_len, reset),
	    cmocka_unit_test_setup(test_parse_errors, reset),
	    cmocka_unit_test_setup(test_parse_limits, reset),
	    cmocka_unit_test_setup(test_render_limits, reset),
	    cmocka_unit_test_setup(test_render_error_lines, reset),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	reset(NULL);
	return rc;
}
