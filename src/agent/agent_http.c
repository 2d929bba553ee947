/*
 * agent_http.c - the agent's HTTP client of the server (see agent_http.h).
 */
#include "agent/agent_http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"
#include "cli/client.h"

#define AGENT_HTTP_TIMEOUT         60L
#define AGENT_HTTP_CONNECT_TIMEOUT 10L

struct agent_http {
	char *address;
	char *ca_cert;
	char *ca_path;
	char *client_cert;
	char *client_key;
	char *namespace;
	char *no_proxy;
	bool skip_verify;
};

static err_t dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return ERR_OK;
	*out = strdup(s);
	return *out != NULL ? ERR_OK : ERR_NOMEM;
}

static const char *env_addr(void)
{
	const char *v = getenv("COFFER_ADDR");

	if (v == NULL || *v == 0)
		v = getenv("VAULT_ADDR");
	return v != NULL && *v != 0 ? v : "https://127.0.0.1:8200";
}

/*
 * Loopback never goes through a proxy, as with the CLI; whatever NO_PROXY
 * lists is kept.
 */
static err_t no_proxy(char **out)
{
	struct buf b = BUF_INIT;
	const char *env = getenv("no_proxy");

	if (env == NULL || *env == 0)
		env = getenv("NO_PROXY");
	if (env != NULL && *env != 0)
		buf_printf(&b, "%s,", env);
	buf_append_str(&b, "localhost,127.0.0.1,::1");
	*out = buf_detach(&b);
	return *out != NULL ? ERR_OK : ERR_NOMEM;
}

err_t agent_http_new(const struct agent_vault *v, struct agent_http **out)
{
	struct agent_http *h = calloc(1, sizeof(*h));
	size_t n;
	err_t rc;

	*out = NULL;
	if (h == NULL)
		return ERR_NOMEM;
	rc = dup_opt(v->address ? v->address : env_addr(), &h->address);
	if (rc == ERR_OK)
		rc = dup_opt(v->ca_cert, &h->ca_cert);
	if (rc == ERR_OK)
		rc = dup_opt(v->ca_path, &h->ca_path);
	if (rc == ERR_OK)
		rc = dup_opt(v->client_cert, &h->client_cert);
	if (rc == ERR_OK)
		rc = dup_opt(v->client_key, &h->client_key);
	if (rc == ERR_OK)
		rc = dup_opt(v->namespace, &h->namespace);
	if (rc == ERR_OK)
		rc = no_proxy(&h->no_proxy);
	if (rc != ERR_OK) {
		agent_http_free(h);
		return rc;
	}
	h->skip_verify = v->tls_skip_verify;
	n = strlen(h->address);
	while (n > 0 && h->address[n - 1] == '/')
		h->address[--n] = 0;
	*out = h;
	return ERR_OK;
}

void agent_http_free(struct agent_http *h)
{
	if (h == NULL)
		return;
	free(h->address);
	free(h->ca_cert);
	free(h->ca_path);
	free(h->client_cert);
	free(h->client_key);
	free(h->namespace);
	free(h->no_proxy);
	free(h);
}

const char *agent_http_address(const struct agent_http *h)
{
	return h->address;
}

void agent_http_resp_release(struct agent_http_resp *resp)
{
	if (resp == NULL)
		return;
	buf_release(&resp->body);
	free(resp->content_type);
	json_decref(resp->json);
	resp->content_type = NULL;
	resp->json = NULL;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	/* size is 1 by contract; a short count aborts the transfer. */
	if (n > AGENT_HTTP_BODY_MAX - b->len || buf_append(b, p, n) != ERR_OK)
		return 0;
	return size * n;
}

