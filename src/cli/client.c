#include "cli/client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/params.h"
#include "base/secret.h"
#include "cli/args.h"

struct client {
	char *address;
	char *namespace;
	char *token; /* NULL when none was found; a secret */
	char *ca_cert;
	char *ca_path;
	char *client_cert;
	char *client_key;
	bool skip_verify;
	long timeout;
};

/* The first of the environment variables a, b that is set and not empty. */
static const char *client_env(const char *a, const char *b)
{
	const char *v = getenv(a);

	if ((v == NULL || *v == '\0') && b != NULL)
		v = getenv(b);
	return v != NULL && *v != '\0' ? v : NULL;
}

static bool client_has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/*
 * ~/.vault-token, where `vault login` leaves the token. Surrounding white
 * space is dropped since editors add a final newline.
 */
static err_t client_token_file(char **out)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	const char *home = getenv("HOME");
	size_t start = 0, end;
	FILE *f = NULL;
	err_t rc = ERR_OK;

	*out = NULL;
	if (home == NULL || *home == '\0')
		goto out;
	rc = buf_printf(&path, "%s/.vault-token", home);
	if (rc != ERR_OK)
		goto out;
	f = fopen(buf_str(&path), "r");
	if (f == NULL)
		goto out; /* no file is no token, not an error */
	rc = args_read_stream(f, &text);
	if (rc != ERR_OK)
		goto out;

	end = text.len;
	while (start < end && strchr(" \t\r\n", text.data[start]))
		start++;
	while (end > start && strchr(" \t\r\n", text.data[end - 1]))
		end--;
	if (end > start) {
		*out = strndup((const char *)text.data + start, end - start);
		if (*out == NULL)
			rc = ERR_NOMEM;
	}
out:
	if (f != NULL)
		fclose(f);
	buf_release(&path);
	buf_release(&text);
	return rc;
}

static err_t client_dup(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return ERR_OK;
	*out = strdup(s);
	return *out ? ERR_OK : ERR_NOMEM;
}

/* Settings with no secret in them: address, TLS files, time-out. */
static err_t client_settings(struct client *c, const struct client_config *cfg,
                             struct buf *msg)
{
	const char *v;
	int64_t secs;
	err_t rc;
	size_t n;

	v = cfg->address ? cfg->address
	                 : client_env("COFFER_ADDR", "VAULT_ADDR");
	rc = client_dup(v ? v : CLIENT_DEFAULT_ADDR, &c->address);
	if (rc != ERR_OK)
		return rc;
	n = strlen(c->address);
	while (n > 0 && c->address[n - 1] == '/')
		c->address[--n] = '\0';

	v = cfg->namespace ? cfg->namespace
	                   : client_env("VAULT_NAMESPACE", NULL);
	if ((rc = client_dup(v, &c->namespace)) != ERR_OK ||
	    (rc = client_dup(cfg->ca_cert ? cfg->ca_cert
	                                  : client_env("VAULT_CACERT", NULL),
	                     &c->ca_cert)) != ERR_OK ||
	    (rc = client_dup(cfg->ca_path ? cfg->ca_path
	                                  : client_env("VAULT_CAPATH", NULL),
	                     &c->ca_path)) != ERR_OK ||
	    (rc = client_dup(cfg->client_cert
	                         ? cfg->client_cert
	                         : client_env("VAULT_CLIENT_CERT", NULL),
	                     &c->client_cert)) != ERR_OK ||
	    (rc = client_dup(cfg->client_key
	                         ? cfg->client_key
	                         : client_env("VAULT_CLIENT_KEY", NULL),
	                     &c->client_key)) != ERR_OK)
		return rc;
	if (c->namespace != NULL && client_has_ctl(c->namespace)) {
		buf_printf(msg, "the namespace holds control characters");
		return ERR_INVALID;
	}

	c->skip_verify = cfg->tls_skip_verify;
	v = client_env("VAULT_SKIP_VERIFY", NULL);
	if (!c->skip_verify && v != NULL && !parse_bool(v, &c->skip_verify)) {
		buf_printf(msg, "could not parse VAULT_SKIP_VERIFY");
		return ERR_INVALID;
	}

	c->timeout = CLIENT_DEFAULT_TIMEOUT;
	v = client_env("VAULT_CLIENT_TIMEOUT", NULL);
	if (v != NULL) {
		if (parse_duration(v, &secs) != ERR_OK || secs <= 0) {
			buf_printf(msg, "could not parse VAULT_CLIENT_TIMEOUT");
			return ERR_INVALID;
		}
		c->timeout = (long)secs;
	}
	return ERR_OK;
}

err_t client_new(const struct client_config *cfg, struct client **out,
                 struct buf *msg)
{
	struct client *c;
	const char *v;
	err_t rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ERR_NOMEM;
	rc = client_settings(c, cfg, msg);
	if (rc != ERR_OK)
		goto out;

