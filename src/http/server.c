#include "http/server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "base/log.h"
#include "http/conn.h"
#include "http/forward.h"
#include "http/offload.h"

#define HEAD_TIMEOUT_MS   10000
#define IDLE_TIMEOUT_MS   60000
#define LINGER_TIMEOUT_MS 2000
#define LISTEN_BACKLOG    1024
/*
 * Writes in flight at once (offload.h). Each waits on a commit, not a
 * CPU, so this is set by how many should share one fsync, not by cores.
 */
#define POOL_THREADS 32

/* What a worker's listening socket needs to hand a connection over. */
struct accept_ref {
	struct http_worker *w;
	struct http_listener *l;
};

struct worker {
	struct http_worker hw;
	struct evconnlistener **lev; /* one per listener */
	struct accept_ref *refs;
	struct event *stop_ev;
	struct event *done_ev;
	pthread_t thread;
	bool started;
};

struct http_server {
	struct http_listener *listeners;
	size_t n_listeners;
	struct worker *workers;
	size_t n_workers;
	int stop_fds[2];
	struct http_timeouts timeouts;
	struct offload *pool;
};

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *arg)
{
	struct accept_ref *ref = arg;
	int one = 1;

	(void)lev;
	(void)salen;
	if (ref->w->n_conns >= HTTP_MAX_CONNS) {
		close(fd);
		return;
	}
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn_open(ref->w, ref->l, fd, sa);
}

static void on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(arg);
}

/*
 * accept failed (out of descriptors, most likely): pause this socket for a
 * moment instead of spinning on it while the condition lasts.
 */
static void on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct timeval pause = {0, 100 * 1000};
	int err = EVUTIL_SOCKET_ERROR();

	(void)arg;
	evconnlistener_disable(lev);
	event_base_once(evconnlistener_get_base(lev), -1, EV_TIMEOUT,
	                on_accept_resume, lev, &pause);
	log_warn("http", "accept failed: %s",
	         evutil_socket_error_to_string(err));
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	/* The byte stays in the pipe so that every worker sees it. */
	event_base_loopbreak(arg);
}

/* "host:port" or "[v6]:port" into host and port. */
static err_t split_address(const char *addr, char *host, size_t hostlen,
                           const char **port)
{
	const char *colon, *h = addr;
	size_t n;

	if (addr[0] == '[') {
		const char *close_br = strchr(addr, ']');

		if (close_br == NULL || close_br[1] != ':')
			return ERR_INVALID;
		h = addr + 1;
		n = (size_t)(close_br - h);
		colon = close_br + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL)
			return ERR_INVALID;
		n = (size_t)(colon - addr);
	}
	if (n >= hostlen || colon[1] == 0)
		return ERR_INVALID;
	memcpy(host, h, n);
	host[n] = 0;
	*port = colon + 1;
	return ERR_OK;
}

/*
 * One listening socket; port 0 asks the kernel, then *port tells which.
 * With SO_REUSEPORT the kernel hashes each new connection to one worker's
 * socket; a worker stuck in a slow handler delays the connections queued
 * on it (the price of sharing nothing between workers).
 */
