/*
 * kv2_store.c - how KV version 2 keeps secrets in the mount's view.
 *
 * Storage layout (keys relative to the view):
 *
 *   config                 the mount settings, JSON:
 *                          {"max_versions", "cas_required",
 *                           "delete_version_after" (seconds)}
 *   meta/<path>            one record per secret, JSON: its settings,
 *                          custom_metadata, created/updated times,
 *                          current and oldest version, and the list of
 *                          versions kept (number, created, deletion time,
 *                          destroyed flag)
 *   ver/<path>/<n>         the data object of version n, compact JSON
 *
 * Listing metadata/<dir> is therefore one storage_list of "meta/<dir>/".
 * A version's bookkeeping lives in the record, not beside its data, so a
 * write commits exactly two keys (plus deletes of pruned versions) in one
 * transaction, and a read costs two gets. A path "a" and a path "a/1" do
 * not collide: their version keys are "ver/a/<n>" and "ver/a/1/<n>", and
 * kv only ever addresses version keys through the record's list.
 *
 * Times are nanoseconds since the epoch; a deletion time is fixed when the
 * version is written (created + delete_version_after), as Vault does, so a
 * later change of the setting does not move existing versions.
 */
#include "engines/kv/kv2.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/secret.h"

#define NS_PER_SEC 1000000000LL

int64_t kv2_now(void)
{
	int64_t sec;
	long nsec;

	time_now(&sec, &nsec);
	return sec * NS_PER_SEC + nsec;
}

void kv2_time_str(int64_t ns, char out[40])
{
	if (ns <= 0) {
		out[0] = 0;
		return;
	}
	time_rfc3339(ns / NS_PER_SEC, (long)(ns % NS_PER_SEC), out);
}

err_t kv2_meta_key(const char *path, struct buf *out)
{
	return buf_printf(out, "meta/%s", path);
}

err_t kv2_version_key(const char *path, int64_t version, struct buf *out)
{
	return buf_printf(out, "ver/%s/%" PRId64, path, version);
}

void kv2_meta_init(struct kv2_meta *meta)
{
	memset(meta, 0, sizeof(*meta));
}

void kv2_meta_release(struct kv2_meta *meta)
{
	if (meta == NULL)
		return;
	json_decref(meta->custom);
	free(meta->versions);
	memset(meta, 0, sizeof(*meta));
}

static err_t meta_reserve(struct kv2_meta *meta, size_t extra)
{
	struct kv2_version *p;
	size_t want;

	if (meta->nversions + extra <= meta->alloc)
		return ERR_OK;
	want = meta->alloc == 0 ? 8 : meta->alloc * 2;
	if (want < meta->nversions + extra)
		want = meta->nversions + extra;
	if (want > SIZE_MAX / sizeof(*p))
		return ERR_NOMEM;
	p = realloc(meta->versions, want * sizeof(*p));
	if (p == NULL)
		return ERR_NOMEM;
	meta->versions = p;
	meta->alloc = want;
	return ERR_OK;
}

/*
 * Field readers for the records kv wrote itself. json_unpack parses its
 * format string on every call, which showed in every KV read's profile.
 */
static bool get_int(const json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	*out = (int64_t)json_integer_value(v);
	return json_is_integer(v);
}

static bool get_bool(const json_t *o, const char *key, bool *out)
{
	json_t *v = json_object_get(o, key);

	*out = json_is_true(v);
	return json_is_boolean(v);
}

static err_t parse_versions(json_t *list, struct kv2_meta *meta)
{
	json_t *item;
	size_t i;
	err_t rc;

	if (!json_is_array(list))
		return ERR_INTERNAL;
	if ((rc = meta_reserve(meta, json_array_size(list))) != ERR_OK)
		return rc;
	json_array_foreach(list, i, item)
	{
		struct kv2_version v;

		if (!get_int(item, "version", &v.version) ||
		    !get_int(item, "created", &v.created) ||
		    !get_int(item, "deletion", &v.deletion) ||
		    !get_bool(item, "destroyed", &v.destroyed))
			return ERR_INTERNAL;
		meta->versions[meta->nversions++] = v;
	}
	return ERR_OK;
}

static err_t parse_meta(json_t *rec, struct kv2_meta *meta)
{
	json_t *custom = json_object_get(rec, "custom_metadata");

	if (!get_bool(rec, "cas_required", &meta->cas_required) ||
	    !get_int(rec, "max_versions", &meta->max_versions) ||
	    !get_int(rec, "delete_version_after", &meta->delete_after) ||
	    !get_int(rec, "created", &meta->created) ||
	    !get_int(rec, "updated", &meta->updated) ||
	    !get_int(rec, "current", &meta->current) ||
	    !get_int(rec, "oldest", &meta->oldest) || custom == NULL)
		return ERR_INTERNAL;
	if (json_is_object(custom))
		meta->custom = json_incref(custom);
	return parse_versions(json_object_get(rec, "versions"), meta);
}

