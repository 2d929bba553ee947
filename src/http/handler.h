/*
 * handler.h - an HTTP request turned into a core request.
 *
 * Everything Vault clients put on the wire is interpreted here and nowhere
 * else: method to operation, "/v1/" path, query and body to data, token,
 * namespace and wrapping headers.
 */
#ifndef COFFER_HTTP_HANDLER_H
#define COFFER_HTTP_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "core/request.h"
#include "http/parser.h"

#define HTTP_MAX_JSON_DEPTH 300

/* One request and its response, with the storage req.ns points into. */
struct http_call {
	struct request req;
	struct response resp;
	struct buf ns;  /* backing store of req.ns */
	bool head_only; /* a HEAD request: the reply carries no body */
};

void http_call_init(struct http_call *c);

/* Releases the request (the token is wiped) and the response. */
void http_call_release(struct http_call *c);

/*
 * Builds c->req (c initialised) from a parsed head and its body. max_body
 * is the listener's limit; remote_addr must outlive c. Returns ERR_OK, or
 * records the failure in c->resp with response_error (404 for a path
 * outside "/v1/", 405 for an unknown method, 400 for a bad path, query,
 * header or body, 413, 415) and returns its code; c->req.id is set in both
 * cases so the reply can carry it.
 */
err_t http_call_build(struct http_call *c, const struct http_head *h,
                      const uint8_t *body, size_t body_len, size_t max_body,
                      const char *remote_addr);

/*
 * For a request the listener refuses with status and msg before reading
 * its body (413 from Content-Length, a bad chunk): fills c (initialised)
 * from the head as far as it can (id, operation, path, token, headers,
 * namespace; never data), and c->resp with the refusal. Returns whether
 * the path could be parsed: only then is the request worth recording.
 */
bool http_call_refused(struct http_call *c, const struct http_head *h,
                       const char *remote_addr, int status, const char *msg);

#endif
