/*
 * token.c - the token store: the HMAC key, entry records, lookups by
 * value, hash and accessor, the use counter, and the JSON shapes clients
 * read. Creation is in token_create.c, revocation and renewal in
 * token_revoke.c.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/secret.h"
#include "core/token_internal.h"
#include "storage/cache.h"

#define HMAC_KEY_PATH "core/token-hmac-key"

static err_t load_or_create_key(struct token_store *ts)
{
	struct buf b = BUF_INIT;
	bool found = false;
	err_t rc;

	rc = storage_get(ts->enc, HMAC_KEY_PATH, &b, &found);
	if (rc != ERR_OK)
		goto out;
	if (found) {
		if (b.len != TOKEN_HMAC_KEY_LEN) {
			log_error("token", "stored token key has length %zu",
			          b.len);
			rc = ERR_CRYPTO;
			goto out;
		}
		memcpy(ts->key, b.data, TOKEN_HMAC_KEY_LEN);
		goto out;
	}

	rc = rand_bytes(ts->key, TOKEN_HMAC_KEY_LEN);
	if (rc == ERR_OK)
		rc = storage_put(ts->enc, HMAC_KEY_PATH, ts->key,
		                 TOKEN_HMAC_KEY_LEN);
out:
	buf_release(&b);
	return rc;
}

err_t token_store_new(struct storage *enc, struct token_store **out)
{
	struct token_store *ts = calloc(1, sizeof(*ts));
	size_t i;
	err_t rc;

	if (ts == NULL)
		return ERR_NOMEM;
	/*
	 * Every request reads its token's entry: keep entries in memory. All
	 * writes of token entries go through ts->enc, as the cache needs.
	 */
	rc =
	    cache_view_new(enc, TOKEN_ID_PREFIX, TOKEN_CACHE_ENTRIES, &ts->enc);
	if (rc != ERR_OK) {
		free(ts);
		return rc;
	}
	pthread_rwlock_init(&ts->tree, NULL);
	for (i = 0; i < TOKEN_USE_STRIPES; i++)
		pthread_mutex_init(&ts->uses[i], NULL);
	rc = load_or_create_key(ts);
	if (rc == ERR_OK)
		rc = hmac_key_new(ts->key, TOKEN_HMAC_KEY_LEN, &ts->mac);
	if (rc != ERR_OK) {
		token_store_free(ts);
		return rc;
	}
	*out = ts;
	return ERR_OK;
}

void token_store_free(struct token_store *ts)
{
	size_t i;

	if (ts == NULL)
		return;
	secret_wipe(ts->key, sizeof(ts->key));
	hmac_key_free(ts->mac);
	storage_free(ts->enc);
	pthread_rwlock_destroy(&ts->tree);
	for (i = 0; i < TOKEN_USE_STRIPES; i++)
		pthread_mutex_destroy(&ts->uses[i]);
	free(ts);
}

void token_store_set_leases(struct token_store *ts, struct lease_mgr *lm)
{
	ts->leases = lm;
}

void token_set_revoke_hook(struct token_store *ts,
                           void (*fn)(void *ctx, const char *token_hash_hex),
                           void *ctx)
{
	ts->hook = fn;
	ts->hook_ctx = ctx;
}

pthread_mutex_t *token_use_lock(struct token_store *ts, const char *hash)
{
	/* The hash is uniformly random: two digits pick a stripe. */
	unsigned h = (unsigned)(uint8_t)hash[0] + (unsigned)(uint8_t)hash[1];

	return &ts->uses[h % TOKEN_USE_STRIPES];
}

