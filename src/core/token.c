#include "core/token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/secret.h"

#define HMAC_KEY_PATH   "core/token-hmac-key"
#define ID_PREFIX       "sys/token/id/"
#define ACCESSOR_PREFIX "sys/token/accessor/"
#define HMAC_KEY_LEN    32
#define TOKEN_RAND_LEN  24

struct token_store {
	struct storage *enc;
	uint8_t key[HMAC_KEY_LEN];
};

static err_t load_or_create_key(struct token_store *ts)
{
	struct buf b = BUF_INIT;
	bool found = false;
	err_t rc;

	rc = storage_get(ts->enc, HMAC_KEY_PATH, &b, &found);
	if (rc != ERR_OK)
		goto out;
	if (found) {
		if (b.len != HMAC_KEY_LEN) {
			log_error("token", "stored token key has length %zu",
			          b.len);
			rc = ERR_CRYPTO;
			goto out;
		}
		memcpy(ts->key, b.data, HMAC_KEY_LEN);
		goto out;
	}

	rc = rand_bytes(ts->key, HMAC_KEY_LEN);
	if (rc == ERR_OK)
		rc = storage_put(ts->enc, HMAC_KEY_PATH, ts->key, HMAC_KEY_LEN);
out:
	buf_release(&b);
	return rc;
}

err_t token_store_new(struct storage *enc, struct token_store **out)
{
	struct token_store *ts = calloc(1, sizeof(*ts));
	err_t rc;

	if (ts == NULL)
		return ERR_NOMEM;
	ts->enc = enc;
	rc = load_or_create_key(ts);
	if (rc != ERR_OK) {
		token_store_free(ts);
		return rc;
	}
	*out = ts;
	return ERR_OK;
}

void token_store_free(struct token_store *ts)
{
	if (ts == NULL)
		return;
	secret_wipe(ts->key, sizeof(ts->key));
	free(ts);
}

/* The storage key of a token: its keyed hash, never the value itself. */
static err_t token_id_key(struct token_store *ts, const char *token,
                          char out[sizeof(ID_PREFIX) + 64])
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *hex;

	if (HMAC(EVP_sha256(), ts->key, HMAC_KEY_LEN,
	         (const unsigned char *)token, strlen(token), mac,
	         &maclen) == NULL)
		return ERR_CRYPTO;
	hex = hex_encode(mac, maclen);
	if (hex == NULL)
		return ERR_NOMEM;
	memcpy(out, ID_PREFIX, sizeof(ID_PREFIX) - 1);
	memcpy(out + sizeof(ID_PREFIX) - 1, hex, 65);
	free(hex);
	return ERR_OK;
}

static json_t *entry_to_json(const struct token_entry *e, const char *idkey)
{
	return json_pack(
	    "{s:s, s:s, s:O, s:s, s:s, s:O, s:I, s:I, s:I, s:I,"
	    " s:b, s:s, s:s}",
	    "accessor", e->accessor, "namespace", e->ns, "policies",
	    e->policies, "display_name", e->display_name, "path", e->path,
	    "meta", e->meta ? e->meta : json_null(), "creation_time",
	    (json_int_t)e->creation_time, "ttl", (json_int_t)e->ttl,
	    "expire_time", (json_int_t)e->expire_time, "num_uses",
	    (json_int_t)e->num_uses, "orphan", e->orphan, "entity_id",
	    e->entity_id, "id_key", idkey);
}

static char *dup_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return strdup(s ? s : "");
}

static err_t entry_from_json(json_t *o, struct token_entry **out)
{
	struct token_entry *e = calloc(1, sizeof(*e));
	const char *acc = json_string_value(json_object_get(o, "accessor"));

	if (e == NULL)
		return ERR_NOMEM;
	if (acc != NULL)
		snprintf(e->accessor, sizeof(e->accessor), "%s", acc);
	e->ns = dup_str(o, "namespace");
	e->display_name = dup_str(o, "display_name");
	e->path = dup_str(o, "path");
	e->entity_id = dup_str(o, "entity_id");
	e->policies = json_incref(json_object_get(o, "policies"));
	e->meta = json_incref(json_object_get(o, "meta"));
	e->creation_time =
	    json_integer_value(json_object_get(o, "creation_time"));
	e->ttl = json_integer_value(json_object_get(o, "ttl"));
	e->expire_time = json_integer_value(json_object_get(o, "expire_time"));
	e->num_uses = json_integer_value(json_object_get(o, "num_uses"));
	e->orphan = json_is_true(json_object_get(o, "orphan"));
	if (e->ns == NULL || e->display_name == NULL || e->path == NULL ||
	    e->entity_id == NULL || !json_is_array(e->policies)) {
		token_entry_free(e);
		return ERR_STORAGE;
	}
	*out = e;
	return ERR_OK;
}

