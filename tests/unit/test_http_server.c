/*
 * The listener end to end: a real server on 127.0.0.1 with a handler that
 * echoes what it was given, driven over plain sockets and libcurl.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http/server.h"

struct running {
	struct http_server *s;
	pthread_t thread;
	int port;
};

/*
 * A gate that "gated" requests wait at until the test opens it, so a test
 * can hold a request in its handler for as long as it needs, without
 * guessing at times.
 */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open = true;
static int gate_waiting;

static void gate_pass(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10; /* a test that forgets to open fails, not hangs */
	pthread_mutex_lock(&gate_lock);
	gate_waiting++;
	pthread_cond_broadcast(&gate_cond);
	while (!gate_open &&
	       pthread_cond_timedwait(&gate_cond, &gate_lock, &until) == 0)
		;
	gate_waiting--;
	pthread_mutex_unlock(&gate_lock);
}

static void gate_set(bool open)
{
	pthread_mutex_lock(&gate_lock);
	gate_open = open;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

/* Waits until n requests are held at the gate. */
static void gate_await(int n)
{
	pthread_mutex_lock(&gate_lock);
	while (gate_waiting < n)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
}

/* Echoes the request; "empty" paths answer 204, "sealed" a 503. */
static void echo_handler(void *ctx, struct request *req, struct response *resp)
{
	(void)ctx;
	if (strstr(req->path, "gated") != NULL)
		gate_pass();
	if (strstr(req->path, "empty") != NULL)
		return;
	if (strstr(req->path, "sealed") != NULL) {
		response_error(resp, ERR_SEALED, "Vault is sealed");
		return;
	}
	response_set_data(resp, json_pack("{s:s,s:s,s:s,s:b,s:O,s:s}", "op",
	                                  op_name(req->op), "path", req->path,
	                                  "ns", req->ns, "token",
	                                  req->token != NULL, "data", req->data,
	                                  "remote", req->remote_addr));
	snprintf(resp->mount_type, sizeof(resp->mount_type), "kv");
}

static void *run_thread(void *arg)
{
	struct running *r = arg;

	http_server_run(r->s);
	return NULL;
}

static struct running *start(struct listener_config *cfg, int threads)
{
	struct running *r = calloc(1, sizeof(*r));
	char err[256];

	assert_non_null(r);
	if (http_server_new(cfg, 1, threads, echo_handler, NULL, &r->s, err,
	                    sizeof(err)) != ERR_OK)
		fail_msg("server: %s", err);
	http_server_set_timeouts(r->s, 300, 2000);
	r->port = http_server_port(r->s, 0);
	assert_true(r->port > 0);
	assert_int_equal(pthread_create(&r->thread, NULL, run_thread, r), 0);
	return r;
}

static void stop(struct running *r)
{
	http_server_stop(r->s);
	pthread_join(r->thread, NULL);
	http_server_free(r->s);
	free(r);
}

static struct listener_config plain_config(void)
{
	struct listener_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.address = "127.0.0.1:0";
	cfg.tls_disable = true;
	cfg.max_request_size = 1024;
	cfg.max_request_duration = 5;
	return cfg;
}

/* buf[len] is always 0: replies are searched with strstr. */
struct client {
	int fd;
	char buf[1 << 16];
	size_t len;
};

struct reply {
	int status;
	char head[4096];
	json_t *body;
	size_t body_len;
};

static void client_open(struct client *c, int port)
{
	struct sockaddr_in sa;
	struct timeval tv = {5, 0};

	/*
	 * An empty buffer must read as empty: left unterminated, strstr saw
	 * an old reply's head left on the stack by an earlier test and took
	 * it for an answer before a byte had arrived.
	 */
	c->len = 0;
	c->buf[0] = 0;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(c->fd >= 0);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

static void client_send(struct client *c, const char *s, size_t n)
{
	assert_int_equal(send(c->fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void client_says(struct client *c, const char *s)
{
	client_send(c, s, strlen(s));
}

/* Reads more; returns false on EOF or time-out. */
static bool client_fill(struct client *c)
{
	ssize_t n =
	    recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len - 1, 0);

	if (n <= 0)
		return false;
	c->len += (size_t)n;
	c->buf[c->len] = 0;
	return true;
}

/* Reads one response; head_only for replies to HEAD. */
static bool client_reply(struct client *c, struct reply *r, bool head_only)
{
	char *end, *cl;
	size_t hlen, blen = 0;

	while ((end = strstr(c->buf, "\r\n\r\n")) == NULL)
		if (!client_fill(c))
			return false;
	hlen = (size_t)(end - c->buf) + 4;
	assert_true(hlen < sizeof(r->head));
	memcpy(r->head, c->buf, hlen);
	r->head[hlen] = 0;
	assert_int_equal(sscanf(r->head, "HTTP/1.1 %d", &r->status), 1);
	cl = strstr(r->head, "Content-Length: ");
	if (cl != NULL && !head_only)
		blen = strtoul(cl + 16, NULL, 10);
	while (c->len < hlen + blen)
		if (!client_fill(c))
			return false;
	r->body_len = blen;
	r->body = blen ? json_loadb(c->buf + hlen, blen, 0, NULL) : NULL;
	memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen + 1);
	c->len -= hlen + blen;
	/* Every answer forbids caching. */
	assert_non_null(strstr(r->head, "Cache-Control: no-store\r\n"));
	return true;
}

/* True when the server closed the connection (EOF, not a time-out). */
static bool client_closed(struct client *c)
{
	char b[256];

	for (;;) {
		ssize_t n = recv(c->fd, b, sizeof(b), 0);

		if (n == 0)
			return true;
		if (n < 0)
			return false;
	}
}

static const char *data_str(const struct reply *r, const char *key)
{
	return json_string_value(
	    json_object_get(json_object_get(r->body, "data"), key));
}

static void roundtrip(int port, const char *req, struct reply *r)
{
	struct client c;

	client_open(&c, port);
	client_says(&c, req);
	assert_true(client_reply(&c, r, false));
	close(c.fd);
}

static void test_operations(void **state)
{
	struct running *srv = *state;
	struct reply r;

	roundtrip(srv->port,
	          "GET /v1/secret/data/a%20b?version=2 HTTP/1.1\r\n"
	          "Host: x\r\nX-Vault-Token: hvs.t\r\n"
	          "X-Vault-Namespace: team/\r\n\r\n",
	          &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.head, "Content-Type: application/json\r\n"));
	assert_string_equal(data_str(&r, "op"), "read");
	assert_string_equal(data_str(&r, "path"), "secret/data/a b");
	assert_string_equal(data_str(&r, "ns"), "team/");
	assert_string_equal(data_str(&r, "remote"), "127.0.0.1");
	assert_true(json_is_true(
	    json_object_get(json_object_get(r.body, "data"), "token")));
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(r.body, "data"), "data"),
	        "version")),
	    "2");
	assert_true(json_is_null(json_object_get(r.body, "warnings")));
	json_decref(r.body);

	roundtrip(srv->port, "LIST /v1/secret/metadata/dir HTTP/1.1\r\n\r\n",
	          &r);
	assert_string_equal(data_str(&r, "op"), "list");
	assert_string_equal(data_str(&r, "path"), "secret/metadata/dir/");
	json_decref(r.body);

	roundtrip(srv->port, "GET /v1/secret?list=True HTTP/1.1\r\n\r\n", &r);
	assert_string_equal(data_str(&r, "op"), "list");
	assert_string_equal(data_str(&r, "path"), "secret/");
	json_decref(r.body);

	roundtrip(srv->port, "DELETE /v1/x/empty HTTP/1.1\r\n\r\n", &r);
	assert_int_equal(r.status, 204);
	assert_null(strstr(r.head, "Content-Length"));
	assert_null(strstr(r.head, "Content-Type"));

	roundtrip(srv->port, "GET /v1/sealed HTTP/1.1\r\n\r\n", &r);
	assert_int_equal(r.status, 503);
	assert_string_equal(json_string_value(json_array_get(
	                        json_object_get(r.body, "errors"), 0)),
	                    "Vault is sealed");
	json_decref(r.body);

	roundtrip(srv->port, "SCAN /v1/x HTTP/1.1\r\n\r\n", &r);
	assert_int_equal(r.status, 405);
	json_decref(r.body);

	roundtrip(srv->port, "GET /v2/x HTTP/1.1\r\n\r\n", &r);
	assert_int_equal(r.status, 404);
	assert_true(json_is_array(json_object_get(r.body, "errors")));
	json_decref(r.body);
}

