/*
 * agent_http.h - the agent's requests to the server, on libcurl.
 *
 * The CLI's client (cli/client.h) holds one token for its life and sends
 * only JSON; the agent changes tokens as it re-authenticates, forwards
 * proxied bodies byte for byte, and asks for wrapped answers
 * (X-Vault-Wrap-TTL), so it has this small client of its own.
 *
 * A struct agent_http is read-only once made, so the proxy's worker
 * threads and the main loop share one. Every request uses its own curl
 * handle; nothing is kept between requests but the settings.
 */
#ifndef COFFER_AGENT_AGENT_HTTP_H
#define COFFER_AGENT_AGENT_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/agent_config.h"
#include "base/buf.h"
#include "base/error.h"

#define AGENT_HTTP_BODY_MAX ((size_t)32 << 20)

struct agent_http;

struct agent_http_req {
	const char *method; /* GET, PUT, POST, PATCH, DELETE, LIST */
	const char *path;   /* API path after /v1/, not yet encoded */
	const char *query;  /* already encoded; NULL for none */
	const char *token;  /* a secret; NULL sends no token */
	const char *ns;     /* NULL: the configured namespace, if any */
	int64_t wrap_ttl;   /* seconds; 0 asks for no wrapping */
	const void *body;   /* NULL: no body (an empty one for PUT/POST) */
	size_t body_len;
	const char *content_type; /* of body; NULL: application/json */
};

struct agent_http_resp {
	long status;
	struct buf body;    /* as received; wiped on release */
	char *content_type; /* NULL when the server sent none */
	json_t *json;       /* the body parsed, when it is JSON */
};

/*
 * Makes a client for the server in v (address NULL: COFFER_ADDR, else
 * VAULT_ADDR, else https://127.0.0.1:8200). *out is the caller's, freed
 * with agent_http_free. ERR_NOMEM on failure.
 */
err_t agent_http_new(const struct agent_vault *v, struct agent_http **out);

void agent_http_free(struct agent_http *h);

/* The server's address, without a trailing slash. */
const char *agent_http_address(const struct agent_http *h);

/*
 * Sends r and fills resp (released by the caller in every case). Returns
 * ERR_OK whenever the server answered, whatever the status; ERR_IO with
 * a reason in errmsg (no secret in it) when no answer came or it was over
 * AGENT_HTTP_BODY_MAX; ERR_NOMEM.
 */
err_t agent_http_send(struct agent_http *h, const struct agent_http_req *r,
                      struct agent_http_resp *resp, struct buf *errmsg);

/*
 * agent_http_send with body (may be NULL) sent as JSON. A status of 400
 * or more becomes ERR_PERMISSION (403), ERR_NOT_FOUND (404) or
 * ERR_UNAVAILABLE (anything else), with "code N: <the server's errors>"
 * in errmsg; the answer stays in resp.
 */
err_t agent_http_call(struct agent_http *h, const char *method,
                      const char *path, const char *token, json_t *body,
                      struct agent_http_resp *resp, struct buf *errmsg);

/* agent_http_call with a body already encoded as JSON (wiped by owner). */
err_t agent_http_call_raw(struct agent_http *h, const char *method,
                          const char *path, const char *token,
                          const struct buf *body, struct agent_http_resp *resp,
                          struct buf *errmsg);

void agent_http_resp_release(struct agent_http_resp *resp);

#endif
