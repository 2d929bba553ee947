/*
 * approle_secret.c - secret IDs: generate (random or custom), lookup and
 * destroy by value or accessor, list, the use a login spends, and tidy.
 *
 * A secret ID's value is never stored: its record sits under the HMAC of
 * the value with the mount's key, and that HMAC is compared again, in
 * constant time, when the record is read.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/approle/approle_internal.h"
#include "base/encoding.h"
#include "base/log.h"
#include "base/params.h"
#include "base/secret.h"
#include "core/cidr.h"

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static int64_t jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static err_t secret_key(json_t *role, const char *hash, struct buf *out)
{
	buf_reset(out);
	return buf_printf(out, "secret-id/%s/%s", jstr(role, "uuid"), hash);
}

static err_t accessor_key(json_t *role, const char *acc, struct buf *out)
{
	buf_reset(out);
	return buf_printf(out, "accessor/%s/%s", jstr(role, "uuid"), acc);
}

static bool expired(json_t *rec, int64_t now)
{
	int64_t exp = jint(rec, "expires");

	return exp > 0 && now >= exp;
}

/* Adds the deletes of secret record rec (and its accessor) to t. */
static err_t txn_delete_secret(struct lease_txn *t, json_t *role, json_t *rec)
{
	struct buf key = BUF_INIT;
	err_t rc = secret_key(role, jstr(rec, "secret_id_hmac"), &key);

	if (rc == ERR_OK)
		rc = lease_txn_delete(t, buf_str(&key));
	if (rc == ERR_OK)
		rc = accessor_key(role, jstr(rec, "secret_id_accessor"), &key);
	if (rc == ERR_OK)
		rc = lease_txn_delete(t, buf_str(&key));
	buf_release(&key);
	return rc;
}

static err_t delete_secret(struct mount *m, json_t *role, json_t *rec)
{
	struct lease_txn t;
	err_t rc;

	lease_txn_init(&t);
	rc = txn_delete_secret(&t, role, rec);
	if (rc == ERR_OK)
		rc = lease_txn_commit(NULL, m->view, &t);
	lease_txn_release(&t);
	return rc;
}

/* The record stored under hash, checked to be the one asked for. */
static err_t load_secret(struct mount *m, json_t *role, const char *hash,
                         json_t **out)
{
	struct buf key = BUF_INIT;
	const char *stored;
	err_t rc = secret_key(role, hash, &key);

	if (rc == ERR_OK)
		rc = approle_load(m, buf_str(&key), out);
	buf_release(&key);
	if (rc != ERR_OK)
		return rc;
	stored = jstr(*out, "secret_id_hmac");
	if (!secret_equal(stored, strlen(stored), hash, strlen(hash))) {
		json_decref(*out);
		*out = NULL;
		return ERR_NOT_FOUND;
	}
	return ERR_OK;
}

/* Takes one use of rec; the stripe lock is held. */
static err_t spend(struct mount *m, json_t *role, json_t *rec)
{
	struct buf key = BUF_INIT;
	struct lease_txn t;
	json_t *next;
	int64_t uses = jint(rec, "secret_id_num_uses");
	err_t rc;

	if (uses == 0)
		return ERR_OK;
	if (uses == 1)
		return delete_secret(m, role, rec);
	next = json_deep_copy(rec);
	if (next == NULL)
		return ERR_NOMEM;
	json_object_set_new(next, "secret_id_num_uses", json_integer(uses - 1));
	json_object_set_new(next, "last_updated_time",
	                    json_integer(approle_now()));
	lease_txn_init(&t);
	rc = secret_key(role, jstr(rec, "secret_id_hmac"), &key);
	if (rc == ERR_OK)
		rc = approle_txn_put_json(&t, buf_str(&key), next);
	if (rc == ERR_OK)
		rc = lease_txn_commit(NULL, m->view, &t);
	lease_txn_release(&t);
	buf_release(&key);
	json_decref(next);
	return rc;
}

err_t approle_secret_use(struct mount *m, json_t *role, const char *value,
                         const char *addr, json_t **secret,
                         struct response *resp)
{
	char hash[APPROLE_HASH_LEN + 1];
	pthread_mutex_t *mu;
	json_t *rec = NULL;
	err_t rc;

