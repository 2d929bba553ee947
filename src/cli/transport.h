/*
 * transport.h - how a client of the server drives libcurl: the settings
 * every transfer is made with, its URL and header lines, and where the
 * answer goes.
 *
 * Two clients share it: the CLI's (cli/client.h), which holds one token
 * and sends JSON, and the agent's (agent/agent_http.h), which changes
 * tokens, forwards raw bodies and asks for wrapped answers. Each keeps its
 * own request API; what they send over the wire, and how, is decided here
 * once.
 */
#ifndef COFFER_CLI_TRANSPORT_H
#define COFFER_CLI_TRANSPORT_H

#include <curl/curl.h>
#include <stdbool.h>

#include "base/buf.h"
#include "base/error.h"

/* The settings of a client's transfers; NULL strings are not set. */
struct transport {
	char *ca_cert;        /* CA certificates to trust (a file) */
	char *ca_path;        /* a directory of them */
	char *client_cert;    /* a TLS client certificate */
	char *client_key;     /* its key */
	char *no_proxy;       /* hosts reached directly: transport_no_proxy */
	bool skip_verify;     /* do not check the server's certificate */
	long timeout;         /* seconds a whole transfer may take */
	long connect_timeout; /* seconds to connect; 0: libcurl's default */
};

/*
 * Copies the four TLS file settings (each may be NULL) into t, which the
 * caller zeroed, and sets t->no_proxy. ERR_NOMEM on failure; t is then
 * still for transport_release.
 */
err_t transport_init(struct transport *t, const char *ca_cert,
                     const char *ca_path, const char *client_cert,
                     const char *client_key);

/* Frees the strings of t; t may be NULL or zeroed. */
void transport_release(struct transport *t);

/*
 * Writes into out the hosts that are never reached through a proxy:
 * whatever no_proxy (or NO_PROXY) lists, and loopback always, as in Go's
 * HTTP client that Vault's CLI uses. *out is the caller's to free();
 * ERR_NOMEM.
 */
err_t transport_no_proxy(char **out);

/*
 * Appends the URL of an API path to out: "<address>/v1/<path>", each
 * segment of path percent-encoded (client_escape_path), then "?query"
 * when query (already encoded) is neither NULL nor empty.
 */
err_t transport_url(const char *address, const char *path, const char *query,
                    struct buf *out);

/*
 * Sets h up for one request of method to url with the settings of t:
 * http and https only, up to five redirects (a standby answers 307 with
 * the active node's address), and the answer's body appended to sink,
 * whose cap bounds it: a longer answer aborts the transfer. body, len
 * bytes, is sent when not NULL, and an empty body for PUT and POST; it is
 * not copied and must outlive the transfer. Returns ERR_INTERNAL when
 * libcurl refuses an option.
 */
err_t transport_setup(CURL *h, const struct transport *t, const char *method,
                      const char *url, const void *body, size_t len,
                      struct buf *sink);

/*
 * Runs the transfer h was set up for. Returns ERR_OK when the server
 * answered, whatever the status; ERR_IO with libcurl's reason appended to
 * reason when no answer came (refused connection, TLS failure, time-out,
 * an answer over the sink's cap).
 */
err_t transport_perform(CURL *h, struct buf *reason);

/*
 * Appends the header line "name: value" to *list. ERR_INVALID for a value
 * with a line break, which would let it forge headers; ERR_NOMEM.
 */
err_t transport_add_header(struct curl_slist **list, const char *name,
                           const char *value);

/*
 * Appends the line that keeps libcurl from announcing a form type for a
 * request without a body. ERR_NOMEM.
 */
err_t transport_no_content_type(struct curl_slist **list);

/*
 * Frees a header list after wiping each line: libcurl copies the strings
 * it is given, and one of them carries the token. list may be NULL.
 */
void transport_headers_free(struct curl_slist *list);

#endif
