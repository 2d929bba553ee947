/*
 * format.c - the audit record: Vault's JSON shape, HMAC'd per device.
 *
 *   {"time": "...", "type": "request"|"response",
 *    "auth": {client_token, accessor, display_name, policies, ...},
 *    "request": {id, operation, mount_type, mount_accessor, mount_point,
 *                namespace {id, path}, path, remote_address, wrap_ttl,
 *                client_token, client_token_accessor, data, headers},
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
 *
 * The record is written straight into a struct buf as one line of ASCII
 * JSON (every control character, DEL and everything above 0x7f escaped,
 * bytes that are not UTF-8 written as U+FFFD), so that no input can
 * forge a line or an escape sequence. Building a jansson tree and dumping
 * it cost more than the rest of an audited read together (issue 6,
 * measured with perf).
 *
 * HMACs are computed with a context keyed once per device
 * (audit_format_prepare) and copied per record, and the HMACs of a token
 * and its accessor are remembered per device by the token's id_hash, the
 * store's keyed hash of it, so that a token that makes many requests is
 * hashed once. The memo holds HMACs only, never a token; it is wiped when
 * an entry is replaced and when the device goes.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/encoding.h"
#include "base/secret.h"

#define HMAC_TEXT_LEN (sizeof(AUDIT_HMAC_TAG) - 1 + 64)
#define MEMO_SLOTS    64
#define CTX_POOL      8

struct memo {
	char id_hash[TOKEN_HASH_LEN + 1]; /* "" for a free slot */
	char token[HMAC_TEXT_LEN + 1];
	char accessor[HMAC_TEXT_LEN + 1]; /* "" until first needed */
};

struct audit_hmac_state {
	EVP_MAC_CTX *keyed;          /* keyed with the salt; only ever copied */
	pthread_mutex_t lock;        /* over pool and memo */
	EVP_MAC_CTX *pool[CTX_POOL]; /* copies ready for use */
	size_t n_pool;
	struct memo memo[MEMO_SLOTS];
};

/* Bytes gathered before they go to the buf in one append. */
#define STAGE_LEN 512

/* One record being written. Errors are sticky in rc. */
struct fmt {
	const struct audit_device *d;
	const struct audit_input *in;
	struct buf *out;
	EVP_MAC_CTX *mac; /* taken from the device's pool on first use */
	err_t rc;
	/*
	 * A record is put together from many short pieces; appending each
	 * to the buf cost a seventh of an audited read (perf), so they are
	 * staged here. Wiped at the end: with log_raw it holds secrets.
	 */
	size_t staged;
	uint8_t stage[STAGE_LEN];
};

/* ---- HMAC ---------------------------------------------------------------- */

