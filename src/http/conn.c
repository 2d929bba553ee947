#include "http/conn.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>

#include "base/log.h"
#include "base/secret.h"
#include "http/envelope.h"
#include "http/forward.h"
#include "http/handler.h"
#include "http/offload.h"
#include "http/parser.h"
#include "http/status.h"

#define IN_CAP      (2 * HTTP_MAX_HEAD) /* head bytes held before 431 */
#define IN_KEEP     ((size_t)64 << 10)  /* buffers above this are freed */
#define READ_HIGH   ((size_t)256 << 10) /* stop reading past this */
#define OUT_HIGH    ((size_t)1 << 20)   /* stop serving past this */
#define REPLY_ROOM  512                 /* room for the reply head */
#define REPLY_FIRST 2048

enum conn_state {
	ST_IDLE,
	ST_HEAD,
	ST_BODY,
	ST_CHUNKED,
	ST_WAIT_OUT,
	ST_CLOSING,
	ST_LINGER,
	ST_RUNNING,
	ST_FORWARD,
};

enum step { STEP_AGAIN, STEP_WAIT };

struct conn {
	struct http_worker *w;
	struct http_listener *l;
	struct bufferevent *bev;
	struct event *timer;
	struct conn *prev, *next;
	char peer[INET6_ADDRSTRLEN];
	enum conn_state state;
	bool eof;
	int64_t start_ms; /* when the current request began */

	struct buf in;    /* the head and whatever arrived after it */
	struct buf body;  /* a body that did not arrive with its head */
	size_t chunk_off; /* bytes of `in` the chunked decoder has used */
	struct http_head head;
	struct http_chunked chunk;

	/* The client's certificates as PEM, read once after the handshake. */
	char *peer_pem;
	bool peer_pem_read;

	struct conn_job *job; /* the request on the pool, or NULL */
	bool dead;            /* closed while job ran: free when it returns */

	/* ST_FORWARD: the request relayed to the active server. */
	struct fwd_call *fwd;
	bool fwd_keep;
	bool fwd_head_only;
};

/* A request on the pool; the pool sees only `base`. */
struct conn_job {
	struct offload_job base;
	struct conn *c;
	struct http_call call;
	const uint8_t *body; /* in c's buffers, untouched while it runs */
	size_t len;
	size_t used; /* bytes of c->in the request took */
	bool keep;
	struct conn_job *next_done;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_arm(struct conn *c, int64_t ms)
{
	struct timeval tv;

	if (ms < 1)
		ms = 1;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

static void conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->w->n_conns--;
	fwd_cancel(c->fwd);
	c->fwd = NULL;
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	buf_release(&c->in);
	buf_release(&c->body);
	free(c->peer_pem);
	/* The pool still holds the request, which points into c. */
	if (c->job != NULL) {
		c->dead = true;
		return;
	}
	free(c);
}

static void job_free(struct conn_job *job)
{
	http_call_release(&job->call);
	free(job);
}

void conn_close_all(struct http_worker *w)
{
	struct conn_job *job, *next;

	/* The pool has stopped: what came back is dropped unanswered. */
	pthread_mutex_lock(&w->done_lock);
	job = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->done_lock);
	for (; job != NULL; job = next) {
		next = job->next_done;
		job->c->job = NULL;
		if (job->c->dead)
			free(job->c);
		job_free(job);
	}
	while (w->conns != NULL)
		conn_free(w->conns);
}

/* Replies are handed to libevent by reference and wiped when sent. */
static void reply_cleanup(const void *data, size_t len, void *base)
{
	size_t total = (size_t)((const uint8_t *)data - (uint8_t *)base) + len;

	secret_free_n(base, total);
}

/* Header values that reach us from handlers must not split the head. */
static bool header_value_ok(const char *s)
{
	for (; *s != 0; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	}
	return true;
}

/* The head of a reply, built without printf: this runs per request. */
struct head_text {
	char text[REPLY_ROOM];
	size_t len;
	bool ok;
};

