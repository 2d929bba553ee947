/*
 * format.c - the audit record: Vault's JSON shape, HMAC'd per device.
 *
 *   {"time": "...", "type": "request"|"response",
 *    "auth": {client_token, accessor, display_name, policies, ...},
 *    "request": {id, operation, mount_type, mount_accessor, mount_point,
 *                client_token, client_token_accessor, namespace {id, path},
 *                path, data, headers, remote_address, wrap_ttl},
 *    "response": {mount_type, data, secret {lease_id}, auth, warnings},
 *    "error": ""}
 *
 * What is hashed: the client token and its accessor wherever they appear,
 * every string at any depth of request and response data (numbers and
 * booleans are not secrets by themselves and stay readable, as in Vault),
 * client_token/accessor inside a response's auth block, a raw body, and
 * the values of the request headers configured with hmac=true (the
 * headers recorded at all are only those the operator configured).
 * The path, the operation, the policies and the error text stay readable:
 * an operator must be able to read the trail, and handlers never put a
 * secret into an error (response_error's contract).
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/encoding.h"
#include "base/secret.h"

err_t audit_hmac(const uint8_t salt[AUDIT_SALT_LEN], const char *value,
                 size_t len, struct buf *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *hex;
	err_t rc;

	if (HMAC(EVP_sha256(), salt, AUDIT_SALT_LEN,
	         (const unsigned char *)value, len, mac, &maclen) == NULL)
		return ERR_CRYPTO;
	hex = hex_encode(mac, maclen);
	if (hex == NULL)
		return ERR_NOMEM;
	rc = buf_append_str(out, AUDIT_HMAC_TAG);
	if (rc == ERR_OK)
		rc = buf_append_str(out, hex);
	free(hex);
	return rc;
}

/* A JSON string holding the HMAC of s, or s itself for a raw device. */
static json_t *hashed_string(const struct audit_device *d, const char *s,
                             size_t len)
{
	struct buf b = BUF_INIT;
	json_t *v = NULL;

	/* Bytes that are not UTF-8 cannot be shown raw; they are hashed. */
	if (d->log_raw && (v = json_stringn(s, len)) != NULL)
		return v;
	if (audit_hmac(d->salt, s, len, &b) == ERR_OK)
		v = json_stringn((const char *)b.data, b.len);
	buf_release(&b);
	return v;
}

static bool key_listed(json_t *keys, const char *key)
{
	size_t i;
	json_t *k;

	json_array_foreach(keys, i, k)
	{
		const char *s = json_string_value(k);
		if (s != NULL && strcmp(s, key) == 0)
			return true;
	}
	return false;
}

/*
 * A deep copy of v with every string replaced by its HMAC. Top-level keys
 * named in keep (an array, may be NULL) are copied as they are.
 */
static json_t *hash_value(const struct audit_device *d, json_t *v, json_t *keep,
                          int depth)
{
	json_t *copy, *item;
	const char *key;
	size_t i;

	if (json_is_string(v))
		return hashed_string(d, json_string_value(v),
		                     json_string_length(v));
	if (json_is_object(v)) {
		if ((copy = json_object()) == NULL)
			return NULL;
		json_object_foreach(v, key, item)
		{
			json_t *h = depth == 0 && key_listed(keep, key)
			                ? json_deep_copy(item)
			                : hash_value(d, item, NULL, depth + 1);
			if (h == NULL || json_object_set_new(copy, key, h)) {
				json_decref(copy);
				return NULL;
			}
		}
		return copy;
	}
	if (json_is_array(v)) {
		if ((copy = json_array()) == NULL)
			return NULL;
		json_array_foreach(v, i, item)
		{
			if (json_array_append_new(
			        copy, hash_value(d, item, NULL, depth + 1))) {
				json_decref(copy);
				return NULL;
			}
		}
		return copy;
	}
	return v ? json_deep_copy(v) : json_null();
}

/* Sets key to value (stolen); a NULL value counts as a failure. */
static bool put(json_t *o, const char *key, json_t *value)
{
	if (value == NULL)
		return false;
	return json_object_set_new(o, key, value) == 0;
}