err_t kv2_meta_load(struct storage *s, const char *path, struct kv2_meta *meta,
                    bool *found)
{
	struct buf key = BUF_INIT;
	json_t *rec = NULL;
	err_t rc;

	*found = false;
	if ((rc = kv2_meta_key(path, &key)) != ERR_OK)
		goto out;
	rc = kv_load_json(s, buf_str(&key), &rec, found);
	if (rc != ERR_OK || !*found)
		goto out;
	rc = parse_meta(rec, meta);
	if (rc != ERR_OK) {
		log_error("kv", "a kv metadata record is malformed");
		kv2_meta_release(meta);
		*found = false;
	}

out:
	json_decref(rec);
	buf_release(&key);
	return rc;
}

static json_t *encode_meta(const struct kv2_meta *meta)
{
	json_t *rec, *list;
	size_t i;

	list = json_array();
	for (i = 0; list != NULL && i < meta->nversions; i++) {
		const struct kv2_version *v = &meta->versions[i];
		if (json_array_append_new(
		        list, json_pack("{sI sI sI sb}", "version",
		                        (json_int_t)v->version, "created",
		                        (json_int_t)v->created, "deletion",
		                        (json_int_t)v->deletion, "destroyed",
		                        v->destroyed)) != 0) {
			json_decref(list);
			return NULL;
		}
	}
	if (list == NULL)
		return NULL;
	rec = json_pack("{sb sI sI sO? sI sI sI sI so}", "cas_required",
	                meta->cas_required, "max_versions",
	                (json_int_t)meta->max_versions, "delete_version_after",
	                (json_int_t)meta->delete_after, "custom_metadata",
	                meta->custom, "created", (json_int_t)meta->created,
	                "updated", (json_int_t)meta->updated, "current",
	                (json_int_t)meta->current, "oldest",
	                (json_int_t)meta->oldest, "versions", list);
	return rec;
}