	v = cfg->token ? cfg->token : client_env("COFFER_TOKEN", "VAULT_TOKEN");
	rc = v ? client_dup(v, &c->token) : client_token_file(&c->token);
	if (rc != ERR_OK)
		goto out;
	/* A newline in the token would let it forge headers. */
	if (c->token != NULL && client_has_ctl(c->token)) {
		buf_printf(msg, "the token holds control characters");
		rc = ERR_INVALID;
	}
out:
	if (rc != ERR_OK) {
		client_free(c);
		return rc;
	}
	*out = c;
	return ERR_OK;
}

void client_free(struct client *c)
{
	if (c == NULL)
		return;
	secret_free(c->token);
	free(c->address);
	free(c->namespace);
	free(c->ca_cert);
	free(c->ca_path);
	free(c->client_cert);
	free(c->client_key);
	free(c);
}

const char *client_address(const struct client *c)
{
	return c->address;
}

static bool client_unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
	       ch == '_' || ch == '~';
}

static err_t client_escape(const char *s, bool keep_slash, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char ch;
	err_t rc = buf_reserve(out, 0);

	for (; *s && rc == ERR_OK; s++) {
		ch = (unsigned char)*s;
		if (client_unreserved(ch) || (keep_slash && ch == '/'))
			rc = buf_append_byte(out, ch);
		else
			rc = buf_printf(out, "%%%c%c", hex[ch >> 4],
			                hex[ch & 15]);
	}
	return rc;
}

err_t client_escape_path(const char *path, struct buf *out)
{
	while (*path == '/')
		path++;
	return client_escape(path, true, out);
}

err_t client_escape_component(const char *s, struct buf *out)
{
	return client_escape(s, false, out);
}

static size_t client_on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *raw = arg;

	/* size is 1 by libcurl's contract; a short count aborts the transfer.
	 */
	if (n > CLIENT_BODY_MAX - raw->len || buf_append(raw, p, n) != ERR_OK)
		return 0;
	return size * n;
}

/*
 * Frees the header list after wiping each line: curl copies our strings,
 * and one of them carries the token. (libcurl's own copy of the request it
 * sends is not ours to wipe; see the note in client.h.)
 */
static void client_headers_free(struct curl_slist *list)
{
	struct curl_slist *h;

	for (h = list; h != NULL; h = h->next)
		secret_wipe(h->data, strlen(h->data));
	curl_slist_free_all(list);
}

static err_t client_add_header(struct curl_slist **list, const char *name,
                               const char *value)
{
	struct buf line = BUF_INIT;
	struct curl_slist *next;
	err_t rc;

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

static err_t client_headers(const struct client *c, const char *content_type,
                            struct curl_slist **out)
{
	struct curl_slist *next;
	err_t rc;

	*out = NULL;
	rc = client_add_header(out, "X-Vault-Request", "true");
	if (rc == ERR_OK && c->token != NULL)
		rc = client_add_header(out, "X-Vault-Token", c->token);
	if (rc == ERR_OK && c->namespace != NULL)
		rc = client_add_header(out, "X-Vault-Namespace", c->namespace);
	if (rc == ERR_OK && content_type != NULL)
		rc = client_add_header(out, "Content-Type", content_type);
	/* Without a body, drop the form type libcurl would announce. */
	if (rc == ERR_OK && content_type == NULL) {
		next = curl_slist_append(*out, "Content-Type:");
		if (next == NULL)
			rc = ERR_NOMEM;
		else
			*out = next;
	}
	return rc;
}

/*
 * Loopback is never sent through a proxy, as in Go's HTTP client that
 * Vault's CLI uses; whatever NO_PROXY lists is kept.
 */
static err_t client_no_proxy(struct buf *out)
{
	const char *env = client_env("no_proxy", "NO_PROXY");

	if (env != NULL)
		return buf_printf(out, "%s,localhost,127.0.0.1,::1", env);
	return buf_append_str(out, "localhost,127.0.0.1,::1");
}

static err_t client_setup(const struct client *c, CURL *h,
                          struct client_response *resp, struct buf *noproxy)
{
	err_t rc = client_no_proxy(noproxy);

	if (rc != ERR_OK)
		return rc;
	if (curl_easy_setopt(h, CURLOPT_URL, resp->url) ||
	    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, resp->method) ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout) ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") ||
	    /* A standby answers 307 with the active node's address. */
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) ||
	    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L) ||
	    curl_easy_setopt(h, CURLOPT_NOPROXY, buf_str(noproxy)) ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, client_on_body) ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp->raw))
		return ERR_INTERNAL;
	if ((c->ca_cert && curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_cert)) ||
	    (c->ca_path && curl_easy_setopt(h, CURLOPT_CAPATH, c->ca_path)) ||
	    (c->client_cert &&
	     curl_easy_setopt(h, CURLOPT_SSLCERT, c->client_cert)) ||
	    (c->client_key &&
	     curl_easy_setopt(h, CURLOPT_SSLKEY, c->client_key)))
		return ERR_INTERNAL;
	if (c->skip_verify &&
	    (curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L) ||
	     curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L)))
		return ERR_INTERNAL;
	return ERR_OK;
}

