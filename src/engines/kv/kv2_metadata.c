/*
 * kv2_metadata.c - the metadata/<path> family: a secret's settings,
 * custom_metadata and version history; listing; deleting a secret for
 * good.
 */
#include "engines/kv/kv2.h"

#include <stdio.h>
#include <string.h>

#include "base/params.h"

/* What a metadata write or patch asks for. */
struct meta_write {
	struct kv2_settings set;
	json_t *custom;     /* string values given, or NULL when absent */
	json_t *custom_raw; /* borrowed: the object as sent (patch nulls) */
	bool patch;
};

static err_t check_custom(const json_t *custom, struct response *resp)
{
	const char *k;
	json_t *v;

	if (json_object_size(custom) > KV2_CUSTOM_MAX_KEYS)
		return response_error(
		    resp, ERR_INVALID,
		    "custom_metadata may hold at most %d keys",
		    KV2_CUSTOM_MAX_KEYS);
	json_object_foreach((json_t *)custom, k, v)
	{
		if (*k == 0 || strlen(k) > KV2_CUSTOM_MAX_KEY)
			return response_error(
			    resp, ERR_INVALID,
			    "custom_metadata keys must be 1 to %d bytes long",
			    KV2_CUSTOM_MAX_KEY);
		if (json_string_length(v) > KV2_CUSTOM_MAX_VALUE)
			return response_error(
			    resp, ERR_INVALID,
			    "custom_metadata values must be at most %d bytes long",
			    KV2_CUSTOM_MAX_VALUE);
	}
	return ERR_OK;
}

static err_t parse_meta_write(json_t *data, struct meta_write *w,
                              struct response *resp)
{
	err_t rc;

	if ((rc = kv2_param_settings(data, &w->set, resp)) != ERR_OK)
		return rc;
	rc = param_strmap(data, "custom_metadata", &w->custom);
	if (rc == ERR_INVALID)
		return response_error(
		    resp, ERR_INVALID,
		    "custom_metadata must be a map of strings");
	if (rc == ERR_NOMEM)
		return response_error(resp, rc, NULL);
	w->custom_raw = json_object_get(data, "custom_metadata");
	/* A patch is checked after the merge, when the total is known. */
	if (w->custom != NULL && !w->patch)
		return check_custom(w->custom, resp);
	return ERR_OK;
}

/* A patch's custom_metadata: keys set, null values remove. */
static err_t merge_custom(struct kv2_meta *meta, const struct meta_write *w,
                          struct response *resp)
{
	json_t *merged, *v;
	const char *k;

	merged = meta->custom ? json_copy(meta->custom) : json_object();
	if (merged == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	json_object_foreach(w->custom_raw, k, v)
	{
		json_t *s = json_object_get(w->custom, k);
		if (s == NULL)
			json_object_del(merged, k);
		else if (json_object_set(merged, k, s) != 0)
			goto nomem;
	}
	if (check_custom(merged, resp) != ERR_OK) {
		json_decref(merged);
		return ERR_INVALID;
	}
	json_decref(meta->custom);
	meta->custom = merged;
	return ERR_OK;

nomem:
	json_decref(merged);
	return response_error(resp, ERR_NOMEM, NULL);
}

static err_t edit_meta(struct mount *m, const char *path, struct kv2_meta *meta,
                       bool found, struct kv2_batch *b, void *arg, bool *save,
                       struct response *resp)
{
	struct meta_write *w = arg;
	err_t rc;

	(void)m;
	(void)path;
	(void)b;
	if (!found && w->patch)
		return response_error(resp, ERR_NOT_FOUND, NULL);
	if (!found)
		meta->created = meta->updated = kv2_now();

	if (w->set.has_max)
		meta->max_versions = w->set.max_versions;
	if (w->set.has_cas)
		meta->cas_required = w->set.cas_required;
	if (w->set.has_dva)
		meta->delete_after = w->set.delete_after;
	if (w->custom != NULL && w->patch) {
		if ((rc = merge_custom(meta, w, resp)) != ERR_OK)
			return rc;
	} else if (w->custom != NULL) {
		json_decref(meta->custom);
		meta->custom = json_incref(w->custom);
	}
	*save = true;
	return ERR_OK;
}

static err_t write_or_patch(struct mount *m, struct request *req,
                            struct response *resp, const char *path, bool patch)
{
	struct meta_write w = {0};
	err_t rc;