static void head_put(struct head_text *h, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof(h->text) - h->len) {
		h->ok = false;
		return;
	}
	memcpy(h->text + h->len, s, n);
	h->len += n;
}

static void head_num(struct head_text *h, size_t v)
{
	char digits[24];
	size_t i = sizeof(digits) - 1;

	digits[i] = 0;
	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	head_put(h, digits + i);
}

/*
 * Sends the reply whose body is out[REPLY_ROOM..len): writes the head into
 * the room before it and hands the whole to libevent without copying.
 * On success out is taken over and left empty; on failure the caller
 * still releases it.
 */
static err_t conn_send(struct conn *c, struct buf *out, int status,
                       const char *type, bool keep, bool head_only)
{
	struct head_text h = {{0}, 0, true};
	size_t body_len = out->len - REPLY_ROOM, off;
	char *base;

	if (type != NULL && !header_value_ok(type))
		return ERR_INTERNAL;
	head_put(&h, "HTTP/1.1 ");
	head_num(&h, (size_t)status);
	head_put(&h, " ");
	head_put(&h, http_status_reason(status));
	if (type != NULL) {
		head_put(&h, "\r\nContent-Type: ");
		head_put(&h, type);
	}
	head_put(&h, "\r\nCache-Control: no-store\r\n");
	if (!keep)
		head_put(&h, "Connection: close\r\n");
	else if (c->head.minor == 0)
		head_put(&h, "Connection: keep-alive\r\n");
	if (status != 204 && status >= 200) {
		head_put(&h, "Content-Length: ");
		head_num(&h, body_len);
		head_put(&h, "\r\n");
	}
	head_put(&h, "\r\n");
	if (!h.ok)
		return ERR_INTERNAL;

	if (head_only || status == 204) {
		secret_wipe(out->data + REPLY_ROOM, body_len);
		out->len = REPLY_ROOM;
	}
	off = REPLY_ROOM - h.len;
	memcpy(out->data + off, h.text, h.len);
	base = (char *)out->data;
	body_len = out->len - off;
	buf_init(out, 0);
	if (evbuffer_add_reference(bufferevent_get_output(c->bev), base + off,
	                           body_len, reply_cleanup, base) != 0) {
		secret_free_n(base, off + body_len);
		return ERR_NOMEM;
	}
	return ERR_OK;
}

static err_t reply_start(struct buf *out)
{
	err_t rc = buf_reserve(out, REPLY_ROOM + REPLY_FIRST);

	if (rc == ERR_OK)
		out->len = REPLY_ROOM;
	return rc;
}

/* Stops reading requests; the connection closes once the reply is out. */
static void conn_closing(struct conn *c)
{
	c->state = ST_CLOSING;
	bufferevent_disable(c->bev, EV_READ);
	conn_arm(c, c->w->timeouts->idle_ms);
}

/* Answers a framing error with {"errors":[msg]} and closes. */
static enum step conn_reject(struct conn *c, int status, const char *msg)
{
	struct buf out;

	buf_init(&out, 0);
	if (reply_start(&out) != ERR_OK ||
	    http_envelope_error(msg, &out) != ERR_OK ||
	    conn_send(c, &out, status, "application/json", false, false) !=
	        ERR_OK)
		buf_release(&out);
	conn_closing(c);
	return STEP_WAIT;
}

/*
 * conn_reject for a request whose head was parsed: the refusal is handed
 * to the refused hook first (the audit trail, issue 6).
 */
static enum step conn_refuse(struct conn *c, int status, const char *msg)
{
	struct http_call call;

	if (c->w->refused_fn != NULL) {
		http_call_init(&call);
		if (http_call_refused(&call, &c->head, c->peer, status, msg))
			c->w->refused_fn(c->w->ctx, &call.req, &call.resp);
		http_call_release(&call);
	}
	return conn_reject(c, status, msg);
}