static int bind_socket(const struct addrinfo *ai, int *port, char *errmsg,
                       size_t errlen, const char *address)
{
	struct sockaddr_storage ss;
	socklen_t sl = (socklen_t)ai->ai_addrlen;
	int fd, one = 1;

	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	if (*port > 0 && ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)*port);
	else if (*port > 0 && ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port =
		    htons((uint16_t)*port);

	fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, sl) ||
	    listen(fd, LISTEN_BACKLOG) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl)) {
		snprintf(errmsg, errlen, "listener %s: %s", address,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(ss.ss_family == AF_INET
	                  ? ((struct sockaddr_in *)&ss)->sin_port
	                  : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static err_t resolve(const char *address, struct addrinfo **ai, char *errmsg,
                     size_t errlen)
{
	struct addrinfo hints;
	char host[256];
	const char *port;
	int rc;

	if (split_address(address, host, sizeof(host), &port) != ERR_OK) {
		snprintf(errmsg, errlen, "listener %s: expected host:port",
		         address);
		return ERR_INVALID;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, ai);
	if (rc != 0) {
		snprintf(errmsg, errlen, "listener %s: %s", address,
		         gai_strerror(rc));
		return ERR_INVALID;
	}
	return ERR_OK;
}

static void tls_errmsg(char *errmsg, size_t errlen, const char *address,
                       const char *what, const char *file)
{
	char e[256];

	ERR_error_string_n(ERR_get_error(), e, sizeof(e));
	ERR_clear_error();
	snprintf(errmsg, errlen, "listener %s: %s %s: %s", address, what,
	         file ? file : "", e);
}

/* Accept any client certificate: auth/cert decides who it trusts. */
static int accept_client_cert(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;
}

/*
 * Client certificates. Every TLS listener asks for one but does not
 * require it and accepts any chain at the TLS level, as Vault does: the
 * chain is handed to the request (request.tls_peer_cert_pem) and the cert
 * auth method verifies it against the certificates of its roles, so that
 * trust is configured per mount and not per listener. tls_client_ca_file
 * only names, in the handshake, the CAs clients should pick a
 * certificate for.
 */
static err_t tls_client_certs(struct http_listener *l, const char *file,
                              char *errmsg, size_t errlen)
{
	static const unsigned char sid_ctx[] = "coffer";
	STACK_OF(X509_NAME) * names;

	/* Resumed sessions keep the peer's certificate; they need this. */
	SSL_CTX_set_session_id_context(l->ssl, sid_ctx, sizeof(sid_ctx) - 1);
	SSL_CTX_set_verify(l->ssl, SSL_VERIFY_PEER, accept_client_cert);
	if (file == NULL)
		return ERR_OK;
	names = SSL_load_client_CA_file(file);
	if (names == NULL) {
		tls_errmsg(errmsg, errlen, l->address, "client CA", file);
		return ERR_INVALID;
	}
	SSL_CTX_set_client_CA_list(l->ssl, names);
	return ERR_OK;
}

static err_t tls_setup(struct http_listener *l,
                       const struct listener_config *cfg, char *errmsg,
                       size_t errlen)
{
	bool tls13 = cfg->tls_min_version != NULL &&
	             strcmp(cfg->tls_min_version, "tls13") == 0;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	l->ssl = ctx;
	if (ctx == NULL) {
		tls_errmsg(errmsg, errlen, l->address, "tls", NULL);
		return ERR_INTERNAL;
	}
	if (cfg->tls_min_version != NULL && !tls13 &&
	    strcmp(cfg->tls_min_version, "tls12") != 0) {
		snprintf(errmsg, errlen,
		         "listener %s: tls_min_version must "
		         "be tls12 or tls13",
		         l->address);
		return ERR_INVALID;
	}
	SSL_CTX_set_min_proto_version(ctx,
	                              tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (cfg->tls_cert_file == NULL || cfg->tls_key_file == NULL) {
		snprintf(errmsg, errlen,
		         "listener %s: tls_cert_file and "
		         "tls_key_file are required unless tls_disable is set",
		         l->address);
		return ERR_INVALID;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert_file) != 1) {
		tls_errmsg(errmsg, errlen, l->address, "certificate",
		           cfg->tls_cert_file);
		return ERR_INVALID;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key_file,
	                                SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		tls_errmsg(errmsg, errlen, l->address, "key",
		           cfg->tls_key_file);
		return ERR_INVALID;
	}
	return tls_client_certs(l, cfg->tls_client_ca_file, errmsg, errlen);
}

static err_t listener_setup(struct http_listener *l,
                            const struct listener_config *cfg, char *errmsg,
                            size_t errlen)
{
	l->address =
	    strdup(cfg->address ? cfg->address : CONFIG_DEFAULT_ADDRESS);
	if (l->address == NULL)
		return ERR_NOMEM;
	l->max_body = cfg->max_request_size ? cfg->max_request_size
	                                    : CONFIG_DEFAULT_REQUEST_SIZE;
	l->max_duration_ms =
	    (cfg->max_request_duration > 0 ? cfg->max_request_duration
	                                   : CONFIG_DEFAULT_DURATION) *
	    1000;
	if (cfg->tls_disable)
		return ERR_OK;
	return tls_setup(l, cfg, errmsg, errlen);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_collect_done(arg);
}

static err_t worker_setup(struct http_server *s, struct worker *w,
                          http_handler_fn fn, void *ctx)
{
	size_t i;

	w->hw.base = event_base_new();
	w->lev = calloc(s->n_listeners, sizeof(*w->lev));
	w->refs = calloc(s->n_listeners, sizeof(*w->refs));
	if (w->hw.base == NULL || w->lev == NULL || w->refs == NULL ||
	    fwd_pool_new(w->hw.base, &w->hw.fwd) != ERR_OK)
		return ERR_NOMEM;
	w->hw.listeners = s->listeners;
	w->hw.timeouts = &s->timeouts;
	w->hw.fn = fn;
	w->hw.ctx = ctx;
	for (i = 0; i < s->n_listeners; i++) {
		w->refs[i].w = &w->hw;
		w->refs[i].l = &s->listeners[i];
	}
	w->stop_ev = event_new(w->hw.base, s->stop_fds[0], EV_READ | EV_PERSIST,
	                       on_stop, w->hw.base);
	if (w->stop_ev == NULL || event_add(w->stop_ev, NULL) != 0)
		return ERR_NOMEM;
	w->hw.pool = s->pool;
	w->hw.done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->hw.done_fd < 0)
		return ERR_INTERNAL;
	w->done_ev = event_new(w->hw.base, w->hw.done_fd, EV_READ | EV_PERSIST,
	                       on_done, &w->hw);
	if (w->done_ev == NULL || event_add(w->done_ev, NULL) != 0)
		return ERR_NOMEM;
	return ERR_OK;
}

/* Binds listener i once per worker, all on the same port. */
static err_t listener_bind(struct http_server *s, size_t i, char *errmsg,
                           size_t errlen)
{
	struct http_listener *l = &s->listeners[i];
	struct addrinfo *ai = NULL;
	size_t k;
	err_t rc;
	int fd;

	rc = resolve(l->address, &ai, errmsg, errlen);
	if (rc != ERR_OK)
		return rc;
	for (k = 0; k < s->n_workers; k++) {
		struct worker *w = &s->workers[k];

		fd = bind_socket(ai, &l->port, errmsg, errlen, l->address);
		if (fd < 0) {
			rc = ERR_IO;
			break;
		}
		w->lev[i] =
		    evconnlistener_new(w->hw.base, on_accept, &w->refs[i],
		                       LEV_OPT_CLOSE_ON_FREE, 0, fd);
		if (w->lev[i] == NULL) {
			close(fd);
			rc = ERR_NOMEM;
			break;
		}
		evconnlistener_set_error_cb(w->lev[i], on_accept_error);
	}
	freeaddrinfo(ai);
	return rc;
}

err_t http_server_new(const struct listener_config *listeners, size_t n,
                      int threads, http_handler_fn fn, void *ctx,
                      struct http_server **out, char *errmsg, size_t errlen)
{
	struct http_server *s = calloc(1, sizeof(*s));
	err_t rc = ERR_NOMEM;
	size_t i;

	snprintf(errmsg, errlen, "out of memory");
	if (s == NULL)
		return ERR_NOMEM;
	s->stop_fds[0] = s->stop_fds[1] = -1;
	s->timeouts.head_ms = HEAD_TIMEOUT_MS;
	s->timeouts.idle_ms = IDLE_TIMEOUT_MS;
	s->timeouts.linger_ms = LINGER_TIMEOUT_MS;
	s->n_workers = threads > 0 ? (size_t)threads : 1;
	s->listeners = calloc(n ? n : 1, sizeof(*s->listeners));
	s->workers = calloc(s->n_workers, sizeof(*s->workers));
	if (s->listeners == NULL || s->workers == NULL)
		goto out;
	for (i = 0; i < s->n_workers; i++) {
		s->workers[i].hw.done_fd = -1;
		pthread_mutex_init(&s->workers[i].hw.done_lock, NULL);
	}
	if ((rc = offload_new(POOL_THREADS, &s->pool)) != ERR_OK)
		goto out;
	rc = ERR_NOMEM;
	if (pipe(s->stop_fds) != 0 ||
	    fcntl(s->stop_fds[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(s->stop_fds[1], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(s->stop_fds[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(s->stop_fds[1], F_SETFD, FD_CLOEXEC) != 0) {
		rc = ERR_IO;
		goto out;
	}

	/* A client that disconnects mid-reply must not kill the process. */
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < n; i++) {
		s->n_listeners++;
		rc = listener_setup(&s->listeners[i], &listeners[i], errmsg,
		                    errlen);
		if (rc != ERR_OK)
			goto out;
	}
	for (i = 0; i < s->n_workers; i++) {
		rc = worker_setup(s, &s->workers[i], fn, ctx);
		if (rc != ERR_OK)
			goto out;
	}
	for (i = 0; i < n; i++) {
		rc = listener_bind(s, i, errmsg, errlen);
		if (rc != ERR_OK)
			goto out;
	}
	rc = ERR_OK;
	*out = s;
	s = NULL;
out:
	http_server_free(s);
	return rc;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->hw.base);
	return NULL;
}

err_t http_server_run(struct http_server *s)
{
	err_t rc = ERR_OK;
	size_t i;

	for (i = 0; i < s->n_listeners; i++)
		log_info("http", "listening on %s (port %d, %s)",
		         s->listeners[i].address, s->listeners[i].port,
		         s->listeners[i].ssl ? "tls" : "plain http");
	for (i = 0; i < s->n_workers; i++) {
		struct worker *w = &s->workers[i];

		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			log_error("http", "cannot start worker thread");
			http_server_stop(s);
			rc = ERR_INTERNAL;
			break;
		}
		w->started = true;
	}
	for (i = 0; i < s->n_workers; i++) {
		if (s->workers[i].started)
			pthread_join(s->workers[i].thread, NULL);
		s->workers[i].started = false;
	}
	return rc;
}

void http_server_stop(struct http_server *s)
{
	ssize_t r;

	if (s == NULL || s->stop_fds[1] < 0)
		return;
	r = write(s->stop_fds[1], "x", 1);
	(void)r;
}

static void worker_release(struct worker *w, size_t n_listeners)
{
	size_t i;

	conn_close_all(&w->hw);
	fwd_pool_free(w->hw.fwd);
	for (i = 0; w->lev != NULL && i < n_listeners; i++) {
		if (w->lev[i] != NULL)
			evconnlistener_free(w->lev[i]);
	}
	if (w->stop_ev != NULL)
		event_free(w->stop_ev);
	if (w->done_ev != NULL)
		event_free(w->done_ev);
	if (w->hw.done_fd >= 0)
		close(w->hw.done_fd);
	pthread_mutex_destroy(&w->hw.done_lock);
	if (w->hw.base != NULL)
		event_base_free(w->hw.base);
	free(w->lev);
	free(w->refs);
}

void http_server_free(struct http_server *s)
{
	size_t i;

	if (s == NULL)
		return;
	/* Requests still on the pool finish before their connections go. */
	offload_free(s->pool);
	for (i = 0; s->workers != NULL && i < s->n_workers; i++)
		worker_release(&s->workers[i], s->n_listeners);
	for (i = 0; i < s->n_listeners; i++) {
		SSL_CTX_free(s->listeners[i].ssl);
		free(s->listeners[i].address);
	}
	if (s->stop_fds[0] >= 0)
		close(s->stop_fds[0]);
	if (s->stop_fds[1] >= 0)
		close(s->stop_fds[1]);
	free(s->listeners);
	free(s->workers);
	free(s);
}

int http_server_port(struct http_server *s, size_t i)
{
	if (s == NULL || i >= s->n_listeners)
		return -1;
	return s->listeners[i].port;
}

void http_server_set_refused_fn(struct http_server *s, http_handler_fn fn)
{
	size_t i;

	for (i = 0; i < s->n_workers; i++)
		s->workers[i].hw.refused_fn = fn;
}

void http_server_set_timeouts(struct http_server *s, int head_ms, int idle_ms)
{
	if (head_ms > 0)
		s->timeouts.head_ms = head_ms;
	if (idle_ms > 0)
		s->timeouts.idle_ms = idle_ms;
}
