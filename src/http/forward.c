/*
 * forward.c - the forwarding pool of one worker; see forward.h.
 *
 * Ownership: a call owns its request and answer buffers and, while it
 * runs, one link (a connection to the active server). A link belongs
 * either to one call or to the pool's idle list, never to both. A link is
 * given back to the pool only when the exchange ended cleanly: the whole
 * request written, the whole answer read and nothing more, and the
 * server not closing. Callbacks run from the event loop only: a failure
 * inside fwd_start is returned, never called back.
 */
#include "http/forward.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/util.h>

#include "base/log.h"
#include "base/secret.h"

#define MAX_NAME 256 /* of the extra header's name */

struct fwd_link {
	struct fwd_pool *pool;
	struct bufferevent *bev;
	struct event *idle_timer;
	char *url;             /* the server it talks to: the pool's key */
	struct fwd_link *next; /* in the idle list */
	struct fwd_call *call; /* NULL while idle */
	bool connected;
	bool reused; /* it carried a whole answer before */
};

struct fwd_pool {
	struct event_base *base;
	SSL_CTX *ssl; /* made on the first https connection */
	struct fwd_link *idle;
	size_t n_idle;
};

struct fwd_call {
	struct fwd_pool *pool;
	struct fwd_link *link;
	struct event *timer;
	char *url;
	char *address;
	int64_t deadline; /* monotonic ms */
	bool head_only;
	bool retried;
	fwd_done_fn done;
	void *arg;

	struct buf req; /* kept until the end, for one retry */
	struct buf in;  /* the answer's bytes as they arrive */
	struct http_head head;
	bool have_head;
	/* Taken from the head once parsed: its pointers go stale as in grows.
	 */
	int status;
	bool keep;
	bool chunked;
	size_t body_start;
	uint64_t body_len;
	struct buf lines; /* the end-to-end headers to relay */
	struct http_chunked chunk;
	size_t chunk_off;
	struct buf body; /* a chunked body, decoded */
};

/* Hop-by-hop headers (RFC 9110 section 7.6.1) and the framing. */
static const char *const hop_headers[] = {
    "connection", "keep-alive", "proxy-connection",  "te",
    "trailer",    "upgrade",    "transfer-encoding", "content-length",
};

static bool is_hop_header(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(hop_headers) / sizeof(hop_headers[0]); i++)
		if (http_token_eq(name, len, hop_headers[i]))
			return true;
	return false;
}