/*
 * Moves up to max bytes from the socket's buffer into b. The chains
 * libevent read them into are wiped when freed (base/wipe_alloc.h);
 * OpenSSL's own record buffers, for TLS listeners, are not ours to wipe.
 */
static size_t conn_pull(struct conn *c, struct buf *b, size_t max)
{
	struct evbuffer *input = bufferevent_get_input(c->bev);
	size_t k = evbuffer_get_length(input);
	int got;

	if (k > max)
		k = max;
	if (k == 0 || buf_reserve(b, k) != ERR_OK)
		return 0;
	got = evbuffer_remove(input, b->data + b->len, k);
	if (got <= 0)
		return 0;
	b->len += (size_t)got;
	b->data[b->len] = 0;
	return (size_t)got;
}

/* Drops the first n bytes of the request, wiping them: they hold tokens. */
static void conn_consume(struct conn *c, size_t n)
{
	size_t rest = c->in.len - n;

	memmove(c->in.data, c->in.data + n, rest);
	secret_wipe(c->in.data + rest, n);
	c->in.len = rest;
	c->in.data[rest] = 0;
	if (rest == 0 && c->in.alloc > IN_KEEP)
		buf_release(&c->in);
	if (c->body.alloc > IN_KEEP)
		buf_release(&c->body);
	else if (c->body.data != NULL)
		secret_wipe(c->body.data, c->body.len);
	c->body.len = 0;
}

/*
 * Plain connections write replies at once, and have libevent watch for
 * writability only when the socket is full: that saves two epoll_ctl calls
 * and a loop turn per request. TLS leaves writing to bufferevent_openssl.
 */
static void conn_flush(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (c->l->ssl != NULL || evbuffer_get_length(out) == 0)
		return;
	evbuffer_write(out, bufferevent_getfd(c->bev));
	if (evbuffer_get_length(out) > 0)
		bufferevent_enable(c->bev, EV_WRITE);
}

static size_t conn_pending(struct conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

/*
 * A standby's answer (core/ha.h): 307 to the same target on the active
 * server. Rare, so built apart from the fixed room of conn_send, which a
 * long target would not fit.
 */
static err_t conn_redirect(struct conn *c, const struct http_call *call,
                           bool keep)
{
	json_t *addr = json_object_get(call->resp.data, "leader_address");
	const char *leader = json_string_value(addr);
	struct buf r = BUF_INIT;
	err_t rc;

	if (leader == NULL || !header_value_ok(leader))
		return ERR_INTERNAL;
	rc = buf_printf(&r,
	                "HTTP/1.1 307 Temporary Redirect\r\nLocation: "
	                "%s%.*s\r\nCache-Control: no-store\r\n"
	                "Content-Length: 0\r\n%s\r\n",
	                leader, (int)c->head.target_len, c->head.target,
	                !keep                ? "Connection: close\r\n"
	                : c->head.minor == 0 ? "Connection: keep-alive\r\n"
	                                     : "");
	if (rc == ERR_OK && bufferevent_write(c->bev, r.data, r.len) != 0)
		rc = ERR_NOMEM;
	buf_release(&r);
	return rc;
}

/* Writes the answer to one request; a failure to encode becomes a 500. */
static void conn_reply(struct conn *c, struct http_call *call, bool keep)
{
	struct http_reply reply;
	struct buf out;
	err_t rc;

	if (call->resp.err == ERR_OK && call->resp.status == 307 &&
	    conn_redirect(c, call, keep) == ERR_OK)
		return;
	buf_init(&out, 0);
	rc = reply_start(&out);
	if (rc == ERR_OK)
		rc = http_envelope_encode(call->req.id, &call->resp, &out,
		                          &reply);
	if (rc == ERR_OK)
		rc = conn_send(c, &out, reply.status, reply.content_type, keep,
		               call->head_only);
	if (rc != ERR_OK) {
		buf_release(&out);
		if (reply_start(&out) != ERR_OK ||
		    http_envelope_error("internal error", &out) != ERR_OK ||
		    conn_send(c, &out, 500, "application/json", keep, false) !=
		        ERR_OK)
			buf_release(&out);
	}
}

/* Appends x as PEM to out. */
static bool pem_append(BIO *out, X509 *x)
{
	return x != NULL && PEM_write_bio_X509(out, x) == 1;
}

/*
 * The certificates the client sent, leaf first, as PEM; NULL when none.
 * The listener accepts any chain (see http/server.c): auth/cert is the one
 * that decides whom to trust. Renegotiation is off, so the certificates
 * cannot change during the connection and are read once.
 */
static const char *conn_peer_pem(struct conn *c)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	STACK_OF(X509) * chain;
	X509 *leaf;
	BIO *mem;
	BUF_MEM *bm = NULL;
	int i;

	if (c->peer_pem_read || ssl == NULL)
		return c->peer_pem;
	c->peer_pem_read = true;
	leaf = SSL_get1_peer_certificate(ssl);
	mem = leaf ? BIO_new(BIO_s_mem()) : NULL;
	if (mem == NULL || !pem_append(mem, leaf))
		goto out;
	/* On a server the sent chain holds the intermediates only. */
	chain = SSL_get_peer_cert_chain(ssl);
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
		if (!pem_append(mem, sk_X509_value(chain, i)))
			goto out;
	BIO_get_mem_ptr(mem, &bm);
	c->peer_pem = bm ? strndup(bm->data, bm->length) : NULL;
out:
	BIO_free(mem);
	X509_free(leaf);
	ERR_clear_error();
	return c->peer_pem;
}

