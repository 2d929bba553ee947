/*
 * The libcurl side that the CLI's and the agent's clients share
 * (cli/transport.h), against the fake server of cli_fake.h: loopback is
 * reached past any proxy, an answer over the sink's cap is refused, what
 * goes out with and without a body, and header values that would forge
 * other headers.
 */
#include "cli_fake.h"

#include "cli/transport.h"

/* Sends method (with body, may be NULL) to /v1/sys/probe through t. */
static err_t probe(const struct transport *t, const char *method,
                   const char *body, struct curl_slist *headers,
                   struct buf *sink, struct buf *reason)
{
	struct buf url = BUF_INIT, address = BUF_INIT;
	CURL *h = curl_easy_init();
	err_t rc;

	assert_non_null(h);
	assert_int_equal(buf_printf(&address, "http://127.0.0.1:%d", srv.port),
	                 ERR_OK);
	assert_int_equal(
	    transport_url(buf_str(&address), "sys/probe", NULL, &url), ERR_OK);
	rc = transport_setup(h, t, method, buf_str(&url), body,
	                     body ? strlen(body) : 0, sink);
	if (rc == ERR_OK && headers != NULL)
		assert_int_equal(
		    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers), CURLE_OK);
	if (rc == ERR_OK)
		rc = transport_perform(h, reason);
	curl_easy_cleanup(h);
	buf_release(&url);
	buf_release(&address);
	return rc;
}

/* Sets or (for NULL) removes an environment variable. */
static void set_env(const char *name, const char *value)
{
	if (value != NULL)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

static void test_no_proxy_list(void **state)
{
	static const struct {
		const char *lower, *upper, *want;
	} cases[] = {
	    {NULL, NULL, "localhost,127.0.0.1,::1"},
	    {NULL, "corp.example", "corp.example,localhost,127.0.0.1,::1"},
	    /* The lower-case spelling wins; an empty one does not count. */
	    {"lower.example", "corp.example",
	     "lower.example,localhost,127.0.0.1,::1"},
	    {"", "corp.example", "corp.example,localhost,127.0.0.1,::1"},
	};
	char *list;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_env("no_proxy", cases[i].lower);
		set_env("NO_PROXY", cases[i].upper);
		assert_int_equal(transport_no_proxy(&list), ERR_OK);
		assert_string_equal(list, cases[i].want);
		free(list);
	}
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
}

static void test_loopback_skips_the_proxy(void **state)
{
	struct transport t = {0};
	struct buf sink = BUF_INIT, reason = BUF_INIT;
	char *bypass, none[] = "";

	(void)state;
	route("GET /v1/sys/probe", 200, "{\"ok\":true}");
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	/* A proxy nobody listens on: a request through it fails. */
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	assert_int_equal(transport_init(&t, NULL, NULL, NULL, NULL), ERR_OK);
	t.timeout = 10;

	assert_int_equal(probe(&t, "GET", NULL, NULL, &sink, &reason), ERR_OK);
	assert_string_equal(buf_str(&sink), "{\"ok\":true}");

	/* The same request without the bypass goes to the dead proxy. */
	bypass = t.no_proxy;
	t.no_proxy = none;
	buf_reset(&sink);
	assert_int_equal(probe(&t, "GET", NULL, NULL, &sink, &reason), ERR_IO);
	assert_true(reason.len > 0);
	t.no_proxy = bypass;

	unsetenv("http_proxy");
	transport_release(&t);
	buf_release(&sink);
	buf_release(&reason);
}

static void test_answer_over_the_cap(void **state)
{
	static const char answer[] = "{\"data\":\"0123456789\"}";
	struct transport t = {0};
	struct buf sink, reason = BUF_INIT;

	(void)state;
	route("GET /v1/sys/probe", 200, answer);
	assert_int_equal(transport_init(&t, NULL, NULL, NULL, NULL), ERR_OK);
	t.timeout = 10;

	/* Exactly the cap is fine; one byte more aborts the transfer. */
	buf_init(&sink, strlen(answer));
	assert_int_equal(probe(&t, "GET", NULL, NULL, &sink, &reason), ERR_OK);
	assert_string_equal(buf_str(&sink), answer);
	buf_release(&sink);

	buf_init(&sink, strlen(answer) - 1);
	assert_int_equal(probe(&t, "GET", NULL, NULL, &sink, &reason), ERR_IO);
	assert_true(reason.len > 0);

	transport_release(&t);
	buf_release(&sink);
	buf_release(&reason);
}

static void test_bodies_and_headers(void **state)
{
	struct transport t = {0};
	struct curl_slist *headers = NULL;
	struct buf sink = BUF_INIT, reason = BUF_INIT;
	char v[256];

	(void)state;
	route("PUT /v1/sys/probe", 204, NULL);
	route("POST /v1/sys/probe", 200, "{}");
	assert_int_equal(transport_init(&t, NULL, NULL, NULL, NULL), ERR_OK);
	t.timeout = 10;

	/* A PUT without a body still says so, and announces no form type. */
	assert_int_equal(transport_no_content_type(&headers), ERR_OK);
	assert_int_equal(probe(&t, "PUT", NULL, headers, &sink, &reason),
	                 ERR_OK);
	assert_string_equal(last()->line, "PUT /v1/sys/probe HTTP/1.1");
	assert_string_equal(header(last(), "Content-Length", v, sizeof(v)),
	                    "0");
	assert_null(header(last(), "Content-Type", v, sizeof(v)));
	transport_headers_free(headers);

	headers = NULL;
	assert_int_equal(
	    transport_add_header(&headers, "Content-Type", "application/json"),
	    ERR_OK);
	assert_int_equal(
	    transport_add_header(&headers, "X-Vault-Token", "s.test-token"),
	    ERR_OK);
	assert_int_equal(
	    probe(&t, "POST", "{\"k\":1}", headers, &sink, &reason), ERR_OK);
	assert_true(body_is(last(), "{\"k\":1}"));
	assert_string_equal(header(last(), "X-Vault-Token", v, sizeof(v)),
	                    "s.test-token");
	transport_headers_free(headers);

	transport_release(&t);
	buf_release(&sink);
	buf_release(&reason);
}

static void test_header_line_breaks_are_refused(void **state)
{
	struct curl_slist *headers = NULL;

	(void)state;
	assert_int_equal(transport_add_header(&headers, "X-Vault-Token",
	                                      "s.x\r\nX-Vault-Namespace: a"),
	                 ERR_INVALID);
	assert_int_equal(
	    transport_add_header(&headers, "X-Vault-Namespace", "a\nb"),
	    ERR_INVALID);
	assert_null(headers);
	transport_headers_free(NULL);
}

static void test_url(void **state)
{
	struct buf url = BUF_INIT;

	(void)state;
	assert_int_equal(
	    transport_url("http://h:1", "/secret/a b", "x=%20", &url), ERR_OK);
	assert_string_equal(buf_str(&url), "http://h:1/v1/secret/a%20b?x=%20");
	buf_reset(&url);
	assert_int_equal(transport_url("http://h:1", "sys/health", "", &url),
	                 ERR_OK);
	assert_string_equal(buf_str(&url), "http://h:1/v1/sys/health");
	buf_release(&url);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_no_proxy_list),
	    T(test_loopback_skips_the_proxy),
	    T(test_answer_over_the_cap),
	    T(test_bodies_and_headers),
	    T(test_header_line_breaks_are_refused),
	    T(test_url),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
