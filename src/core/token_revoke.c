/*
 * token_revoke.c - revocation trees, orphaning, renewal, the accessor
 * list and tidy.
 *
 * A tree is revoked deepest first: the descendants are gathered breadth
 * first, without recursion (a chain of tokens can be deep), and revoked in
 * reverse order, so that a failure half-way leaves the upper tokens alive
 * and the lease manager retries, rather than leaving children whose parent
 * is gone. The tree lock is held for writing throughout, so no child is
 * created under a token being revoked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/token_internal.h"

#define TOKEN_TTL_LIMIT ((int64_t)100 * 365 * 86400)

/* A growing list of hashes. */
struct hash_list {
	char (*items)[TOKEN_HASH_LEN + 1];
	size_t n, alloc;
};

static err_t hash_list_add(struct hash_list *l, const char *hash)
{
	if (strlen(hash) != TOKEN_HASH_LEN)
		return ERR_OK; /* not one of ours; skip it */
	if (l->n == l->alloc) {
		size_t m = l->alloc ? l->alloc * 2 : 16;
		void *p;
		if (m > SIZE_MAX / sizeof(*l->items))
			return ERR_NOMEM;
		p = realloc(l->items, m * sizeof(*l->items));
		if (p == NULL)
			return ERR_NOMEM;
		l->items = p;
		l->alloc = m;
	}
	memcpy(l->items[l->n++], hash, TOKEN_HASH_LEN + 1);
	return ERR_OK;
}

/* The children of hash, as stored in the parent index. */
static err_t list_children(struct token_store *ts, const char *hash,
                           json_t **keys)
{
	struct buf dir = BUF_INIT;
	err_t rc = buf_printf(&dir, "%s%s/", TOKEN_PARENT_PREFIX, hash);

	if (rc == ERR_OK)
		rc = storage_list(ts->enc, buf_str(&dir), keys);
	buf_release(&dir);
	return rc;
}

/* hash and all its descendants, parents before children. */
static err_t gather_tree(struct token_store *ts, const char *hash,
                         struct hash_list *l)
{
	size_t i;
	err_t rc = hash_list_add(l, hash);

	for (i = 0; rc == ERR_OK && i < l->n; i++) {
		json_t *keys = NULL, *k;
		size_t j;
		rc = list_children(ts, l->items[i], &keys);
		json_array_foreach(keys, j, k)
		{
			const char *child = json_string_value(k);
			if (rc == ERR_OK && child != NULL)
				rc = hash_list_add(l, child);
		}
		json_decref(keys);
	}
	return rc;
}

/* Deletes one token's keys and lease in one commit; tree lock held. */
static err_t revoke_one(struct token_store *ts, const char *hash)
{
	struct token_entry *e = NULL;
	struct lease_txn t;
	struct buf key = BUF_INIT;
	char *lease_id = NULL;
	err_t rc;

	lease_txn_init(&t);
	rc = token_load(ts, hash, &e);
	if (rc == ERR_NOT_FOUND) {
		rc = ERR_OK; /* gone already: only the parent link may stay */
		goto out;
	}
	if (rc == ERR_OK)
		rc = buf_printf(&key, "%s%s", TOKEN_ID_PREFIX, hash);
	if (rc == ERR_OK)
		rc = lease_txn_delete(&t, buf_str(&key));
	buf_reset(&key);
	if (rc == ERR_OK)
		rc = buf_printf(&key, "%s%s", TOKEN_ACCESSOR_PREFIX,
		                e->accessor);
	if (rc == ERR_OK)
		rc = lease_txn_delete(&t, buf_str(&key));
	if (rc == ERR_OK && e->parent[0]) {
		buf_reset(&key);
		rc = buf_printf(&key, "%s%s/%s", TOKEN_PARENT_PREFIX, e->parent,
		                hash);
		if (rc == ERR_OK)
			rc = lease_txn_delete(&t, buf_str(&key));
	}
	if (rc == ERR_OK && (lease_id = token_lease_id(e)) == NULL)
		rc = ERR_NOMEM;
	if (rc == ERR_OK)
		rc = lease_txn_remove_lease(ts->leases, &t, lease_id);
	if (rc == ERR_OK)
		rc = lease_txn_commit(ts->leases, ts->enc, &t);
	if (rc != ERR_OK)
		goto out;

	log_info("token", "revoked token with accessor %s", e->accessor);
	if (ts->leases != NULL &&
	    lease_revoke_by_token(ts->leases, hash) != ERR_OK)
		log_warn("token",
		         "could not schedule the leases of accessor %s; they "
		         "end at their own expiry",
		         e->accessor);
	if (ts->hook != NULL)
		ts->hook(ts->hook_ctx, hash);
out:
	free(lease_id);
	buf_release(&key);
	lease_txn_release(&t);
	token_entry_free(e);
	return rc;
}

