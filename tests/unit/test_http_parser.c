/* Request heads and chunked bodies: what is accepted, what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/parser.h"

static enum http_parse feed(struct http_head *h, const char *s)
{
	http_head_init(h);
	return http_head_feed(h, s, strlen(s));
}

struct bad_case {
	const char *head;
	int status;
};

static void test_good_head(void **state)
{
	struct http_head h;
	const char *req = "LIST /v1/secret/metadata/ HTTP/1.1\r\n"
	                  "Host: x\r\n"
	                  "X-Vault-Token:  s.abc  \r\n"
	                  "Content-Length: 0\r\n\r\n"
	                  "GET /next";
	size_t len;
	const char *v;

	(void)state;
	assert_int_equal(feed(&h, req), HTTP_PARSE_DONE);
	assert_int_equal(h.method_len, 4);
	assert_memory_equal(h.method, "LIST", 4);
	assert_int_equal(h.target_len, strlen("/v1/secret/metadata/"));
	assert_int_equal(h.minor, 1);
	assert_true(h.keep_alive);
	assert_true(h.has_length);
	assert_int_equal(h.content_length, 0);
	assert_int_equal(h.len, strlen(req) - strlen("GET /next"));
	v = http_head_get(&h, "x-vault-token", &len, NULL);
	assert_non_null(v);
	assert_int_equal(len, 5);
	assert_memory_equal(v, "s.abc", 5);
	assert_null(http_head_get(&h, "authorization", &len, NULL));
}

static void test_methods_and_versions(void **state)
{
	struct http_head h;

	(void)state;
	/* Unknown methods pass: the handler answers 405, not the parser. */
	assert_int_equal(feed(&h, "SCAN / HTTP/1.1\r\n\r\n"), HTTP_PARSE_DONE);
	assert_int_equal(feed(&h, "PATCH / HTTP/1.0\r\n\r\n"), HTTP_PARSE_DONE);
	assert_int_equal(h.minor, 0);
	assert_false(h.keep_alive);
	assert_int_equal(
	    feed(&h, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"),
	    HTTP_PARSE_DONE);
	assert_true(h.keep_alive);
	assert_int_equal(
	    feed(&h, "GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n"),
	    HTTP_PARSE_DONE);
	assert_false(h.keep_alive);
	/* Blank lines before a request (after a pipelined body) are fine. */
	assert_int_equal(feed(&h, "\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
	                 HTTP_PARSE_DONE);
	assert_memory_equal(h.method, "GET", 3);
	assert_int_equal(h.len, 4 + strlen("GET / HTTP/1.1\r\n\r\n"));
}

static void test_bad_heads(void **state)
{
	static const struct bad_case cases[] = {
	    /* Smuggling shapes. */
	    {"POST / HTTP/1.1\r\nContent-Length: 3\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n",
	     400},
	    {"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
	     400},
	    {"POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n", 400},
	    {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
	    {"POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 400},
	    {"POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", 400},
	    {"POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n",
	     400},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	     501},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", 501},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n",
	     400},
	    {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nX-A : a\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\n: a\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nX(A): a\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nX-A: a\x01\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nX-A\r\n\r\n", 400},
	    /* Request line. */
	    {"G(T / HTTP/1.1\r\n\r\n", 400},
	    {"GET  / HTTP/1.1\r\n\r\n", 400},
	    {"GET /a b HTTP/1.1\r\n\r\n", 400},
	    {"GET / HTTP/1.1 \r\n\r\n", 400},
	    {"GET /\x7f HTTP/1.1\r\n\r\n", 400},
	    {"GET /\xc3\xa9 HTTP/1.1\r\n\r\n", 400},
	    {"GET / HTTX/1.1\r\n\r\n", 400},
	    {"GET /\r\n\r\n", 400},
	    {"GET / HTTP/2.0\r\n\r\n", 505},
	    {"GET / HTTP/0.9\r\n\r\n", 505},
	    {"GET / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", 417},
	};
	struct http_head h;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (feed(&h, cases[i].head) != HTTP_PARSE_BAD ||
		    h.status != cases[i].status)
			fail_msg("case %zu accepted or wrong status %d", i,
			         h.status);
		assert_non_null(h.error);
	}
}

static void test_nul_and_bare_lf(void **state)
{
	static const char nul[] = "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n";
	struct http_head h;

	(void)state;
	http_head_init(&h);
	assert_int_equal(http_head_feed(&h, nul, sizeof(nul) - 1),
	                 HTTP_PARSE_BAD);
	assert_int_equal(h.status, 400);

	/* A bare LF is refused at once, not after a time-out. */
	assert_int_equal(feed(&h, "GET / HTTP/1.1\n"), HTTP_PARSE_BAD);
	assert_int_equal(h.status, 400);
	assert_int_equal(feed(&h, "GET / HTTP/1.1\r\nHost: x\n\n"),
	                 HTTP_PARSE_BAD);
}

static void test_incremental(void **state)
{
	const char *req = "GET /v1/sys/health HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_head h;
	size_t i, n = strlen(req);

	(void)state;
	http_head_init(&h);
	for (i = 1; i < n; i++)
		assert_int_equal(http_head_feed(&h, req, i), HTTP_PARSE_MORE);
	assert_int_equal(http_head_feed(&h, req, n), HTTP_PARSE_DONE);
	assert_int_equal(h.len, n);
	assert_int_equal(h.n_headers, 1);
}

static void test_limits(void **state)
{
	struct http_head h;
	char *big;
	size_t i, n = HTTP_MAX_HEAD + 100;

	(void)state;
	/* A long header without an end is refused once past the limit. */
	big = malloc(n);
	assert_non_null(big);
	memcpy(big, "GET / HTTP/1.1\r\nX-A: ", 21);
	memset(big + 21, 'a', n - 21);
	http_head_init(&h);
	assert_int_equal(http_head_feed(&h, big, HTTP_MAX_HEAD),
	                 HTTP_PARSE_MORE);
	assert_int_equal(http_head_feed(&h, big, n), HTTP_PARSE_BAD);
	assert_int_equal(h.status, 431);
	free(big);

	/* 100 headers pass, 101 do not. */
	big = malloc(8192);
	assert_non_null(big);
	for (i = 100; i <= 101; i++) {
		size_t k, o = 0;

		o += (size_t)snprintf(big + o, 8192 - o, "GET / HTTP/1.1\r\n");
		for (k = 0; k < i; k++)
			o += (size_t)snprintf(big + o, 8192 - o, "X-%zu: v\r\n",
			                      k);
		o += (size_t)snprintf(big + o, 8192 - o, "\r\n");
		http_head_init(&h);
		assert_int_equal(http_head_feed(&h, big, o),
		                 i == 100 ? HTTP_PARSE_DONE : HTTP_PARSE_BAD);
	}
	assert_int_equal(h.status, 431);
	free(big);
}

static void test_framing(void **state)
{
	struct http_head h;

	(void)state;
	assert_int_equal(feed(&h, "POST / HTTP/1.1\r\ncontent-length: 12\r\n"
	                          "Content-Length: 12\r\n\r\n"),
	                 HTTP_PARSE_DONE);
	assert_true(h.has_length);
	assert_int_equal(h.content_length, 12);
	assert_int_equal(feed(&h, "POST / HTTP/1.1\r\nTransfer-Encoding: "
	                          "Chunked\r\nExpect: 100-continue\r\n\r\n"),
	                 HTTP_PARSE_DONE);
	assert_true(h.chunked);
	assert_true(h.expect_continue);
	assert_int_equal(
	    feed(
	        &h,
	        "POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n"),
	    HTTP_PARSE_DONE);
	assert_int_equal(h.content_length, UINT64_MAX);
}

static enum http_parse chunked(const char *in, size_t cap, struct buf *out,
                               size_t *used, int *status)
{
	struct http_chunked c;
	enum http_parse rc;

	buf_init(out, cap);
	http_chunked_init(&c);
	rc = http_chunked_feed(&c, (const uint8_t *)in, strlen(in), used, out);
	*status = c.status;
	return rc;
}

static void test_chunked_good(void **state)
{
	const char *in = "5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n"
	                 "0\r\nX-Trailer: t\r\n\r\nNEXT";
	struct http_chunked c;
	struct buf out;
	size_t used, i, total = 0, u;
	int status;

	(void)state;
	assert_int_equal(chunked(in, 0, &out, &used, &status), HTTP_PARSE_DONE);
	assert_string_equal(buf_str(&out), "hello 0123456789");
	assert_int_equal(used, strlen(in) - 4);
	buf_release(&out);

	/* Byte by byte gives the same result. */
	buf_init(&out, 0);
	http_chunked_init(&c);
	for (i = 0; i < strlen(in) - 4; i++) {
		enum http_parse rc =
		    http_chunked_feed(&c, (const uint8_t *)in + i, 1, &u, &out);
		total += u;
		assert_int_equal(rc, i == strlen(in) - 5 ? HTTP_PARSE_DONE
		                                         : HTTP_PARSE_MORE);
	}
	assert_int_equal(total, used);
	assert_string_equal(buf_str(&out), "hello 0123456789");
	buf_release(&out);
}

static void test_chunked_bad(void **state)
{
	static const struct bad_case cases[] = {
	    {"x\r\n", 400},
	    {"\r\n", 400},
	    {"5 \r\nhello\r\n0\r\n\r\n", 400},
	    {"5\nhello\r\n0\r\n\r\n", 400},
	    {"5\r\nhelloX\r\n0\r\n\r\n", 400},
	    {"5\r\nhello\r\n0\r\n X: y\r\n\r\n", 400},
	    {"5\r\nhello\r\n0\r\n\r\r", 400},
	    {"-1\r\n", 400},
	    /* 17 hex digits: more than 64 bits. */
	    {"10000000000000000\r\n", 400},
	    {"ffffffffffffffff\r\n", 413},
	    {"11\r\n", 413}, /* 17 bytes over a 16-byte cap */
	};
	struct buf out;
	size_t used, i;
	int status;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (chunked(cases[i].head, 16, &out, &used, &status) !=
		        HTTP_PARSE_BAD ||
		    status != cases[i].status)
			fail_msg("chunked case %zu: status %d", i, status);
		buf_release(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_head),
	    cmocka_unit_test(test_methods_and_versions),
	    cmocka_unit_test(test_bad_heads),
	    cmocka_unit_test(test_nul_and_bare_lf),
	    cmocka_unit_test(test_incremental),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_framing),
	    cmocka_unit_test(test_chunked_good),
	    cmocka_unit_test(test_chunked_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
