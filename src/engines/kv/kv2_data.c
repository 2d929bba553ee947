/*
 * kv2_data.c - the data/<path> family: read a version, write or patch a
 * new one (with check-and-set), soft-delete the latest.
 */
#include "engines/kv/kv2.h"

#include <stdlib.h>

#include "base/params.h"
#include "base/secret.h"

/* What a write or patch asks for, and what it produced. */
struct data_write {
	json_t *data; /* borrowed: the new data, or the merge patch */
	bool patch;
	bool has_cas;
	int64_t cas;
	char *text;    /* the stored JSON, kept alive until the commit */
	json_t *reply; /* the new version's metadata */
};

err_t kv2_param_version(json_t *data, int64_t *out, struct response *resp)
{
	err_t rc;

	*out = 0;
	rc = param_int(data, "version", out);
	if (rc == ERR_NOT_FOUND)
		return ERR_OK;
	if (rc != ERR_OK || *out < 0)
		return response_error(resp, ERR_INVALID,
		                      "version must be a non-negative integer");
	return ERR_OK;
}

err_t kv2_lookup(struct mount *m, const char *path, int64_t version,
                 struct kv2_lookup *out, struct response *resp)
{
	struct buf key = BUF_INIT;
	bool found;
	err_t rc;

	kv2_meta_init(&out->meta);
	out->v = NULL;
	out->data = NULL;

	rc = kv2_meta_load(kv_store(m), path, &out->meta, &found);
	if (rc != ERR_OK)
		return response_error(resp, rc, "reading the secret failed");
	if (!found)
		return response_error(resp, ERR_NOT_FOUND, NULL);
	out->v = kv2_meta_find(&out->meta,
	                       version == 0 ? out->meta.current : version);
	if (out->v == NULL)
		return response_error(resp, ERR_NOT_FOUND, NULL);
	if (out->v->destroyed || kv2_version_deleted(out->v, kv2_now()))
		return ERR_OK;

	rc = kv2_version_key(path, out->v->version, &key);
	if (rc == ERR_OK)
		rc = kv_load_json(kv_store(m), buf_str(&key), &out->data,
		                  &found);
	buf_release(&key);
	if (rc != ERR_OK)
		return response_error(resp, rc, "reading the secret failed");
	/* Destroyed between the two reads. */
	if (!found)
		return response_error(resp, ERR_NOT_FOUND, NULL);
	return ERR_OK;
}

err_t kv2_data_read(struct mount *m, struct request *req, struct response *resp,
                    const char *path)
{
	struct kv2_lookup lk;
	json_t *md, *payload;
	int64_t version;
	err_t rc;

	if ((rc = kv2_param_version(req->data, &version, resp)) != ERR_OK)
		return rc;
	rc = kv2_lookup(m, path, version, &lk, resp);
	if (rc != ERR_OK)
		goto out;

	/* A deleted or destroyed version: 404 with the envelope, no error. */
	md = kv2_version_json(&lk.meta, lk.v, true);
	payload = json_pack("{s:O? s:o?}", "data", lk.data, "metadata", md);
	if (payload == NULL) {
		rc = response_error(resp, ERR_NOMEM, NULL);
		goto out;
	}
	if (lk.data == NULL)
		resp->status = 404;
	response_set_data(resp, payload);

out:
	json_decref(lk.data);
	kv2_meta_release(&lk.meta);
	return rc;
}

/* RFC 7386: objects merge key by key, null removes, anything else replaces. */
static err_t merge_patch(json_t *target, json_t *patch)
{
	const char *k;
	json_t *pv, *cur;
	err_t rc;

	json_object_foreach(patch, k, pv)
	{
		if (json_is_null(pv)) {
			json_object_del(target, k);
			continue;
		}
		if (!json_is_object(pv)) {
			if (json_object_set(target, k, pv) != 0)
				return ERR_NOMEM;
			continue;
		}
		cur = json_object_get(target, k);
		if (!json_is_object(cur)) {
			cur = json_object();
			if (json_object_set_new(target, k, cur) != 0)
				return ERR_NOMEM;
		}
		if ((rc = merge_patch(cur, pv)) != ERR_OK)
			return rc;
	}
	return ERR_OK;
}

/* The data a patch produces: the live current version with w->data merged. */
static err_t patched(struct mount *m, const char *path,
                     const struct kv2_meta *meta, bool found,
                     const struct data_write *w, json_t **out,
                     struct response *resp)
{
	const struct kv2_version *v;
	struct buf key = BUF_INIT;
	json_t *cur = NULL, *shared;
	err_t rc;

	v = found ? kv2_meta_find(meta, meta->current) : NULL;
	if (v == NULL || v->destroyed || kv2_version_deleted(v, kv2_now()))
		return response_error(resp, ERR_NOT_FOUND, NULL);