err_t token_hash_value(struct token_store *ts, const char *token,
                       char out[TOKEN_HASH_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t mac[HMAC_SHA256_LEN];
	size_t i;
	err_t rc;

	_Static_assert(HMAC_SHA256_LEN * 2 == TOKEN_HASH_LEN,
	               "a token hash is the hex of one HMAC-SHA256");
	rc = hmac_sha256(ts->mac, token, strlen(token), mac);
	if (rc != ERR_OK)
		return rc;
	for (i = 0; i < HMAC_SHA256_LEN; i++) {
		out[2 * i] = digits[mac[i] >> 4];
		out[2 * i + 1] = digits[mac[i] & 15];
	}
	out[TOKEN_HASH_LEN] = 0;
	secret_wipe(mac, sizeof(mac));
	return ERR_OK;
}

/* Hashes are ours, but a hash from a request path must not walk storage. */
static bool valid_hash(const char *hash)
{
	size_t n = 0;

	for (; hash[n]; n++)
		if (!((hash[n] >= '0' && hash[n] <= '9') ||
		      (hash[n] >= 'a' && hash[n] <= 'f')))
			return false;
	return n == TOKEN_HASH_LEN;
}

static json_t *entry_to_json(const struct token_entry *e)
{
	return json_pack(
	    "{s:s, s:s, s:O, s:s, s:s, s:O, s:s, s:s, s:s, s:I, s:I, s:I,"
	    " s:I, s:I, s:I, s:I, s:I, s:b, s:b}",
	    "accessor", e->accessor, "namespace", e->ns, "policies",
	    e->policies, "display_name", e->display_name, "path", e->path,
	    "meta", e->meta ? e->meta : json_null(), "parent",
	    e->parent ? e->parent : "", "role", e->role ? e->role : "",
	    "entity_id", e->entity_id, "creation_time",
	    (json_int_t)e->creation_time, "ttl", (json_int_t)e->ttl,
	    "expire_time", (json_int_t)e->expire_time, "explicit_max_ttl",
	    (json_int_t)e->explicit_max_ttl, "max_ttl", (json_int_t)e->max_ttl,
	    "period", (json_int_t)e->period, "last_renewal_time",
	    (json_int_t)e->last_renewal_time, "num_uses",
	    (json_int_t)e->num_uses, "orphan", e->orphan, "renewable",
	    e->renewable);
}

/* entry_to_json, and the bound CIDRs when the token has any. */
static json_t *entry_record(const struct token_entry *e)
{
	json_t *o = entry_to_json(e);

	if (o != NULL && e->bound_cidrs != NULL &&
	    json_object_set(o, "bound_cidrs", e->bound_cidrs) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static char *dup_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return strdup(s ? s : "");
}

static int64_t get_int(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static err_t entry_from_json(json_t *o, const char *hash,
                             struct token_entry **out)
{
	struct token_entry *e = calloc(1, sizeof(*e));
	const char *acc = json_string_value(json_object_get(o, "accessor"));

	if (e == NULL)
		return ERR_NOMEM;
	snprintf(e->accessor, sizeof(e->accessor), "%s", acc ? acc : "");
	snprintf(e->id_hash, sizeof(e->id_hash), "%s", hash);
	e->ns = dup_str(o, "namespace");
	e->display_name = dup_str(o, "display_name");
	e->path = dup_str(o, "path");
	e->parent = dup_str(o, "parent");
	e->role = dup_str(o, "role");
	e->entity_id = dup_str(o, "entity_id");
	e->policies = json_incref(json_object_get(o, "policies"));
	e->meta = json_incref(json_object_get(o, "meta"));
	if (json_is_array(json_object_get(o, "bound_cidrs")))
		e->bound_cidrs = json_incref(json_object_get(o, "bound_cidrs"));
	e->creation_time = get_int(o, "creation_time");
	e->ttl = get_int(o, "ttl");
	e->expire_time = get_int(o, "expire_time");
	e->explicit_max_ttl = get_int(o, "explicit_max_ttl");
	e->max_ttl = get_int(o, "max_ttl");
	e->period = get_int(o, "period");
	e->last_renewal_time = get_int(o, "last_renewal_time");
	e->num_uses = get_int(o, "num_uses");
	e->orphan = json_is_true(json_object_get(o, "orphan"));
	e->renewable = json_is_true(json_object_get(o, "renewable"));
	if (json_is_null(e->meta)) {
		json_decref(e->meta);
		e->meta = NULL;
	}
	if (e->ns == NULL || e->display_name == NULL || e->path == NULL ||
	    e->parent == NULL || e->role == NULL || e->entity_id == NULL ||
	    !json_is_array(e->policies)) {
		token_entry_free(e);
		return ERR_STORAGE;
	}
	*out = e;
	return ERR_OK;
}

static err_t id_key(const char *hash, struct buf *out)
{
	buf_reset(out);
	return buf_printf(out, "%s%s", TOKEN_ID_PREFIX, hash);
}

err_t token_load(struct token_store *ts, const char *hash,
                 struct token_entry **out)
{
	struct buf key = BUF_INIT;
	json_t *o = NULL;
	bool found = false;
	err_t rc;

	if (!valid_hash(hash))
		return ERR_NOT_FOUND;
	rc = id_key(hash, &key);
	/* Parsed once while cached; entry_from_json only reads it. */
	if (rc == ERR_OK)
		rc = cache_get_json(ts->enc, buf_str(&key), &o, &found);
	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	if (rc == ERR_OK)
		rc = entry_from_json(o, hash, out);
	json_decref(o);
	buf_release(&key);
	return rc;
}

err_t token_txn_put_entry(struct lease_txn *t, const struct token_entry *e)
{
	struct buf key = BUF_INIT;
	json_t *o = entry_record(e);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	err_t rc = text ? id_key(e->id_hash, &key) : ERR_NOMEM;

	if (rc == ERR_OK)
		rc = lease_txn_put(t, buf_str(&key), text);
	free(text);
	json_decref(o);
	buf_release(&key);
	return rc;
}

char *token_lease_id(const struct token_entry *e)
{
	struct buf b = BUF_INIT;

	if (buf_printf(&b, "%s/%s", e->path, e->id_hash) != ERR_OK) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

err_t token_txn_put_lease(struct token_store *ts, struct lease_txn *t,
                          const struct token_entry *e)
{
	struct lease_info li;
	int64_t cap = 0;
	err_t rc;

	if (e->expire_time == 0 || ts->leases == NULL)
		return ERR_OK;
	if (e->explicit_max_ttl > 0)
		cap = e->creation_time + e->explicit_max_ttl;
	if (e->period == 0 && e->max_ttl > 0 &&
	    (cap == 0 || e->creation_time + e->max_ttl < cap))
		cap = e->creation_time + e->max_ttl;

	memset(&li, 0, sizeof(li));
	li.id = token_lease_id(e);
	if (li.id == NULL)
		return ERR_NOMEM;
	li.ns = e->ns;
	li.mount_path = TOKEN_MOUNT_PATH;
	li.path = e->path;
	li.token_hash = (char *)e->id_hash;
	li.kind = LEASE_TOKEN;
	li.issue_time = e->creation_time;
	li.expire_time = e->expire_time;
	li.last_renewal_time = e->last_renewal_time;
	li.ttl = e->ttl;
	li.max_expire_time = cap;
	li.renewable = e->renewable;
	rc = lease_txn_put_lease(ts->leases, t, &li);
	free(li.id);
	return rc;
}

/* Whether an entry may be used at now: not expired, not spent. */
static bool entry_live(const struct token_entry *e, int64_t now)
{
	return (e->expire_time == 0 || e->expire_time > now) &&
	       e->num_uses >= 0;
}

err_t token_lookup_hash(struct token_store *ts, const char *hash,
                        struct token_entry **out)
{
	err_t rc = token_load(ts, hash, out);

	if (rc == ERR_OK && !entry_live(*out, lease_now())) {
		token_entry_free(*out);
		*out = NULL;
		rc = ERR_NOT_FOUND;
	}
	return rc;
}

err_t token_lookup(struct token_store *ts, const char *token,
                   struct token_entry **out)
{
	char hash[TOKEN_HASH_LEN + 1];
	err_t rc;

	if (token == NULL || *token == 0 || strlen(token) > 1024)
		return ERR_PERMISSION;
	rc = token_hash_value(ts, token, hash);
	if (rc == ERR_OK)
		rc = token_lookup_hash(ts, hash, out);
	secret_wipe(hash, sizeof(hash));
	return rc == ERR_NOT_FOUND ? ERR_PERMISSION : rc;
}

static bool valid_accessor(const char *a)
{
	size_t n = 0;

	for (; a[n]; n++)
		if (!((a[n] >= '0' && a[n] <= '9') ||
		      (a[n] >= 'a' && a[n] <= 'z') ||
		      (a[n] >= 'A' && a[n] <= 'Z')))
			return false;
	return n > 0 && n < 32;
}

err_t token_lookup_accessor(struct token_store *ts, const char *accessor,
                            struct token_entry **out)
{
	struct buf key = BUF_INIT, b = BUF_INIT;
	const char *idkey;
	json_t *o = NULL;
	bool found = false;
	err_t rc;

	if (accessor == NULL || !valid_accessor(accessor))
		return ERR_NOT_FOUND;
	rc = buf_printf(&key, "%s%s", TOKEN_ACCESSOR_PREFIX, accessor);
	if (rc == ERR_OK)
		rc = storage_get(ts->enc, buf_str(&key), &b, &found);
	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	if (rc != ERR_OK)
		goto out;
	o = json_loadb((const char *)b.data, b.len, 0, NULL);
	idkey = json_string_value(json_object_get(o, "id_key"));
	if (idkey == NULL ||
	    strncmp(idkey, TOKEN_ID_PREFIX, strlen(TOKEN_ID_PREFIX)) != 0) {
		rc = ERR_STORAGE;
		goto out;
	}
	rc = token_lookup_hash(ts, idkey + strlen(TOKEN_ID_PREFIX), out);
out:
	json_decref(o);
	buf_release(&key);
	buf_release(&b);
	return rc;
}

/* Spends one use of a limited token; the tree lock is held for reading. */
static err_t spend_use(struct token_store *ts, struct token_entry *e)
{
	pthread_mutex_t *mu = token_use_lock(ts, e->id_hash);
	struct token_entry *fresh = NULL;
	struct lease_txn t;
	err_t rc;

	lease_txn_init(&t);
	pthread_mutex_lock(mu);
	rc = token_lookup_hash(ts, e->id_hash, &fresh);
	if (rc == ERR_NOT_FOUND)
		rc = ERR_PERMISSION;
	if (rc != ERR_OK)
		goto out;

	/* -1 marks the spent token until token_used_up revokes it. */
	fresh->num_uses = fresh->num_uses > 1 ? fresh->num_uses - 1 : -1;
	rc = token_txn_put_entry(&t, fresh);
	if (rc == ERR_OK)
		rc = lease_txn_commit(NULL, ts->enc, &t);
	if (rc == ERR_OK) {
		e->used_up = fresh->num_uses < 0;
		e->num_uses = e->used_up ? 0 : fresh->num_uses;
	}
out:
	pthread_mutex_unlock(mu);
	lease_txn_release(&t);
	token_entry_free(fresh);
	return rc;
}

err_t token_use(struct token_store *ts, const char *token,
                struct token_entry **out)
{
	struct token_entry *e = NULL;
	err_t rc;

	rc = token_lookup(ts, token, &e);
	if (rc != ERR_OK)
		return rc;
	if (e->num_uses > 0) {
		pthread_rwlock_rdlock(&ts->tree);
		rc = spend_use(ts, e);
		pthread_rwlock_unlock(&ts->tree);
	}
	if (rc != ERR_OK) {
		token_entry_free(e);
		return rc;
	}
	*out = e;
	return ERR_OK;
}

bool token_is_root(const struct token_entry *e)
{
	size_t i;
	json_t *p;

	json_array_foreach(e->policies, i, p)
	{
		const char *s = json_string_value(p);
		if (s != NULL && strcmp(s, "root") == 0)
			return true;
	}
	return false;
}

bool token_in_ns(const struct token_entry *e, const char *ns)
{
	return strncmp(e->ns, ns, strlen(ns)) == 0;
}

void token_entry_free(struct token_entry *e)
{
	if (e == NULL)
		return;
	free(e->ns);
	free(e->display_name);
	free(e->path);
	free(e->parent);
	free(e->role);
	free(e->entity_id);
	json_decref(e->policies);
	json_decref(e->meta);
	json_decref(e->bound_cidrs);
	free(e);
}
