/*
 * token_tidy.c - repairs what a crash or an old bug can leave behind:
 * accessor entries of tokens that are gone, parent links to tokens that
 * are gone, and tokens whose parent is gone (revoked, since their parent's
 * revocation should have taken them).
 */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/token_internal.h"

static bool entry_exists(struct token_store *ts, const char *hash)
{
	struct token_entry *e = NULL;
	err_t rc = token_load(ts, hash, &e);

	token_entry_free(e);
	/* Only a clear "not there" counts as gone. */
	return rc != ERR_NOT_FOUND;
}

static err_t delete_key(struct token_store *ts, const char *a, const char *b,
                        const char *c, size_t *cleaned)
{
	struct buf key = BUF_INIT;
	err_t rc = buf_printf(&key, "%s%s%s", a, b, c);

	if (rc == ERR_OK)
		rc = storage_delete(ts->enc, buf_str(&key));
	if (rc == ERR_OK)
		(*cleaned)++;
	buf_release(&key);
	return rc;
}

static err_t tidy_accessors(struct token_store *ts, size_t *cleaned)
{
	json_t *keys = NULL, *k;
	struct buf key = BUF_INIT, val = BUF_INIT;
	size_t i;
	err_t rc = storage_list(ts->enc, TOKEN_ACCESSOR_PREFIX, &keys);

	json_array_foreach(keys, i, k)
	{
		const char *acc = json_string_value(k), *idkey;
		size_t plen = strlen(TOKEN_ID_PREFIX);
		json_t *o;
		bool found = false, gone;
		if (rc != ERR_OK || acc == NULL)
			break;
		buf_reset(&key);
		buf_reset(&val);
		rc = buf_printf(&key, "%s%s", TOKEN_ACCESSOR_PREFIX, acc);
		if (rc == ERR_OK)
			rc = storage_get(ts->enc, buf_str(&key), &val, &found);
		if (rc != ERR_OK || !found)
			continue;
		o = json_loadb((const char *)val.data, val.len, 0, NULL);
		idkey = json_string_value(json_object_get(o, "id_key"));
		gone = idkey == NULL || strncmp(idkey, TOKEN_ID_PREFIX, plen) ||
		       !entry_exists(ts, idkey + plen);
		json_decref(o);
		if (gone)
			rc = delete_key(ts, TOKEN_ACCESSOR_PREFIX, acc, "",
			                cleaned);
	}
	json_decref(keys);
	buf_release(&key);
	buf_release(&val);
	return rc;
}

/* One parent directory: its links, and its children if it is gone. */
static err_t tidy_parent(struct token_store *ts, const char *dir,
                         const char *parent, size_t *cleaned)
{
	bool parent_gone = !entry_exists(ts, parent);
	struct buf prefix = BUF_INIT;
	json_t *keys = NULL, *k;
	size_t i;
	err_t rc = buf_printf(&prefix, "%s%s", TOKEN_PARENT_PREFIX, dir);

	if (rc == ERR_OK)
		rc = storage_list(ts->enc, buf_str(&prefix), &keys);
	json_array_foreach(keys, i, k)
	{
		const char *child = json_string_value(k);
		if (rc != ERR_OK || child == NULL)
			break;
		if (parent_gone && entry_exists(ts, child)) {
			log_warn("token", "tidy: revoking a token whose parent "
			                  "is gone");
			rc = token_revoke(ts, child, false);
			(*cleaned)++;
		}
		if (rc == ERR_OK)
			rc = delete_key(ts, buf_str(&prefix), child, "",
			                cleaned);
	}
	json_decref(keys);
	buf_release(&prefix);
	return rc;
}

static err_t tidy_parents(struct token_store *ts, size_t *cleaned)
{
	json_t *dirs = NULL, *d;
	size_t i;
	err_t rc = storage_list(ts->enc, TOKEN_PARENT_PREFIX, &dirs);

	json_array_foreach(dirs, i, d)
	{
		char parent[TOKEN_HASH_LEN + 1];
		const char *dir = json_string_value(d);
		if (rc != ERR_OK)
			break;
		if (dir == NULL || strlen(dir) != TOKEN_HASH_LEN + 1)
			continue;
		memcpy(parent, dir, TOKEN_HASH_LEN);
		parent[TOKEN_HASH_LEN] = 0;
		rc = tidy_parent(ts, dir, parent, cleaned);
	}
	json_decref(dirs);
	return rc;
}

static bool lease_token_exists(void *ctx, const char *hash)
{
	return entry_exists(ctx, hash);
}

err_t token_tidy(struct token_store *ts, size_t *cleaned)
{
	err_t rc;

	*cleaned = 0;
	rc = tidy_accessors(ts, cleaned);
	if (rc == ERR_OK)
		rc = tidy_parents(ts, cleaned);
	if (rc == ERR_OK && ts->leases != NULL)
		rc = lease_tidy(ts->leases, lease_token_exists, ts);
	log_info("token", "tidy fixed %zu entries", *cleaned);
	return rc;
}
