/*
 * Request forwarding (http/forward.h) end to end, without a database: a
 * "standby" server whose handler asks for every request to be relayed,
 * an "active" server that echoes what reached it, and hand-made upstreams
 * that answer with canned bytes, say nothing, or are not there at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http/forward.h"
#include "http/server.h"

struct node {
	struct http_server *s;
	pthread_t thread;
	int port;
};

/* Where the standby relays to; set by each test. */
static int target_port;
static const char *target_scheme = "http";
static const char *target_host = "127.0.0.1";

static const char *first_header(struct request *req, const char *name)
{
	return json_string_value(
	    json_array_get(json_object_get(req->headers, name), 0));
}

/* The active: says what reached it. */
static void active_handler(void *ctx, struct request *req,
                           struct response *resp)
{
	const char *fwd = first_header(req, "x-coffer-forwarded-for");
	json_t *all = json_object_get(req->headers, "x-coffer-forwarded-for");

	(void)ctx;
	if (strstr(req->path, "empty") != NULL)
		return;
	response_set_data(
	    resp,
	    json_pack("{s:s,s:s,s:O,s:s,s:s,s:i,s:s,s:b}", "op",
	              op_name(req->op), "path", req->path, "data", req->data,
	              "remote", req->remote_addr, "fwd", fwd ? fwd : "",
	              "fwd_count", (int)json_array_size(all), "test",
	              first_header(req, "x-test") ? first_header(req, "x-test")
	                                          : "",
	              "token", req->token != NULL));
}

/* The standby: relays everything but "local" paths. */
static void standby_handler(void *ctx, struct request *req,
                            struct response *resp)
{
	char url[64], addr[32];

	(void)ctx;
	if (strstr(req->path, "local") != NULL) {
		response_set_data(resp, json_pack("{s:b}", "local", 1));
		return;
	}
	snprintf(url, sizeof(url), "%s://%s:%d", target_scheme, target_host,
	         target_port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", target_port);
	resp->status = 307;
	resp->bare = true;
	response_set_data(resp,
	                  json_pack("{s:s,s:s,s:s}", "leader_address", url,
	                            "forward_address", addr, "forward_header",
	                            "X-Coffer-Forwarded-For: v1;test"));
}

static void *node_run(void *arg)
{
	http_server_run(((struct node *)arg)->s);
	return NULL;
}

/* A server on a free port; TLS with cert and key when they are given. */
static void node_start_tls(struct node *n, http_handler_fn fn, const char *cert,
                           const char *key)
{
	struct listener_config cfg;
	char err[256];

	memset(&cfg, 0, sizeof(cfg));
	cfg.address = "127.0.0.1:0";
	cfg.tls_disable = cert == NULL;
	cfg.tls_cert_file = (char *)cert;
	cfg.tls_key_file = (char *)key;
	cfg.max_request_size = 1 << 20;
	cfg.max_request_duration = 1;
	if (http_server_new(&cfg, 1, 1, fn, NULL, &n->s, err, sizeof(err)) !=
	    ERR_OK)
		fail_msg("server: %s", err);
	n->port = http_server_port(n->s, 0);
	assert_int_equal(pthread_create(&n->thread, NULL, node_run, n), 0);
}

static void node_start(struct node *n, http_handler_fn fn)
{
	node_start_tls(n, fn, NULL, NULL);
}

static void node_stop(struct node *n)
{
	http_server_stop(n->s);
	pthread_join(n->thread, NULL);
	http_server_free(n->s);
}

struct pair {
	struct node active, standby;
};

static int pair_setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	node_start(&p->active, active_handler);
	node_start(&p->standby, standby_handler);
	target_port = p->active.port;
	*state = p;
	return 0;
}

static int pair_teardown(void **state)
{
	struct pair *p = *state;

	node_stop(&p->standby);
	node_stop(&p->active);
	free(p);
	target_scheme = "http";
	target_host = "127.0.0.1";
	return 0;
}