static err_t add_header(struct curl_slist **list, const char *name,
                        const char *value)
{
	struct buf line = BUF_INIT;
	struct curl_slist *next;
	err_t rc;

	/* A line break in a value would let it forge headers. */
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

/* Wipes each line first: one of them carries the token. */
static void headers_free(struct curl_slist *list)
{
	struct curl_slist *l;

	for (l = list; l != NULL; l = l->next)
		secret_wipe(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

static err_t build_headers(const struct agent_http *h,
                           const struct agent_http_req *r,
                           struct curl_slist **out)
{
	const char *ns = r->ns ? r->ns : h->namespace;
	struct curl_slist *next;
	char ttl[32];
	err_t rc;

	*out = NULL;
	rc = add_header(out, "X-Vault-Request", "true");
	if (rc == ERR_OK && r->token != NULL && *r->token != 0)
		rc = add_header(out, "X-Vault-Token", r->token);
	if (rc == ERR_OK && ns != NULL && *ns != 0)
		rc = add_header(out, "X-Vault-Namespace", ns);
	if (rc == ERR_OK && r->wrap_ttl > 0) {
		snprintf(ttl, sizeof(ttl), "%llds", (long long)r->wrap_ttl);
		rc = add_header(out, "X-Vault-Wrap-TTL", ttl);
	}
	if (rc == ERR_OK && r->body != NULL)
		rc = add_header(out, "Content-Type",
		                r->content_type ? r->content_type
		                                : "application/json");
	/* Without a body, no form type may be announced for it. */
	if (rc == ERR_OK && r->body == NULL) {
		next = curl_slist_append(*out, "Content-Type:");
		if (next == NULL)
			rc = ERR_NOMEM;
		else
			*out = next;
	}
	return rc;
}

static err_t build_url(const struct agent_http *h,
                       const struct agent_http_req *r, struct buf *url)
{
	err_t rc = buf_printf(url, "%s/v1/", h->address);

	if (rc == ERR_OK)
		rc = client_escape_path(r->path, url);
	if (rc == ERR_OK && r->query != NULL && *r->query != 0)
		rc = buf_printf(url, "?%s", r->query);
	return rc;
}

static bool setup(const struct agent_http *h, CURL *c, const char *url,
                  const struct agent_http_req *r, struct buf *body)
{
	bool with_body = r->body != NULL || strcmp(r->method, "PUT") == 0 ||
	                 strcmp(r->method, "POST") == 0;

	if (curl_easy_setopt(c, CURLOPT_URL, url) ||
	    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method) ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, AGENT_HTTP_TIMEOUT) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
	                     AGENT_HTTP_CONNECT_TIMEOUT) ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") ||
	    /* A standby answers 307 with the active node's address. */
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L) ||
	    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L) ||
	    curl_easy_setopt(c, CURLOPT_NOPROXY, h->no_proxy) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, body))
		return false;
	if (with_body &&
	    (curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body ? r->body : "") ||
	     curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
	                      (long)(r->body ? r->body_len : 0))))
		return false;
	if ((h->ca_cert && curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_cert)) ||
	    (h->ca_path && curl_easy_setopt(c, CURLOPT_CAPATH, h->ca_path)) ||
	    (h->client_cert &&
	     curl_easy_setopt(c, CURLOPT_SSLCERT, h->client_cert)) ||
	    (h->client_key &&
	     curl_easy_setopt(c, CURLOPT_SSLKEY, h->client_key)))
		return false;
	if (h->skip_verify &&
	    (curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L) ||
	     curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L)))
		return false;
	return true;
}

/* Status, content type and parsed JSON of a finished transfer. */
static void finish(CURL *c, struct agent_http_resp *resp)
{
	char *type = NULL;

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK &&
	    type != NULL)
		resp->content_type = strdup(type);
	if (resp->body.len > 0)
		resp->json = json_loadb((const char *)resp->body.data,
		                        resp->body.len, 0, NULL);
}

err_t agent_http_send(struct agent_http *h, const struct agent_http_req *r,
                      struct agent_http_resp *resp, struct buf *errmsg)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	struct buf url = BUF_INIT;
	CURL *c = NULL;
	CURLcode cc;
	err_t rc;

	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body, AGENT_HTTP_BODY_MAX + 1);
	rc = build_url(h, r, &url);
	if (rc == ERR_OK)
		rc = build_headers(h, r, &headers);
	if (rc != ERR_OK)
		goto out;
	c = curl_easy_init();
	if (c == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (!setup(h, c, buf_str(&url), r, &resp->body) ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf)) {
		rc = ERR_INTERNAL;
		goto out;
	}

	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		buf_printf(errmsg, "%s %s: %s", r->method, r->path,
		           errbuf[0] ? errbuf : curl_easy_strerror(cc));
		rc = ERR_IO;
		goto out;
	}
	finish(c, resp);
out:
	curl_easy_cleanup(c);
	headers_free(headers);
	buf_release(&url);
	return rc;
}

/* "code 403: permission denied; other" from the server's errors array. */
static void reason(const struct agent_http_resp *resp, struct buf *errmsg)
{
	json_t *errors = json_object_get(resp->json, "errors"), *e;
	size_t i;

	buf_printf(errmsg, "code %ld", resp->status);
	json_array_foreach(errors, i, e)
	{
		if (json_is_string(e))
			buf_printf(errmsg, "%s %s", i == 0 ? ":" : ";",
			           json_string_value(e));
	}
}

err_t agent_http_call_raw(struct agent_http *h, const char *method,
                          const char *path, const char *token,
                          const struct buf *body, struct agent_http_resp *resp,
                          struct buf *errmsg)
{
	struct agent_http_req r = {0};
	err_t rc;

	r.method = method;
	r.path = path;
	r.token = token;
	if (body != NULL) {
		r.body = buf_str(body);
		r.body_len = body->len;
	}
	rc = agent_http_send(h, &r, resp, errmsg);
	if (rc != ERR_OK || resp->status < 400)
		return rc;
	reason(resp, errmsg);
	if (resp->status == 403)
		return ERR_PERMISSION;
	return resp->status == 404 ? ERR_NOT_FOUND : ERR_UNAVAILABLE;
}

static int dump_cb(const char *p, size_t n, void *arg)
{
	return buf_append(arg, p, n) == ERR_OK ? 0 : -1;
}

err_t agent_http_call(struct agent_http *h, const char *method,
                      const char *path, const char *token, json_t *body,
                      struct agent_http_resp *resp, struct buf *errmsg)
{
	struct buf text = BUF_INIT;
	err_t rc;

	if (body != NULL &&
	    json_dump_callback(body, dump_cb, &text, JSON_COMPACT) != 0) {
		memset(resp, 0, sizeof(*resp));
		buf_release(&text);
		return ERR_NOMEM;
	}
	rc = agent_http_call_raw(h, method, path, token,
	                         body != NULL ? &text : NULL, resp, errmsg);
	buf_release(&text);
	return rc;
}
