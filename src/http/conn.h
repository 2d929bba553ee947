/*
 * conn.h - one client connection of a worker (internal to http/).
 *
 * A connection moves through these states:
 *
 *   IDLE --first byte--> HEAD --head parsed--> BODY or CHUNKED
 *     ^                   |                        |
 *     +---- reply sent <--+------------------------+
 *   any --framing error or Connection: close--> CLOSING --flushed--> LINGER
 *   WAIT_OUT: replies pile up unread by the client; resumes once sent.
 *   RUNNING: the request is on the blocking pool (offload.h); the reply
 *   is sent, and the next pipelined request read, when it comes back.
 *   FORWARD: the request is being relayed to the active server
 *            (http/forward.h); resumes with its answer.
 *
 * Every transition happens in the worker's thread; a connection is freed
 * only from a top-level callback (timer, event, write), never while a step
 * is running, so no step can touch freed memory. A connection closed while
 * its request is on the pool loses its socket at once and its memory when
 * the request comes back.
 */
#ifndef COFFER_HTTP_CONN_H
#define COFFER_HTTP_CONN_H

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "http/server.h"

struct conn;
struct fwd_pool;

/* A listener's settings, shared read-only by the workers. */
struct http_listener {
	char *address;
	SSL_CTX *ssl; /* NULL: plain HTTP */
	size_t max_body;
	int64_t max_duration_ms;
	int port;
};

/* The time-outs, milliseconds; tests shorten them. */
struct http_timeouts {
	int head_ms;
	int idle_ms;
	int linger_ms;
};

struct http_worker {
	struct event_base *base;
	struct http_listener *listeners;
	const struct http_timeouts *timeouts;
	http_handler_fn fn;
	http_handler_fn refused_fn; /* see http_server_set_refused_fn */
	void *ctx;
	size_t n_conns;
	struct conn *conns;   /* all open connections, for shutdown */
	struct fwd_pool *fwd; /* connections to the active server */

	struct offload *pool; /* NULL: every request runs on the loop */
	/* Requests back from the pool; a write to done_fd wakes the loop. */
	pthread_mutex_t done_lock;
	struct conn_job *done;
	int done_fd;
};

#define HTTP_MAX_CONNS 4096

/*
 * Takes over the accepted socket fd of listener l: wraps it (in TLS when
 * l->ssl is set) and starts reading. Closes fd on failure.
 */
void conn_open(struct http_worker *w, struct http_listener *l, int fd,
               const struct sockaddr *sa);

/*
 * Sends the replies of the requests that came back from the pool, in the
 * worker's thread (its done_fd callback). Also called at shutdown, after
 * the pool has stopped, before conn_close_all.
 */
void conn_collect_done(struct http_worker *w);

/* Closes and frees every connection of w. */
void conn_close_all(struct http_worker *w);

#endif
