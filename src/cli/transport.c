#include "cli/transport.h"

#include <stdlib.h>
#include <string.h>

#include "base/secret.h"
#include "cli/client.h"

static err_t transport_dup(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return ERR_OK;
	*out = strdup(s);
	return *out != NULL ? ERR_OK : ERR_NOMEM;
}

err_t transport_init(struct transport *t, const char *ca_cert,
                     const char *ca_path, const char *client_cert,
                     const char *client_key)
{
	err_t rc;

	rc = transport_dup(ca_cert, &t->ca_cert);
	if (rc == ERR_OK)
		rc = transport_dup(ca_path, &t->ca_path);
	if (rc == ERR_OK)
		rc = transport_dup(client_cert, &t->client_cert);
	if (rc == ERR_OK)
		rc = transport_dup(client_key, &t->client_key);
	if (rc == ERR_OK)
		rc = transport_no_proxy(&t->no_proxy);
	return rc;
}

void transport_release(struct transport *t)
{
	if (t == NULL)
		return;
	free(t->ca_cert);
	free(t->ca_path);
	free(t->client_cert);
	free(t->client_key);
	free(t->no_proxy);
	t->ca_cert = t->ca_path = t->client_cert = t->client_key = NULL;
	t->no_proxy = NULL;
}

err_t transport_no_proxy(char **out)
{
	struct buf list = BUF_INIT;
	const char *env = getenv("no_proxy");
	err_t rc = ERR_OK;

	if (env == NULL || *env == '\0')
		env = getenv("NO_PROXY");
	if (env != NULL && *env != '\0')
		rc = buf_printf(&list, "%s,", env);
	if (rc == ERR_OK)
		rc = buf_append_str(&list, "localhost,127.0.0.1,::1");
	*out = rc == ERR_OK ? buf_detach(&list) : NULL;
	buf_release(&list);
	return *out != NULL ? ERR_OK : ERR_NOMEM;
}

err_t transport_url(const char *address, const char *path, const char *query,
                    struct buf *out)
{
	err_t rc;

	rc = buf_printf(out, "%s/v1/", address);
	if (rc == ERR_OK)
		rc = client_escape_path(path, out);
	if (rc == ERR_OK && query != NULL && *query != '\0')
		rc = buf_printf(out, "?%s", query);
	return rc;
}

/* The sink's cap bounds the answer; a short count aborts the transfer. */
static size_t transport_on_body(char *p, size_t size, size_t n, void *arg)
{
	/* size is 1 by libcurl's contract. */
	return buf_append(arg, p, n) == ERR_OK ? size * n : 0;
}

/* Trust, client certificate and verification, when set. */
static err_t transport_tls(CURL *h, const struct transport *t)
{
	if ((t->ca_cert && curl_easy_setopt(h, CURLOPT_CAINFO, t->ca_cert)) ||
	    (t->ca_path && curl_easy_setopt(h, CURLOPT_CAPATH, t->ca_path)) ||
	    (t->client_cert &&
	     curl_easy_setopt(h, CURLOPT_SSLCERT, t->client_cert)) ||
	    (t->client_key &&
	     curl_easy_setopt(h, CURLOPT_SSLKEY, t->client_key)))
		return ERR_INTERNAL;
	if (t->skip_verify &&
	    (curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L) ||
	     curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L)))
		return ERR_INTERNAL;
	return ERR_OK;
}

err_t transport_setup(CURL *h, const struct transport *t, const char *method,
                      const char *url, const void *body, size_t len,
                      struct buf *sink)
{
	bool with_body = body != NULL || strcmp(method, "PUT") == 0 ||
	                 strcmp(method, "POST") == 0;

	if (curl_easy_setopt(h, CURLOPT_URL, url) ||
	    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method) ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, t->timeout) ||
	    (t->connect_timeout > 0 &&
	     curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, t->connect_timeout)) ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") ||
	    /* A standby answers 307 with the active node's address. */
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) ||
	    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L) ||
	    curl_easy_setopt(h, CURLOPT_NOPROXY, t->no_proxy) ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, transport_on_body) ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink))
		return ERR_INTERNAL;
	/* An empty body still needs a Content-Length: 0. */
	if (with_body &&
	    (curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "") ||
	     curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE,
	                      (long)(body ? len : 0))))
		return ERR_INTERNAL;
	return transport_tls(h, t);
}

err_t transport_perform(CURL *h, struct buf *reason)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc;

	if (curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf))
		return ERR_INTERNAL;
	cc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	if (cc == CURLE_OK)
		return ERR_OK;
	buf_append_str(reason, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	return ERR_IO;
}

err_t transport_add_header(struct curl_slist **list, const char *name,
                           const char *value)
{
	struct buf line = BUF_INIT;
	struct curl_slist *next;
	err_t rc;

	if (strpbrk(value, "\r\n") != NULL)
		return ERR_INVALID;
	rc = buf_printf(&line, "%s: %s", name, value);
	if (rc == ERR_OK) {
		next = curl_slist_append(*list, buf_str(&line));
		if (next == NULL)
			rc = ERR_NOMEM;
		else
			*list = next;
	}
	buf_release(&line);
	return rc;
}

err_t transport_no_content_type(struct curl_slist **list)
{
	struct curl_slist *next = curl_slist_append(*list, "Content-Type:");

	if (next == NULL)
		return ERR_NOMEM;
	*list = next;
	return ERR_OK;
}

void transport_headers_free(struct curl_slist *list)
{
	struct curl_slist *l;

	for (l = list; l != NULL; l = l->next)
		secret_wipe(l->data, strlen(l->data));
	curl_slist_free_all(list);
}
