/*
 * client.h - the CLI's HTTP client of the Coffer (Vault) API, on libcurl.
 *
 * It speaks to the server the way any outside client does: JSON over HTTP
 * under /v1/, the token in X-Vault-Token, the namespace in
 * X-Vault-Namespace, and "X-Vault-Request: true" on every request. Settings
 * come from flags first, then the environment (COFFER_ADDR, VAULT_ADDR,
 * VAULT_NAMESPACE, VAULT_CACERT, VAULT_CAPATH, VAULT_CLIENT_CERT,
 * VAULT_CLIENT_KEY, VAULT_SKIP_VERIFY, VAULT_CLIENT_TIMEOUT), then Vault's
 * defaults (https://127.0.0.1:8200, a 60 second time-out).
 *
 * The token (COFFER_TOKEN, else VAULT_TOKEN, else the file ~/.vault-token)
 * is a secret: it is kept in memory that is wiped when the client is freed,
 * and it never appears in a message.
 *
 * libcurl (the outgoing request: token header, JSON body) and jansson (a
 * JSON body or answer: written values, an unseal share, a root token)
 * keep copies in buffers of their own; main() installs a wiping allocator
 * into both before their first use (base/wipe_alloc.h).
 */
#ifndef COFFER_CLI_CLIENT_H
#define COFFER_CLI_CLIENT_H

#include <jansson.h>
#include <stdbool.h>

#include "base/buf.h"
#include "base/error.h"

#define CLIENT_DEFAULT_ADDR    "https://127.0.0.1:8200"
#define CLIENT_DEFAULT_TIMEOUT 60
#define CLIENT_BODY_MAX        ((size_t)32 << 20)

/* What the flags said; NULL (or false) falls back to the environment. */
struct client_config {
	const char *address;
	const char *namespace;
	const char *ca_cert;
	const char *ca_path;
	const char *client_cert;
	const char *client_key;
	bool tls_skip_verify;
	/* A token given on the command line (import's source); a secret. */
	const char *token;
};

struct client;

/* One answer from the server. */
struct client_response {
	long status;
	json_t *body;   /* parsed JSON; NULL for an empty or non-JSON body */
	struct buf raw; /* the body as received (wiped on release) */
	char *method;   /* what was asked, for error messages */
	char *url;
};

/*
 * Creates a client from cfg and the environment; *out is owned by the
 * caller (client_free). Returns ERR_INVALID with a message in msg for a
 * bad setting (a malformed VAULT_SKIP_VERIFY or time-out, a token or
 * namespace holding control characters), ERR_NOMEM otherwise on failure.
 */
err_t client_new(const struct client_config *cfg, struct client **out,
                 struct buf *msg);

/* Wipes the token and frees c; c may be NULL. */
void client_free(struct client *c);

/* The server address in use, without a trailing slash. */
const char *client_address(const struct client *c);

/*
 * Sends method (GET, PUT, POST, PATCH, DELETE, LIST) to /v1/<path>[?query].
 * Each segment of path is percent-encoded; query is sent as given (already
 * encoded) and may be NULL. body (may be NULL; not consumed) is sent as
 * JSON. On return resp must be released with client_response_release
 * whatever the result. Returns ERR_OK when the server answered, whatever
 * the status; ERR_IO with a message in msg when no answer came (refused
 * connection, TLS failure, time-out) or the answer was over
 * CLIENT_BODY_MAX; ERR_NOMEM.
 */
err_t client_request(struct client *c, const char *method, const char *path,
                     const char *query, json_t *body,
                     struct client_response *resp, struct buf *msg);

/*
 * client_request with the Content-Type of the body named: a KV patch is
 * sent as "application/merge-patch+json", which the server demands for
 * PATCH. content_type is ignored when body is NULL.
 */
err_t client_request_typed(struct client *c, const char *method,
                           const char *path, const char *query, json_t *body,
                           const char *content_type,
                           struct client_response *resp, struct buf *msg);

/* Frees what a response holds; resp may be NULL or already released. */
void client_response_release(struct client_response *resp);

/*
 * Appends Vault's description of a failed request to out:
 *
 *   Error making API request.
 *
 *   URL: GET http://127.0.0.1:8200/v1/secret/foo
 *   Code: 403. Errors:
 *
 *   * permission denied
 *
 * The errors come from the "errors" array of body; when the body is not
 * JSON, raw is shown under "Raw Message" instead. body and raw may be NULL.
 */
err_t client_format_error(struct buf *out, const char *method, const char *url,
                          long status, json_t *body, const char *raw);

/* client_format_error for a response. */
err_t client_response_error(const struct client_response *resp,
                            struct buf *out);

/*
 * Appends path to out with each segment percent-encoded: every byte but
 * the unreserved ones (A-Z a-z 0-9 - . _ ~) and "/" becomes %XX. Leading
 * slashes are dropped, since the path goes after "/v1/".
 */
err_t client_escape_path(const char *path, struct buf *out);

/* Percent-encodes all of s (a query key or value) onto out. */
err_t client_escape_component(const char *s, struct buf *out);

#endif