	rc = kv2_version_key(path, v->version, &key);
	if (rc == ERR_OK)
		rc = kv_load_json(kv_store(m), buf_str(&key), &cur, &found);
	buf_release(&key);
	if (rc != ERR_OK)
		return response_error(resp, rc, "reading the secret failed");
	if (!found)
		return response_error(resp, ERR_NOT_FOUND, NULL);
	/* The loaded object is shared with readers: patch a copy. */
	shared = cur;
	cur = json_deep_copy(shared);
	json_decref(shared);
	if (cur == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	if ((rc = merge_patch(cur, w->data)) != ERR_OK) {
		json_decref(cur);
		return response_error(resp, rc, NULL);
	}
	*out = cur;
	return ERR_OK;
}

static err_t check_cas(const struct kv2_config *cfg,
                       const struct kv2_meta *meta, const struct data_write *w,
                       struct response *resp)
{
	if (w->has_cas && w->cas != meta->current)
		return response_error(
		    resp, ERR_INVALID,
		    "check-and-set parameter did not match the current version");
	if (!w->has_cas && (meta->cas_required || cfg->cas_required))
		return response_error(
		    resp, ERR_INVALID,
		    "check-and-set parameter required for this call");
	return ERR_OK;
}

/* Under the path lock: check, number and queue the new version. */
static err_t add_version(struct mount *m, const char *path,
                         struct kv2_meta *meta, bool found, struct kv2_batch *b,
                         void *arg, bool *save, struct response *resp)
{
	struct data_write *w = arg;
	struct kv2_config cfg;
	struct kv2_version *v;
	struct buf key = BUF_INIT;
	json_t *data = NULL;
	size_t len;
	err_t rc;

	if ((rc = kv2_config_load(kv_store(m), &cfg)) != ERR_OK) {
		response_error(resp, rc, "reading the mount config failed");
		goto out;
	}
	if (w->patch) {
		rc = patched(m, path, meta, found, w, &data, resp);
	} else {
		data = json_incref(w->data);
		rc = ERR_OK;
	}
	if (rc == ERR_OK)
		rc = check_cas(&cfg, meta, w, resp);
	if (rc != ERR_OK)
		goto out;

	if ((rc = kv2_meta_add_version(meta, &cfg, path, kv2_now(), b, &v)) !=
	        ERR_OK ||
	    (rc = kv_dump_json(data, &w->text, &len)) != ERR_OK ||
	    (rc = kv2_version_key(path, v->version, &key)) != ERR_OK ||
	    (rc = kv2_batch_add(b, STORAGE_PUT, buf_str(&key),
	                        (const uint8_t *)w->text, len)) != ERR_OK) {
		response_error(resp, rc, "preparing the new version failed");
		goto out;
	}
	w->reply = kv2_version_json(meta, v, true);
	if (w->reply == NULL) {
		rc = response_error(resp, ERR_NOMEM, NULL);
		goto out;
	}
	*save = true;

out:
	buf_release(&key);
	json_decref(data);
	return rc;
}

static err_t parse_write(json_t *body, struct data_write *w,
                         struct response *resp)
{
	json_t *options;
	err_t rc;

	w->data = json_object_get(body, "data");
	if (w->data == NULL || json_is_null(w->data))
		return response_error(resp, ERR_INVALID, "no data provided");
	if (!json_is_object(w->data))
		return response_error(resp, ERR_INVALID,
		                      "data must be a JSON object");

	options = json_object_get(body, "options");
	if (options != NULL && !json_is_null(options) &&
	    !json_is_object(options))
		return response_error(resp, ERR_INVALID,
		                      "options must be a JSON object");
	rc = param_int(options, "cas", &w->cas);
	w->has_cas = rc == ERR_OK;
	if (rc == ERR_INVALID || (w->has_cas && w->cas < 0))
		return response_error(resp, ERR_INVALID,
		                      "cas must be a non-negative integer");
	return ERR_OK;
}

static err_t write_or_patch(struct mount *m, struct request *req,
                            struct response *resp, const char *path, bool patch)
{
	struct data_write w = {0};
	err_t rc;

	w.patch = patch;
	if ((rc = parse_write(req->data, &w, resp)) != ERR_OK)
		return rc;
	rc = kv2_meta_edit(m, path, add_version, &w, resp);
	if (rc == ERR_OK) {
		response_set_data(resp, w.reply);
		w.reply = NULL;
	}
	secret_free(w.text);
	json_decref(w.reply);
	return rc;
}

err_t kv2_data_write(struct mount *m, struct request *req,
                     struct response *resp, const char *path)
{
	return write_or_patch(m, req, resp, path, false);
}

err_t kv2_data_patch(struct mount *m, struct request *req,
                     struct response *resp, const char *path)
{
	return write_or_patch(m, req, resp, path, true);
}

static err_t delete_latest(struct mount *m, const char *path,
                           struct kv2_meta *meta, bool found,
                           struct kv2_batch *b, void *arg, bool *save,
                           struct response *resp)
{
	struct kv2_version *v;
	int64_t now = kv2_now();

	(void)m;
	(void)path;
	(void)b;
	(void)arg;
	(void)resp;
	v = found ? kv2_meta_find(meta, meta->current) : NULL;
	if (v == NULL || v->destroyed || kv2_version_deleted(v, now))
		return ERR_OK;
	v->deletion = now;
	*save = true;
	return ERR_OK;
}

err_t kv2_data_delete(struct mount *m, struct request *req,
                      struct response *resp, const char *path)
{
	(void)req;
	return kv2_meta_edit(m, path, delete_latest, NULL, resp);
}
