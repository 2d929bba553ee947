/*
 * agent_http.c - the agent's HTTP client of the server (see agent_http.h).
 * How it drives libcurl is cli/transport.c, shared with the CLI's client.
 */
#include "agent/agent_http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "cli/transport.h"

#define AGENT_HTTP_TIMEOUT         60L
#define AGENT_HTTP_CONNECT_TIMEOUT 10L

struct agent_http {
	char *address;
	char *namespace;
	struct transport transport;
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
		rc = dup_opt(v->namespace, &h->namespace);
	if (rc == ERR_OK)
		rc = transport_init(&h->transport, v->ca_cert, v->ca_path,
		                    v->client_cert, v->client_key);
	if (rc != ERR_OK) {
		agent_http_free(h);
		return rc;
	}
	h->transport.skip_verify = v->tls_skip_verify;
	h->transport.timeout = AGENT_HTTP_TIMEOUT;
	h->transport.connect_timeout = AGENT_HTTP_CONNECT_TIMEOUT;
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
	free(h->namespace);
	transport_release(&h->transport);
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

static err_t build_headers(const struct agent_http *h,
                           const struct agent_http_req *r,
                           struct curl_slist **out)
{
	const char *ns = r->ns ? r->ns : h->namespace;
	char ttl[32];
	err_t rc;

	*out = NULL;
	rc = transport_add_header(out, "X-Vault-Request", "true");
	if (rc == ERR_OK && r->token != NULL && *r->token != 0)
		rc = transport_add_header(out, "X-Vault-Token", r->token);
	if (rc == ERR_OK && ns != NULL && *ns != 0)
		rc = transport_add_header(out, "X-Vault-Namespace", ns);
	if (rc == ERR_OK && r->wrap_ttl > 0) {
		snprintf(ttl, sizeof(ttl), "%llds", (long long)r->wrap_ttl);
		rc = transport_add_header(out, "X-Vault-Wrap-TTL", ttl);
	}
	if (rc == ERR_OK && r->body != NULL)
		rc = transport_add_header(out, "Content-Type",
		                          r->content_type ? r->content_type
		                                          : "application/json");
	/* Without a body, no form type may be announced for it. */
	if (rc == ERR_OK && r->body == NULL)
		rc = transport_no_content_type(out);
	return rc;
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
	struct curl_slist *headers = NULL;
	struct buf url = BUF_INIT, cause = BUF_INIT;
	CURL *c = NULL;
	err_t rc;

	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body, AGENT_HTTP_BODY_MAX);
	rc = transport_url(h->address, r->path, r->query, &url);
	if (rc == ERR_OK)
		rc = build_headers(h, r, &headers);
	if (rc == ERR_OK && (c = curl_easy_init()) == NULL)
		rc = ERR_NOMEM;
	if (rc != ERR_OK)
		goto out;

	rc = transport_setup(c, &h->transport, r->method, buf_str(&url),
	                     r->body, r->body_len, &resp->body);
	if (rc == ERR_OK && curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers))
		rc = ERR_INTERNAL;
	if (rc == ERR_OK)
		rc = transport_perform(c, &cause);
	if (rc == ERR_IO)
		buf_printf(errmsg, "%s %s: %s", r->method, r->path,
		           buf_str(&cause));
	if (rc == ERR_OK)
		finish(c, resp);
out:
	curl_easy_cleanup(c);
	transport_headers_free(headers);
	buf_release(&url);
	buf_release(&cause);
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