static void hmac_text(const unsigned char mac[32], char out[HMAC_TEXT_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	size_t i, tag = sizeof(AUDIT_HMAC_TAG) - 1;

	memcpy(out, AUDIT_HMAC_TAG, tag);
	for (i = 0; i < 32; i++) {
		out[tag + 2 * i] = digits[mac[i] >> 4];
		out[tag + 2 * i + 1] = digits[mac[i] & 15];
	}
	out[HMAC_TEXT_LEN] = 0;
}

err_t audit_hmac(const uint8_t salt[AUDIT_SALT_LEN], const char *value,
                 size_t len, struct buf *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	char text[HMAC_TEXT_LEN + 1];
	unsigned int maclen = 0;

	if (HMAC(EVP_sha256(), salt, AUDIT_SALT_LEN,
	         (const unsigned char *)value, len, mac, &maclen) == NULL ||
	    maclen != 32)
		return ERR_CRYPTO;
	hmac_text(mac, text);
	return buf_append(out, text, HMAC_TEXT_LEN);
}

err_t audit_format_prepare(struct audit_device *d)
{
	struct audit_hmac_state *st;
	OSSL_PARAM params[2];
	EVP_MAC *mac;

	audit_format_unprepare(d);
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return ERR_NOMEM;
	pthread_mutex_init(&st->lock, NULL);
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	st->keyed = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	                                             (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (st->keyed == NULL ||
	    !EVP_MAC_init(st->keyed, d->salt, AUDIT_SALT_LEN, params)) {
		EVP_MAC_CTX_free(st->keyed);
		pthread_mutex_destroy(&st->lock);
		free(st);
		return ERR_CRYPTO;
	}
	d->hmac = st;
	return ERR_OK;
}

void audit_format_unprepare(struct audit_device *d)
{
	struct audit_hmac_state *st = d->hmac;
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n_pool; i++)
		EVP_MAC_CTX_free(st->pool[i]);
	EVP_MAC_CTX_free(st->keyed);
	secret_wipe(st->memo, sizeof(st->memo));
	pthread_mutex_destroy(&st->lock);
	free(st);
	d->hmac = NULL;
}

/* A keyed context for this record: from the pool, or a fresh copy. */
static EVP_MAC_CTX *ctx_take(struct audit_hmac_state *st)
{
	EVP_MAC_CTX *c = NULL;

	pthread_mutex_lock(&st->lock);
	if (st->n_pool > 0)
		c = st->pool[--st->n_pool];
	pthread_mutex_unlock(&st->lock);
	return c != NULL ? c : EVP_MAC_CTX_dup(st->keyed);
}

static void ctx_give_back(struct audit_hmac_state *st, EVP_MAC_CTX *c)
{
	pthread_mutex_lock(&st->lock);
	if (st->n_pool < CTX_POOL) {
		st->pool[st->n_pool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&st->lock);
	EVP_MAC_CTX_free(c);
}

/* The HMAC text of s[0..len) under the device's salt, into out. */
static err_t fmt_hmac(struct fmt *f, const char *s, size_t len,
                      char out[HMAC_TEXT_LEN + 1])
{
	unsigned char mac[32];
	size_t maclen = 0;
	struct buf b = BUF_INIT;
	err_t rc;

	if (f->d->hmac == NULL) {
		/* A device nobody prepared (unit tests): the slow way. */
		rc = audit_hmac(f->d->salt, s, len, &b);
		if (rc == ERR_OK)
			memcpy(out, b.data, HMAC_TEXT_LEN + 1);
		buf_release(&b);
		return rc;
	}
	if (f->mac == NULL && (f->mac = ctx_take(f->d->hmac)) == NULL)
		return ERR_NOMEM;
	if (!EVP_MAC_init(f->mac, NULL, 0, NULL) ||
	    !EVP_MAC_update(f->mac, (const unsigned char *)s, len) ||
	    !EVP_MAC_final(f->mac, mac, &maclen, sizeof(mac)) || maclen != 32)
		return ERR_CRYPTO;
	hmac_text(mac, out);
	return ERR_OK;
}

/* The memo slot of an id_hash. */
static struct memo *memo_slot(struct audit_hmac_state *st, const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id != 0; id++)
		h = (h ^ (uint8_t)*id) * 16777619u;
	return &st->memo[h % MEMO_SLOTS];
}

/* Whether memo entry m is the one of token e (compared in constant time,
 * though an id_hash is the store's keyed hash, not the token). */
static bool memo_owned_by(const struct memo *m, const struct token_entry *e)
{
	return secret_equal(m->id_hash, strlen(m->id_hash), e->id_hash,
	                    strlen(e->id_hash));
}

/*
 * The HMAC of the request's token (which == 0) or of its accessor (1),
 * from the memo of the token's id_hash when it is there. Only a token the
 * core looked up has an entry (in->auth), and then in->auth belongs to
 * req->token, so the id_hash stands for both values.
 */
static err_t fmt_token_hmac(struct fmt *f, int which,
                            char out[HMAC_TEXT_LEN + 1])
{
	const struct token_entry *e = f->in->auth;
	const char *v = which == 0 ? f->in->req->token : e->accessor;
	struct audit_hmac_state *st = f->d->hmac;
	struct memo *m;
	char *slot;
	bool hit;
	err_t rc;

	if (st == NULL || e == NULL || e->id_hash[0] == 0)
		return fmt_hmac(f, v, strlen(v), out);
	pthread_mutex_lock(&st->lock);
	m = memo_slot(st, e->id_hash);
	slot = which == 0 ? m->token : m->accessor;
	hit = memo_owned_by(m, e) && slot[0] != 0;
	if (hit)
		memcpy(out, slot, HMAC_TEXT_LEN + 1);
	pthread_mutex_unlock(&st->lock);
	if (hit)
		return ERR_OK;

	rc = fmt_hmac(f, v, strlen(v), out);
	if (rc != ERR_OK)
		return rc;
	pthread_mutex_lock(&st->lock);
	if (!memo_owned_by(m, e)) {
		secret_wipe(m, sizeof(*m));
		memcpy(m->id_hash, e->id_hash, sizeof(m->id_hash));
	}
	memcpy(which == 0 ? m->token : m->accessor, out, HMAC_TEXT_LEN + 1);
	pthread_mutex_unlock(&st->lock);
	return ERR_OK;
}

/* ---- JSON text ----------------------------------------------------------- */

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

static void flush(struct fmt *f)
{
	if (f->rc == ERR_OK && f->staged > 0)
		f->rc = buf_append(f->out, f->stage, f->staged);
	f->staged = 0;
}

static void put(struct fmt *f, const void *p, size_t n)
{
	if (n > STAGE_LEN - f->staged) {
		flush(f);
		if (n > STAGE_LEN) {
			if (f->rc == ERR_OK)
				f->rc = buf_append(f->out, p, n);
			return;
		}
	}
	memcpy(f->stage + f->staged, p, n);
	f->staged += n;
}

static void put_lit(struct fmt *f, const char *s)
{
	put(f, s, strlen(s));
}

/* The length of the UTF-8 sequence at p[0..n), 0 when it is not one. */
static size_t utf8_len(const uint8_t *p, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t v;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, v = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, v = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, v = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
	    (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	*cp = v;
	return len;
}

static bool utf8_valid(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	uint32_t cp;
	size_t k;

	while (n > 0) {
		if ((k = utf8_len(p, n, &cp)) == 0)
			return false;
		p += k;
		n -= k;
	}
	return true;
}

/* "\uXXXX" for one UTF-16 unit (upper-case hex, as jansson writes). */
static void put_u16(struct fmt *f, uint32_t unit)
{
	static const char digits[] = "0123456789ABCDEF";
	char esc[6] = {'\\', 'u'};
	int i;

	for (i = 0; i < 4; i++)
		esc[2 + i] = digits[(unit >> (12 - 4 * i)) & 15];
	put(f, esc, sizeof(esc));
}

/* One code point that is not printable ASCII (or is '"' or '\\'). */
static void put_escaped(struct fmt *f, uint32_t cp)
{
	char two[2] = {'\\', 0};

	switch (cp) {
	case '"':
	case '\\':
		two[1] = (char)cp;
		break;
	case '\b':
		two[1] = 'b';
		break;
	case '\f':
		two[1] = 'f';
		break;
	case '\n':
		two[1] = 'n';
		break;
	case '\r':
		two[1] = 'r';
		break;
	case '\t':
		two[1] = 't';
		break;
	}
	if (two[1] != 0) {
		put(f, two, 2);
	} else if (cp >= 0x10000) {
		cp -= 0x10000;
		put_u16(f, 0xd800 | (cp >> 10));
		put_u16(f, 0xdc00 | (cp & 0x3ff));
	} else {
		put_u16(f, cp);
	}
}

static bool plain_ascii(uint8_t ch)
{
	return ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
}

/* s[0..n) as a JSON string in ASCII; bad UTF-8 becomes U+FFFD. */
static void put_str(struct fmt *f, const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, run, k;
	uint32_t cp;

	put(f, "\"", 1);
	while (i < n) {
		/* Plain ASCII goes out in runs. */
		for (run = i; run < n && plain_ascii(p[run]); run++)
			;
		put(f, p + i, run - i);
		if (run == n)
			break;
		k = utf8_len(p + run, n - run, &cp);
		if (k == 0) {
			k = 1;
			cp = 0xfffd;
		}
		put_escaped(f, cp);
		i = run + k;
	}
	put(f, "\"", 1);
}

static void put_cstr(struct fmt *f, const char *s)
{
	put_str(f, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

/* "key": */
static void put_key(struct fmt *f, const char *key, bool first)
{
	if (!first)
		put(f, ",", 1);
	put_cstr(f, key);
	put(f, ":", 1);
}

/* A decimal integer; by hand, as snprintf showed in the profile. */
static void put_int(struct fmt *f, int64_t v)
{
	char num[24];
	size_t i = sizeof(num);
	/* The magnitude as unsigned, so that INT64_MIN has one too. */
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		num[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		num[--i] = '-';
	put(f, num + i, sizeof(num) - i);
}

/* A real as jansson writes one: 17 digits, and ".0" when it looks whole. */
static void put_real(struct fmt *f, double v)
{
	char num[40];
	int n = snprintf(num, sizeof(num), "%.17g", v);

	put(f, num, (size_t)n);
	if (strspn(num, "-0123456789") == (size_t)n)
		put_lit(f, ".0");
}

/* The HMAC of s as a JSON string, or s itself for a raw device. */
static void put_hashed(struct fmt *f, const char *s, size_t len)
{
	char text[HMAC_TEXT_LEN + 1];

	/* Bytes that are not UTF-8 cannot be shown raw; they are hashed. */
	if (f->d->log_raw && utf8_valid(s, len)) {
		put_str(f, s, len);
		return;
	}
	if (f->rc == ERR_OK)
		f->rc = fmt_hmac(f, s, len, text);
	put(f, "\"", 1);
	put(f, text, HMAC_TEXT_LEN);
	put(f, "\"", 1);
}

/* The token (which 0) or its accessor (1), hashed or raw as configured. */
static void put_token(struct fmt *f, int which)
{
	const char *v = which == 0 ? f->in->req->token : f->in->auth->accessor;
	char text[HMAC_TEXT_LEN + 1];
	bool raw = f->d->log_raw || (which == 1 && !f->d->hmac_accessor);

	/* A token that is not UTF-8 cannot be shown raw; it is hashed. */
	if (raw && utf8_valid(v, strlen(v))) {
		put_cstr(f, v);
		return;
	}
	if (f->rc == ERR_OK)
		f->rc = fmt_token_hmac(f, which, text);
	put(f, "\"", 1);
	put(f, text, HMAC_TEXT_LEN);
	put(f, "\"", 1);
}

/*
 * v as JSON; hashed (every string at any depth replaced by its HMAC) or
 * copied as it is. Top-level keys of an object named in keep (an array or
 * NULL) are copied as they are.
 */
static void put_value(struct fmt *f, json_t *v, bool hashed, json_t *keep)
{
	const char *key;
	json_t *item;
	size_t i;
	bool first = true;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		put(f, "{", 1);
		json_object_foreach(v, key, item)
		{
			put_key(f, key, first);
			first = false;
			put_value(f, item, hashed && !key_listed(keep, key),
			          NULL);
		}
		put(f, "}", 1);
		break;
	case JSON_ARRAY:
		put(f, "[", 1);
		json_array_foreach(v, i, item)
		{
			if (i > 0)
				put(f, ",", 1);
			put_value(f, item, hashed, NULL);
		}
		put(f, "]", 1);
		break;
	case JSON_STRING:
		if (hashed)
			put_hashed(f, json_string_value(v),
			           json_string_length(v));
		else
			put_str(f, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		put_int(f, json_integer_value(v));
		break;
	case JSON_REAL:
		put_real(f, json_real_value(v));
		break;
	case JSON_TRUE:
		put_lit(f, "true");
		break;
	case JSON_FALSE:
		put_lit(f, "false");
		break;
	case JSON_NULL:
		put_lit(f, "null");
		break;
	}
}

/* ---- the record ---------------------------------------------------------- */

static void put_strarray_or_empty(struct fmt *f, json_t *a)
{
	if (json_is_array(a))
		put_value(f, a, false, NULL);
	else
		put_lit(f, "[]");
}

/* The "auth" object: who made the request. */
static void put_auth(struct fmt *f)
{
	const struct token_entry *e = f->in->auth;
	const char *tok = f->in->req->token;
	bool has_token = tok != NULL && tok[0] != 0;

	put_lit(f, "\"auth\":{");
	if (has_token) {
		put_key(f, "client_token", true);
		put_token(f, 0);
	}
	if (e != NULL) {
		put_key(f, "accessor", !has_token);
		put_token(f, 1);
		put_key(f, "display_name", false);
		put_cstr(f, e->display_name);
		put_key(f, "policies", false);
		put_strarray_or_empty(f, e->policies);
		put_key(f, "token_policies", false);
		put_strarray_or_empty(f, e->policies);
		put_lit(f, ",\"identity_policies\":[],\"metadata\":");
		if (e->meta != NULL && json_is_object(e->meta))
			put_value(f, e->meta, true, NULL);
		else
			put_lit(f, "null");
		put_key(f, "entity_id", false);
		put_cstr(f, e->entity_id);
		put_lit(f, ",\"token_type\":\"service\",\"token_ttl\":");
		put_int(f, e->ttl);
		put_lit(f, ",\"token_issue_time\":");
		put_int(f, e->creation_time);
	}
	put(f, "}", 1);
}

/*
 * request.headers: only the headers the operator configured, and only
 * those the client sent. The token's headers are never in req->headers.
 */
static void put_headers(struct fmt *f)
{
	json_t *cfg, *values, *v;
	const char *name;
	bool first = true, hmac;
	size_t i;

	put_lit(f, ",\"headers\":{");
	json_object_foreach(f->in->header_config, name, cfg)
	{
		values = json_object_get(f->in->req->headers, name);
		if (!json_is_array(values))
			continue;
		hmac = json_is_true(json_object_get(cfg, "hmac"));
		put_key(f, name, first);
		first = false;
		put(f, "[", 1);
		json_array_foreach(values, i, v)
		{
			if (i > 0)
				put(f, ",", 1);
			if (hmac)
				put_hashed(f, json_string_value(v),
				           json_string_length(v));
			else
				put_value(f, v, false, NULL);
		}
		put(f, "]", 1);
	}
	put(f, "}", 1);
}

static void put_request(struct fmt *f)
{
	const struct audit_input *in = f->in;
	const struct request *req = in->req;

	put_lit(f, ",\"request\":{\"id\":");
	put_cstr(f, req->id);
	put_key(f, "operation", false);
	put_cstr(f, op_name(req->op));
	put_key(f, "mount_type", false);
	put_cstr(f, in->mount_type);
	put_key(f, "mount_accessor", false);
	put_cstr(f, in->mount_accessor);
	put_key(f, "mount_point", false);
	put_cstr(f, in->mount_point);
	put_lit(f, ",\"namespace\":{\"id\":");
	put_cstr(f, in->ns_id);
	put_key(f, "path", false);
	put_cstr(f, req->ns);
	put_lit(f, "},\"path\":");
	put_cstr(f, req->path);
	put_key(f, "remote_address", false);
	put_cstr(f, req->remote_addr);
	put_key(f, "wrap_ttl", false);
	put_int(f, req->wrap_ttl);
	if (req->token != NULL && req->token[0] != 0) {
		put_key(f, "client_token", false);
		put_token(f, 0);
	}
	if (in->auth != NULL) {
		put_key(f, "client_token_accessor", false);
		put_token(f, 1);
	}
	if (req->data != NULL && json_object_size(req->data) > 0) {
		put_key(f, "data", false);
		put_value(f, req->data, true, in->non_hmac_request_keys);
	}
	if (json_object_size(in->header_config) > 0 &&
	    json_object_size(req->headers) > 0)
		put_headers(f);
	put(f, "}", 1);
}

/* A login's or token create's auth block: its token and accessor hashed. */
static void put_response_auth(struct fmt *f, json_t *auth)
{
	const char *key;
	json_t *v;
	bool first = true;

	put_lit(f, ",\"auth\":{");
	json_object_foreach(auth, key, v)
	{
		bool secret = strcmp(key, "client_token") == 0 ||
		              strcmp(key, "accessor") == 0;
		put_key(f, key, first);
		first = false;
		put_value(f, v, secret && json_is_string(v), NULL);
	}
	put(f, "}", 1);
}

static void put_response(struct fmt *f)
{
	const struct response *resp = f->in->resp;

	put_lit(f, ",\"response\":{\"mount_type\":");
	put_cstr(f, f->in->mount_type);
	/* A raw body (PEM, plain text) may be a secret as much as data. */
	if (resp->raw_type != NULL) {
		put_lit(f, ",\"data\":{\"http_content_type\":");
		put_cstr(f, resp->raw_type);
		put_lit(f, ",\"http_raw_body\":");
		put_hashed(f, buf_str(&resp->raw_body), resp->raw_body.len);
		put(f, "}", 1);
	} else if (resp->data != NULL) {
		put_key(f, "data", false);
		put_value(f, resp->data, true, f->in->non_hmac_response_keys);
	}
	if (resp->lease_id != NULL && resp->lease_id[0] != 0) {
		put_lit(f, ",\"secret\":{\"lease_id\":");
		put_cstr(f, resp->lease_id);
		put(f, "}", 1);
	}
	if (resp->auth != NULL && json_is_object(resp->auth))
		put_response_auth(f, resp->auth);
	if (json_array_size(resp->warnings) > 0) {
		put_key(f, "warnings", false);
		put_value(f, resp->warnings, false, NULL);
	}
	put(f, "}", 1);
}

/* The error text of a failed response: its messages joined by "; ". */
static void put_error(struct fmt *f)
{
	const struct response *resp = f->in->resp;
	struct buf b = BUF_INIT;
	json_t *msg;
	size_t i;

	put_lit(f, ",\"error\":");
	if (resp == NULL || resp->err == ERR_OK) {
		put_lit(f, "\"\"");
		return;
	}
	json_array_foreach(resp->errors, i, msg)
	{
		if (i > 0)
			buf_append_str(&b, "; ");
		buf_append_str(
		    &b, json_string_value(msg) ? json_string_value(msg) : "");
	}
	if (b.len == 0)
		buf_append_str(&b, err_str(resp->err));
	put_str(f, (const char *)b.data, b.len);
	buf_release(&b);
}

err_t audit_format_write(const struct audit_device *d,
                         const struct audit_input *in, struct buf *out)
{
	struct fmt f;
	size_t start = out->len;
	char when[40];
	int64_t sec;
	long nsec;

	f.d = d;
	f.in = in;
	f.out = out;
	f.mac = NULL;
	f.rc = ERR_OK;
	f.staged = 0;
	time_now(&sec, &nsec);
	time_rfc3339(sec, nsec, when);
	put_lit(&f, "{\"time\":");
	put_cstr(&f, when);
	put_lit(&f, in->resp == NULL ? ",\"type\":\"request\","
	                             : ",\"type\":\"response\",");
	put_auth(&f);
	put_request(&f);
	if (in->resp != NULL)
		put_response(&f);
	put_error(&f);
	put_lit(&f, "}\n");
	flush(&f);
	secret_wipe(f.stage, sizeof(f.stage));

	if (f.mac != NULL)
		ctx_give_back(d->hmac, f.mac);
	if (f.rc != ERR_OK) {
		/* No half record: cut back to where this one started. */
		secret_wipe(out->data + start, out->len - start);
		out->len = start;
		if (out->data != NULL)
			out->data[start] = 0;
	}
	return f.rc;
}

json_t *audit_format(const struct audit_device *d, const struct audit_input *in)
{
	struct buf line = BUF_INIT;
	json_t *rec = NULL;

	if (audit_format_write(d, in, &line) == ERR_OK)
		rec = json_loadb((const char *)line.data, line.len, 0, NULL);
	buf_release(&line);
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