	if (strlen(value) > APPROLE_MAX_SECRET)
		return ERR_PERMISSION;
	rc = approle_hash(m, value, hash);
	if (rc != ERR_OK)
		return rc;
	mu = approle_use_lock(m, hash);
	pthread_mutex_lock(mu);
	rc = load_secret(m, role, hash, &rec);
	if (rc == ERR_NOT_FOUND)
		rc = ERR_PERMISSION;
	if (rc == ERR_OK && expired(rec, approle_now())) {
		delete_secret(m, role, rec);
		rc = ERR_PERMISSION;
	}
	if (rc == ERR_OK &&
	    !cidr_list_allows(json_object_get(rec, "cidr_list"), addr))
		rc = response_error(resp, ERR_INVALID,
		                    "source address \"%s\" unauthorized "
		                    "through CIDR restrictions on the secret "
		                    "ID",
		                    addr ? addr : "");
	if (rc == ERR_OK)
		rc = spend(m, role, rec);
	pthread_mutex_unlock(mu);
	secret_wipe(hash, sizeof(hash));
	if (rc == ERR_OK)
		*secret = rec;
	else
		json_decref(rec);
	return rc;
}

/* The "metadata" of a generate request: a JSON object in a string. */
static err_t parse_metadata(json_t *data, json_t **out, struct response *resp)
{
	const char *text = NULL, *k;
	json_t *v;
	err_t rc = param_str(data, "metadata", &text);

	*out = NULL;
	if (rc == ERR_INVALID && param_strmap(data, "metadata", out) == ERR_OK)
		return ERR_OK;
	if (rc == ERR_INVALID)
		return response_error(resp, rc,
		                      "invalid value for "
		                      "\"metadata\"");
	if (rc == ERR_NOT_FOUND || *text == 0)
		return (*out = json_object()) ? ERR_OK : ERR_NOMEM;
	*out = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(*out))
		goto bad;
	json_object_foreach(*out, k, v) if (!json_is_string(v)) goto bad;
	return ERR_OK;
bad:
	json_decref(*out);
	*out = NULL;
	return response_error(resp, ERR_INVALID,
	                      "failed to parse metadata: it must be a JSON "
	                      "object of strings, given as a string");
}

/* A CIDR list of the request that must lie inside the role's own. */
static err_t bounded_cidrs(json_t *data, const char *key, json_t *outer,
                           json_t *rec, struct response *resp)
{
	json_t *v = NULL;
	const char *badcidr = "";
	err_t rc = param_strlist(data, key, &v);

	if (rc == ERR_NOT_FOUND)
		v = json_array();
	else if (rc == ERR_INVALID)
		return response_error(resp, rc, "invalid value for \"%s\"",
		                      key);
	if (!cidr_list_valid(v, &badcidr))
		rc = response_error(resp, ERR_INVALID,
		                    "invalid CIDR block \"%s\"", badcidr);
	else if (!cidr_list_within(v, outer))
		rc = response_error(resp, ERR_INVALID,
		                    "\"%s\" must lie within the role's CIDR "
		                    "blocks",
		                    key);
	else
		rc = ERR_OK;
	if (rc == ERR_OK)
		json_object_set(rec, key, v);
	json_decref(v);
	return rc;
}

/* num_uses and ttl: the role's by default, never looser than the role. */
static err_t limits(json_t *data, json_t *role, json_t *rec,
                    struct response *resp)
{
	int64_t ru = jint(role, "secret_id_num_uses"), uses = ru;
	int64_t rt = jint(role, "secret_id_ttl"), ttl = rt;

	if (param_int(data, "num_uses", &uses) == ERR_INVALID || uses < 0)
		return response_error(resp, ERR_INVALID,
		                      "invalid value for \"num_uses\"");
	if (param_duration(data, "ttl", &ttl) == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "invalid value for \"ttl\"");
	if (ru > 0 && (uses == 0 || uses > ru))
		return response_error(resp, ERR_INVALID,
		                      "num_uses cannot be higher than the "
		                      "role's secret_id_num_uses");
	if (rt > 0 && (ttl == 0 || ttl > rt))
		return response_error(resp, ERR_INVALID,
		                      "ttl cannot be longer than the role's "
		                      "secret_id_ttl");
	json_object_set_new(rec, "secret_id_num_uses", json_integer(uses));
	json_object_set_new(rec, "secret_id_ttl", json_integer(ttl));
	json_object_set_new(rec, "expires",
	                    json_integer(ttl ? approle_now() + ttl : 0));
	return ERR_OK;
}

/* The record of a new secret ID from the request, without its hash. */
static err_t new_record(json_t *data, json_t *role, json_t **out,
                        struct response *resp)
{
	char acc[37];
	json_t *rec = NULL, *meta = NULL;
	err_t rc = uuid_new(acc);

