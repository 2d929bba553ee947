/*
 * lease_ops.c - registering secret leases, lookup, renewal, listing, the
 * token index, tidy, and the recursive storage walk.
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/encoding.h"
#include "base/log.h"
#include "core/lease_internal.h"

#define LEASE_RAND_LEN  24
#define LEASE_TTL_LIMIT ((int64_t)100 * 365 * 86400) /* as parse_duration */

err_t lease_register(struct lease_mgr *lm, const struct lease_spec *spec,
                     char **lease_id)
{
	struct lease_info li;
	struct lease_txn t;
	struct buf id = BUF_INIT;
	char rnd[LEASE_RAND_LEN + 1];
	int64_t now = lease_now();
	err_t rc;

	if (spec->ttl <= 0 || spec->ttl > LEASE_TTL_LIMIT ||
	    spec->max_ttl < 0 || spec->mount_path == NULL ||
	    spec->mount_path[0] == 0 || spec->path == NULL)
		return ERR_INVALID;
	lease_txn_init(&t);
	rc = rand_alnum(rnd, LEASE_RAND_LEN);
	if (rc == ERR_OK)
		rc = buf_printf(&id, "%s%s%s%s", spec->mount_path, spec->path,
		                spec->path[0] ? "/" : "", rnd);
	if (rc != ERR_OK)
		goto out;

	memset(&li, 0, sizeof(li));
	li.id = (char *)buf_str(&id);
	li.ns = (char *)(spec->ns ? spec->ns : "");
	li.mount_path = (char *)spec->mount_path;
	li.path = (char *)spec->path;
	li.token_hash = (char *)(spec->token_hash ? spec->token_hash : "");
	li.kind = LEASE_SECRET;
	li.issue_time = now;
	li.ttl = spec->ttl;
	li.expire_time = now + spec->ttl;
	if (spec->max_ttl > 0 && spec->max_ttl <= LEASE_TTL_LIMIT) {
		li.max_expire_time = now + spec->max_ttl;
		if (li.expire_time > li.max_expire_time)
			li.expire_time = li.max_expire_time;
	}
	li.renewable = spec->renewable;
	li.secret = spec->secret;

	rc = lease_txn_put_lease(lm, &t, &li);
	if (rc == ERR_OK)
		rc = lease_txn_commit(lm, lm->enc, &t);
	if (rc == ERR_OK && (*lease_id = buf_detach(&id)) == NULL)
		rc = ERR_NOMEM;
out:
	lease_txn_release(&t);
	buf_release(&id);
	return rc;
}

err_t lease_lookup(struct lease_mgr *lm, const char *caller_ns, const char *id,
                   struct lease_info **out)
{
	struct lease_slot *s;
	bool visible, found = false;
	err_t rc;

	pthread_mutex_lock(&lm->lock);
	s = lease_index_find(lm, id);
	visible = s != NULL && !(s->flags & SLOT_REMOVED) &&
	          lease_ns_visible(s->ns, caller_ns);
	pthread_mutex_unlock(&lm->lock);
	if (!visible)
		return ERR_NOT_FOUND;
	rc = lease_record_load(lm->enc, id, out, &found);
	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	return rc;
}

/* The TTL a renewal may grant: the increment, bounded by the hard end. */
static err_t renewal_ttl(const struct lease_info *li, int64_t now,
                         int64_t increment, int64_t *ttl)
{
	int64_t inc = increment < 0 ? li->ttl : increment;

	if (!li->renewable || li->irrevocable)
		return ERR_INVALID;
	if (li->expire_time <= now)
		return ERR_INVALID;
	if (inc > LEASE_TTL_LIMIT)
		inc = LEASE_TTL_LIMIT;
	if (li->max_expire_time != 0 && now + inc > li->max_expire_time)
		inc = li->max_expire_time - now;
	/* A zero TTL would read as "never expires": refuse it. */
	if (inc <= 0)
		return ERR_INVALID;
	*ttl = inc;
	return ERR_OK;
}