static void conn_process(struct conn *c);
static void conn_settle(struct conn *c);
static void conn_eof(struct conn *c);

/* Sends the active server's answer on, as our own. */
static err_t conn_relay(struct conn *c, const struct fwd_reply *r, bool keep)
{
	bool body = !c->fwd_head_only && r->status != 204 && r->status != 304;
	struct buf out = BUF_INIT;
	size_t len;
	char *base;
	err_t rc;

	rc = buf_printf(&out, "HTTP/1.1 %d %s\r\n", r->status,
	                http_status_reason(r->status));
	if (rc == ERR_OK)
		rc = buf_append(&out, r->lines, r->lines_len);
	if (rc == ERR_OK && body)
		rc = buf_printf(&out, "Content-Length: %zu\r\n", r->body_len);
	if (rc == ERR_OK)
		rc = buf_append_str(&out, !keep ? "Connection: close\r\n\r\n"
		                          : c->head.minor == 0
		                              ? "Connection: keep-alive\r\n\r\n"
		                              : "\r\n");
	if (rc == ERR_OK && body)
		rc = buf_append(&out, r->body, r->body_len);
	if (rc != ERR_OK) {
		buf_release(&out);
		return rc;
	}
	/* The answer may hold secrets: wiped once sent, like our own. */
	base = (char *)out.data;
	len = out.len;
	buf_init(&out, 0);
	if (evbuffer_add_reference(bufferevent_get_output(c->bev), base, len,
	                           reply_cleanup, base) != 0) {
		secret_free_n(base, len);
		return ERR_NOMEM;
	}
	return ERR_OK;
}

/* Answers 503 in Vault's format: the active server could not be asked. */
static void conn_reply_unreachable(struct conn *c, const char *why, bool keep)
{
	struct http_call call;

	http_call_init(&call);
	response_error(&call.resp, ERR_UNAVAILABLE,
	               "active node unreachable: %s", why);
	conn_reply(c, &call, keep);
	http_call_release(&call);
}

/*
 * After an answer sent outside the steps (relayed from the active server,
 * or back from the pool): picks up the requests that waited behind it.
 */
