#include "http/handler.h"

#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/params.h"
#include "base/secret.h"
#include "http/path.h"

#define HTTP_MAX_TOKEN 8192
/* Longer names exist in no real client; they are not recorded. */
#define HTTP_MAX_HEADER_NAME 256

void http_call_init(struct http_call *c)
{
	request_init(&c->req);
	response_init(&c->resp);
	buf_init(&c->ns, 0);
	c->head_only = false;
}

void http_call_release(struct http_call *c)
{
	request_release(&c->req);
	response_release(&c->resp);
	buf_release(&c->ns);
	c->req.ns = "";
}

/* Methods are case-sensitive (RFC 9110); LIST is Vault's own. */
static err_t method_op(const struct http_head *h, enum op *op)
{
	static const struct {
		const char *name;
		enum op op;
	} map[] = {{"GET", OP_READ},    {"LIST", OP_LIST},
	           {"POST", OP_UPDATE}, {"PUT", OP_UPDATE},
	           {"PATCH", OP_PATCH}, {"DELETE", OP_DELETE},
	           {"HEAD", OP_HEAD}};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strlen(map[i].name) == h->method_len &&
		    memcmp(map[i].name, h->method, h->method_len) == 0) {
			*op = map[i].op;
			return ERR_OK;
		}
	}
	return ERR_UNSUPPORTED;
}

/* Does the Content-Type name this media type (parameters allowed)? */
static bool media_type_is(const struct http_head *h, const char *type)
{
	size_t len, n = 0;
	const char *v = http_head_get(h, "content-type", &len, NULL);

	if (v == NULL)
		return false;
	while (n < len && v[n] != ';')
		n++;
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return http_token_eq(v, n, type);
}

/*
 * Refuses JSON nested deeper than HTTP_MAX_JSON_DEPTH before the recursive
 * parser sees it, so deep input costs one linear scan and no stack.
 */
static bool json_depth_ok(const uint8_t *p, size_t n)
{
	size_t i, depth = 0;
	bool in_string = false;

	for (i = 0; i < n; i++) {
		if (in_string) {
			if (p[i] == '\\')
				i++;
			else if (p[i] == '"')
				in_string = false;
		} else if (p[i] == '"') {
			in_string = true;
		} else if (p[i] == '{' || p[i] == '[') {
			if (++depth > HTTP_MAX_JSON_DEPTH)
				return false;
		} else if ((p[i] == '}' || p[i] == ']') && depth > 0) {
			depth--;
		}
	}
	return true;
}

static err_t parse_json_body(struct http_call *c, const uint8_t *p, size_t n)
{
	json_error_t jerr;
	char *near;

	if (!json_depth_ok(p, n))
		return response_error(&c->resp, ERR_INVALID,
		                      "failed to parse JSON input: nesting "
		                      "deeper than %d levels",
		                      HTTP_MAX_JSON_DEPTH);
	c->req.data =
	    json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);
	if (c->req.data == NULL) {
		/* jansson quotes the input near the error: it may be a secret.
		 */
		near = strstr(jerr.text, " near ");
		if (near != NULL)
			*near = 0;
		return response_error(
		    &c->resp, ERR_INVALID,
		    "failed to parse JSON input: %s at line %d "
		    "column %d",
		    jerr.text, jerr.line, jerr.column);
	}
	if (!json_is_object(c->req.data))
		return response_error(&c->resp, ERR_INVALID,
		                      "failed to parse JSON input: the body is "
		                      "not a JSON object");
	return ERR_OK;
}

/* Body to data: empty is {}, a form when labelled so, JSON otherwise. */
static err_t parse_body(struct http_call *c, const struct http_head *h,
                        const uint8_t *p, size_t n)
{
	const char *why = NULL;
	size_t s = 0;
	err_t rc;

	while (s < n &&
	       (p[s] == ' ' || p[s] == '\t' || p[s] == '\r' || p[s] == '\n'))
		s++;
	if (s == n) {
		c->req.data = json_object();
		return c->req.data ? ERR_OK
		                   : response_error(&c->resp, ERR_NOMEM,
		                                    "out of memory");
	}
	if (media_type_is(h, "application/x-www-form-urlencoded") &&
	    p[s] != '{' && p[s] != '[') {
		c->req.data = json_object();
		if (c->req.data == NULL)
			return response_error(&c->resp, ERR_NOMEM,
			                      "out of memory");
		rc = http_form_parse((const char *)p, n, c->req.data, &why);
		if (rc != ERR_OK)
			return response_error(&c->resp, rc, "%s", why);
		c->req.form_body = true;
		return ERR_OK;
	}
	return parse_json_body(c, p, n);
}