static json_t *strarray_or_empty(json_t *a)
{
	return json_is_array(a) ? json_deep_copy(a) : json_array();
}

/* The "auth" object: who made the request. */
static json_t *format_auth(const struct audit_device *d,
                           const struct audit_input *in)
{
	const struct token_entry *e = in->auth;
	const char *tok = in->req->token;
	json_t *a = json_object();
	bool ok = a != NULL;

	if (ok && tok != NULL && tok[0] != 0)
		ok = put(a, "client_token", hashed_string(d, tok, strlen(tok)));
	if (ok && e != NULL) {
		ok = put(a, "accessor",
		         d->hmac_accessor ? hashed_string(d, e->accessor,
		                                          strlen(e->accessor))
		                          : json_string(e->accessor)) &&
		     put(a, "display_name",
		         json_string(e->display_name ? e->display_name : "")) &&
		     put(a, "policies", strarray_or_empty(e->policies)) &&
		     put(a, "token_policies", strarray_or_empty(e->policies)) &&
		     put(a, "identity_policies", json_array()) &&
		     put(a, "metadata",
		         e->meta && json_is_object(e->meta)
		             ? hash_value(d, e->meta, NULL, 1)
		             : json_null()) &&
		     put(a, "entity_id",
		         json_string(e->entity_id ? e->entity_id : "")) &&
		     put(a, "token_type", json_string("service")) &&
		     put(a, "token_ttl", json_integer(e->ttl)) &&
		     put(a, "token_issue_time", json_integer(e->creation_time));
	}
	if (!ok) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* The values of one configured header, each HMAC'd when asked. */
static json_t *header_values(const struct audit_device *d, json_t *values,
                             bool hmac)
{
	json_t *out, *v;
	size_t i;

	if (!hmac)
		return json_deep_copy(values);
	if ((out = json_array()) == NULL)
		return NULL;
	json_array_foreach(values, i, v)
	{
		if (json_array_append_new(
		        out, hashed_string(d, json_string_value(v),
		                           json_string_length(v))) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/*
 * request.headers: only the headers the operator configured, and only
 * those the client sent. The token's headers are never in req->headers.
 */
static json_t *format_headers(const struct audit_device *d,
                              const struct audit_input *in)
{
	json_t *out = json_object(), *cfg, *values;
	const char *name;

	json_object_foreach(in->header_config, name, cfg)
	{
		values = json_object_get(in->req->headers, name);
		if (out == NULL || !json_is_array(values))
			continue;
		if (!put(out, name,
		         header_values(
		             d, values,
		             json_is_true(json_object_get(cfg, "hmac"))))) {
			json_decref(out);
			out = NULL;
		}
	}
	return out;
}

static json_t *format_request(const struct audit_device *d,
                              const struct audit_input *in)
{
	const struct request *req = in->req;
	json_t *r = json_object();
	bool ok = r != NULL;

	ok = ok && put(r, "id", json_string(req->id)) &&
	     put(r, "operation", json_string(op_name(req->op))) &&
	     put(r, "mount_type", json_string(in->mount_type)) &&
	     put(r, "mount_accessor", json_string(in->mount_accessor)) &&
	     put(r, "mount_point", json_string(in->mount_point)) &&
	     put(r, "namespace",
	         json_pack("{s:s, s:s}", "id", in->ns_id, "path", req->ns)) &&
	     put(r, "path", json_string(req->path ? req->path : "")) &&
	     put(r, "remote_address",
	         json_string(req->remote_addr ? req->remote_addr : "")) &&
	     put(r, "wrap_ttl", json_integer(req->wrap_ttl));
	if (ok && req->token != NULL && req->token[0] != 0)
		ok = put(r, "client_token",
		         hashed_string(d, req->token, strlen(req->token)));
	if (ok && in->auth != NULL)
		ok = put(r, "client_token_accessor",
		         d->hmac_accessor
		             ? hashed_string(d, in->auth->accessor,
		                             strlen(in->auth->accessor))
		             : json_string(in->auth->accessor));
	if (ok && req->data != NULL && json_object_size(req->data) > 0)
		ok =
		    put(r, "data",
		        hash_value(d, req->data, in->non_hmac_request_keys, 0));
	if (ok && json_object_size(in->header_config) > 0 &&
	    json_object_size(req->headers) > 0)
		ok = put(r, "headers", format_headers(d, in));
	if (!ok) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* A login's or token create's auth block: its token and accessor hashed. */
static json_t *format_response_auth(const struct audit_device *d, json_t *auth)
{
	static const char *const secret_keys[] = {"client_token", "accessor"};
	json_t *a = json_deep_copy(auth);
	size_t i;

	for (i = 0; a != NULL && i < 2; i++) {
		json_t *v = json_object_get(a, secret_keys[i]);
		if (json_is_string(v) &&
		    !put(a, secret_keys[i],
		         hashed_string(d, json_string_value(v),
		                       json_string_length(v)))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *format_response(const struct audit_device *d,
                               const struct audit_input *in)
{
	const struct response *resp = in->resp;
	json_t *r = json_object();
	bool ok = r != NULL;

	ok = ok && put(r, "mount_type", json_string(in->mount_type));
	if (ok && resp->data != NULL)
		ok = put(
		    r, "data",
		    hash_value(d, resp->data, in->non_hmac_response_keys, 0));
	/* A raw body (PEM, plain text) may be a secret as much as data. */
	if (ok && resp->raw_type != NULL)
		ok = put(r, "data",
		         json_pack("{s:s, s:o}", "http_content_type",
		                   resp->raw_type, "http_raw_body",
		                   hashed_string(d, buf_str(&resp->raw_body),
		                                 resp->raw_body.len)));
	if (ok && resp->lease_id != NULL && resp->lease_id[0] != 0)
		ok = put(r, "secret",
		         json_pack("{s:s}", "lease_id", resp->lease_id));
	if (ok && resp->auth != NULL && json_is_object(resp->auth))
		ok = put(r, "auth", format_response_auth(d, resp->auth));
	if (ok && json_array_size(resp->warnings) > 0)
		ok = put(r, "warnings", json_deep_copy(resp->warnings));
	if (!ok) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* The error text of a failed response: its messages joined by "; ". */
static json_t *format_error(const struct response *resp)
{
	struct buf b = BUF_INIT;
	json_t *msg, *v = NULL;
	size_t i;

	if (resp == NULL || resp->err == ERR_OK)
		return json_string("");
	json_array_foreach(resp->errors, i, msg)
	{
		if (i > 0)
			buf_append_str(&b, "; ");
		buf_append_str(
		    &b, json_string_value(msg) ? json_string_value(msg) : "");
	}
	if (b.len == 0)
		buf_append_str(&b, err_str(resp->err));
	v = json_stringn((const char *)b.data, b.len);
	buf_release(&b);
	return v;
}

json_t *audit_format(const struct audit_device *d, const struct audit_input *in)
{
	json_t *rec = json_object();
	char when[40];
	int64_t sec;
	long nsec;
	bool ok = rec != NULL;

	time_now(&sec, &nsec);
	time_rfc3339(sec, nsec, when);
	ok = ok && put(rec, "time", json_string(when)) &&
	     put(rec, "type",
	         json_string(in->resp == NULL ? "request" : "response")) &&
	     put(rec, "auth", format_auth(d, in)) &&
	     put(rec, "request", format_request(d, in));
	if (ok && in->resp != NULL)
		ok = put(rec, "response", format_response(d, in));
	ok = ok && put(rec, "error", format_error(in->resp));
	if (!ok) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

char *audit_format_line(json_t *record)
{
	/*
	 * jansson escapes control characters always; ENSURE_ASCII escapes
	 * everything above 0x7e too, so no terminal sequence or line break
	 * of any encoding survives into the file.
	 */
	return json_dumps(record, JSON_COMPACT | JSON_ENSURE_ASCII |
	                              JSON_PRESERVE_ORDER);
}