/* ---- a plain client ---------------------------------------------------- */

struct client {
	int fd;
	char buf[1 << 16];
	size_t len;
};

struct answer {
	int status;
	char head[4096];
	json_t *body;
};

static int tcp_connect(int port)
{
	struct sockaddr_in sa;
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void say(struct client *c, const char *s)
{
	assert_int_equal(send(c->fd, s, strlen(s), MSG_NOSIGNAL),
	                 (ssize_t)strlen(s));
}

static bool more(struct client *c)
{
	ssize_t n =
	    recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len - 1, 0);

	if (n <= 0)
		return false;
	c->len += (size_t)n;
	c->buf[c->len] = 0;
	return true;
}

static bool hear(struct client *c, struct answer *a)
{
	char *end, *cl;
	size_t hlen, blen = 0;

	while ((end = strstr(c->buf, "\r\n\r\n")) == NULL)
		if (!more(c))
			return false;
	hlen = (size_t)(end - c->buf) + 4;
	assert_true(hlen < sizeof(a->head));
	memcpy(a->head, c->buf, hlen);
	a->head[hlen] = 0;
	assert_int_equal(sscanf(a->head, "HTTP/1.1 %d", &a->status), 1);
	cl = strstr(a->head, "Content-Length: ");
	if (cl != NULL)
		blen = strtoul(cl + 16, NULL, 10);
	while (c->len < hlen + blen)
		if (!more(c))
			return false;
	a->body = blen ? json_loadb(c->buf + hlen, blen, 0, NULL) : NULL;
	memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen + 1);
	c->len -= hlen + blen;
	return true;
}

static void ask(int port, const char *req, struct answer *a)
{
	struct client c = {.len = 0};

	c.fd = tcp_connect(port);
	c.buf[0] = 0;
	say(&c, req);
	assert_true(hear(&c, a));
	close(c.fd);
}

static const char *field(const struct answer *a, const char *key)
{
	return json_string_value(
	    json_object_get(json_object_get(a->body, "data"), key));
}

static const char *first_error(const struct answer *a)
{
	return json_string_value(
	    json_array_get(json_object_get(a->body, "errors"), 0));
}

/* ---- against a real server --------------------------------------------- */

static void test_relays_requests(void **state)
{
	struct pair *p = *state;
	struct answer a;

	ask(p->standby.port,
	    "PUT /v1/secret/data/x?y=1 HTTP/1.1\r\nHost: s\r\n"
	    "X-Vault-Token: t\r\nX-Test: kept\r\n"
	    "x-coffer-forwarded-for: v1;forged\r\n"
	    "Content-Length: 16\r\n\r\n{\"data\":{\"a\":1}}",
	    &a);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(a.head, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(a.head, "Cache-Control: no-store\r\n"));
	assert_string_equal(field(&a, "op"), "update");
	assert_string_equal(field(&a, "path"), "secret/data/x");
	assert_string_equal(field(&a, "test"), "kept");
	assert_string_equal(field(&a, "remote"), "127.0.0.1");
	/* The client's forged header is dropped; only the standby's goes. */
	assert_string_equal(field(&a, "fwd"), "v1;test");
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(a.body, "data"), "fwd_count")),
	                 1);
	assert_true(json_is_true(
	    json_object_get(json_object_get(a.body, "data"), "token")));
	json_decref(a.body);

	ask(p->standby.port, "LIST /v1/secret/metadata/d HTTP/1.1\r\n\r\n", &a);
	assert_string_equal(field(&a, "op"), "list");
	assert_string_equal(field(&a, "path"), "secret/metadata/d/");
	json_decref(a.body);

	ask(p->standby.port, "DELETE /v1/x/empty HTTP/1.1\r\n\r\n", &a);
	assert_int_equal(a.status, 204);
	assert_null(strstr(a.head, "Content-Length"));
	assert_null(a.body);
}