	w.patch = patch;
	rc = parse_meta_write(req->data, &w, resp);
	if (rc == ERR_OK)
		rc = kv2_meta_edit(m, path, edit_meta, &w, resp);
	json_decref(w.custom);
	return rc;
}

err_t kv2_metadata_write(struct mount *m, struct request *req,
                         struct response *resp, const char *path)
{
	return write_or_patch(m, req, resp, path, false);
}

err_t kv2_metadata_patch(struct mount *m, struct request *req,
                         struct response *resp, const char *path)
{
	return write_or_patch(m, req, resp, path, true);
}

static json_t *versions_json(const struct kv2_meta *meta)
{
	json_t *out = json_object();
	char num[24];
	size_t i;

	for (i = 0; out != NULL && i < meta->nversions; i++) {
		const struct kv2_version *v = &meta->versions[i];
		snprintf(num, sizeof(num), "%lld", (long long)v->version);
		if (json_object_set_new(
		        out, num, kv2_version_json(meta, v, false)) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static json_t *meta_json(const struct kv2_meta *meta)
{
	char created[40], updated[40], dva[64];

	kv2_time_str(meta->created, created);
	kv2_time_str(meta->updated, updated);
	format_duration(meta->delete_after, dva, sizeof(dva));
	return json_pack("{sb ss sI sO? ss sI sI ss so?}", "cas_required",
	                 meta->cas_required, "created_time", created,
	                 "current_version", (json_int_t)meta->current,
	                 "custom_metadata", meta->custom,
	                 "delete_version_after", dva, "max_versions",
	                 (json_int_t)meta->max_versions, "oldest_version",
	                 (json_int_t)meta->oldest, "updated_time", updated,
	                 "versions", versions_json(meta));
}

err_t kv2_metadata_read(struct mount *m, struct request *req,
                        struct response *resp, const char *path)
{
	struct kv2_meta meta;
	json_t *data;
	bool found;
	err_t rc;

	(void)req;
	kv2_meta_init(&meta);
	rc = kv2_meta_load(kv_store(m), path, &meta, &found);
	if (rc != ERR_OK)
		rc = response_error(resp, rc, "reading the metadata failed");
	else if (!found)
		rc = response_error(resp, ERR_NOT_FOUND, NULL);
	else if ((data = meta_json(&meta)) == NULL)
		rc = response_error(resp, ERR_NOMEM, NULL);
	else
		response_set_data(resp, data);
	kv2_meta_release(&meta);
	return rc;
}

/* Queues the removal of every kept version and of the record itself. */
static err_t queue_removal(const char *path, const struct kv2_meta *meta,
                           struct kv2_batch *b)
{
	struct buf key = BUF_INIT;
	size_t i;
	err_t rc = ERR_OK;

	for (i = 0; i < meta->nversions && rc == ERR_OK; i++) {
		buf_reset(&key);
		rc = kv2_version_key(path, meta->versions[i].version, &key);
		if (rc == ERR_OK)
			rc = kv2_batch_add(b, STORAGE_DELETE, buf_str(&key),
			                   NULL, 0);
	}
	buf_reset(&key);
	if (rc == ERR_OK)
		rc = kv2_meta_key(path, &key);
	if (rc == ERR_OK)
		rc = kv2_batch_add(b, STORAGE_DELETE, buf_str(&key), NULL, 0);
	buf_release(&key);
	return rc;
}

err_t kv2_metadata_delete(struct mount *m, struct request *req,
                          struct response *resp, const char *path)
{
	pthread_mutex_t *lock = kv_stripe(m->state, path);
	struct kv2_meta meta;
	struct kv2_batch b;
	bool found = false;
	err_t rc;

	(void)req;
	kv2_meta_init(&meta);
	kv2_batch_init(&b);
	pthread_mutex_lock(lock);

	rc = kv2_meta_load(kv_store(m), path, &meta, &found);
	if (rc == ERR_OK && found)
		rc = queue_removal(path, &meta, &b);
	if (rc == ERR_OK && found)
		rc = storage_commit(kv_store(m), b.ops, b.n);

	pthread_mutex_unlock(lock);
	kv2_batch_release(&b);
	kv2_meta_release(&meta);
	if (rc != ERR_OK)
		return response_error(resp, rc, "deleting the secret failed");
	return ERR_OK;
}

err_t kv2_metadata_list(struct mount *m, struct request *req,
                        struct response *resp, const char *path)
{
	struct buf prefix = BUF_INIT;
	err_t rc;

	(void)req;
	rc = kv_list_prefix("meta/", path, &prefix, resp);
	if (rc == ERR_OK)
		rc = kv_list_keys(kv_store(m), buf_str(&prefix), resp);
	buf_release(&prefix);
	return rc;
}
