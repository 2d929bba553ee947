/*
 * kv2_subkeys.c - subkeys/<path>: the shape of a version's data with every
 * value replaced by null, so that a caller may learn which keys exist
 * without being allowed to read them.
 */
#include "engines/kv/kv2.h"

#include "base/params.h"

/*
 * Nested objects are followed down to depth levels (0: no limit); below
 * that, and for every non-object value, the key maps to null.
 */
static json_t *subkeys_of(json_t *obj, int64_t depth, int64_t level)
{
	json_t *out = json_object(), *v, *sub;
	const char *k;

	json_object_foreach(obj, k, v)
	{
		if (out == NULL)
			break;
		if (json_is_object(v) && (depth == 0 || level < depth))
			sub = subkeys_of(v, depth, level + 1);
		else
			sub = json_null();
		if (sub == NULL || json_object_set_new(out, k, sub) != 0) {
			json_decref(out);
			out = NULL;
		}
	}
	return out;
}

err_t kv2_subkeys_read(struct mount *m, struct request *req,
                       struct response *resp, const char *path)
{
	struct kv2_lookup lk;
	json_t *md, *keys = NULL, *payload;
	int64_t version, depth = 0;
	err_t rc;

	if ((rc = kv2_param_version(req->data, &version, resp)) != ERR_OK)
		return rc;
	rc = param_int(req->data, "depth", &depth);
	if (rc == ERR_INVALID || depth < 0)
		return response_error(resp, ERR_INVALID,
		                      "depth must be a non-negative integer");

	rc = kv2_lookup(m, path, version, &lk, resp);
	if (rc != ERR_OK)
		goto out;
	if (lk.data != NULL && (keys = subkeys_of(lk.data, depth, 1)) == NULL) {
		rc = response_error(resp, ERR_NOMEM, NULL);
		goto out;
	}

	/* Like a data read: a deleted version is 404 with its metadata. */
	md = kv2_version_json(&lk.meta, lk.v, true);
	payload = json_pack("{s:o? s:o?}", "subkeys", keys, "metadata", md);
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