static err_t store_entry(struct token_store *ts, const char *token,
                         const struct token_entry *e)
{
	char idkey[sizeof(ID_PREFIX) + 64],
	    acckey[sizeof(ACCESSOR_PREFIX) + 32];
	char *entry_text = NULL, *acc_text = NULL;
	json_t *entry = NULL, *acc = NULL;
	struct storage_op ops[2];
	err_t rc;

	rc = token_id_key(ts, token, idkey);
	if (rc != ERR_OK)
		return rc;
	entry = entry_to_json(e, idkey);
	acc = json_pack("{s:s}", "id_key", idkey);
	if (entry != NULL)
		entry_text = json_dumps(entry, JSON_COMPACT);
	if (acc != NULL)
		acc_text = json_dumps(acc, JSON_COMPACT);
	if (entry_text == NULL || acc_text == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	snprintf(acckey, sizeof(acckey), "%s%s", ACCESSOR_PREFIX, e->accessor);

	/* The entry and its accessor index land together or not at all. */
	ops[0] =
	    (struct storage_op){STORAGE_PUT, idkey, (const uint8_t *)entry_text,
	                        strlen(entry_text)};
	ops[1] = (struct storage_op){
	    STORAGE_PUT, acckey, (const uint8_t *)acc_text, strlen(acc_text)};
	rc = storage_commit(ts->enc, ops, 2);
out:
	free(entry_text);
	free(acc_text);
	json_decref(entry);
	json_decref(acc);
	return rc;
}

err_t token_create_root(struct token_store *ts, const char *id, char **token)
{
	struct token_entry e;
	char rnd[TOKEN_RAND_LEN + 1], *value = NULL;
	struct buf b = BUF_INIT;
	int64_t now;
	long nsec;
	err_t rc;

	memset(&e, 0, sizeof(e));
	time_now(&now, &nsec);
	e.ns = "";
	e.display_name = "root";
	e.path = "auth/token/root";
	e.entity_id = "";
	e.creation_time = now;
	e.orphan = true;
	e.policies = json_pack("[s]", "root");
	if (e.policies == NULL)
		return ERR_NOMEM;

	rc = rand_alnum(e.accessor, TOKEN_RAND_LEN);
	if (rc != ERR_OK)
		goto out;
	if (id != NULL) {
		rc = buf_append_str(&b, id);
	} else {
		rc = rand_alnum(rnd, TOKEN_RAND_LEN);
		if (rc == ERR_OK)
			rc = buf_printf(&b, "%s%s", TOKEN_PREFIX, rnd);
		secret_wipe(rnd, sizeof(rnd));
	}
	if (rc != ERR_OK)
		goto out;
	value = buf_detach(&b);
	if (value == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}

	rc = store_entry(ts, value, &e);
	if (rc != ERR_OK)
		goto out;
	log_info("token", "root token created with accessor %s", e.accessor);
	*token = value;
	value = NULL;
out:
	secret_free(value);
	buf_release(&b);
	json_decref(e.policies);
	return rc;
}

err_t token_lookup(struct token_store *ts, const char *token,
                   struct token_entry **out)
{
	char idkey[sizeof(ID_PREFIX) + 64];
	struct buf b = BUF_INIT;
	json_t *o = NULL;
	bool found = false;
	int64_t now;
	long nsec;
	err_t rc;

	if (token == NULL || *token == 0 || strlen(token) > 1024)
		return ERR_PERMISSION;
	rc = token_id_key(ts, token, idkey);
	if (rc != ERR_OK)
		return rc;
	rc = storage_get(ts->enc, idkey, &b, &found);
	if (rc != ERR_OK)
		goto out;
	if (!found) {
		rc = ERR_PERMISSION;
		goto out;
	}
	o = json_loadb((const char *)b.data, b.len, 0, NULL);
	if (o == NULL) {
		rc = ERR_STORAGE;
		goto out;
	}
	rc = entry_from_json(o, out);
	if (rc != ERR_OK)
		goto out;

	time_now(&now, &nsec);
	if ((*out)->expire_time != 0 && (*out)->expire_time <= now) {
		token_entry_free(*out);
		*out = NULL;
		rc = ERR_PERMISSION;
	}
out:
	json_decref(o);
	buf_release(&b);
	return rc;
}

bool token_is_root(const struct token_entry *e)
{
	size_t i;
	json_t *p;

	json_array_foreach(e->policies, i, p)
	{
		if (strcmp(json_string_value(p), "root") == 0)
			return true;
	}
	return false;
}

json_t *token_entry_describe(const struct token_entry *e)
{
	char expire[40], issued[40];
	json_t *o;
	int64_t now, ttl = 0;
	long nsec;

	time_now(&now, &nsec);
	time_rfc3339(e->creation_time, 0, issued);
	if (e->expire_time != 0) {
		time_rfc3339(e->expire_time, 0, expire);
		ttl = e->expire_time > now ? e->expire_time - now : 0;
	}
	o = json_pack(
	    "{s:s, s:I, s:I, s:s, s:s, s:o, s:I, s:o, s:b, s:s,"
	    " s:O, s:I, s:O, s:s, s:I, s:s, s:o}",
	    "accessor", e->accessor, "creation_time",
	    (json_int_t)e->creation_time, "creation_ttl", (json_int_t)e->ttl,
	    "display_name", e->display_name, "entity_id", e->entity_id,
	    "expire_time", e->expire_time ? json_string(expire) : json_null(),
	    "explicit_max_ttl", (json_int_t)0, "id", json_string(""), "orphan",
	    e->orphan, "path", e->path, "policies", e->policies, "ttl",
	    (json_int_t)ttl, "meta", e->meta ? e->meta : json_null(), "type",
	    "service", "num_uses", (json_int_t)e->num_uses, "issue_time",
	    issued, "renewable", json_false());
	if (o != NULL)
		json_object_set_new(o, "namespace_path", json_string(e->ns));
	return o;
}

void token_entry_free(struct token_entry *e)
{
	if (e == NULL)
		return;
	free(e->ns);
	free(e->display_name);
	free(e->path);
	free(e->entity_id);
	json_decref(e->policies);
	json_decref(e->meta);
	free(e);
}

err_t token_lookup_accessor(struct token_store *ts, const char *accessor,
                            struct token_entry **out)
{
	char acckey[sizeof(ACCESSOR_PREFIX) + 32];
	struct buf b = BUF_INIT;
	json_t *o = NULL;
	const char *idkey;
	bool found = false;
	int64_t now;
	long nsec;
	size_t i, n = accessor ? strlen(accessor) : 0;
	err_t rc;

	/* Accessors are short and alphanumeric; anything else is no key. */
	if (n == 0 || n >= 32)
		return ERR_NOT_FOUND;
	for (i = 0; i < n; i++) {
		char c = accessor[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z')))
			return ERR_NOT_FOUND;
	}
	snprintf(acckey, sizeof(acckey), "%s%s", ACCESSOR_PREFIX, accessor);

	rc = storage_get(ts->enc, acckey, &b, &found);
	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	if (rc != ERR_OK)
		goto out;
	o = json_loadb((const char *)b.data, b.len, 0, NULL);
	idkey = json_string_value(json_object_get(o, "id_key"));
	if (idkey == NULL || strncmp(idkey, ID_PREFIX, strlen(ID_PREFIX))) {
		rc = ERR_STORAGE;
		goto out;
	}
	buf_reset(&b);
	rc = storage_get(ts->enc, idkey, &b, &found);
	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	if (rc != ERR_OK)
		goto out;
	json_decref(o);
	o = json_loadb((const char *)b.data, b.len, 0, NULL);
	rc = o == NULL ? ERR_STORAGE : entry_from_json(o, out);
	if (rc != ERR_OK)
		goto out;

	time_now(&now, &nsec);
	if ((*out)->expire_time != 0 && (*out)->expire_time <= now) {
		token_entry_free(*out);
		*out = NULL;
		rc = ERR_NOT_FOUND;
	}
out:
	json_decref(o);
	buf_release(&b);
	return rc;
}