static void conn_resume(struct conn *c, bool keep)
{
	if (!keep) {
		conn_closing(c);
		conn_settle(c);
		return;
	}
	c->state = ST_IDLE;
	conn_arm(c, c->w->timeouts->idle_ms);
	conn_flush(c);
	if (conn_pending(c) > OUT_HIGH) {
		c->state = ST_WAIT_OUT;
		return;
	}
	if (c->eof) {
		conn_eof(c);
		return;
	}
	conn_process(c);
	conn_settle(c);
}

/* The forwarding pool's callback (http/forward.h). */
static void conn_forwarded(void *arg, const struct fwd_reply *reply)
{
	struct conn *c = arg;
	bool keep = c->fwd_keep;

	c->fwd = NULL;
	if (reply->status == 0 || conn_relay(c, reply, keep) != ERR_OK)
		conn_reply_unreachable(
		    c, reply->error ? reply->error : "out of memory", keep);
	conn_resume(c, keep);
}

/*
 * The handler asked for the request to be relayed to the active server
 * (http/server.h): hands it to the worker's pool. True when it went; when
 * it could not start, the call's response becomes a 503 to send instead.
 *
 * Known gap: a TLS client's certificate stays here; the active server
 * sees none, so auth/cert logins must go to the active server itself.
 * Carrying it would need a signed header like the client's address
 * (core/ha_forward.h) holding the whole chain.
 */
static bool conn_forward(struct conn *c, struct http_call *call,
                         const uint8_t *body, size_t len, bool keep)
{
	json_t *d = call->resp.data;
	const char *url =
	    json_string_value(json_object_get(d, "leader_address"));
	const char *addr =
	    json_string_value(json_object_get(d, "forward_address"));
	const char *extra =
	    json_string_value(json_object_get(d, "forward_header"));
	char authority[512];
	struct buf req = BUF_INIT;
	bool tls;
	err_t rc = ERR_INVALID;

	if (call->resp.err != ERR_OK || call->resp.status != 307 ||
	    url == NULL || addr == NULL)
		return false;
	if (fwd_url_authority(url, authority, sizeof(authority), &tls))
		rc = fwd_build_request(&c->head, body, len, authority, extra,
		                       &req);
	if (rc == ERR_OK)
		rc = fwd_start(c->w->fwd, url, addr, &req, call->head_only,
		               c->l->max_duration_ms, conn_forwarded, c,
		               &c->fwd);
	buf_release(&req);
	if (rc != ERR_OK) {
		log_warn("http", "cannot forward a request to %s: %s", url,
		         err_str(rc));
		response_release(&call->resp);
		response_init(&call->resp);
		response_error(&call->resp, ERR_UNAVAILABLE,
		               "active node unreachable: cannot connect");
		return false;
	}
	c->fwd_keep = keep;
	c->fwd_head_only = call->head_only;
	c->state = ST_FORWARD;
	evtimer_del(c->timer);
	return true;
}

/* Builds the call of the request in c->head with its body. */
static err_t conn_build(struct conn *c, struct http_call *call,
                        const uint8_t *body, size_t len)
{
	err_t rc =
	    http_call_build(call, &c->head, body, len, c->l->max_body, c->peer);

	if (rc == ERR_OK && c->l->ssl != NULL && conn_peer_pem(c) != NULL)
		call->req.tls_peer_cert_pem = strdup(c->peer_pem);
	return rc;
}

/* After a reply: wait for the next request, or close. */
static enum step conn_next(struct conn *c, bool keep)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (!keep) {
		conn_closing(c);
		return STEP_WAIT;
	}
	c->state = ST_IDLE;
	conn_arm(c, c->w->timeouts->idle_ms);
	/* A client that pipelines without reading waits for its replies. */
	if (evbuffer_get_length(out) > OUT_HIGH)
		conn_flush(c);
	if (evbuffer_get_length(out) > OUT_HIGH) {
		c->state = ST_WAIT_OUT;
		return STEP_WAIT;
	}
	return STEP_AGAIN;
}

