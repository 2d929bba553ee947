/* From HTTP to a core request: operation, data, token, namespace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/handler.h"

/* Parses head, builds the call from it and body; returns the result. */
static err_t build(struct http_call *c, const char *head, const char *body)
{
	static struct http_head h;

	http_head_init(&h);
	assert_int_equal(http_head_feed(&h, head, strlen(head)),
	                 HTTP_PARSE_DONE);
	http_call_init(c);
	return http_call_build(c, &h, (const uint8_t *)body,
	                       body ? strlen(body) : 0, 1024, "127.0.0.1");
}

static void test_methods(void **state)
{
	static const struct {
		const char *head;
		enum op op;
		const char *path;
	} cases[] = {
	    {"GET /v1/secret/x HTTP/1.1\r\n\r\n", OP_READ, "secret/x"},
	    {"GET /v1/secret/x?list=True HTTP/1.1\r\n\r\n", OP_LIST,
	     "secret/x/"},
	    {"GET /v1/secret/x/?list=1 HTTP/1.1\r\n\r\n", OP_LIST, "secret/x/"},
	    {"LIST /v1/secret/metadata/dir HTTP/1.1\r\n\r\n", OP_LIST,
	     "secret/metadata/dir/"},
	    {"LIST /v1/secret/metadata/ HTTP/1.1\r\n\r\n", OP_LIST,
	     "secret/metadata/"},
	    {"POST /v1/secret/x HTTP/1.1\r\n\r\n", OP_UPDATE, "secret/x"},
	    {"PUT /v1/secret/x HTTP/1.1\r\n\r\n", OP_UPDATE, "secret/x"},
	    {"DELETE /v1/secret/x HTTP/1.1\r\n\r\n", OP_DELETE, "secret/x"},
	    {"HEAD /v1/sys/health HTTP/1.1\r\n\r\n", OP_HEAD, "sys/health"},
	    {"PATCH /v1/secret/data/x HTTP/1.1\r\nContent-Type: "
	     "application/merge-patch+json; charset=utf-8\r\n\r\n",
	     OP_PATCH, "secret/data/x"},
	};
	struct http_call c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(build(&c, cases[i].head, NULL), ERR_OK);
		assert_int_equal(c.req.op, cases[i].op);
		assert_string_equal(c.req.path, cases[i].path);
		assert_true(json_is_object(c.req.data));
		assert_int_equal(strlen(c.req.id), 36);
		assert_string_equal(c.req.remote_addr, "127.0.0.1");
		http_call_release(&c);
	}
}

