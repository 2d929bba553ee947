/*
 * server.h - the HTTP listeners and their worker threads.
 *
 * Each of `threads` workers runs its own event loop with its own listening
 * socket per listener (SO_REUSEPORT), so the kernel spreads connections
 * and no lock is shared on the request path. A request is parsed by
 * http/parser.c, turned into a core request by http/handler.c, handed to
 * the handler synchronously in the worker thread, and answered with the
 * envelope of http/envelope.c.
 *
 * Limits: a head within 10 s of the start of a request, the whole request
 * within the listener's max_request_duration, idle keep-alive connections
 * closed after 60 s, bodies up to max_request_size (413 decided from
 * Content-Length before reading), 4096 connections per worker.
 */
#ifndef COFFER_HTTP_SERVER_H
#define COFFER_HTTP_SERVER_H

#include <stddef.h>

#include "base/error.h"
#include "config/config.h"
#include "core/request.h"

struct http_server;

/*
 * Serves one request: reads req, fills resp. Called in a worker thread,
 * concurrently with other workers; req and resp belong to the caller and
 * are released after the reply is written.
 *
 * An HA standby's answers (core/ha.h) are not replies of their own: a
 * status of 307 with data {"leader_address": URL} becomes a redirect to
 * URL followed by the request's target; when the data also holds
 * "forward_address" ("ip:port" to connect to) and optionally
 * "forward_header" (one "Name: value" line to add), the worker relays the
 * request to URL instead (http/forward.h) and sends back its answer.
 */
typedef void (*http_handler_fn)(void *ctx, struct request *req,
                                struct response *resp);

/*
 * Creates a server for listeners[0..n) with `threads` workers (at least
 * one). Every socket is bound and listening and every TLS certificate and
 * key loaded before this returns, so configuration errors show at start:
 * then ERR_INVALID (bad address, TLS files) or ERR_IO (bind, listen) with
 * a message in errmsg. The listener configs are copied. On success the
 * caller frees *out with http_server_free.
 */
err_t http_server_new(const struct listener_config *listeners, size_t n,
                      int threads, http_handler_fn fn, void *ctx,
                      struct http_server **out, char *errmsg, size_t errlen);

/*
 * Runs the workers and blocks until http_server_stop. Returns ERR_INTERNAL
 * when a worker thread cannot be started. Call at most once.
 */
err_t http_server_run(struct http_server *s);

/*
 * Asks every worker to stop; http_server_run then returns. Safe to call
 * from a signal handler and from any thread, before or during run.
 */
void http_server_stop(struct http_server *s);

/* Closes every connection and socket and frees s; s may be NULL. */
void http_server_free(struct http_server *s);

/* The port listener i is bound to (useful with port 0); -1 if no such. */
int http_server_port(struct http_server *s, size_t i);

/*
 * Sets fn to be called, with the handler's ctx, for every request the
 * listener answers itself with an error after it has parsed the request's
 * path (a body that is not JSON or is too large, a bad header, a bad
 * chunk): req holds what could be read (no data), resp the error that is
 * sent. It is how such requests reach the audit trail (issue 6). fn must
 * change neither. NULL, the default, calls nothing. Call before
 * http_server_run.
 */
void http_server_set_refused_fn(struct http_server *s, http_handler_fn fn);

/*
 * Test hook: overrides the head and idle time-outs (milliseconds; 0 keeps
 * the default). Call before http_server_run.
 */
void http_server_set_timeouts(struct http_server *s, int head_ms, int idle_ms);

#endif
