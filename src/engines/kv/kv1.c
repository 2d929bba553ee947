/*
 * kv1.c - KV version 1: one unversioned JSON object per path.
 *
 * Storage layout in the mount's view: the object written to <path> is
 * stored, as compact JSON, under the key <path> itself, so listing a
 * directory of secrets is a storage_list of that directory.
 */
#include "engines/kv/kv.h"

#include <stdlib.h>
#include <string.h>

#include "base/params.h"
#include "base/secret.h"

/*
 * Vault reports a lease duration on v1 reads although no lease exists:
 * the secret's own "ttl" (or legacy "lease") when it parses as a duration,
 * else the mount's default. An unparsable value is user data, not an
 * error, so it falls back to the default.
 */
static int64_t lease_of(const struct mount *m, json_t *secret)
{
	int64_t ttl = 0;

	if (param_duration(secret, "ttl", &ttl) != ERR_OK &&
	    param_duration(secret, "lease", &ttl) != ERR_OK)
		ttl = 0;
	if (ttl <= 0)
		ttl = m->default_lease_ttl > 0 ? m->default_lease_ttl
		                               : KV_DEFAULT_LEASE;
	if (m->max_lease_ttl > 0 && ttl > m->max_lease_ttl)
		ttl = m->max_lease_ttl;
	return ttl;
}

static err_t kv1_read(struct mount *m, const char *path, struct response *resp)
{
	json_t *secret = NULL;
	bool found;
	err_t rc;

	if ((rc = kv_check_path(path, resp)) != ERR_OK)
		return rc;
	rc = kv_load_json(kv_store(m), path, &secret, &found);
	if (rc != ERR_OK)
		return response_error(resp, rc, "reading the secret failed");
	if (!found)
		return response_error(resp, ERR_NOT_FOUND, NULL);

	resp->lease_duration = lease_of(m, secret);
	resp->renewable = false;
	response_set_data(resp, secret);
	return ERR_OK;
}

static err_t kv1_write(struct mount *m, const char *path, json_t *body,
                       struct response *resp)
{
	char *text = NULL;
	size_t len;
	err_t rc;

	if ((rc = kv_check_path(path, resp)) != ERR_OK)
		return rc;
	if (json_object_size(body) == 0)
		return response_error(resp, ERR_INVALID, "missing data fields");

	rc = kv_dump_json(body, &text, &len);
	if (rc == ERR_OK)
		rc = storage_put(kv_store(m), path, (const uint8_t *)text, len);
	secret_free(text);
	if (rc != ERR_OK)
		return response_error(resp, rc, "writing the secret failed");
	return ERR_OK;
}

static err_t kv1_delete(struct mount *m, const char *path,
                        struct response *resp)
{
	err_t rc;

	if ((rc = kv_check_path(path, resp)) != ERR_OK)
		return rc;
	rc = storage_delete(kv_store(m), path);
	if (rc != ERR_OK)
		return response_error(resp, rc, "deleting the secret failed");
	return ERR_OK;
}

static err_t kv1_list(struct mount *m, const char *path, struct response *resp)
{
	struct buf prefix = BUF_INIT;
	err_t rc;

	rc = kv_list_prefix("", path, &prefix, resp);
	if (rc == ERR_OK)
		rc = kv_list_keys(kv_store(m), buf_str(&prefix), resp);
	buf_release(&prefix);
	return rc;
}

err_t kv1_handle(struct mount *m, struct request *req, struct response *resp)
{
	switch (req->op) {
	case OP_READ:
		return kv1_read(m, req->rel, resp);
	case OP_CREATE:
	case OP_UPDATE:
		return kv1_write(m, req->rel, req->data, resp);
	case OP_DELETE:
		return kv1_delete(m, req->rel, resp);
	case OP_LIST:
		return kv1_list(m, req->rel, resp);
	default:
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	}
}

err_t kv1_exists(struct mount *m, const char *rel, bool *found)
{
	struct buf raw = BUF_INIT;
	err_t rc;

	*found = false;
	if (*rel == 0)
		return ERR_OK;
	rc = storage_get(kv_store(m), rel, &raw, found);
	buf_release(&raw);
	return rc;
}