/* Turns the children of hash into orphans; tree lock held. */
static err_t orphan_children(struct token_store *ts, const char *hash)
{
	json_t *keys = NULL, *k;
	struct buf key = BUF_INIT;
	size_t i;
	err_t rc = list_children(ts, hash, &keys);

	json_array_foreach(keys, i, k)
	{
		const char *child = json_string_value(k);
		struct token_entry *e = NULL;
		struct lease_txn t;
		err_t one;
		if (rc != ERR_OK || child == NULL)
			break;
		lease_txn_init(&t);
		buf_reset(&key);
		rc = buf_printf(&key, "%s%s/%s", TOKEN_PARENT_PREFIX, hash,
		                child);
		if (rc == ERR_OK)
			rc = lease_txn_delete(&t, buf_str(&key));
		one = token_load(ts, child, &e);
		if (rc == ERR_OK && one == ERR_OK) {
			e->parent[0] = 0;
			e->orphan = true;
			rc = token_txn_put_entry(&t, e);
		} else if (rc == ERR_OK && one != ERR_NOT_FOUND) {
			rc = one;
		}
		if (rc == ERR_OK)
			rc = lease_txn_commit(NULL, ts->enc, &t);
		lease_txn_release(&t);
		token_entry_free(e);
	}
	json_decref(keys);
	buf_release(&key);
	return rc;
}

/* Revokes a tree; the tree lock is held for writing. */
static err_t revoke_locked(struct token_store *ts, const char *hash,
                           bool orphan)
{
	struct hash_list l = {NULL, 0, 0};
	size_t i;
	err_t rc;

	if (orphan) {
		rc = orphan_children(ts, hash);
		return rc == ERR_OK ? revoke_one(ts, hash) : rc;
	}
	rc = gather_tree(ts, hash, &l);
	for (i = l.n; rc == ERR_OK && i > 0; i--)
		rc = revoke_one(ts, l.items[i - 1]);
	free(l.items);
	return rc;
}

err_t token_revoke(struct token_store *ts, const char *hash,
                   bool orphan_children_too)
{
	err_t rc;

	if (hash == NULL || strlen(hash) != TOKEN_HASH_LEN)
		return ERR_OK;
	pthread_rwlock_wrlock(&ts->tree);
	rc = revoke_locked(ts, hash, orphan_children_too);
	pthread_rwlock_unlock(&ts->tree);
	if (rc != ERR_OK)
		log_error("token", "revocation failed: %s", err_str(rc));
	return rc;
}

void token_used_up(struct token_store *ts, struct token_entry *e)
{
	if (ts == NULL || e == NULL || !e->used_up)
		return;
	token_revoke(ts, e->id_hash, false);
}