/* The token: X-Vault-Token, else "Authorization: Bearer <token>". */
static err_t read_token(struct http_call *c, const struct http_head *h)
{
	size_t len, count, alen, acount;
	const char *v = http_head_get(h, "x-vault-token", &len, &count);
	const char *a = http_head_get(h, "authorization", &alen, &acount);

	if (count > 1 || acount > 1)
		return response_error(&c->resp, ERR_INVALID,
		                      "more than one token header");
	if ((v == NULL || len == 0) && a != NULL && alen > 7 &&
	    http_token_eq(a, 7, "bearer ")) {
		v = a + 7;
		len = alen - 7;
		while (len > 0 && (*v == ' ' || *v == '\t'))
			v++, len--;
	}
	if (v == NULL || len == 0)
		return ERR_OK;
	if (len > HTTP_MAX_TOKEN)
		return response_error(&c->resp, ERR_INVALID,
		                      "token header too large");
	c->req.token = strndup(v, len);
	if (c->req.token == NULL)
		return response_error(&c->resp, ERR_NOMEM, "out of memory");
	return ERR_OK;
}

/* The headers that carry the token; they never leave read_token. */
static bool is_token_header(const char *name, size_t len)
{
	return http_token_eq(name, len, "x-vault-token") ||
	       http_token_eq(name, len, "authorization");
}

/*
 * Every header but the token's into req.headers, for the audit records
 * that name some of them. Names are lowercased, since HTTP names are not
 * case-sensitive and the audit configuration is keyed by lowercase names.
 * A value that is not UTF-8 cannot be a JSON string and is left out.
 */
static err_t read_headers(struct http_call *c, const struct http_head *h)
{
	char name[HTTP_MAX_HEADER_NAME + 1];
	json_t *all = json_object(), *list, *v;
	size_t i, k;

	if (all == NULL)
		return response_error(&c->resp, ERR_NOMEM, "out of memory");
	c->req.headers = all;
	for (i = 0; i < h->n_headers; i++) {
		const struct http_header *hd = &h->headers[i];
		if (hd->name_len == 0 || hd->name_len > HTTP_MAX_HEADER_NAME ||
		    is_token_header(hd->name, hd->name_len))
			continue;
		for (k = 0; k < hd->name_len; k++) {
			char ch = hd->name[k];
			name[k] = ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
		}
		name[hd->name_len] = 0;
		v = json_stringn(hd->value, hd->value_len);
		if (v == NULL)
			continue;
		list = json_object_get(all, name);
		if (list == NULL) {
			list = json_array();
			if (json_object_set_new(all, name, list) != 0)
				list = NULL;
		}
		if (list == NULL)
			json_decref(v);
		if (list == NULL || json_array_append_new(list, v) != 0)
			return response_error(&c->resp, ERR_NOMEM,
			                      "out of memory");
	}
	return ERR_OK;
}

static err_t read_namespace(struct http_call *c, const struct http_head *h)
{
	const char *why = NULL;
	size_t len, count;
	const char *v = http_head_get(h, "x-vault-namespace", &len, &count);
	err_t rc;

	if (count > 1)
		return response_error(&c->resp, ERR_INVALID,
		                      "more than one namespace header");
	if (v == NULL || len == 0)
		return ERR_OK;
	rc = buf_reserve(&c->ns, len + 2);
	if (rc == ERR_OK)
		rc = http_namespace_normalise(v, len, (char *)c->ns.data, &why);
	if (rc != ERR_OK)
		return response_error(&c->resp, rc, "invalid namespace: %s",
		                      why ? why : "out of memory");
	c->req.ns = (const char *)c->ns.data;
	return ERR_OK;
}

static err_t read_wrap_ttl(struct http_call *c, const struct http_head *h)
{
	char text[64];
	size_t len;
	const char *v = http_head_get(h, "x-vault-wrap-ttl", &len, NULL);

	if (v == NULL || len == 0)
		return ERR_OK;
	if (len >= sizeof(text))
		return response_error(&c->resp, ERR_INVALID,
		                      "invalid wrap TTL");
	memcpy(text, v, len);
	text[len] = 0;
	if (parse_duration(text, &c->req.wrap_ttl) != ERR_OK ||
	    c->req.wrap_ttl < 0)
		return response_error(&c->resp, ERR_INVALID,
		                      "invalid wrap TTL");
	return ERR_OK;
}

/* Query parameters under the body's: the body wins on a conflict. */
static err_t merge_query(struct http_call *c, json_t *query)
{
	const char *k;
	json_t *v;

	json_object_foreach(query, k, v)
	{
		if (json_object_get(c->req.data, k) != NULL)
			continue;
		if (json_object_set(c->req.data, k, v) != 0)
			return response_error(&c->resp, ERR_NOMEM,
			                      "out of memory");
	}
	return ERR_OK;
}