/* Reads (GET, HEAD) run on the loop; anything else may wait on a commit. */
static bool conn_may_block(const struct conn *c)
{
	const struct http_head *h = &c->head;

	if (c->w->pool == NULL)
		return false;
	return !((h->method_len == 3 && memcmp(h->method, "GET", 3) == 0) ||
	         (h->method_len == 4 && memcmp(h->method, "HEAD", 4) == 0));
}

static void job_run(struct offload_job *base)
{
	struct conn_job *job = (struct conn_job *)base;
	struct http_worker *w = job->c->w;
	uint64_t one = 1;
	ssize_t n;

	w->fn(w->ctx, &job->call.req, &job->call.resp);
	pthread_mutex_lock(&w->done_lock);
	job->next_done = w->done;
	w->done = job;
	pthread_mutex_unlock(&w->done_lock);
	n = write(w->done_fd, &one, sizeof(one));
	(void)n; /* a full counter already wakes the loop */
}

/*
 * Hands the request to the pool; false when it could not (no memory, or
 * a request that failed to build, which needs no handler), and the caller
 * runs it on the loop instead.
 */
static bool conn_offload(struct conn *c, const uint8_t *body, size_t len,
                         size_t used)
{
	struct conn_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		return false;
	http_call_init(&job->call);
	if (conn_build(c, &job->call, body, len) != ERR_OK) {
		job_free(job);
		return false;
	}
	job->base.run = job_run;
	job->c = c;
	job->body = body;
	job->len = len;
	job->used = used;
	job->keep = c->head.keep_alive;
	c->job = job;
	c->state = ST_RUNNING;
	offload_submit(c->w->pool, &job->base);
	return true;
}

/* Runs one complete request; body[0..len) and the first `used` bytes of
 * c->in belong to it. */
static enum step conn_finish(struct conn *c, const uint8_t *body, size_t len,
                             size_t used)
{
	struct http_call call;
	bool keep = c->head.keep_alive;

	if (conn_may_block(c) && conn_offload(c, body, len, used))
		return STEP_WAIT;
	http_call_init(&call);
	if (conn_build(c, &call, body, len) == ERR_OK)
		c->w->fn(c->w->ctx, &call.req, &call.resp);
	else if (c->w->refused_fn != NULL && call.req.path != NULL)
		/* Refused here, with a path: the audit trail gets it. */
		c->w->refused_fn(c->w->ctx, &call.req, &call.resp);
	if (conn_forward(c, &call, body, len, keep)) {
		http_call_release(&call);
		conn_consume(c, used);
		return STEP_WAIT;
	}
	conn_reply(c, &call, keep);
	http_call_release(&call);
	conn_consume(c, used);
	return conn_next(c, keep);
}

static void conn_continue(struct conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

	if (c->head.expect_continue)
		bufferevent_write(c->bev, cont, sizeof(cont) - 1);
}

/* The head is parsed: decide how the body is framed. */
static enum step conn_body_start(struct conn *c)
{
	const struct http_head *h = &c->head;
	size_t extra = c->in.len - h->len;
	int64_t left = c->l->max_duration_ms - (now_ms() - c->start_ms);

	conn_arm(c, left);
	c->body.cap = c->l->max_body;
	if (h->chunked) {
		http_chunked_init(&c->chunk);
		c->chunk_off = h->len;
		c->state = ST_CHUNKED;
		conn_continue(c);
		return STEP_AGAIN;
	}

	/* Refuse an oversized body before reading a byte of it. */
	if (h->has_length && h->content_length > c->l->max_body)
		return conn_refuse(c, 413, "request body too large");
	if (extra >= h->content_length)
		return conn_finish(c, c->in.data + h->len,
		                   (size_t)h->content_length,
		                   h->len + (size_t)h->content_length);

	if (buf_append(&c->body, c->in.data + h->len, extra) != ERR_OK)
		return conn_refuse(c, 503, "out of memory");
	c->state = ST_BODY;
	conn_continue(c);
	return STEP_AGAIN;
}

