/*
 * forward.h - a standby relaying requests to the active server (internal
 * to http/).
 *
 * When the handler asks for it (http/server.h), the connection hands the
 * request to its worker's forwarding pool instead of answering: the pool
 * sends the request on to the active server over a keep-alive connection
 * of its own and calls back with the answer, which the connection then
 * sends to its client as if it were its own. Everything runs in the
 * worker's event loop and nothing blocks it: connecting, sending and
 * reading are driven by libevent like the client connections are.
 *
 *   start --> connecting --connected--> waiting --whole answer--> done
 *                 |                        |
 *                 +--refused, reset, timeout, garbled answer--> done (error)
 *
 * A connection that carried a complete answer goes back to the pool
 * (keyed by the active server's URL) and is reused for the next request;
 * idle ones are closed after FWD_IDLE_MS, before the active server's own
 * idle time-out, and at once when that server closes them. A request sent
 * on a reused connection that is closed before any byte of an answer
 * arrived is sent once more on a new connection: the server most likely
 * closed it as idle just as the request left. Time-outs: FWD_CONNECT_MS
 * to connect (TLS handshake included), and the listener's
 * max_request_duration for the whole exchange.
 *
 * The active server's address is given resolved ("ip:port", core/ha.c
 * resolves it in its own thread), so nothing here waits on DNS. An https
 * api_addr is spoken to over TLS, its certificate checked against the
 * system's trust store (OpenSSL's default paths: SSL_CERT_FILE and
 * SSL_CERT_DIR change them) and against the host name of the URL.
 */
#ifndef COFFER_HTTP_FORWARD_H
#define COFFER_HTTP_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "base/buf.h"
#include "base/error.h"
#include "http/parser.h"

#define FWD_CONNECT_MS 3000
#define FWD_IDLE_MS    20000
#define FWD_MAX_IDLE   32                 /* idle connections per worker */
#define FWD_MAX_REPLY  ((size_t)64 << 20) /* answer bytes, head included */

struct fwd_pool;
struct fwd_call;

/* The active server's answer, or why there is none. */
struct fwd_reply {
	int status;        /* 0 when the exchange failed */
	const char *error; /* then: a static reason, for the client */
	const char *lines; /* end-to-end headers, "Name: value\r\n" each */
	size_t lines_len;
	const uint8_t *body; /* the body, chunked framing removed */
	size_t body_len;
};

/*
 * Called once per started call, from the event loop, never from inside
 * fwd_start. reply and what it points to live until the callback returns.
 */
typedef void (*fwd_done_fn)(void *arg, const struct fwd_reply *reply);

/* A pool for the worker whose loop is base. ERR_NOMEM. */
err_t fwd_pool_new(struct event_base *base, struct fwd_pool **out);

/*
 * Closes the pool's idle connections and frees it; p may be NULL. Every
 * call must have finished or been cancelled.
 */
void fwd_pool_free(struct fwd_pool *p);

/*
 * Writes into out (empty) the request to send on: h's method and target,
 * Host set to authority, the client's headers except the hop-by-hop ones
 * (Connection, Keep-Alive, Transfer-Encoding, Content-Length, Expect, TE,
 * Trailer, Upgrade, Proxy-Connection, Host) and except any that has the
 * name of extra, then Content-Length, extra (one "Name: value" line, or
 * NULL) and body[0..len). ERR_INVALID when extra or authority could split
 * the head, ERR_TOO_LARGE past out's cap.
 */
err_t fwd_build_request(const struct http_head *h, const uint8_t *body,
                        size_t len, const char *authority, const char *extra,
                        struct buf *out);

/*
 * Sends request (built by fwd_build_request; taken over, wiped when done)
 * to the server at url ("http[s]://host[:port]", for TLS and the host
 * name to check) whose resolved address is address ("ip:port",
 * "[ip6]:port"). head_only: the request was a HEAD, the answer has no
 * body. done(arg, reply) is called once, after fwd_start returned ERR_OK,
 * unless the call is cancelled first; *out identifies the call until
 * then. Returns ERR_INVALID for an unusable url or address, ERR_NOMEM or
 * ERR_UNAVAILABLE when no connection could be started; done is then
 * never called.
 */
err_t fwd_start(struct fwd_pool *p, const char *url, const char *address,
                struct buf *request, bool head_only, int64_t timeout_ms,
                fwd_done_fn done, void *arg, struct fwd_call **out);

/* Abandons a call: done will not be called. f may be NULL. */
void fwd_cancel(struct fwd_call *f);

/*
 * The authority ("host:port" as written) of an http or https URL into
 * out, and whether it is https. false when url is neither.
 */
bool fwd_url_authority(const char *url, char *out, size_t outlen, bool *tls);

#endif
