/*
 * cubbyhole.c - the cubbyhole engine: a private space per token.
 *
 * Each token sees only its own folder, named by the token's keyed hash
 * (never its value): "<id_hash>/<path>". Nobody else can reach it, not
 * even root, and it is deleted with the token. Response wrapping keeps the
 * wrapped response in the cubbyhole of the wrapping token.
 */
#include "engines/cubbyhole/cubbyhole.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/secret.h"
#include "core/core_internal.h"

#define CUBBY_MAX_PATH 1024

/* The storage key (or folder, for list) of rel in the caller's space. */
static err_t cubby_key(const struct request *req, bool list, struct buf *out)
{
	const char *rel = req->rel;

	if (req->auth == NULL || req->auth->id_hash[0] == 0)
		return ERR_PERMISSION;
	if (strlen(rel) > CUBBY_MAX_PATH)
		return ERR_INVALID;
	if (!list && (*rel == 0 || rel[strlen(rel) - 1] == '/'))
		return ERR_INVALID;
	return buf_printf(out, "%s/%s", req->auth->id_hash, rel);
}

static err_t cubby_read(struct mount *m, const char *key, struct response *resp)
{
	struct buf b = BUF_INIT;
	json_t *o = NULL;
	bool found = false;
	err_t rc;

	rc = storage_get(m->view, key, &b, &found);
	if (rc == ERR_OK && !found)
		rc = response_error(resp, ERR_NOT_FOUND, NULL);
	else if (rc == ERR_OK) {
		o = json_loadb((const char *)b.data, b.len, 0, NULL);
		if (o == NULL)
			rc = response_error(resp, ERR_STORAGE, "%s",
			                    err_str(ERR_STORAGE));
		else
			response_set_data(resp, o);
	} else {
		response_error(resp, rc, "%s", err_str(rc));
	}
	buf_release(&b);
	return rc;
}

static err_t cubby_write(struct mount *m, struct request *req, const char *key,
                         struct response *resp)
{
	char *text;
	err_t rc;

	if (json_object_size(req->data) == 0)
		return response_error(resp, ERR_INVALID, "missing data fields");
	text = json_dumps(req->data, JSON_COMPACT);
	if (text == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	rc = storage_put(m->view, key, (const uint8_t *)text, strlen(text));
	secret_wipe(text, strlen(text));
	free(text);
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	return ERR_OK;
}

static err_t cubby_list(struct mount *m, const char *dir, struct response *resp)
{
	json_t *keys = NULL;
	err_t rc = storage_list(m->view, dir, &keys);

	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	return response_list(resp, keys);
}

static err_t cubby_handle(struct mount *m, struct request *req,
                          struct response *resp)
{
	struct buf key = BUF_INIT;
	err_t rc;

	rc = cubby_key(req, req->op == OP_LIST, &key);
	if (rc == ERR_PERMISSION)
		return response_error(resp, rc, "permission denied");
	if (rc != ERR_OK) {
		buf_release(&key);
		return response_error(resp, rc, "invalid cubbyhole path");
	}
	switch (req->op) {
	case OP_READ:
		rc = cubby_read(m, buf_str(&key), resp);
		break;
	case OP_CREATE:
	case OP_UPDATE:
		rc = cubby_write(m, req, buf_str(&key), resp);
		break;
	case OP_DELETE:
		rc = storage_delete(m->view, buf_str(&key));
		if (rc != ERR_OK)
			response_error(resp, rc, "%s", err_str(rc));
		break;
	case OP_LIST:
		rc = cubby_list(m, buf_str(&key), resp);
		break;
	default:
		rc = response_error(resp, ERR_UNSUPPORTED,
		                    "unsupported operation");
	}
	buf_release(&key);
	return rc;
}

static err_t cubby_exists(struct mount *m, struct request *req, bool *found)
{
	struct buf key = BUF_INIT, val = BUF_INIT;
	err_t rc = cubby_key(req, false, &key);

	*found = false;
	if (rc == ERR_OK)
		rc = storage_get(m->view, buf_str(&key), &val, found);
	buf_release(&key);
	buf_release(&val);
	return rc;
}

err_t cubbyhole_put(struct mount *m, const char *id_hash, const char *path,
                    const char *text)
{
	struct buf key = BUF_INIT;
	err_t rc = buf_printf(&key, "%s/%s", id_hash, path);

	if (rc == ERR_OK)
		rc = storage_put(m->view, buf_str(&key), (const uint8_t *)text,
		                 strlen(text));
	buf_release(&key);
	return rc;
}

err_t cubbyhole_get(struct mount *m, const char *id_hash, const char *path,
                    struct buf *out, bool *found)
{
	struct buf key = BUF_INIT;
	err_t rc = buf_printf(&key, "%s/%s", id_hash, path);

	if (rc == ERR_OK)
		rc = storage_get(m->view, buf_str(&key), out, found);
	buf_release(&key);
	return rc;
}

/* Deletes every key below dir of s, depth first. */
static err_t delete_dir(struct storage *s, const char *dir)
{
	struct buf child = BUF_INIT;
	json_t *keys = NULL, *k;
	size_t i;
	err_t rc = storage_list(s, dir, &keys);

	json_array_foreach(keys, i, k)
	{
		const char *name = json_string_value(k);
		if (rc != ERR_OK)
			break;
		buf_reset(&child);
		rc = buf_printf(&child, "%s%s", dir, name);
		if (rc != ERR_OK)
			break;
		if (name[strlen(name) - 1] == '/')
			rc = delete_dir(s, buf_str(&child));
		else
			rc = storage_delete(s, buf_str(&child));
	}
	json_decref(keys);
	buf_release(&child);
	return rc;
}

void cubbyhole_token_revoked(void *ctx, const char *id_hash)
{
	struct mount *m = ctx;
	struct buf dir = BUF_INIT;

	if (buf_printf(&dir, "%s/", id_hash) == ERR_OK &&
	    delete_dir(m->view, buf_str(&dir)) != ERR_OK)
		log_error("cubbyhole", "cubbyhole of a revoked token not "
		                       "fully deleted");
	buf_release(&dir);
}

const struct mount_backend cubbyhole_backend = {
    .type = "cubbyhole",
    .kind = MOUNT_SECRET,
    .handle = cubby_handle,
    .exists = cubby_exists,
};