static err_t renew_secret(struct lease_mgr *lm, struct lease_info *li,
                          int64_t increment, int64_t *ttl)
{
	int64_t now = lease_now(), granted = 0;
	struct lease_txn t;
	err_t rc;

	rc = renewal_ttl(li, now, increment, &granted);
	if (rc != ERR_OK)
		return rc;
	if (lm->cb.renew_secret == NULL)
		return ERR_INVALID;
	rc = lm->cb.renew_secret(lm->cb.ctx, li, granted, &granted);
	if (rc != ERR_OK)
		return rc;
	if (granted <= 0)
		return ERR_INVALID;

	li->expire_time = now + granted;
	li->last_renewal_time = now;
	li->ttl = granted;
	lease_txn_init(&t);
	rc = lease_txn_put_record(&t, li);
	if (rc == ERR_OK)
		rc = storage_commit(lm->enc, t.ops, t.n);
	lease_txn_release(&t);
	if (rc == ERR_OK)
		*ttl = granted;
	return rc;
}

err_t lease_renew(struct lease_mgr *lm, const char *caller_ns, const char *id,
                  int64_t increment, int64_t *ttl)
{
	struct lease_info *li = NULL;
	struct lease_slot *s;
	bool found = false;
	err_t rc;

	rc = lease_claim(lm, id, caller_ns, false, &s);
	if (rc != ERR_OK)
		return rc;
	rc = lease_record_load(lm->enc, id, &li, &found);
	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	if (rc != ERR_OK)
		goto out;

	if (li->kind == LEASE_TOKEN) {
		/* The token store rewrites the record and the slot's time. */
		rc = lm->cb.renew_token
		         ? lm->cb.renew_token(lm->cb.ctx, li->token_hash,
		                              increment, ttl)
		         : ERR_INVALID;
		goto out;
	}
	rc = renew_secret(lm, li, increment, ttl);
	if (rc == ERR_OK) {
		pthread_mutex_lock(&lm->lock);
		s->expire = s->due = li->expire_time;
		pthread_mutex_unlock(&lm->lock);
	}
out:
	lease_release(lm, s);
	lease_info_free(li);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of set as a sorted array. */
static err_t sorted_keys(json_t *set, json_t **keys)
{
	size_t n = json_object_size(set), i = 0;
	const char **names = calloc(n ? n : 1, sizeof(*names));
	const char *k;
	json_t *v;
	err_t rc = ERR_OK;

	*keys = json_array();
	if (*keys == NULL || names == NULL) {
		free(names);
		return ERR_NOMEM;
	}
	json_object_foreach(set, k, v)
	{
		names[i++] = k;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n && rc == ERR_OK; i++)
		if (json_array_append_new(*keys, json_string(names[i])) != 0)
			rc = ERR_NOMEM;
	free(names);
	return rc;
}

/* Adds the direct child of prefix that id falls under to set. */
static err_t add_child(json_t *set, const char *rest)
{
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) + 1 : strlen(rest);
	json_t *t = json_true();

	if (n == 0)
		return ERR_OK;
	return json_object_setn_nocheck(set, rest, n, t) == 0 ? ERR_OK
	                                                      : ERR_NOMEM;
}

err_t lease_list(struct lease_mgr *lm, const char *ns, const char *prefix,
                 json_t **keys)
{
	size_t plen = strlen(prefix), i;
	json_t *set = json_object();
	err_t rc = set ? ERR_OK : ERR_NOMEM;

	*keys = NULL;
	pthread_mutex_lock(&lm->lock);
	for (i = 0; i < lm->nbuckets && rc == ERR_OK; i++) {
		struct lease_slot *s;
		for (s = lm->buckets[i]; s != NULL && rc == ERR_OK; s = s->next)
			if (!(s->flags & SLOT_REMOVED) &&
			    strcmp(s->ns, ns) == 0 &&
			    strncmp(s->id, prefix, plen) == 0)
				rc = add_child(set, s->id + plen);
	}
	pthread_mutex_unlock(&lm->lock);
	if (rc == ERR_OK)
		rc = sorted_keys(set, keys);
	json_decref(set);
	return rc;
}

/* Makes the lease id due now, unless someone holds it or it gave up. */
static void make_due(struct lease_mgr *lm, const char *id, int64_t now)
{
	struct lease_slot *s;

	pthread_mutex_lock(&lm->lock);
	s = lease_index_find(lm, id);
	if (s != NULL && s->heap_pos != SLOT_NO_POS && s->due > now) {
		s->due = now;
		lease_heap_fix(lm, s);
		pthread_cond_signal(&lm->wake);
	}
	pthread_mutex_unlock(&lm->lock);
}