static void test_bodies(void **state)
{
	struct running *srv = *state;
	struct reply r;

	roundtrip(srv->port,
	          "PUT /v1/secret/x HTTP/1.1\r\nContent-Length: 13\r\n\r\n"
	          "{\"foo\":\"bar\"}",
	          &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(data_str(&r, "op"), "update");
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(r.body, "data"), "data"),
	        "foo")),
	    "bar");
	json_decref(r.body);

	roundtrip(srv->port,
	          "POST /v1/secret/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	          "\r\n4\r\n{\"a\"\r\n5\r\n:\"b\"}\r\n0\r\n\r\n",
	          &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(r.body, "data"), "data"), "a")),
	    "b");
	json_decref(r.body);

	roundtrip(srv->port,
	          "PATCH /v1/secret/data/x HTTP/1.1\r\nContent-Type: "
	          "application/json\r\nContent-Length: 2\r\n\r\n{}",
	          &r);
	assert_int_equal(r.status, 415);
	json_decref(r.body);
}

static void test_malformed_json(void **state)
{
	struct running *srv = *state;
	struct reply r;

	roundtrip(srv->port,
	          "PUT /v1/secret/x HTTP/1.1\r\nContent-Length: 8\r\n\r\n"
	          "{\"a\":1,}",
	          &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(json_string_value(json_array_get(
	                           json_object_get(r.body, "errors"), 0)),
	                       "failed to parse JSON input"));
	json_decref(r.body);
}