	if (rc == ERR_OK)
		rc = parse_metadata(data, &meta, resp);
	if (rc == ERR_OK &&
	    (rec = json_pack("{s:s, s:o, s:I, s:I}", "secret_id_accessor", acc,
	                     "metadata", meta, "creation_time",
	                     (json_int_t)approle_now(), "last_updated_time",
	                     (json_int_t)approle_now())) == NULL)
		rc = response_error(resp, ERR_NOMEM, NULL);
	if (rc == ERR_OK)
		rc = bounded_cidrs(
		    data, "cidr_list",
		    json_object_get(role, "secret_id_bound_cidrs"), rec, resp);
	if (rc == ERR_OK)
		rc = bounded_cidrs(data, "token_bound_cidrs",
		                   json_object_get(role, "token_bound_cidrs"),
		                   rec, resp);
	if (rc == ERR_OK)
		rc = limits(data, role, rec, resp);
	if (rc != ERR_OK) {
		json_decref(rec);
		return resp->err ? resp->err : response_error(resp, rc, NULL);
	}
	*out = rec;
	return ERR_OK;
}

/* Stores rec under the hash of value unless that value is taken. */
static err_t store_secret(struct mount *m, json_t *role, const char *value,
                          json_t *rec, struct response *resp)
{
	char hash[APPROLE_HASH_LEN + 1];
	struct buf key = BUF_INIT, old = BUF_INIT;
	struct lease_txn t;
	pthread_mutex_t *mu;
	bool found = false;
	err_t rc = approle_hash(m, value, hash);

	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	json_object_set_new(rec, "secret_id_hmac", json_string(hash));
	lease_txn_init(&t);
	mu = approle_use_lock(m, hash);
	pthread_mutex_lock(mu);
	rc = secret_key(role, hash, &key);
	if (rc == ERR_OK)
		rc = storage_get(m->view, buf_str(&key), &old, &found);
	if (rc == ERR_OK && found)
		rc = response_error(resp, ERR_INVALID,
		                    "secret ID is already registered");
	if (rc == ERR_OK)
		rc = approle_txn_put_json(&t, buf_str(&key), rec);
	if (rc == ERR_OK)
		rc = accessor_key(role, jstr(rec, "secret_id_accessor"), &key);
	if (rc == ERR_OK)
		rc = lease_txn_put(&t, buf_str(&key), hash);
	if (rc == ERR_OK)
		rc = lease_txn_commit(NULL, m->view, &t);
	pthread_mutex_unlock(mu);
	if (rc != ERR_OK && resp->err == ERR_OK)
		response_error(resp, rc, "%s", err_str(rc));
	lease_txn_release(&t);
	buf_release(&key);
	buf_release(&old);
	return rc;
}