err_t lease_revoke_by_token(struct lease_mgr *lm, const char *token_hash)
{
	struct buf dir = BUF_INIT, id = BUF_INIT;
	json_t *keys = NULL, *k;
	int64_t now = lease_now();
	size_t i;
	err_t rc;

	/*
	 * Due now rather than revoked here: the token store calls this with
	 * its lock held, and backends may be slow. If the server stops
	 * first, the leases still end at their own expiry.
	 */
	rc = buf_printf(&dir, "%s%s/", LEASE_TOKEN_PREFIX, token_hash);
	if (rc == ERR_OK)
		rc = storage_list(lm->enc, buf_str(&dir), &keys);
	json_array_foreach(keys, i, k)
	{
		const char *name = json_string_value(k);
		if (rc != ERR_OK || name == NULL)
			break;
		buf_reset(&id);
		rc = lease_token_index_unescape(name, &id);
		if (rc == ERR_OK)
			make_due(lm, buf_str(&id), now);
	}
	json_decref(keys);
	buf_release(&dir);
	buf_release(&id);
	return rc;
}

/* Tidies the index entries of one token directory. */
static err_t tidy_token(struct lease_mgr *lm, const char *hash, bool alive)
{
	struct buf dir = BUF_INIT, id = BUF_INIT, key = BUF_INIT;
	json_t *keys = NULL, *k;
	size_t i;
	err_t rc;

	rc = buf_printf(&dir, "%s%s", LEASE_TOKEN_PREFIX, hash);
	if (rc == ERR_OK)
		rc = storage_list(lm->enc, buf_str(&dir), &keys);
	json_array_foreach(keys, i, k)
	{
		const char *name = json_string_value(k);
		bool known;
		if (rc != ERR_OK || name == NULL)
			break;
		buf_reset(&id);
		rc = lease_token_index_unescape(name, &id);
		if (rc != ERR_OK)
			break;
		pthread_mutex_lock(&lm->lock);
		known = lease_index_find(lm, buf_str(&id)) != NULL;
		pthread_mutex_unlock(&lm->lock);
		if (known && !alive)
			make_due(lm, buf_str(&id), lease_now());
		if (known)
			continue;
		buf_reset(&key);
		rc = buf_printf(&key, "%s%s", buf_str(&dir), name);
		if (rc == ERR_OK)
			rc = storage_delete(lm->enc, buf_str(&key));
	}
	json_decref(keys);
	buf_release(&dir);
	buf_release(&id);
	buf_release(&key);
	return rc;
}

err_t lease_tidy(struct lease_mgr *lm,
                 bool (*token_exists)(void *ctx, const char *hash), void *ctx)
{
	json_t *dirs = NULL, *d;
	size_t i;
	err_t rc;

	rc = storage_list(lm->enc, LEASE_TOKEN_PREFIX, &dirs);
	json_array_foreach(dirs, i, d)
	{
		char hash[80];
		const char *name = json_string_value(d);
		size_t n = name ? strlen(name) : 0;
		if (rc != ERR_OK)
			break;
		if (n < 2 || n >= sizeof(hash) || name[n - 1] != '/')
			continue;
		memcpy(hash, name, n - 1);
		hash[n - 1] = 0;
		rc = tidy_token(
		    lm, name, token_exists == NULL || token_exists(ctx, hash));
	}
	json_decref(dirs);
	return rc;
}

err_t lease_walk(struct storage *s, const char *prefix,
                 err_t (*fn)(void *ctx, const char *rel), void *ctx)
{
	struct buf path = BUF_INIT;
	json_t *keys = NULL, *k;
	size_t i;
	err_t rc;

	rc = storage_list(s, prefix, &keys);
	json_array_foreach(keys, i, k)
	{
		const char *name = json_string_value(k);
		size_t n = name ? strlen(name) : 0;
		if (rc != ERR_OK || n == 0)
			break;
		buf_reset(&path);
		rc = buf_printf(&path, "%s%s", prefix, name);
		if (rc != ERR_OK)
			break;
		if (name[n - 1] == '/')
			rc = lease_walk(s, buf_str(&path), fn, ctx);
		else
			rc = fn(ctx, buf_str(&path));
	}
	json_decref(keys);
	buf_release(&path);
	return rc;
}