static enum step conn_step_head(struct conn *c)
{
	enum http_parse rc;

	if (c->in.len < IN_CAP)
		conn_pull(c, &c->in, IN_CAP - c->in.len);
	if (c->in.len == 0)
		return STEP_WAIT;
	if (c->state == ST_IDLE) {
		c->state = ST_HEAD;
		c->start_ms = now_ms();
		conn_arm(c, c->w->timeouts->head_ms);
		http_head_init(&c->head);
	}

	rc = http_head_feed(&c->head, (const char *)c->in.data, c->in.len);
	if (rc == HTTP_PARSE_MORE)
		return STEP_WAIT;
	if (rc == HTTP_PARSE_BAD)
		return conn_reject(c, c->head.status, c->head.error);
	return conn_body_start(c);
}

static enum step conn_step_body(struct conn *c)
{
	size_t need = (size_t)c->head.content_length - c->body.len;

	if (conn_pull(c, &c->body, need) == 0)
		return STEP_WAIT;
	if (c->body.len < c->head.content_length)
		return STEP_AGAIN;
	return conn_finish(c, c->body.data, c->body.len, c->in.len);
}

static enum step conn_step_chunked(struct conn *c)
{
	struct evbuffer *input = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	enum http_parse rc;
	size_t used;

	/* Bytes that came with the head first, then the socket's. */
	if (c->chunk_off < c->in.len) {
		rc = http_chunked_feed(&c->chunk, c->in.data + c->chunk_off,
		                       c->in.len - c->chunk_off, &used,
		                       &c->body);
		c->chunk_off += used;
	} else {
		if (evbuffer_peek(input, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
			return STEP_WAIT;
		rc = http_chunked_feed(&c->chunk, v.iov_base, v.iov_len, &used,
		                       &c->body);
		evbuffer_drain(input, used);
	}

	if (rc == HTTP_PARSE_BAD)
		return conn_refuse(c, c->chunk.status, c->chunk.error);
	if (rc == HTTP_PARSE_MORE)
		return STEP_AGAIN;
	return conn_finish(c, c->body.data, c->body.len, c->chunk_off);
}

/* Serves every complete request that has arrived, in order. */
static void conn_process(struct conn *c)
{
	enum step r = STEP_AGAIN;

	while (r == STEP_AGAIN) {
		switch (c->state) {
		case ST_IDLE:
		case ST_HEAD:
			r = conn_step_head(c);
			break;
		case ST_BODY:
			r = conn_step_body(c);
			break;
		case ST_CHUNKED:
			r = conn_step_chunked(c);
			break;
		default:
			r = STEP_WAIT;
			break;
		}
	}
}

/*
 * After the last reply of a closing connection: stop sending, but read and
 * drop what the client still sends for a moment, so that our close does
 * not reset the connection before the client has read the reply.
 */
static void conn_linger(struct conn *c)
{
	c->state = ST_LINGER;
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	bufferevent_enable(c->bev, EV_READ);
	conn_arm(c, c->w->timeouts->linger_ms);
}

/* After a round of requests: send, and close if that was the last. */
static void conn_settle(struct conn *c)
{
	conn_flush(c);
	if (c->state != ST_CLOSING || conn_pending(c) > 0)
		return;
	if (c->eof)
		conn_free(c);
	else
		conn_linger(c);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->state == ST_LINGER) {
		evbuffer_drain(bufferevent_get_input(bev), (size_t)-1);
		return;
	}
	conn_process(c);
	conn_settle(c);
}

/* The client is gone or half-closed: finish what can be finished. */
static void conn_eof(struct conn *c)
{
	c->eof = true;
	/* The reply still goes out; the request's end goes on from there. */
	if (c->state == ST_RUNNING || c->state == ST_FORWARD)
		return;
	if (c->state == ST_LINGER) {
		conn_free(c);
		return;
	}
	if (c->state == ST_WAIT_OUT || c->state == ST_CLOSING)
		return;
	conn_process(c);
	if (c->state != ST_WAIT_OUT && c->state != ST_CLOSING)
		conn_closing(c); /* a request cut short gets no answer */
	conn_settle(c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->l->ssl == NULL)
		bufferevent_disable(bev, EV_WRITE);
	if (c->state == ST_CLOSING) {
		conn_settle(c);
		return;
	}
	if (c->state != ST_WAIT_OUT)
		return;
	c->state = ST_IDLE;
	conn_arm(c, c->w->timeouts->idle_ms);
	if (c->eof) {
		conn_eof(c);
		return;
	}
	conn_process(c);
	conn_settle(c);
}

/* Replies to one request back from the pool and serves what follows. */
static void conn_job_done(struct conn_job *job)
{
	struct conn *c = job->c;
	bool keep = job->keep;

	c->job = NULL;
	if (c->dead) {
		free(c);
		job_free(job);
		return;
	}
	if (conn_forward(c, &job->call, job->body, job->len, keep)) {
		conn_consume(c, job->used);
		job_free(job);
		return;
	}
	conn_reply(c, &job->call, keep);
	conn_consume(c, job->used);
	job_free(job);
	conn_resume(c, keep);
}

void conn_collect_done(struct http_worker *w)
{
	struct conn_job *job, *next;
	uint64_t count;
	ssize_t n = read(w->done_fd, &count, sizeof(count));

	(void)n; /* the list, not the counter, says what is done */
	pthread_mutex_lock(&w->done_lock);
	job = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->done_lock);
	for (; job != NULL; job = next) {
		next = job->next_done;
		conn_job_done(job);
	}
}