static void test_refusals(void **state)
{
	static const struct {
		const char *head, *body;
		err_t code;
	} cases[] = {
	    {"SCAN /v1/secret HTTP/1.1\r\n\r\n", NULL, ERR_UNSUPPORTED},
	    {"get /v1/secret HTTP/1.1\r\n\r\n", NULL, ERR_UNSUPPORTED},
	    {"GET /secret HTTP/1.1\r\n\r\n", NULL, ERR_NOT_FOUND},
	    {"GET /v1/a/../b HTTP/1.1\r\n\r\n", NULL, ERR_INVALID},
	    {"GET /v1/a?list=maybe HTTP/1.1\r\n\r\n", NULL, ERR_INVALID},
	    {"PATCH /v1/secret/data/x HTTP/1.1\r\n\r\n", "{}", ERR_MEDIA_TYPE},
	    {"PATCH /v1/secret/data/x HTTP/1.1\r\nContent-Type: "
	     "application/json\r\n\r\n",
	     "{}", ERR_MEDIA_TYPE},
	    {"PUT /v1/x HTTP/1.1\r\n\r\n", "[1]", ERR_INVALID},
	    {"PUT /v1/x HTTP/1.1\r\n\r\n", "{\"a\":1,}", ERR_INVALID},
	    {"PUT /v1/x HTTP/1.1\r\n\r\n", "{'a':1}", ERR_INVALID},
	    {"PUT /v1/x HTTP/1.1\r\n\r\n", "{\"a\":NaN}", ERR_INVALID},
	    {"PUT /v1/x HTTP/1.1\r\n\r\n", "\xef\xbb\xbf{}", ERR_INVALID},
	    {"PUT /v1/x HTTP/1.1\r\n\r\n", "{\"a\":1,\"a\":2}", ERR_INVALID},
	    {"PUT /v1/x HTTP/1.1\r\n\r\n", "{\"a\":\"x\\u0000y\"}",
	     ERR_INVALID},
	    {"PUT /v1/x HTTP/1.1\r\n\r\n", "\"str\"", ERR_INVALID},
	    {"GET /v1/x HTTP/1.1\r\nX-Vault-Wrap-TTL: -5\r\n\r\n", NULL,
	     ERR_INVALID},
	    {"GET /v1/x HTTP/1.1\r\nX-Vault-Wrap-TTL: soon\r\n\r\n", NULL,
	     ERR_INVALID},
	    {"GET /v1/x HTTP/1.1\r\nX-Vault-Namespace: a/../b\r\n\r\n", NULL,
	     ERR_INVALID},
	    {"GET /v1/x HTTP/1.1\r\nX-Vault-Token: a\r\nX-Vault-Token: "
	     "b\r\n\r\n",
	     NULL, ERR_INVALID},
	    {"GET /v1/x?help=1 HTTP/1.1\r\n\r\n", NULL, ERR_INVALID},
	};
	struct http_call c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (build(&c, cases[i].head, cases[i].body) != cases[i].code ||
		    c.resp.err != cases[i].code)
			fail_msg("case %zu: got %s", i, err_str(c.resp.err));
		assert_int_equal(json_array_size(c.resp.errors), 1);
		http_call_release(&c);
	}
}

static void test_body_limits(void **state)
{
	struct http_call c;
	char *deep;
	size_t i;

	(void)state;
	/* 300 levels pass, 301 do not; the error names no input. */
	deep = calloc(1, 1024);
	assert_non_null(deep);
	deep[0] = '{';
	memcpy(deep + 1, "\"a\":", 4);
	for (i = 0; i < 299; i++)
		deep[5 + i] = '[';
	for (i = 0; i < 299; i++)
		deep[5 + 299 + i] = ']';
	deep[5 + 598] = '}';
	assert_int_equal(build(&c, "PUT /v1/x HTTP/1.1\r\n\r\n", deep), ERR_OK);
	http_call_release(&c);
	memmove(deep + 6, deep + 5, 600);
	deep[5] = '[';
	deep[606] = ']';
	assert_int_equal(build(&c, "PUT /v1/x HTTP/1.1\r\n\r\n", deep),
	                 ERR_INVALID);
	http_call_release(&c);
	free(deep);

	/* Over max_body (1024 here). */
	deep = malloc(2048);
	assert_non_null(deep);
	memset(deep, ' ', 2047);
	deep[2047] = 0;
	assert_int_equal(build(&c, "PUT /v1/x HTTP/1.1\r\n\r\n", deep),
	                 ERR_TOO_LARGE);
	http_call_release(&c);
	free(deep);

	/* A malformed body's text never appears in the error. */
	assert_int_equal(
	    build(&c, "PUT /v1/x HTTP/1.1\r\n\r\n", "{\"password\": hunter2}"),
	    ERR_INVALID);
	assert_null(strstr(json_string_value(json_array_get(c.resp.errors, 0)),
	                   "hunter2"));
	assert_non_null(
	    strstr(json_string_value(json_array_get(c.resp.errors, 0)),
	           "failed to parse JSON input: "));
	http_call_release(&c);
}