static int64_t fwd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void arm_until(struct event *ev, int64_t until)
{
	int64_t ms = until - fwd_now_ms();
	struct timeval tv;

	if (ms < 1)
		ms = 1;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* Printable ASCII only: nothing that could end a header line. */
static bool text_ok(const char *s)
{
	for (; *s != 0; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

bool fwd_url_authority(const char *url, char *out, size_t outlen, bool *tls)
{
	size_t n;

	*tls = strncmp(url, "https://", 8) == 0;
	if (!*tls && strncmp(url, "http://", 7) != 0)
		return false;
	url += *tls ? 8 : 7;
	n = strcspn(url, "/?#");
	if (n == 0 || n >= outlen)
		return false;
	memcpy(out, url, n);
	out[n] = 0;
	return text_ok(out);
}

/* ---- the request ---------------------------------------------------- */

static err_t append_header(struct buf *out, const struct http_header *hd)
{
	err_t rc = buf_append(out, hd->name, hd->name_len);

	if (rc == ERR_OK)
		rc = buf_append_str(out, ": ");
	if (rc == ERR_OK)
		rc = buf_append(out, hd->value, hd->value_len);
	if (rc == ERR_OK)
		rc = buf_append_str(out, "\r\n");
	return rc;
}

/* The client's own headers that go on; extra_name[0] may be "". */
static err_t append_client_headers(const struct http_head *h,
                                   const char *extra_name, struct buf *out)
{
	err_t rc = ERR_OK;
	size_t i;

	for (i = 0; i < h->n_headers && rc == ERR_OK; i++) {
		const struct http_header *hd = &h->headers[i];

		if (is_hop_header(hd->name, hd->name_len) ||
		    http_token_eq(hd->name, hd->name_len, "expect") ||
		    http_token_eq(hd->name, hd->name_len, "host") ||
		    (extra_name[0] != 0 &&
		     http_token_eq(hd->name, hd->name_len, extra_name)))
			continue;
		rc = append_header(out, hd);
	}
	return rc;
}

err_t fwd_build_request(const struct http_head *h, const uint8_t *body,
                        size_t len, const char *authority, const char *extra,
                        struct buf *out)
{
	char extra_name[MAX_NAME] = "";
	size_t n = 0;
	err_t rc;

	if (!text_ok(authority) || (extra != NULL && !text_ok(extra)))
		return ERR_INVALID;
	if (extra != NULL) {
		n = strcspn(extra, ":");
		if (n == 0 || n >= sizeof(extra_name) || extra[n] != ':')
			return ERR_INVALID;
		memcpy(extra_name, extra, n);
		extra_name[n] = 0;
	}

	rc = buf_append(out, h->method, h->method_len);
	if (rc == ERR_OK)
		rc = buf_append_byte(out, ' ');
	if (rc == ERR_OK)
		rc = buf_append(out, h->target, h->target_len);
	if (rc == ERR_OK)
		rc = buf_printf(out, " HTTP/1.1\r\nHost: %s\r\n", authority);
	if (rc == ERR_OK)
		rc = append_client_headers(h, extra_name, out);
	if (rc == ERR_OK)
		rc = buf_printf(out, "Content-Length: %zu\r\n%s%s\r\n", len,
		                extra != NULL ? extra : "",
		                extra != NULL ? "\r\n" : "");
	if (rc == ERR_OK && len > 0)
		rc = buf_append(out, body, len);
	return rc;
}

/* ---- links: connections to the active server ------------------------ */

static void pool_unlink(struct fwd_link *l)
{
	struct fwd_link **pp = &l->pool->idle;

	while (*pp != NULL && *pp != l)
		pp = &(*pp)->next;
	if (*pp == l) {
		*pp = l->next;
		l->pool->n_idle--;
	}
	l->next = NULL;
}

static void link_free(struct fwd_link *l)
{
	if (l == NULL)
		return;
	if (l->bev != NULL) {
		/* Drop the references to the call's request before it goes. */
		struct evbuffer *out = bufferevent_get_output(l->bev);
		evbuffer_drain(out, evbuffer_get_length(out));
		bufferevent_free(l->bev);
	}
	if (l->idle_timer != NULL)
		event_free(l->idle_timer);
	free(l->url);
	free(l);
}

static void link_drop_idle(struct fwd_link *l)
{
	pool_unlink(l);
	link_free(l);
}

static void link_on_idle(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	link_drop_idle(arg);
}

static void call_on_data(struct fwd_call *f);
static void call_on_close(struct fwd_call *f);

static void link_on_read(struct bufferevent *bev, void *arg)
{
	struct fwd_link *l = arg;

	(void)bev;
	/* An idle connection has nothing to say: it is out of step. */
	if (l->call == NULL)
		link_drop_idle(l);
	else
		call_on_data(l->call);
}

static void link_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct fwd_link *l = arg;
	int one = 1, fd;

	if (what & BEV_EVENT_CONNECTED) {
		l->connected = true;
		fd = bufferevent_getfd(bev);
		if (fd >= 0)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			           sizeof(one));
		if (l->call != NULL)
			arm_until(l->call->timer, l->call->deadline);
		return;
	}
	if (l->call == NULL)
		link_drop_idle(l);
	else
		call_on_close(l->call);
}

static SSL *link_ssl(struct fwd_pool *p, const char *authority)
{
	char host[256];
	size_t n;
	SSL *ssl;
	bool ip, bracket;

	if (p->ssl == NULL) {
		p->ssl = SSL_CTX_new(TLS_client_method());
		if (p->ssl == NULL)
			return NULL;
		SSL_CTX_set_min_proto_version(p->ssl, TLS1_2_VERSION);
		SSL_CTX_set_default_verify_paths(p->ssl);
		SSL_CTX_set_verify(p->ssl, SSL_VERIFY_PEER, NULL);
	}
	/* The host of "host:port" or "[v6]:port". */
	bracket = authority[0] == '[';
	if (bracket)
		authority++;
	n = strcspn(authority, bracket ? "]" : ":");
	if (n == 0 || n >= sizeof(host))
		return NULL;
	memcpy(host, authority, n);
	host[n] = 0;
	ip = strchr(host, ':') != NULL || strspn(host, "0123456789.") == n;

	ssl = SSL_new(p->ssl);
	if (ssl == NULL)
		return NULL;
	if ((ip &&
	     X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1) ||
	    (!ip && (SSL_set_tlsext_host_name(ssl, host) != 1 ||
	             SSL_set1_host(ssl, host) != 1))) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

static struct bufferevent *link_bev(struct fwd_pool *p, const char *url)
{
	char authority[512];
	struct bufferevent *bev;
	bool tls;
	SSL *ssl;

	if (!fwd_url_authority(url, authority, sizeof(authority), &tls))
		return NULL;
	if (!tls)
		return bufferevent_socket_new(p->base, -1,
		                              BEV_OPT_CLOSE_ON_FREE);
	ssl = link_ssl(p, authority);
	if (ssl == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(p->base, -1, ssl,
	                                     BUFFEREVENT_SSL_CONNECTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* A new connection to address, connecting; NULL when it cannot start. */
static struct fwd_link *link_new(struct fwd_pool *p, const char *url,
                                 const char *address)
{
	struct sockaddr_storage ss;
	int sslen = (int)sizeof(ss);
	struct fwd_link *l;

	if (evutil_parse_sockaddr_port(address, (struct sockaddr *)&ss,
	                               &sslen) != 0)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->pool = p;
	l->url = strdup(url);
	l->idle_timer = evtimer_new(p->base, link_on_idle, l);
	l->bev = link_bev(p, url);
	if (l->url == NULL || l->idle_timer == NULL || l->bev == NULL) {
		link_free(l);
		return NULL;
	}
	bufferevent_setcb(l->bev, link_on_read, NULL, link_on_event, l);
	bufferevent_enable(l->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(l->bev, (struct sockaddr *)&ss, sslen) !=
	    0) {
		link_free(l);
		return NULL;
	}
	return l;
}

/*
 * An idle connection to url, if any. Idle connections to any other server
 * are closed on the way: the active server changed.
 */
static struct fwd_link *pool_take(struct fwd_pool *p, const char *url)
{
	struct fwd_link *l = p->idle, *next, *found = NULL;

	for (; l != NULL; l = next) {
		next = l->next;
		if (found == NULL && strcmp(l->url, url) == 0) {
			found = l;
			pool_unlink(l);
			evtimer_del(l->idle_timer);
		} else if (strcmp(l->url, url) != 0) {
			link_drop_idle(l);
		}
	}
	return found;
}

static void pool_put(struct fwd_pool *p, struct fwd_link *l)
{
	struct timeval tv = {FWD_IDLE_MS / 1000, (FWD_IDLE_MS % 1000) * 1000};

	if (p->n_idle >= FWD_MAX_IDLE) {
		link_free(l);
		return;
	}
	l->call = NULL;
	l->reused = true;
	l->next = p->idle;
	p->idle = l;
	p->n_idle++;
	evtimer_add(l->idle_timer, &tv);
}

err_t fwd_pool_new(struct event_base *base, struct fwd_pool **out)
{
	struct fwd_pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return ERR_NOMEM;
	p->base = base;
	*out = p;
	return ERR_OK;
}

void fwd_pool_free(struct fwd_pool *p)
{
	if (p == NULL)
		return;
	while (p->idle != NULL)
		link_drop_idle(p->idle);
	SSL_CTX_free(p->ssl);
	free(p);
}

/* ---- calls ------------------------------------------------------------ */

static void call_free(struct fwd_call *f)
{
	if (f == NULL)
		return;
	if (f->timer != NULL)
		event_free(f->timer);
	buf_release(&f->req);
	buf_release(&f->in);
	buf_release(&f->lines);
	buf_release(&f->body);
	free(f->url);
	free(f->address);
	free(f);
}

/*
 * Ends the call: the link goes back to the pool when reusable, done is
 * called with r, and the call is freed.
 */
static void call_end(struct fwd_call *f, bool reusable,
                     const struct fwd_reply *r)
{
	struct fwd_link *l = f->link;

	f->link = NULL;
	if (l != NULL && reusable &&
	    evbuffer_get_length(bufferevent_get_output(l->bev)) == 0)
		pool_put(f->pool, l);
	else
		link_free(l);
	evtimer_del(f->timer);
	f->done(f->arg, r);
	call_free(f);
}

static void call_fail(struct fwd_call *f, const char *why)
{
	struct fwd_reply r = {0, why, NULL, 0, NULL, 0};

	log_warn("http", "forwarding a request to %s failed: %s", f->url, why);
	call_end(f, false, &r);
}

/* Attaches a connection, pooled or new, and sends the request on it. */
static err_t call_connect(struct fwd_call *f)
{
	struct fwd_link *l = NULL;

	if (!f->retried)
		l = pool_take(f->pool, f->url);
	if (l == NULL)
		l = link_new(f->pool, f->url, f->address);
	if (l == NULL)
		return ERR_UNAVAILABLE;
	l->call = f;
	f->link = l;
	if (evbuffer_add_reference(bufferevent_get_output(l->bev), f->req.data,
	                           f->req.len, NULL, NULL) != 0) {
		f->link = NULL;
		link_free(l);
		return ERR_NOMEM;
	}
	if (l->connected) {
		arm_until(f->timer, f->deadline);
	} else {
		int64_t connect_by = fwd_now_ms() + FWD_CONNECT_MS;
		arm_until(f->timer,
		          connect_by < f->deadline ? connect_by : f->deadline);
	}
	return ERR_OK;
}

/* The link closed or failed before the answer was complete. */
static void call_on_close(struct fwd_call *f)
{
	struct fwd_link *l = f->link;

	/* The server closed an idle connection as the request left. */
	if (l->reused && f->in.len == 0 && !f->retried) {
		log_debug("http",
		          "a pooled connection to %s was closed; "
		          "sending again on a new one",
		          f->url);
		f->link = NULL;
		link_free(l);
		f->retried = true;
		if (call_connect(f) != ERR_OK)
			call_fail(f, "cannot connect");
		return;
	}
	if (!l->connected)
		call_fail(f, bufferevent_get_openssl_error(l->bev) != 0
		                 ? "the TLS handshake failed"
		                 : "cannot connect");
	else
		call_fail(f, "the connection closed before the answer was "
		             "complete");
}

static void call_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct fwd_call *f = arg;

	(void)fd;
	(void)what;
	call_fail(f, f->link != NULL && f->link->connected
	                 ? "no answer in time"
	                 : "connecting timed out");
}

/* The head is complete: keep what the rest of the call needs. */
static const char *call_take_head(struct fwd_call *f)
{
	const struct http_head *h = &f->head;
	bool no_body = f->head_only || h->code == 204 || h->code == 304;
	size_t i;

	if (h->code < 200)
		return "an interim answer";
	if (!no_body && !h->chunked && !h->has_length)
		return "an answer without a length";
	f->status = h->code;
	f->keep = h->keep_alive;
	f->chunked = h->chunked && !no_body;
	f->body_start = h->len;
	f->body_len = no_body ? 0 : h->content_length;
	f->chunk_off = h->len;
	http_chunked_init(&f->chunk);
	for (i = 0; i < h->n_headers; i++) {
		const struct http_header *hd = &h->headers[i];
		/* A HEAD answer's length describes the GET's body: keep it. */
		bool length =
		    f->head_only &&
		    http_token_eq(hd->name, hd->name_len, "content-length");
		if ((!is_hop_header(hd->name, hd->name_len) || length) &&
		    append_header(&f->lines, hd) != ERR_OK)
			return "an answer too large";
	}
	f->have_head = true;
	return NULL;
}

/* Moves what arrived into f->in. */
static bool call_pull(struct fwd_call *f)
{
	struct evbuffer *input = bufferevent_get_input(f->link->bev);
	size_t n = evbuffer_get_length(input);
	int got;

	if (n == 0)
		return true;
	if (buf_reserve(&f->in, n) != ERR_OK)
		return false;
	got = evbuffer_remove(input, f->in.data + f->in.len, n);
	if (got > 0)
		f->in.len += (size_t)got;
	f->in.data[f->in.len] = 0;
	return true;
}

static void call_complete(struct fwd_call *f, bool reusable)
{
	struct fwd_reply r = {f->status,    NULL, (const char *)f->lines.data,
	                      f->lines.len, NULL, 0};

	if (f->chunked) {
		r.body = f->body.data;
		r.body_len = f->body.len;
	} else {
		r.body = f->in.data + f->body_start;
		r.body_len = (size_t)f->body_len;
	}
	call_end(f, reusable && f->keep, &r);
}

static void call_on_data(struct fwd_call *f)
{
	enum http_parse rc;
	const char *bad;
	size_t used = 0, have;

	if (!call_pull(f)) {
		call_fail(f, "the answer is too large");
		return;
	}
	if (!f->have_head) {
		rc = http_head_feed(&f->head, (const char *)f->in.data,
		                    f->in.len);
		if (rc == HTTP_PARSE_MORE)
			return;
		bad = rc == HTTP_PARSE_BAD ? "a malformed answer"
		                           : call_take_head(f);
		if (bad != NULL) {
			call_fail(f, bad);
			return;
		}
	}

	if (f->chunked) {
		rc = http_chunked_feed(&f->chunk, f->in.data + f->chunk_off,
		                       f->in.len - f->chunk_off, &used,
		                       &f->body);
		f->chunk_off += used;
		if (rc == HTTP_PARSE_BAD)
			call_fail(f, "a malformed chunked answer");
		else if (rc == HTTP_PARSE_DONE)
			call_complete(f, f->chunk_off == f->in.len);
		return;
	}
	have = f->in.len - f->body_start;
	if (have >= f->body_len)
		call_complete(f, have == f->body_len);
}

err_t fwd_start(struct fwd_pool *p, const char *url, const char *address,
                struct buf *request, bool head_only, int64_t timeout_ms,
                fwd_done_fn done, void *arg, struct fwd_call **out)
{
	struct fwd_call *f = calloc(1, sizeof(*f));
	err_t rc;

	*out = NULL;
	if (f == NULL)
		return ERR_NOMEM;
	f->pool = p;
	f->url = strdup(url);
	f->address = strdup(address);
	f->timer = evtimer_new(p->base, call_on_timer, f);
	f->head_only = head_only;
	f->done = done;
	f->arg = arg;
	f->deadline = fwd_now_ms() + timeout_ms;
	f->req = *request;
	buf_init(request, 0);
	buf_init(&f->in, FWD_MAX_REPLY);
	buf_init(&f->lines, 0);
	buf_init(&f->body, FWD_MAX_REPLY);
	http_head_init_response(&f->head);
	if (f->url == NULL || f->address == NULL || f->timer == NULL) {
		call_free(f);
		return ERR_NOMEM;
	}
	rc = call_connect(f);
	if (rc != ERR_OK) {
		call_free(f);
		return rc;
	}
	*out = f;
	return ERR_OK;
}

void fwd_cancel(struct fwd_call *f)
{
	if (f == NULL)
		return;
	link_free(f->link);
	call_free(f);
}