struct kv2_version *kv2_meta_find(const struct kv2_meta *meta, int64_t version)
{
	size_t lo = 0, hi = meta->nversions;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (meta->versions[mid].version == version)
			return &meta->versions[mid];
		if (meta->versions[mid].version < version)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool kv2_version_deleted(const struct kv2_version *v, int64_t now)
{
	return v->deletion != 0 && v->deletion <= now;
}

json_t *kv2_version_json(const struct kv2_meta *meta,
                         const struct kv2_version *v, bool full)
{
	char created[40], deletion[40];
	json_t *out;

	kv2_time_str(v->created, created);
	kv2_time_str(v->deletion, deletion);
	out = json_pack("{ss ss sb}", "created_time", created, "deletion_time",
	                deletion, "destroyed", v->destroyed);
	if (out == NULL || !full)
		return out;
	if (json_object_set_new(out, "custom_metadata",
	                        meta->custom ? json_deep_copy(meta->custom)
	                                     : json_null()) != 0 ||
	    json_object_set_new(out, "version", json_integer(v->version)) !=
	        0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* A secret's own setting wins; the mount's applies when it has none. */
static int64_t keep_count(const struct kv2_meta *meta,
                          const struct kv2_config *cfg)
{
	if (meta->max_versions > 0)
		return meta->max_versions;
	if (cfg->max_versions > 0)
		return cfg->max_versions;
	return KV2_DEFAULT_MAX_VERSIONS;
}

/* A secret's delete_version_after may not exceed the mount's. */
static int64_t delete_after(const struct kv2_meta *meta,
                            const struct kv2_config *cfg)
{
	if (meta->delete_after > 0 &&
	    (cfg->delete_after == 0 || meta->delete_after < cfg->delete_after))
		return meta->delete_after;
	return cfg->delete_after;
}

/* Drops every version at or below cut, deleting its data through b. */
static err_t prune(struct kv2_meta *meta, const char *path, int64_t cut,
                   struct kv2_batch *b)
{
	struct buf key = BUF_INIT;
	size_t i, drop = 0;
	err_t rc = ERR_OK;

	while (drop < meta->nversions && meta->versions[drop].version <= cut)
		drop++;
	for (i = 0; i < drop && rc == ERR_OK; i++) {
		buf_reset(&key);
		rc = kv2_version_key(path, meta->versions[i].version, &key);
		if (rc == ERR_OK)
			rc = kv2_batch_add(b, STORAGE_DELETE, buf_str(&key),
			                   NULL, 0);
	}
	buf_release(&key);
	if (rc != ERR_OK)
		return rc;

	memmove(meta->versions, meta->versions + drop,
	        (meta->nversions - drop) * sizeof(*meta->versions));
	meta->nversions -= drop;
	meta->oldest = cut + 1;
	return ERR_OK;
}

err_t kv2_meta_add_version(struct kv2_meta *meta, const struct kv2_config *cfg,
                           const char *path, int64_t now, struct kv2_batch *b,
                           struct kv2_version **out)
{
	struct kv2_version v = {0};
	int64_t keep, dva;
	err_t rc;

	if (meta->current == INT64_MAX)
		return ERR_INVALID;
	if ((rc = meta_reserve(meta, 1)) != ERR_OK)
		return rc;

	v.version = meta->current + 1;
	v.created = now;
	dva = delete_after(meta, cfg);
	if (dva > 0)
		v.deletion = now + dva * NS_PER_SEC;
	meta->versions[meta->nversions++] = v;
	meta->current = v.version;
	meta->updated = now;
	if (meta->created == 0)
		meta->created = now;

	/* Like Vault, destroyed versions still count until pruned. */
	keep = keep_count(meta, cfg);
	if ((int64_t)meta->nversions > keep) {
		rc = prune(meta, path, meta->current - keep, b);
		if (rc != ERR_OK)
			return rc;
	}
	*out = &meta->versions[meta->nversions - 1];
	return ERR_OK;
}

err_t kv2_meta_commit(struct storage *s, const char *path,
                      const struct kv2_meta *meta, struct kv2_batch *b)
{
	struct buf key = BUF_INIT;
	json_t *rec = encode_meta(meta);
	char *text = NULL;
	size_t len;
	err_t rc = ERR_NOMEM;

	if (rec == NULL)
		goto out;
	if ((rc = kv_dump_json(rec, &text, &len)) != ERR_OK)
		goto out;
	if ((rc = kv2_meta_key(path, &key)) != ERR_OK)
		goto out;
	rc = kv2_batch_add(b, STORAGE_PUT, buf_str(&key), (const uint8_t *)text,
	                   len);
	if (rc == ERR_OK)
		rc = storage_commit(s, b->ops, b->n);

out:
	free(text);
	json_decref(rec);
	buf_release(&key);
	return rc;
}

err_t kv2_config_load(struct storage *s, struct kv2_config *cfg)
{
	json_t *rec = NULL;
	json_int_t maxv = 0, dva = 0;
	int cas = 0;
	bool found;
	err_t rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = kv_load_json(s, "config", &rec, &found);
	if (rc != ERR_OK || !found)
		return rc;
	if (json_unpack(rec, "{s:I, s:b, s:I}", "max_versions", &maxv,
	                "cas_required", &cas, "delete_version_after",
	                &dva) != 0) {
		log_error("kv", "the kv config record is malformed");
		rc = ERR_INTERNAL;
	}
	cfg->max_versions = maxv;
	cfg->cas_required = cas != 0;
	cfg->delete_after = dva;
	json_decref(rec);
	return rc;
}

void kv2_batch_init(struct kv2_batch *b)
{
	memset(b, 0, sizeof(*b));
}

void kv2_batch_release(struct kv2_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		free(b->keys[i]);
	free(b->keys);
	free(b->ops);
	memset(b, 0, sizeof(*b));
}

static err_t batch_grow(struct kv2_batch *b)
{
	struct storage_op *ops;
	char **keys;
	size_t want;

	if (b->n < b->alloc)
		return ERR_OK;
	want = b->alloc == 0 ? 4 : b->alloc * 2;
	if (want > SIZE_MAX / sizeof(*ops))
		return ERR_NOMEM;
	ops = realloc(b->ops, want * sizeof(*ops));
	if (ops == NULL)
		return ERR_NOMEM;
	b->ops = ops;
	keys = realloc(b->keys, want * sizeof(*keys));
	if (keys == NULL)
		return ERR_NOMEM;
	b->keys = keys;
	b->alloc = want;
	return ERR_OK;
}

err_t kv2_batch_add(struct kv2_batch *b, enum storage_op_kind kind,
                    const char *key, const uint8_t *value, size_t len)
{
	char *copy;
	err_t rc;

	if ((rc = batch_grow(b)) != ERR_OK)
		return rc;
	copy = strdup(key);
	if (copy == NULL)
		return ERR_NOMEM;
	b->keys[b->n] = copy;
	b->ops[b->n].kind = kind;
	b->ops[b->n].key = copy;
	b->ops[b->n].value = value;
	b->ops[b->n].len = len;
	b->n++;
	return ERR_OK;
}

err_t kv2_meta_edit(struct mount *m, const char *path, kv2_edit_fn edit,
                    void *arg, struct response *resp)
{
	pthread_mutex_t *lock = kv_stripe(m->state, path);
	struct kv2_meta meta;
	struct kv2_batch b;
	bool found = false, save = false;
	err_t rc;

	kv2_meta_init(&meta);
	kv2_batch_init(&b);
	pthread_mutex_lock(lock);

	rc = kv2_meta_load(kv_store(m), path, &meta, &found);
	if (rc != ERR_OK) {
		response_error(resp, rc,
		               "reading the secret's metadata failed");
		goto out;
	}
	rc = edit(m, path, &meta, found, &b, arg, &save, resp);
	if (rc != ERR_OK || !save)
		goto out;
	rc = kv2_meta_commit(kv_store(m), path, &meta, &b);
	if (rc != ERR_OK)
		response_error(resp, rc, "storing the secret failed: %s",
		               err_str(rc));

out:
	pthread_mutex_unlock(lock);
	kv2_batch_release(&b);
	kv2_meta_release(&meta);
	return rc;
}