static void test_data_sources(void **state)
{
	struct http_call c;

	(void)state;
	assert_int_equal(build(&c,
	                       "POST /v1/auth/approle/login?x=1 HTTP/1.1\r\n"
	                       "Content-Type: application/json\r\n\r\n",
	                       "{\"role_id\":\"r\",\"secret_id\":null}"),
	                 ERR_OK);
	assert_string_equal(
	    json_string_value(json_object_get(c.req.data, "role_id")), "r");
	assert_true(json_is_null(json_object_get(c.req.data, "secret_id")));
	assert_null(json_object_get(c.req.data, "x")); /* not for writes */
	assert_false(c.req.form_body);
	http_call_release(&c);

	/* node-vault: an empty body labelled as a form. */
	assert_int_equal(build(&c,
	                       "POST /v1/a HTTP/1.1\r\nContent-Type: "
	                       "application/x-www-form-urlencoded\r\n\r\n",
	                       ""),
	                 ERR_OK);
	assert_int_equal(json_object_size(c.req.data), 0);
	http_call_release(&c);

	assert_int_equal(build(&c,
	                       "POST /v1/a HTTP/1.1\r\nContent-Type: "
	                       "application/x-www-form-urlencoded\r\n\r\n",
	                       "password=a%26b&user=u"),
	                 ERR_OK);
	assert_true(c.req.form_body);
	assert_string_equal(
	    json_string_value(json_object_get(c.req.data, "password")), "a&b");
	http_call_release(&c);

	/* A JSON body labelled as a form is still JSON. */
	assert_int_equal(build(&c,
	                       "POST /v1/a HTTP/1.1\r\nContent-Type: "
	                       "application/x-www-form-urlencoded\r\n\r\n",
	                       " {\"k\":2}"),
	                 ERR_OK);
	assert_int_equal(json_integer_value(json_object_get(c.req.data, "k")),
	                 2);
	http_call_release(&c);

	/* Query merged under the body on reads. */
	assert_int_equal(build(&c, "GET /v1/a?version=2&k=q HTTP/1.1\r\n\r\n",
	                       "{\"k\":\"body\"}"),
	                 ERR_OK);
	assert_string_equal(
	    json_string_value(json_object_get(c.req.data, "version")), "2");
	assert_string_equal(json_string_value(json_object_get(c.req.data, "k")),
	                    "body");
	http_call_release(&c);

	/* LIST ignores its body. */
	assert_int_equal(build(&c, "LIST /v1/a HTTP/1.1\r\n\r\n", "not json"),
	                 ERR_OK);
	http_call_release(&c);
}

static void test_headers(void **state)
{
	struct http_call c;

	(void)state;
	assert_int_equal(
	    build(&c,
	          "GET /v1/a HTTP/1.1\r\nX-Vault-Token: hvs.one\r\n"
	          "Authorization: Bearer two\r\n"
	          "X-Vault-Namespace: /team-a\r\n"
	          "X-Vault-Wrap-TTL: 5m\r\n"
	          "X-Vault-Request: true\r\n\r\n",
	          NULL),
	    ERR_OK);
	assert_string_equal(c.req.token, "hvs.one");
	assert_string_equal(c.req.ns, "team-a/");
	assert_int_equal(c.req.wrap_ttl, 300);
	http_call_release(&c);

	assert_int_equal(build(&c,
	                       "GET /v1/a HTTP/1.1\r\nAuthorization: bearer  "
	                       "two\r\nX-Vault-Namespace:\r\n"
	                       "X-Vault-Wrap-TTL: 300\r\n\r\n",
	                       NULL),
	                 ERR_OK);
	assert_string_equal(c.req.token, "two");
	assert_string_equal(c.req.ns, "");
	assert_int_equal(c.req.wrap_ttl, 300);
	http_call_release(&c);

	assert_int_equal(build(&c,
	                       "GET /v1/a HTTP/1.1\r\nAuthorization: Basic "
	                       "dTpw\r\n\r\n",
	                       NULL),
	                 ERR_OK);
	assert_null(c.req.token);
	http_call_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_methods),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_body_limits),
	    cmocka_unit_test(test_data_sources),
	    cmocka_unit_test(test_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