static void test_too_large(void **state)
{
	struct running *srv = *state;
	struct client c;
	struct reply r;
	char body[2048];

	/* Refused from Content-Length alone, before any body byte. */
	client_open(&c, srv->port);
	client_says(&c, "PUT /v1/secret/x HTTP/1.1\r\n"
	                "Content-Length: 100000000\r\n\r\n");
	assert_true(client_reply(&c, &r, false));
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.head, "Connection: close\r\n"));
	json_decref(r.body);
	assert_true(client_closed(&c));
	close(c.fd);

	/* Chunked bodies are counted as they arrive. */
	memset(body, 'a', sizeof(body));
	client_open(&c, srv->port);
	client_says(&c, "PUT /v1/secret/x HTTP/1.1\r\n"
	                "Transfer-Encoding: chunked\r\n\r\n800\r\n");
	client_send(&c, body, sizeof(body));
	assert_true(client_reply(&c, &r, false));
	assert_int_equal(r.status, 413);
	json_decref(r.body);
	close(c.fd);
}

static void test_framing_errors(void **state)
{
	static const struct {
		const char *req;
		int status;
	} cases[] = {
	    {"POST /v1/x HTTP/1.1\r\nContent-Length: 1\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	     400},
	    {"GET /v1/x HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400},
	    {"GET /v1/x HTTP/1.1\nHost: x\n\n", 400},
	    {"GET /v1/x HTTP/2.0\r\n\r\n", 505},
	    {"POST /v1/x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
	};
	struct running *srv = *state;
	struct client c;
	struct reply r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		client_open(&c, srv->port);
		client_says(&c, cases[i].req);
		assert_true(client_reply(&c, &r, false));
		assert_int_equal(r.status, cases[i].status);
		assert_non_null(strstr(r.head, "Connection: close\r\n"));
		assert_true(json_is_array(json_object_get(r.body, "errors")));
		json_decref(r.body);
		assert_true(client_closed(&c));
		close(c.fd);
	}
}

static void test_keepalive_and_pipelining(void **state)
{
	struct running *srv = *state;
	struct client c;
	struct reply r;
	int i;

	client_open(&c, srv->port);
	for (i = 0; i < 3; i++) {
		client_says(&c, "GET /v1/a HTTP/1.1\r\n\r\n");
		assert_true(client_reply(&c, &r, false));
		assert_int_equal(r.status, 200);
		assert_null(strstr(r.head, "Connection: close"));
		json_decref(r.body);
	}

	/* Two requests in one segment come back in order. */
	client_says(&c, "PUT /v1/one HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
	                "\r\nGET /v1/two HTTP/1.1\r\n\r\n");
	assert_true(client_reply(&c, &r, false));
	assert_string_equal(data_str(&r, "path"), "one");
	json_decref(r.body);
	assert_true(client_reply(&c, &r, false));
	assert_string_equal(data_str(&r, "path"), "two");
	json_decref(r.body);

	/* HEAD: the head of the reply and no body. */
	client_says(&c, "HEAD /v1/sys/health HTTP/1.1\r\n\r\n"
	                "GET /v1/three HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_true(client_reply(&c, &r, true));
	assert_int_equal(r.status, 200);
	assert_true(client_reply(&c, &r, false));
	assert_string_equal(data_str(&r, "path"), "three");
	assert_non_null(strstr(r.head, "Connection: close\r\n"));
	json_decref(r.body);
	assert_true(client_closed(&c));
	close(c.fd);

	/* HTTP/1.0 closes unless asked otherwise. */
	client_open(&c, srv->port);
	client_says(&c, "GET /v1/a HTTP/1.0\r\n\r\n");
	assert_true(client_reply(&c, &r, false));
	json_decref(r.body);
	assert_true(client_closed(&c));
	close(c.fd);
}

static void test_abusive_clients(void **state)
{
	struct running *srv = *state;
	struct client c, slow;
	struct reply r;
	struct timespec t0, t1;

	/* A truncated request, then the client leaves. */
	client_open(&c, srv->port);
	client_says(&c, "PUT /v1/x HTTP/1.1\r\nContent-Length: 50\r\n\r\n{");
	close(c.fd);

	/* Half a head, then nothing: cut off after the head time-out. */
	client_open(&slow, srv->port);
	client_says(&slow, "GET /v1/a HTTP/1.1\r\nX-A: ");
	clock_gettime(CLOCK_MONOTONIC, &t0);

	/* Meanwhile other clients are served. */
	roundtrip(srv->port, "GET /v1/still-up HTTP/1.1\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	json_decref(r.body);

	assert_true(client_closed(&slow));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 3);
	close(slow.fd);

	/* An idle keep-alive connection is closed after the idle time-out. */
	client_open(&c, srv->port);
	client_says(&c, "GET /v1/a HTTP/1.1\r\n\r\n");
	assert_true(client_reply(&c, &r, false));
	json_decref(r.body);
	assert_true(client_closed(&c));
	close(c.fd);

	roundtrip(srv->port, "GET /v1/after HTTP/1.1\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	json_decref(r.body);
}

struct flood {
	int fd;
	int n;
};

static void *flood_send(void *arg)
{
	struct flood *f = arg;
	static const char req[] = "GET /v1/flood HTTP/1.1\r\n\r\n";
	int i;

	for (i = 0; i < f->n; i++)
		if (send(f->fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0)
			break;
	return NULL;
}

/*
 * Megabytes of pipelined requests from a client that reads its replies
 * late: the server pauses instead of buffering without bound, then every
 * reply arrives, in order.
 */
static void test_pipeline_flood(void **state)
{
	struct running *srv = *state;
	struct client c;
	struct reply r;
	struct flood f;
	pthread_t t;
	int i;

	client_open(&c, srv->port);
	f.fd = c.fd;
	f.n = 8000;
	assert_int_equal(pthread_create(&t, NULL, flood_send, &f), 0);
	usleep(300 * 1000);
	for (i = 0; i < f.n; i++) {
		assert_true(client_reply(&c, &r, false));
		assert_int_equal(r.status, 200);
		assert_string_equal(data_str(&r, "path"), "flood");
		json_decref(r.body);
	}
	pthread_join(t, NULL);
	close(c.fd);
}

static void test_expect_continue(void **state)
{
	struct running *srv = *state;
	struct client c;
	struct reply r;

	client_open(&c, srv->port);
	client_says(&c, "PUT /v1/x HTTP/1.1\r\nContent-Length: 9\r\n"
	                "Expect: 100-continue\r\n\r\n");
	while (strstr(c.buf, "\r\n\r\n") == NULL)
		assert_true(client_fill(&c));
	assert_memory_equal(c.buf, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	memmove(c.buf, c.buf + 25, c.len - 25 + 1);
	c.len -= 25;
	client_says(&c, "{\"a\":\"b\"}");
	assert_true(client_reply(&c, &r, false));
	assert_int_equal(r.status, 200);
	json_decref(r.body);
	close(c.fd);
}

static size_t curl_collect(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	return buf_append(b, p, size * n) == ERR_OK ? size * n : 0;
}

/* One request with libcurl; returns the status, body in out. */
static long curl_request(const char *url, const char *method, const char *body,
                         const char *cafile, struct buf *out)
{
	CURL *h = curl_easy_init();
	long status = 0;
	CURLcode rc;

	assert_non_null(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	if (body != NULL)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	if (cafile != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, cafile);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		fail_msg("curl: %s", curl_easy_strerror(rc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	return status;
}

static void test_curl_plain(void **state)
{
	struct running *srv = *state;
	struct buf out = BUF_INIT;
	char url[128];
	json_t *j;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/kv/x", srv->port);
	assert_int_equal(curl_request(url, "PUT", "{\"k\":\"v\"}", NULL, &out),
	                 200);
	j = json_loads(buf_str(&out), 0, NULL);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(j, "data"), "data"), "k")),
	    "v");
	json_decref(j);
	buf_release(&out);

	assert_int_equal(curl_request(url, "LIST", NULL, NULL, &out), 200);
	buf_release(&out);
}

static void test_tls(void **state)
{
	char dir[] = "/tmp/coffer-tls-XXXXXX", cmd[512], cert[64], key[64];
	char url[128];
	struct listener_config cfg = plain_config();
	struct running *srv;
	struct buf out = BUF_INIT;
	json_t *j;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/c", dir);
	snprintf(key, sizeof(key), "%s/k", dir);
	snprintf(cmd, sizeof(cmd),
	         "openssl req -x509 -newkey ec -pkeyopt "
	         "ec_paramgen_curve:P-256 -nodes -subj /CN=localhost "
	         "-addext subjectAltName=DNS:localhost -days 1 "
	         "-keyout %s -out %s 2>/dev/null",
	         key, cert);
	assert_int_equal(system(cmd), 0);

	cfg.tls_disable = false;
	cfg.tls_cert_file = cert;
	cfg.tls_key_file = key;
	srv = start(&cfg, 1);
	snprintf(url, sizeof(url), "https://localhost:%d/v1/secret/t",
	         srv->port);
	assert_int_equal(curl_request(url, "GET", NULL, cert, &out), 200);
	j = json_loads(buf_str(&out), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(j, "data"), "path")),
	                    "secret/t");
	json_decref(j);
	buf_release(&out);
	stop(srv);

	/* A missing key file is an error at start, not at first request. */
	{
		struct http_server *s = NULL;
		char err[256];

		cfg.tls_key_file = "/nonexistent/key.pem";
		assert_int_equal(http_server_new(&cfg, 1, 1, echo_handler, NULL,
		                                 &s, err, sizeof(err)),
		                 ERR_INVALID);
		assert_null(s);
		assert_non_null(strstr(err, "/nonexistent/key.pem"));
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_bind_error(void **state)
{
	struct running *srv = *state;
	struct listener_config cfg = plain_config();
	struct http_server *s = NULL;
	char addr[64], err[256];

	/* Not a host:port. */
	cfg.address = "nonsense";
	assert_int_equal(http_server_new(&cfg, 1, 1, echo_handler, NULL, &s,
	                                 err, sizeof(err)),
	                 ERR_INVALID);
	assert_null(s);
	(void)srv;
	snprintf(addr, sizeof(addr), "192.0.2.1:%d", srv->port);
	cfg.address = addr;
	assert_int_equal(http_server_new(&cfg, 1, 1, echo_handler, NULL, &s,
	                                 err, sizeof(err)),
	                 ERR_IO);
	assert_null(s);
}

/* True when a reply has started to arrive on c (without waiting). */
static bool client_has_data(struct client *c)
{
	char b;

	return recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/*
 * One worker thread: a write held in its handler (as by a slow commit)
 * does not hold the reads of other connections on the same loop, and its
 * own reply comes once it is done.
 */
static void test_write_does_not_block_reads(void **state)
{
	struct listener_config cfg = plain_config();
	struct running *srv = start(&cfg, 1);
	struct client w, r;
	struct reply rep;
	int i;

	(void)state;
	gate_set(false);
	client_open(&w, srv->port);
	client_says(&w,
	            "PUT /v1/gated HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
	gate_await(1);
	for (i = 0; i < 3; i++) {
		client_open(&r, srv->port);
		client_says(&r, "GET /v1/read HTTP/1.1\r\n\r\n");
		assert_true(client_reply(&r, &rep, false));
		assert_int_equal(rep.status, 200);
		json_decref(rep.body);
		close(r.fd);
	}
	assert_false(client_has_data(&w));
	gate_set(true);
	assert_true(client_reply(&w, &rep, false));
	assert_string_equal(data_str(&rep, "path"), "gated");
	json_decref(rep.body);

	/* The connection goes on: a pipelined write then read, in order. */
	client_says(&w,
	            "POST /v1/gated/2 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
	            "GET /v1/after HTTP/1.1\r\n\r\n");
	assert_true(client_reply(&w, &rep, false));
	assert_string_equal(data_str(&rep, "path"), "gated/2");
	json_decref(rep.body);
	assert_true(client_reply(&w, &rep, false));
	assert_string_equal(data_str(&rep, "path"), "after");
	json_decref(rep.body);
	close(w.fd);
	stop(srv);
}

/*
 * Clients that leave while their write is in the handler: one resets the
 * connection (the server frees it while the request still runs), one
 * half-closes (it still gets its answer). The server goes on serving, and
 * stopping it with a request still held is clean (ASan checks the rest).
 */
static void test_clients_leave_during_write(void **state)
{
	struct listener_config cfg = plain_config();
	struct running *srv = start(&cfg, 1);
	struct linger hard = {1, 0};
	struct client a, b, c;
	struct reply rep;

	(void)state;
	gate_set(false);
	client_open(&a, srv->port);
	client_says(&a,
	            "PUT /v1/gated/a HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
	client_open(&b, srv->port);
	client_says(&b,
	            "PUT /v1/gated/b HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
	gate_await(2);
	setsockopt(a.fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
	close(a.fd); /* RST */
	shutdown(b.fd, SHUT_WR);
	/* Let the server see both before the requests come back. */
	roundtrip(srv->port, "GET /v1/between HTTP/1.1\r\n\r\n", &rep);
	json_decref(rep.body);
	gate_set(true);
	assert_true(client_reply(&b, &rep, false));
	assert_string_equal(data_str(&rep, "path"), "gated/b");
	json_decref(rep.body);
	assert_true(client_closed(&b));
	close(b.fd);
	roundtrip(srv->port, "GET /v1/still HTTP/1.1\r\n\r\n", &rep);
	assert_string_equal(data_str(&rep, "path"), "still");
	json_decref(rep.body);

	/* Stopped with a write still in its handler. */
	gate_set(false);
	client_open(&c, srv->port);
	client_says(&c, "DELETE /v1/gated/c HTTP/1.1\r\n\r\n");
	gate_await(1);
	gate_set(true);
	stop(srv);
	close(c.fd);
}

static int setup(void **state)
{
	struct listener_config cfg = plain_config();

	*state = start(&cfg, 2);
	return 0;
}

static int teardown(void **state)
{
	stop(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_operations),
	    cmocka_unit_test(test_bodies),
	    cmocka_unit_test(test_malformed_json),
	    cmocka_unit_test(test_too_large),
	    cmocka_unit_test(test_framing_errors),
	    cmocka_unit_test(test_keepalive_and_pipelining),
	    cmocka_unit_test(test_abusive_clients),
	    cmocka_unit_test(test_pipeline_flood),
	    cmocka_unit_test(test_expect_continue),
	    cmocka_unit_test(test_curl_plain),
	    cmocka_unit_test(test_tls),
	    cmocka_unit_test(test_bind_error),
	    cmocka_unit_test(test_write_does_not_block_reads),
	    cmocka_unit_test(test_clients_leave_during_write),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