static err_t generate(struct mount *m, struct request *req, json_t *role,
                      bool custom, struct response *resp)
{
	char rnd[37];
	const char *value = rnd;
	json_t *rec = NULL;
	err_t rc;

	if (!json_is_true(json_object_get(role, "bind_secret_id")))
		return response_error(resp, ERR_INVALID,
		                      "bind_secret_id is not set on the role");
	if (custom && (param_str(req->data, "secret_id", &value) != ERR_OK ||
	               *value == 0 || strlen(value) > APPROLE_MAX_SECRET))
		return response_error(resp, ERR_INVALID,
		                      "missing or invalid secret_id");
	if (!custom && (rc = uuid_new(rnd)) != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	rc = new_record(req->data, role, &rec, resp);
	if (rc == ERR_OK)
		rc = store_secret(m, role, value, rec, resp);
	if (rc == ERR_OK)
		response_set_data(
		    resp,
		    json_pack("{s:s, s:O, s:O, s:O}", "secret_id", value,
		              "secret_id_accessor",
		              json_object_get(rec, "secret_id_accessor"),
		              "secret_id_ttl",
		              json_object_get(rec, "secret_id_ttl"),
		              "secret_id_num_uses",
		              json_object_get(rec, "secret_id_num_uses")));
	secret_wipe(rnd, sizeof(rnd));
	json_decref(rec);
	return rc;
}

static json_t *time_text(int64_t t)
{
	char s[40];

	if (t == 0)
		return json_string("0001-01-01T00:00:00Z");
	time_rfc3339(t, 0, s);
	return json_string(s);
}

/* The lookup answer of a secret ID record. */
static json_t *describe(json_t *rec)
{
	return json_pack(
	    "{s:O, s:O, s:O, s:O, s:O, s:O, s:o, s:o, s:o}",
	    "secret_id_accessor", json_object_get(rec, "secret_id_accessor"),
	    "secret_id_num_uses", json_object_get(rec, "secret_id_num_uses"),
	    "secret_id_ttl", json_object_get(rec, "secret_id_ttl"), "metadata",
	    json_object_get(rec, "metadata"), "cidr_list",
	    json_object_get(rec, "cidr_list"), "token_bound_cidrs",
	    json_object_get(rec, "token_bound_cidrs"), "creation_time",
	    time_text(jint(rec, "creation_time")), "last_updated_time",
	    time_text(jint(rec, "last_updated_time")), "expiration_time",
	    time_text(jint(rec, "expires")));
}

/* The record of a secret ID given by value; ERR_NOT_FOUND if gone. */
static err_t find_by_value(struct mount *m, struct request *req, json_t *role,
                           json_t **rec, struct response *resp)
{
	char hash[APPROLE_HASH_LEN + 1];
	const char *value = NULL;
	err_t rc;

	if (param_str(req->data, "secret_id", &value) != ERR_OK || *value == 0)
		return response_error(resp, ERR_INVALID, "missing secret_id");
	if (strlen(value) > APPROLE_MAX_SECRET)
		return ERR_NOT_FOUND;
	rc = approle_hash(m, value, hash);
	if (rc == ERR_OK)
		rc = load_secret(m, role, hash, rec);
	if (rc == ERR_OK && expired(*rec, approle_now())) {
		json_decref(*rec);
		*rec = NULL;
		rc = ERR_NOT_FOUND;
	}
	return rc;
}

static bool valid_accessor(const char *a)
{
	size_t n = strlen(a), i;

	for (i = 0; i < n; i++)
		if (hex_digit(a[i]) < 0 && a[i] != '-')
			return false;
	return n > 0 && n <= 64;
}

/* The record of a secret ID of this role given by its accessor. */
static err_t find_by_accessor(struct mount *m, struct request *req,
                              json_t *role, json_t **rec, struct response *resp)
{
	struct buf key = BUF_INIT, hash = BUF_INIT;
	const char *acc = NULL;
	bool found = false;
	err_t rc;

	if (param_str(req->data, "secret_id_accessor", &acc) != ERR_OK ||
	    *acc == 0)
		return response_error(resp, ERR_INVALID,
		                      "missing secret_id_accessor");
	rc =
	    valid_accessor(acc) ? accessor_key(role, acc, &key) : ERR_NOT_FOUND;
	if (rc == ERR_OK)
		rc = storage_get(m->view, buf_str(&key), &hash, &found);
	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	if (rc == ERR_OK)
		rc = load_secret(m, role, buf_str(&hash), rec);
	if (rc == ERR_NOT_FOUND)
		rc = response_error(resp, ERR_INVALID,
		                    "failed to find accessor entry for "
		                    "secret_id_accessor: \"%s\"",
		                    valid_accessor(acc) ? acc : "");
	buf_release(&key);
	buf_release(&hash);
	return rc;
}

/* lookup or destroy, by value or by accessor. */
static err_t lookup_or_destroy(struct mount *m, struct request *req,
                               json_t *role, bool by_accessor, bool destroy,
                               struct response *resp)
{
	json_t *rec = NULL;
	err_t rc;

	rc = by_accessor ? find_by_accessor(m, req, role, &rec, resp)
	                 : find_by_value(m, req, role, &rec, resp);
	if (rc == ERR_NOT_FOUND && resp->err == ERR_OK)
		return ERR_OK; /* unknown secret ID: 204, as Vault */
	if (rc != ERR_OK)
		return resp->err ? resp->err
		                 : response_error(resp, rc, "%s", err_str(rc));
	if (destroy) {
		rc = delete_secret(m, role, rec);
		if (rc != ERR_OK)
			response_error(resp, rc, "%s", err_str(rc));
	} else {
		response_set_data(resp, describe(rec));
	}
	json_decref(rec);
	return rc;
}

static err_t list_accessors(struct mount *m, json_t *role,
                            struct response *resp)
{
	struct buf dir = BUF_INIT;
	json_t *keys = NULL;
	err_t rc = buf_printf(&dir, "accessor/%s/", jstr(role, "uuid"));

	if (rc == ERR_OK)
		rc = storage_list(m->view, buf_str(&dir), &keys);
	buf_release(&dir);
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	return response_list(resp, keys);
}

err_t approle_secret_route(struct mount *m, struct request *req, json_t *role,
                           const char *sub, struct response *resp)
{
	bool write = req->op == OP_UPDATE || req->op == OP_CREATE;
	bool del = write || req->op == OP_DELETE;

	if (strcmp(sub, "secret-id") == 0 && req->op == OP_LIST)
		return list_accessors(m, role, resp);
	if (strcmp(sub, "secret-id") == 0 && write)
		return generate(m, req, role, false, resp);
	if (strcmp(sub, "custom-secret-id") == 0 && write)
		return generate(m, req, role, true, resp);
	if (strcmp(sub, "secret-id/lookup") == 0 && write)
		return lookup_or_destroy(m, req, role, false, false, resp);
	if (strcmp(sub, "secret-id/destroy") == 0 && del)
		return lookup_or_destroy(m, req, role, false, true, resp);
	if (strcmp(sub, "secret-id-accessor/lookup") == 0 && write)
		return lookup_or_destroy(m, req, role, true, false, resp);
	if (strcmp(sub, "secret-id-accessor/destroy") == 0 && del)
		return lookup_or_destroy(m, req, role, true, true, resp);
	return response_error(resp, ERR_NOT_FOUND,
	                      "unsupported path \"%srole/%s/%s\"", m->path,
	                      jstr(role, "name"), sub);
}

/* Adds a delete of each key below dir to t. */
static err_t txn_delete_dir(struct mount *m, const char *dir,
                            struct lease_txn *t)
{
	struct buf key = BUF_INIT;
	json_t *keys = NULL, *k;
	size_t i;
	err_t rc = storage_list(m->view, dir, &keys);

	json_array_foreach(keys, i, k)
	{
		buf_reset(&key);
		if (rc == ERR_OK)
			rc =
			    buf_printf(&key, "%s%s", dir, json_string_value(k));
		if (rc == ERR_OK)
			rc = lease_txn_delete(t, buf_str(&key));
	}
	json_decref(keys);
	buf_release(&key);
	return rc;
}

err_t approle_secret_txn_delete_all(struct mount *m, json_t *role,
                                    struct lease_txn *t)
{
	struct buf dir = BUF_INIT;
	err_t rc = buf_printf(&dir, "secret-id/%s/", jstr(role, "uuid"));

	if (rc == ERR_OK)
		rc = txn_delete_dir(m, buf_str(&dir), t);
	buf_reset(&dir);
	if (rc == ERR_OK)
		rc = buf_printf(&dir, "accessor/%s/", jstr(role, "uuid"));
	if (rc == ERR_OK)
		rc = txn_delete_dir(m, buf_str(&dir), t);
	buf_release(&dir);
	return rc;
}

/* Removes the expired secret IDs of one role; counts them in *n. */
static err_t tidy_role(struct mount *m, json_t *role, size_t *n)
{
	struct buf dir = BUF_INIT;
	json_t *keys = NULL, *k, *rec;
	int64_t now = approle_now();
	size_t i;
	err_t rc = buf_printf(&dir, "secret-id/%s/", jstr(role, "uuid"));

	if (rc == ERR_OK)
		rc = storage_list(m->view, buf_str(&dir), &keys);
	json_array_foreach(keys, i, k)
	{
		const char *hash = json_string_value(k);
		pthread_mutex_t *mu = approle_use_lock(m, hash);
		rec = NULL;
		pthread_mutex_lock(mu);
		if (rc == ERR_OK &&
		    load_secret(m, role, hash, &rec) == ERR_OK &&
		    expired(rec, now)) {
			rc = delete_secret(m, role, rec);
			(*n)++;
		}
		pthread_mutex_unlock(mu);
		json_decref(rec);
	}
	json_decref(keys);
	buf_release(&dir);
	return rc;
}

err_t approle_tidy(struct mount *m, struct response *resp)
{
	json_t *names = NULL, *name, *role;
	size_t i, n = 0;
	err_t rc = storage_list(m->view, "role/", &names);

	json_array_foreach(names, i, name)
	{
		role = NULL;
		if (rc == ERR_OK && approle_role_get(m, json_string_value(name),
		                                     &role) == ERR_OK)
			rc = tidy_role(m, role, &n);
		json_decref(role);
	}
	json_decref(names);
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	log_info("approle", "tidy of %s removed %zu expired secret ids",
	         m->path, n);
	response_warn(resp, "Tidy of secret IDs done: %zu expired removed.", n);
	return ERR_OK;
}