static void log_tls_error(struct conn *c)
{
	char msg[256];
	unsigned long e = bufferevent_get_openssl_error(c->bev);

	if (e == 0)
		return;
	ERR_error_string_n(e, msg, sizeof(msg));
	log_debug("http", "tls error with %s: %s", c->peer, msg);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_WRITING)) {
		conn_eof(c);
		return;
	}
	if (c->l->ssl != NULL)
		log_tls_error(c);
	conn_free(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_free(arg);
}

static struct bufferevent *conn_wrap(struct conn *c, int fd)
{
	struct bufferevent *bev;
	SSL *ssl;

	if (c->l->ssl == NULL)
		return bufferevent_socket_new(c->w->base, fd,
		                              BEV_OPT_CLOSE_ON_FREE);
	ssl = SSL_new(c->l->ssl);
	if (ssl == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(c->w->base, fd, ssl,
	                                     BUFFEREVENT_SSL_ACCEPTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* Clients often close without close_notify; that is not an error. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static void peer_text(const struct sockaddr *sa, char *out, size_t len)
{
	const void *addr = NULL;

	if (sa->sa_family == AF_INET)
		addr = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (addr == NULL ||
	    inet_ntop(sa->sa_family, addr, out, (socklen_t)len) == NULL)
		snprintf(out, len, "unknown");
}

void conn_open(struct http_worker *w, struct http_listener *l, int fd,
               const struct sockaddr *sa)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		close(fd);
		return;
	}
	c->w = w;
	c->l = l;
	c->state = ST_IDLE;
	buf_init(&c->in, 0);
	buf_init(&c->body, l->max_body);
	peer_text(sa, c->peer, sizeof(c->peer));
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	w->n_conns++;

	c->timer = evtimer_new(w->base, on_timer, c);
	c->bev = conn_wrap(c, fd);
	if (c->timer == NULL || c->bev == NULL) {
		if (c->bev == NULL)
			close(fd);
		conn_free(c);
		return;
	}
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, READ_HIGH);
	bufferevent_enable(c->bev, l->ssl ? EV_READ | EV_WRITE : EV_READ);
	conn_arm(c, w->timeouts->head_ms);
}