/* The end a renewal at now may reach; 0 when none is left. */
static int64_t renewal_end(const struct token_entry *e, int64_t now,
                           int64_t increment)
{
	int64_t ttl =
	    e->period > 0 ? e->period : (increment > 0 ? increment : e->ttl);
	int64_t end;

	if (ttl > TOKEN_TTL_LIMIT)
		ttl = TOKEN_TTL_LIMIT;
	end = now + ttl;
	if (e->period == 0 && e->max_ttl > 0 &&
	    end > e->creation_time + e->max_ttl)
		end = e->creation_time + e->max_ttl;
	if (e->explicit_max_ttl > 0 &&
	    end > e->creation_time + e->explicit_max_ttl)
		end = e->creation_time + e->explicit_max_ttl;
	/* Never 0 ("never expires"): CVE-2021-32923. */
	return end > now ? end : 0;
}

/* Renews under both locks. */
static err_t renew_locked(struct token_store *ts, const char *hash,
                          int64_t increment, int64_t *ttl,
                          struct token_entry **out)
{
	struct token_entry *e = NULL;
	struct lease_txn t;
	int64_t now = lease_now(), end;
	err_t rc;

	lease_txn_init(&t);
	rc = token_lookup_hash(ts, hash, &e);
	if (rc != ERR_OK)
		goto out;
	if (!e->renewable || e->expire_time == 0) {
		rc = ERR_INVALID;
		goto out;
	}
	end = renewal_end(e, now, increment);
	if (end == 0) {
		rc = ERR_INVALID;
		goto out;
	}
	e->expire_time = end;
	e->last_renewal_time = now;
	rc = token_txn_put_entry(&t, e);
	if (rc == ERR_OK)
		rc = token_txn_put_lease(ts, &t, e);
	if (rc == ERR_OK)
		rc = lease_txn_commit(ts->leases, ts->enc, &t);
	if (rc != ERR_OK)
		goto out;
	*ttl = end - now;
	if (out != NULL) {
		*out = e;
		e = NULL;
	}
out:
	lease_txn_release(&t);
	token_entry_free(e);
	return rc;
}

err_t token_renew(struct token_store *ts, const char *hash, int64_t increment,
                  int64_t *ttl, struct token_entry **out)
{
	pthread_mutex_t *mu;
	err_t rc;

	if (hash == NULL || strlen(hash) != TOKEN_HASH_LEN)
		return ERR_NOT_FOUND;
	mu = token_use_lock(ts, hash);
	pthread_rwlock_rdlock(&ts->tree);
	pthread_mutex_lock(mu);
	rc = renew_locked(ts, hash, increment, ttl, out);
	pthread_mutex_unlock(mu);
	pthread_rwlock_unlock(&ts->tree);
	return rc;
}

/* Reads an accessor index record. */
static err_t read_accessor(struct token_store *ts, const char *acc,
                           json_t **out)
{
	struct buf key = BUF_INIT, val = BUF_INIT;
	bool found = false;
	err_t rc;

	*out = NULL;
	rc = buf_printf(&key, "%s%s", TOKEN_ACCESSOR_PREFIX, acc);
	if (rc == ERR_OK)
		rc = storage_get(ts->enc, buf_str(&key), &val, &found);
	if (rc == ERR_OK && found)
		*out = json_loadb((const char *)val.data, val.len, 0, NULL);
	buf_release(&key);
	buf_release(&val);
	return rc;
}

err_t token_list_accessors(struct token_store *ts, const char *ns,
                           json_t **keys)
{
	json_t *all = NULL, *k;
	size_t i;
	err_t rc;

	*keys = NULL;
	rc = storage_list(ts->enc, TOKEN_ACCESSOR_PREFIX, &all);
	if (rc != ERR_OK || ns[0] == 0) {
		*keys = all;
		return rc;
	}
	*keys = json_array();
	json_array_foreach(all, i, k)
	{
		json_t *rec = NULL;
		const char *tns;
		if (rc != ERR_OK || *keys == NULL)
			break;
		rc = read_accessor(ts, json_string_value(k), &rec);
		tns = json_string_value(json_object_get(rec, "namespace"));
		if (tns != NULL && strncmp(tns, ns, strlen(ns)) == 0)
			json_array_append(*keys, k);
		json_decref(rec);
	}
	json_decref(all);
	return *keys ? rc : ERR_NOMEM;
}