static void test_keep_alive_and_pipelining(void **state)
{
	struct pair *p = *state;
	struct client c = {.len = 0};
	struct answer a;
	int i;

	c.fd = tcp_connect(p->standby.port);
	c.buf[0] = 0;
	for (i = 0; i < 20; i++) {
		say(&c, "GET /v1/kv/one HTTP/1.1\r\n\r\n");
		assert_true(hear(&c, &a));
		assert_int_equal(a.status, 200);
		json_decref(a.body);
	}
	/* Three at once, one answered locally between two relayed. */
	say(&c, "GET /v1/kv/a HTTP/1.1\r\n\r\nGET /v1/local HTTP/1.1\r\n\r\n"
	        "GET /v1/kv/c HTTP/1.1\r\n\r\n");
	assert_true(hear(&c, &a));
	assert_string_equal(field(&a, "path"), "kv/a");
	json_decref(a.body);
	assert_true(hear(&c, &a));
	assert_true(json_is_true(
	    json_object_get(json_object_get(a.body, "data"), "local")));
	json_decref(a.body);
	assert_true(hear(&c, &a));
	assert_string_equal(field(&a, "path"), "kv/c");
	json_decref(a.body);

	/* Chunked from the client, with a length to the active. */
	say(&c, "PUT /v1/kv/ch HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	        "5\r\n{\"a\":\r\n2\r\n7}\r\n0\r\n\r\n");
	assert_true(hear(&c, &a));
	assert_int_equal(
	    json_integer_value(json_object_get(
	        json_object_get(json_object_get(a.body, "data"), "data"), "a")),
	    7);
	json_decref(a.body);

	/* Connection: close is ours to honour, not the active's. */
	say(&c, "GET /v1/kv/last HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_true(hear(&c, &a));
	assert_non_null(strstr(a.head, "Connection: close\r\n"));
	json_decref(a.body);
	assert_false(more(&c));
	close(c.fd);
}

/* ---- hand-made upstreams ----------------------------------------------- */

static int listen_any(int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	*port = ntohs(sa.sin_port);
	return fd;
}

/*
 * Answers every request with `answer`; with close_after it closes the
 * connection right after the answer, with drop_second it answers one
 * request per connection and closes, unanswered, on the next: a server
 * whose idle time-out strikes just as a request arrives.
 */
struct canned {
	int lfd;
	int cfd; /* the connection being served, -1 between them */
	const char *answer;
	bool close_after;
	bool drop_second;
	int served;
	int accepted;
	pthread_t thread;
};

static bool read_request(int fd)
{
	char b[8192];
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(b) - 1) {
		r = recv(fd, b + n, sizeof(b) - 1 - n, 0);
		if (r <= 0)
			return false;
		n += (size_t)r;
		b[n] = 0;
		/* Test requests carry "Content-Length: 0". */
		if (strstr(b, "\r\n\r\n") != NULL)
			return true;
	}
	return false;
}

static void *canned_run(void *arg)
{
	struct canned *cn = arg;
	int fd;

	struct timeval tv = {2, 0};

	while ((fd = accept(cn->lfd, NULL, NULL)) >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		cn->cfd = fd;
		cn->accepted++;
		int n = 0;

		while (read_request(fd)) {
			if (cn->drop_second && n++ == 1)
				break;
			send(fd, cn->answer, strlen(cn->answer), MSG_NOSIGNAL);
			cn->served++;
			if (cn->close_after)
				break;
		}
		cn->cfd = -1;
		close(fd);
	}
	return NULL;
}

static void canned_start(struct canned *cn, const char *answer,
                         bool close_after)
{
	cn->answer = answer;
	cn->close_after = close_after;
	cn->drop_second = false;
	cn->served = 0;
	cn->accepted = 0;
	cn->cfd = -1;
	cn->lfd = listen_any(&target_port);
	assert_int_equal(pthread_create(&cn->thread, NULL, canned_run, cn), 0);
}

static void canned_stop(struct canned *cn)
{
	int cfd = cn->cfd;

	shutdown(cn->lfd, SHUT_RDWR);
	if (cfd >= 0)
		shutdown(cfd, SHUT_RDWR);
	pthread_join(cn->thread, NULL);
	close(cn->lfd);
}

static void test_answers_of_every_shape(void **state)
{
	struct pair *p = *state;
	struct canned cn;
	struct answer a;

	canned_start(&cn,
	             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	             "Transfer-Encoding: chunked\r\nX-Extra: yes\r\n\r\n"
	             "3\r\n{\"a\r\n6\r\n\":\"b\"}\r\n0\r\n\r\n",
	             false);
	ask(p->standby.port, "GET /v1/kv/x HTTP/1.1\r\n\r\n", &a);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(a.head, "Content-Type: text/plain\r\n"));
	assert_non_null(strstr(a.head, "X-Extra: yes\r\n"));
	assert_non_null(strstr(a.head, "Content-Length: 9\r\n"));
	assert_null(strstr(a.head, "Transfer-Encoding"));
	assert_string_equal(json_string_value(json_object_get(a.body, "a")),
	                    "b");
	json_decref(a.body);
	canned_stop(&cn);

	canned_start(&cn, "HTTP/1.1 2xx nonsense\r\n\r\n", false);
	ask(p->standby.port, "GET /v1/kv/x HTTP/1.1\r\n\r\n", &a);
	assert_int_equal(a.status, 503);
	assert_string_equal(first_error(&a),
	                    "active node unreachable: a malformed answer");
	json_decref(a.body);
	canned_stop(&cn);

	canned_start(&cn, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{",
	             true);
	ask(p->standby.port, "GET /v1/kv/x HTTP/1.1\r\n\r\n", &a);
	assert_int_equal(a.status, 503);
	assert_string_equal(first_error(&a),
	                    "active node unreachable: the connection closed "
	                    "before the answer was complete");
	json_decref(a.body);
	canned_stop(&cn);
}

/*
 * An upstream that closes after each answer without saying so: the next
 * request meets a closed pooled connection and is sent again on a new one.
 */
static void test_stale_pooled_connection_is_retried(void **state)
{
	struct pair *p = *state;
	struct canned cn;
	struct answer a;
	int i;

	/* A server that keeps connections: one carries every request. */
	canned_start(&cn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
	             false);
	for (i = 0; i < 5; i++) {
		ask(p->standby.port, "GET /v1/kv/x HTTP/1.1\r\n\r\n", &a);
		assert_int_equal(a.status, 200);
		json_decref(a.body);
	}
	canned_stop(&cn);
	assert_int_equal(cn.served, 5);
	assert_int_equal(cn.accepted, 1);

	canned_start(&cn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
	             true);
	for (i = 0; i < 5; i++) {
		ask(p->standby.port, "GET /v1/kv/x HTTP/1.1\r\n\r\n", &a);
		assert_int_equal(a.status, 200);
		json_decref(a.body);
		/* Let the close reach the standby, or not: both must work. */
		if (i % 2 == 0)
			usleep(50 * 1000);
	}
	canned_stop(&cn);
	assert_int_equal(cn.served, 5);

	/* The close comes only when the next request has left. */
	canned_start(&cn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
	             false);
	cn.drop_second = true;
	for (i = 0; i < 4; i++) {
		ask(p->standby.port, "GET /v1/kv/x HTTP/1.1\r\n\r\n", &a);
		assert_int_equal(a.status, 200);
		json_decref(a.body);
	}
	canned_stop(&cn);
	assert_int_equal(cn.served, 4);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_unreachable_and_silent(void **state)
{
	struct pair *p = *state;
	struct client c = {.len = 0};
	struct answer a;
	int64_t t0;
	int fd;

	/* Nobody listens: refused at once. */
	fd = listen_any(&target_port);
	close(fd);
	t0 = now_ms();
	ask(p->standby.port, "GET /v1/kv/x HTTP/1.1\r\n\r\n", &a);
	assert_int_equal(a.status, 503);
	assert_string_equal(first_error(&a),
	                    "active node unreachable: cannot connect");
	assert_true(now_ms() - t0 < 1000);
	json_decref(a.body);

	/* Accepted by the kernel, never answered: the listener's limit. */
	fd = listen_any(&target_port);
	t0 = now_ms();
	ask(p->standby.port, "GET /v1/kv/x HTTP/1.1\r\n\r\n", &a);
	assert_int_equal(a.status, 503);
	assert_string_equal(first_error(&a),
	                    "active node unreachable: no answer in time");
	assert_true(now_ms() - t0 >= 900 && now_ms() - t0 < 3000);
	json_decref(a.body);

	/* A client that leaves while its request is relayed. */
	c.fd = tcp_connect(p->standby.port);
	say(&c, "GET /v1/kv/x HTTP/1.1\r\n\r\n");
	usleep(100 * 1000);
	close(c.fd);
	close(fd);

	/* The standby is still fine. */
	ask(p->standby.port, "GET /v1/local HTTP/1.1\r\n\r\n", &a);
	assert_int_equal(a.status, 200);
	json_decref(a.body);
}

/*
 * An https api_addr: spoken to over TLS and checked against the trust
 * store (here SSL_CERT_FILE, read when the pool makes its TLS context)
 * and the URL's host name.
 */
static void test_tls_active(void **state)
{
	char dir[] = "/tmp/coffer-fwd-tls-XXXXXX", cmd[512], cert[64], key[64];
	struct node active, standby;
	struct answer a;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/c", dir);
	snprintf(key, sizeof(key), "%s/k", dir);
	snprintf(cmd, sizeof(cmd),
	         "openssl req -x509 -newkey ec -pkeyopt "
	         "ec_paramgen_curve:P-256 -nodes -subj /CN=localhost "
	         "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 1 "
	         "-keyout %s -out %s 2>/dev/null",
	         key, cert);
	assert_int_equal(system(cmd), 0);
	setenv("SSL_CERT_FILE", cert, 1);

	node_start_tls(&active, active_handler, cert, key);
	node_start(&standby, standby_handler);
	target_port = active.port;
	target_scheme = "https";
	target_host = "localhost";
	ask(standby.port, "GET /v1/kv/tls HTTP/1.1\r\n\r\n", &a);
	assert_int_equal(a.status, 200);
	assert_string_equal(field(&a, "path"), "kv/tls");
	json_decref(a.body);
	target_host = "127.0.0.1";
	ask(standby.port, "GET /v1/kv/tls HTTP/1.1\r\n\r\n", &a);
	assert_int_equal(a.status, 200);
	json_decref(a.body);

	/* A name the certificate does not carry. */
	target_host = "not-localhost";
	ask(standby.port, "GET /v1/kv/tls HTTP/1.1\r\n\r\n", &a);
	assert_int_equal(a.status, 503);
	assert_string_equal(
	    first_error(&a),
	    "active node unreachable: the TLS handshake failed");
	json_decref(a.body);

	node_stop(&standby);
	node_stop(&active);
	target_scheme = "http";
	target_host = "127.0.0.1";
	unsetenv("SSL_CERT_FILE");
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

/* ---- the pieces --------------------------------------------------------- */

static void test_build_request(void **state)
{
	static const char in[] =
	    "LIST /v1/a/b?x=%20 HTTP/1.1\r\nHost: standby:8200\r\n"
	    "Connection: keep-alive, x-hop\r\nKeep-Alive: 5\r\n"
	    "X-Vault-Token: t\r\nExpect: 100-continue\r\nTE: trailers\r\n"
	    "X-COFFER-FORWARDED-FOR: forged\r\nUser-Agent: hvac\r\n"
	    "Content-Length: 2\r\n\r\n";
	struct http_head h;
	struct buf out = BUF_INIT;
	const char *s;

	(void)state;
	http_head_init(&h);
	assert_int_equal(http_head_feed(&h, in, sizeof(in) - 1),
	                 HTTP_PARSE_DONE);
	assert_int_equal(
	    fwd_build_request(&h, (const uint8_t *)"{}", 2, "10.0.0.1:8200",
	                      "X-Coffer-Forwarded-For: v1;ok", &out),
	    ERR_OK);
	s = buf_str(&out);
	assert_string_equal(s, "LIST /v1/a/b?x=%20 HTTP/1.1\r\n"
	                       "Host: 10.0.0.1:8200\r\n"
	                       "X-Vault-Token: t\r\nUser-Agent: hvac\r\n"
	                       "Content-Length: 2\r\n"
	                       "X-Coffer-Forwarded-For: v1;ok\r\n\r\n{}");
	buf_release(&out);

	/* Nothing that could split the head gets through. */
	assert_int_equal(
	    fwd_build_request(&h, NULL, 0, "a:1", "X-A: b\r\nX-Evil: 1", &out),
	    ERR_INVALID);
	assert_int_equal(fwd_build_request(&h, NULL, 0, "a:1\r\n", NULL, &out),
	                 ERR_INVALID);
	assert_int_equal(
	    fwd_build_request(&h, NULL, 0, "a:1", "no colon", &out),
	    ERR_INVALID);
	buf_release(&out);
}

static void test_url_authority(void **state)
{
	char out[64];
	bool tls;

	(void)state;
	assert_true(fwd_url_authority("https://v.example:8200/x", out,
	                              sizeof(out), &tls));
	assert_string_equal(out, "v.example:8200");
	assert_true(tls);
	assert_true(
	    fwd_url_authority("http://[::1]:8200", out, sizeof(out), &tls));
	assert_string_equal(out, "[::1]:8200");
	assert_false(tls);
	assert_false(fwd_url_authority("ftp://x:1", out, sizeof(out), &tls));
	assert_false(fwd_url_authority("http://", out, sizeof(out), &tls));
	assert_false(fwd_url_authority("http://a\tb", out, sizeof(out), &tls));
}

static void test_response_heads(void **state)
{
	static const char good[] =
	    "HTTP/1.1 307 Temporary Redirect\r\nLocation: x\r\n"
	    "Content-Length: 0\r\n\r\n";
	static const char *const bad[] = {
	    "HTTP/2 200 OK\r\n\r\n",
	    "HTTP/1.1 20 OK\r\n\r\n",
	    "HTTP/1.1 2000 OK\r\n\r\n",
	    "HTTP/1.1 099 Odd\r\n\r\n",
	    "GET / HTTP/1.1\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	};
	struct http_head h;
	size_t i;

	(void)state;
	http_head_init_response(&h);
	assert_int_equal(http_head_feed(&h, good, sizeof(good) - 1),
	                 HTTP_PARSE_DONE);
	assert_int_equal(h.code, 307);
	assert_true(h.keep_alive);
	assert_true(h.has_length);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		http_head_init_response(&h);
		assert_int_equal(http_head_feed(&h, bad[i], strlen(bad[i])),
		                 HTTP_PARSE_BAD);
	}
	http_head_init_response(&h);
	assert_int_equal(http_head_feed(&h, "HTTP/1.0 200\r\n\r\n", 16),
	                 HTTP_PARSE_DONE);
	assert_false(h.keep_alive);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_relays_requests, pair_setup,
	                                    pair_teardown),
	    cmocka_unit_test_setup_teardown(test_keep_alive_and_pipelining,
	                                    pair_setup, pair_teardown),
	    cmocka_unit_test_setup_teardown(test_answers_of_every_shape,
	                                    pair_setup, pair_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_stale_pooled_connection_is_retried, pair_setup,
	        pair_teardown),
	    cmocka_unit_test_setup_teardown(test_unreachable_and_silent,
	                                    pair_setup, pair_teardown),
	    cmocka_unit_test(test_tls_active),
	    cmocka_unit_test(test_build_request),
	    cmocka_unit_test(test_url_authority),
	    cmocka_unit_test(test_response_heads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