static err_t client_url(const struct client *c, const char *path,
                        const char *query, char **out)
{
	struct buf url = BUF_INIT;
	err_t rc;

	rc = buf_printf(&url, "%s/v1/", c->address);
	if (rc == ERR_OK)
		rc = client_escape_path(path, &url);
	if (rc == ERR_OK && query != NULL && *query != '\0')
		rc = buf_printf(&url, "?%s", query);
	*out = rc == ERR_OK ? buf_detach(&url) : NULL;
	buf_release(&url);
	return rc == ERR_OK && *out == NULL ? ERR_NOMEM : rc;
}

/* Runs the transfer; the body is a secret (an unseal key, a password). */
static err_t client_perform(CURL *h, const char *method, json_t *body,
                            struct buf *msg)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	char *text = NULL;
	CURLcode cc;
	err_t rc = ERR_OK;

	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		if (text == NULL)
			return ERR_NOMEM;
	}
	if (text != NULL || strcmp(method, "PUT") == 0 ||
	    strcmp(method, "POST") == 0) {
		/* An empty body still needs a Content-Length: 0. */
		if (curl_easy_setopt(h, CURLOPT_POSTFIELDS, text ? text : "") ||
		    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE,
		                     (long)(text ? strlen(text) : 0))) {
			rc = ERR_INTERNAL;
			goto out;
		}
	}
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

	cc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	if (cc != CURLE_OK) {
		buf_printf(msg, "%s",
		           errbuf[0] ? errbuf : curl_easy_strerror(cc));
		rc = ERR_IO;
	}
out:
	secret_free(text);
	return rc;
}

static err_t client_parse(struct client_response *resp, struct buf *msg)
{
	json_error_t jerr;

	if (resp->raw.len == 0)
		return ERR_OK;
	resp->body =
	    json_loadb((const char *)resp->raw.data, resp->raw.len, 0, &jerr);
	/* An error page need not be JSON; it is shown raw in the message. */
	if (resp->body == NULL && resp->status < 400) {
		buf_printf(msg,
		           "the server answered with a body that is not JSON");
		return ERR_IO;
	}
	return ERR_OK;
}

err_t client_request(struct client *c, const char *method, const char *path,
                     const char *query, json_t *body,
                     struct client_response *resp, struct buf *msg)
{
	return client_request_typed(c, method, path, query, body,
	                            "application/json", resp, msg);
}

err_t client_request_typed(struct client *c, const char *method,
                           const char *path, const char *query, json_t *body,
                           const char *content_type,
                           struct client_response *resp, struct buf *msg)
{
	struct curl_slist *headers = NULL;
	struct buf noproxy = BUF_INIT, cause = BUF_INIT;
	CURL *h = NULL;
	err_t rc;

	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->raw, CLIENT_BODY_MAX + 1);
	rc = client_dup(method, &resp->method);
	if (rc == ERR_OK)
		rc = client_url(c, path, query, &resp->url);
	if (rc == ERR_OK)
		rc = client_headers(c, body != NULL ? content_type : NULL,
		                    &headers);
	if (rc != ERR_OK)
		goto out;

	h = curl_easy_init();
	if (h == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	rc = client_setup(c, h, resp, &noproxy);
	if (rc == ERR_OK && curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers))
		rc = ERR_INTERNAL;
	if (rc == ERR_OK)
		rc = client_perform(h, method, body, &cause);
	if (rc == ERR_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
		rc = client_parse(resp, &cause);
	}
	if (rc == ERR_IO)
		buf_printf(msg, "%s \"%s\": %s", method, resp->url,
		           buf_str(&cause));
out:
	curl_easy_cleanup(h);
	client_headers_free(headers);
	buf_release(&noproxy);
	buf_release(&cause);
	return rc;
}

void client_response_release(struct client_response *resp)
{
	if (resp == NULL)
		return;
	json_decref(resp->body);
	resp->body = NULL;
	buf_release(&resp->raw);
	free(resp->method);
	free(resp->url);
	resp->method = NULL;
	resp->url = NULL;
}

static err_t client_error_list(struct buf *out, json_t *errors)
{
	json_t *e;
	size_t i;
	err_t rc = ERR_OK;

	json_array_foreach(errors, i, e)
	{
		if (i > 0)
			rc = buf_append_byte(out, '\n');
		if (rc == ERR_OK && json_is_string(e))
			rc = buf_printf(out, "* %s", json_string_value(e));
		else if (rc == ERR_OK)
			rc = buf_append_str(out, "* (not a string)");
		if (rc != ERR_OK)
			break;
	}
	return rc;
}

err_t client_format_error(struct buf *out, const char *method, const char *url,
                          long status, json_t *body, const char *raw)
{
	json_t *errors = json_object_get(body, "errors");
	bool show_raw = !json_is_array(errors);
	err_t rc;

	rc = buf_printf(out,
	                "Error making API request.\n\nURL: %s %s\n"
	                "Code: %ld. %s:\n\n",
	                method, url, status,
	                show_raw ? "Raw Message" : "Errors");
	if (rc != ERR_OK)
		return rc;
	if (show_raw)
		return buf_append_str(out, raw ? raw : "");
	return client_error_list(out, errors);
}

err_t client_response_error(const struct client_response *resp, struct buf *out)
{
	return client_format_error(out, resp->method, resp->url, resp->status,
	                           resp->body, buf_str(&resp->raw));
}