/* LIST of "dir" and "dir/" name the same directory; hvac strips it. */
static err_t list_path(struct http_call *c, struct http_target *t)
{
	size_t n = strlen(t->path);
	char *p;

	if (n == 0 || t->path[n - 1] == '/')
		return ERR_OK;
	p = realloc(t->path, n + 2);
	if (p == NULL)
		return response_error(&c->resp, ERR_NOMEM, "out of memory");
	p[n] = '/';
	p[n + 1] = 0;
	t->path = p;
	return ERR_OK;
}

/* Path, query and method: what is asked of which object. */
static err_t read_target(struct http_call *c, const struct http_head *h,
                         struct http_target *t)
{
	const char *why = NULL;
	err_t rc;

	rc = http_target_parse(t, h->target, h->target_len, &why);
	if (rc != ERR_OK)
		return response_error(&c->resp, rc, "%s", why);
	if (method_op(h, &c->req.op) != ERR_OK)
		return response_error(&c->resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	if (c->req.op == OP_READ && t->list)
		c->req.op = OP_LIST;
	if (c->req.op == OP_LIST)
		return list_path(c, t);
	return ERR_OK;
}

/* What a known operation on a parsed path may still be refused for. */
static err_t target_allowed(struct http_call *c, const struct http_head *h,
                            const struct http_target *t)
{
	/*
	 * Help output is not implemented, and running the operation in its
	 * place would surprise the caller (a help POST would write).
	 */
	if (t->help)
		return response_error(&c->resp, ERR_INVALID,
		                      "help is not supported");
	if (c->req.op == OP_PATCH &&
	    !media_type_is(h, "application/merge-patch+json"))
		return response_error(&c->resp, ERR_MEDIA_TYPE,
		                      "PATCH needs Content-Type "
		                      "application/merge-patch+json");
	return ERR_OK;
}

err_t http_call_build(struct http_call *c, const struct http_head *h,
                      const uint8_t *body, size_t body_len, size_t max_body,
                      const char *remote_addr)
{
	struct http_target t;
	bool with_query;
	err_t rc;

	http_target_init(&t);
	c->head_only = h->method_len == 4 && memcmp(h->method, "HEAD", 4) == 0;
	c->req.remote_addr = remote_addr;
	if (uuid_new(c->req.id) != ERR_OK) {
		rc = response_error(&c->resp, ERR_INTERNAL, "internal error");
		goto out;
	}

	rc = read_target(c, h, &t);
	if (rc != ERR_OK)
		goto out;
	/* From here on a refusal names its path (for the audit trail). */
	c->req.path = t.path;
	t.path = NULL;
	rc = target_allowed(c, h, &t);
	if (rc != ERR_OK)
		goto out;
	if (body_len > max_body) {
		rc = response_error(&c->resp, ERR_TOO_LARGE,
		                    "request body too large");
		goto out;
	}
	rc = read_token(c, h);
	if (rc == ERR_OK)
		rc = read_headers(c, h);
	if (rc == ERR_OK)
		rc = read_namespace(c, h);
	if (rc == ERR_OK)
		rc = read_wrap_ttl(c, h);
	if (rc != ERR_OK)
		goto out;

	/* A LIST carries no parameters in its body (Vault ignores it). */
	with_query = c->req.op != OP_UPDATE && c->req.op != OP_PATCH;
	rc = parse_body(c, h, body,
	                h->method_len == 4 && memcmp(h->method, "LIST", 4) == 0
	                    ? 0
	                    : body_len);
	if (rc == ERR_OK && with_query)
		rc = merge_query(c, t.query);
out:
	http_target_release(&t);
	return rc;
}

/* The error code of a status the listener answers by itself. */
static err_t status_code(int status)
{
	switch (status) {
	case 404:
		return ERR_NOT_FOUND;
	case 405:
		return ERR_UNSUPPORTED;
	case 413:
		return ERR_TOO_LARGE;
	case 415:
		return ERR_MEDIA_TYPE;
	case 503:
		return ERR_UNAVAILABLE;
	default:
		return status >= 400 && status < 500 ? ERR_INVALID
		                                     : ERR_INTERNAL;
	}
}

bool http_call_refused(struct http_call *c, const struct http_head *h,
                       const char *remote_addr, int status, const char *msg)
{
	struct http_target t;
	bool named;

	http_target_init(&t);
	c->req.remote_addr = remote_addr;
	named =
	    uuid_new(c->req.id) == ERR_OK && read_target(c, h, &t) == ERR_OK;
	if (named) {
		c->req.path = t.path;
		t.path = NULL;
		/* As much as can be read; a failure leaves its part out. */
		if (read_token(c, h) == ERR_OK &&
		    read_headers(c, h) == ERR_OK &&
		    read_namespace(c, h) == ERR_OK)
			read_wrap_ttl(c, h);
	}
	http_target_release(&t);

	/* What read_* may have said is replaced by the real refusal. */
	response_release(&c->resp);
	response_init(&c->resp);
	response_error(&c->resp, status_code(status), "%s", msg);
	return named;
}
