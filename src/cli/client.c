#include "cli/client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/params.h"
#include "base/secret.h"
#include "cli/args.h"
#include "cli/transport.h"

struct client {
	char *address;
	char *namespace;
	char *token; /* NULL when none was found; a secret */
	struct transport transport;
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
	rc = client_dup(v, &c->namespace);
	if (rc == ERR_OK)
		rc = transport_init(
		    &c->transport,
		    cfg->ca_cert ? cfg->ca_cert
		                 : client_env("VAULT_CACERT", NULL),
		    cfg->ca_path ? cfg->ca_path
		                 : client_env("VAULT_CAPATH", NULL),
		    cfg->client_cert ? cfg->client_cert
		                     : client_env("VAULT_CLIENT_CERT", NULL),
		    cfg->client_key ? cfg->client_key
		                    : client_env("VAULT_CLIENT_KEY", NULL));
	if (rc != ERR_OK)
		return rc;
	if (c->namespace != NULL && client_has_ctl(c->namespace)) {
		buf_printf(msg, "the namespace holds control characters");
		return ERR_INVALID;
	}

	c->transport.skip_verify = cfg->tls_skip_verify;
	v = client_env("VAULT_SKIP_VERIFY", NULL);
	if (!c->transport.skip_verify && v != NULL &&
	    !parse_bool(v, &c->transport.skip_verify)) {
		buf_printf(msg, "could not parse VAULT_SKIP_VERIFY");
		return ERR_INVALID;
	}

	c->transport.timeout = CLIENT_DEFAULT_TIMEOUT;
	v = client_env("VAULT_CLIENT_TIMEOUT", NULL);
	if (v != NULL) {
		if (parse_duration(v, &secs) != ERR_OK || secs <= 0) {
			buf_printf(msg, "could not parse VAULT_CLIENT_TIMEOUT");
			return ERR_INVALID;
		}
		c->transport.timeout = (long)secs;
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
	transport_release(&c->transport);
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

static err_t client_headers(const struct client *c, const char *content_type,
                            struct curl_slist **out)
{
	err_t rc;

	*out = NULL;
	rc = transport_add_header(out, "X-Vault-Request", "true");
	if (rc == ERR_OK && c->token != NULL)
		rc = transport_add_header(out, "X-Vault-Token", c->token);
	if (rc == ERR_OK && c->namespace != NULL)
		rc = transport_add_header(out, "X-Vault-Namespace",
		                          c->namespace);
	if (rc == ERR_OK && content_type != NULL)
		rc = transport_add_header(out, "Content-Type", content_type);
	/* Without a body, drop the form type libcurl would announce. */
	if (rc == ERR_OK && content_type == NULL)
		rc = transport_no_content_type(out);
	return rc;
}

static err_t client_url(const struct client *c, const char *path,
                        const char *query, char **out)
{
	struct buf url = BUF_INIT;
	err_t rc;

	rc = transport_url(c->address, path, query, &url);
	*out = rc == ERR_OK ? buf_detach(&url) : NULL;
	buf_release(&url);
	return rc == ERR_OK && *out == NULL ? ERR_NOMEM : rc;
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
	struct buf cause = BUF_INIT;
	char *text = NULL; /* the body is a secret: a password, a share */
	CURL *h = NULL;
	err_t rc;

	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->raw, CLIENT_BODY_MAX);
	rc = client_dup(method, &resp->method);
	if (rc == ERR_OK)
		rc = client_url(c, path, query, &resp->url);
	if (rc == ERR_OK)
		rc = client_headers(c, body != NULL ? content_type : NULL,
		                    &headers);
	if (rc == ERR_OK && body != NULL &&
	    (text = json_dumps(body, JSON_COMPACT)) == NULL)
		rc = ERR_NOMEM;
	if (rc == ERR_OK && (h = curl_easy_init()) == NULL)
		rc = ERR_NOMEM;
	if (rc != ERR_OK)
		goto out;

	rc = transport_setup(h, &c->transport, method, resp->url, text,
	                     text ? strlen(text) : 0, &resp->raw);
	if (rc == ERR_OK && curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers))
		rc = ERR_INTERNAL;
	if (rc == ERR_OK)
		rc = transport_perform(h, &cause);
	if (rc == ERR_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
		rc = client_parse(resp, &cause);
	}
	if (rc == ERR_IO)
		buf_printf(msg, "%s \"%s\": %s", method, resp->url,
		           buf_str(&cause));
out:
	curl_easy_cleanup(h);
	transport_headers_free(headers);
	secret_free(text);
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
