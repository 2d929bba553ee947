/*
 * lease.c - the lease manager's API: lease records in storage, register,
 * lookup, renew, revoke, list, and the multi-key transactions the token
 * store commits with its own changes.
 *
 * Every operation on one lease first claims its slot (marks it BUSY, see
 * lease_internal.h), so that a request and the expiry thread never revoke
 * or renew the same lease at once; storage and callbacks run without the
 * manager's lock.
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/encoding.h"
#include "base/log.h"
#include "core/lease_internal.h"

static int64_t (*clock_fn)(void);

int64_t lease_now(void)
{
	int64_t sec;
	long nsec;

	if (clock_fn != NULL)
		return clock_fn();
	time_now(&sec, &nsec);
	return sec;
}

int64_t lease_ms_until(int64_t due)
{
	int64_t sec, ms;
	long nsec;

	if (clock_fn != NULL) {
		sec = clock_fn();
		nsec = 0;
	} else {
		time_now(&sec, &nsec);
	}
	if (due <= sec)
		return 0;
	if (due - sec > 1)
		return 1000;
	ms = 1000 - nsec / 1000000L;
	return ms < 1 ? 1 : ms;
}

void lease_set_clock(int64_t (*now)(void))
{
	clock_fn = now;
}

void lease_info_free(struct lease_info *li)
{
	if (li == NULL)
		return;
	free(li->id);
	free(li->ns);
	free(li->mount_path);
	free(li->path);
	free(li->token_hash);
	json_decref(li->secret);
	free(li);
}

err_t lease_mgr_new(struct storage *enc, const struct lease_callbacks *cb,
                    struct lease_mgr **out)
{
	struct lease_mgr *lm = calloc(1, sizeof(*lm));
	pthread_condattr_t attr;

	if (lm == NULL)
		return ERR_NOMEM;
	lm->enc = enc;
	if (cb != NULL)
		lm->cb = *cb;
	pthread_mutex_init(&lm->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&lm->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&lm->idle, NULL);
	*out = lm;
	return ERR_OK;
}

void lease_mgr_free(struct lease_mgr *lm)
{
	if (lm == NULL)
		return;
	lease_mgr_stop(lm);
	lease_index_clear(lm);
	pthread_cond_destroy(&lm->wake);
	pthread_cond_destroy(&lm->idle);
	pthread_mutex_destroy(&lm->lock);
	free(lm);
}

size_t lease_count(struct lease_mgr *lm)
{
	size_t n;

	pthread_mutex_lock(&lm->lock);
	n = lm->count;
	pthread_mutex_unlock(&lm->lock);
	return n;
}

/* Records --------------------------------------------------------------- */

json_t *lease_record_json(const struct lease_info *li)
{
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b,"
	    " s:i, s:b, s:O}",
	    "id", li->id, "namespace", li->ns, "mount_path", li->mount_path,
	    "path", li->path, "token", li->token_hash ? li->token_hash : "",
	    "kind", li->kind == LEASE_TOKEN ? "token" : "secret", "issue_time",
	    (json_int_t)li->issue_time, "expire_time",
	    (json_int_t)li->expire_time, "last_renewal_time",
	    (json_int_t)li->last_renewal_time, "ttl", (json_int_t)li->ttl,
	    "max_expire_time", (json_int_t)li->max_expire_time, "renewable",
	    li->renewable, "failures", li->failures, "irrevocable",
	    li->irrevocable, "secret", li->secret ? li->secret : json_null());
}

static char *str_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return strdup(s ? s : "");
}

static int64_t int_of(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

err_t lease_record_parse(json_t *o, struct lease_info **out)
{
	struct lease_info *li = calloc(1, sizeof(*li));
	const char *kind = json_string_value(json_object_get(o, "kind"));

	if (li == NULL)
		return ERR_NOMEM;
	li->id = str_of(o, "id");
	li->ns = str_of(o, "namespace");
	li->mount_path = str_of(o, "mount_path");
	li->path = str_of(o, "path");
	li->token_hash = str_of(o, "token");
	li->kind =
	    kind && strcmp(kind, "token") == 0 ? LEASE_TOKEN : LEASE_SECRET;
	li->issue_time = int_of(o, "issue_time");
	li->expire_time = int_of(o, "expire_time");
	li->last_renewal_time = int_of(o, "last_renewal_time");
	li->ttl = int_of(o, "ttl");
	li->max_expire_time = int_of(o, "max_expire_time");
	li->renewable = json_is_true(json_object_get(o, "renewable"));
	li->failures = (int)int_of(o, "failures");
	li->irrevocable = json_is_true(json_object_get(o, "irrevocable"));
	li->secret = json_incref(json_object_get(o, "secret"));
	if (li->id == NULL || li->ns == NULL || li->mount_path == NULL ||
	    li->path == NULL || li->token_hash == NULL) {
		lease_info_free(li);
		return ERR_NOMEM;
	}
	*out = li;
	return ERR_OK;
}

err_t lease_record_key(const char *id, struct buf *key)
{
	buf_reset(key);
	return buf_printf(key, "%s%s", LEASE_ID_PREFIX, id);
}

err_t lease_record_load(struct storage *s, const char *id,
                        struct lease_info **out, bool *found)
{
	struct buf key = BUF_INIT, val = BUF_INIT;
	json_t *o = NULL;
	err_t rc;

	*found = false;
	rc = lease_record_key(id, &key);
	if (rc == ERR_OK)
		rc = storage_get(s, buf_str(&key), &val, found);
	if (rc != ERR_OK || !*found)
		goto out;
	o = json_loadb((const char *)val.data, val.len, 0, NULL);
	if (o == NULL) {
		log_error("lease", "lease record %s is not valid JSON", id);
		rc = ERR_STORAGE;
		goto out;
	}
	rc = lease_record_parse(o, out);
out:
	json_decref(o);
	buf_release(&key);
	buf_release(&val);
	return rc;
}

/*
 * The token index key of a lease: the id with "%" and "/" escaped, so that
 * one token's leases are the direct children of one directory.
 */
err_t lease_token_index_key(const char *token_hash, const char *id,
                            struct buf *out)
{
	err_t rc = buf_printf(out, "%s%s/", LEASE_TOKEN_PREFIX, token_hash);

	for (; rc == ERR_OK && *id; id++) {
		if (*id == '%')
			rc = buf_append_str(out, "%25");
		else if (*id == '/')
			rc = buf_append_str(out, "%2F");
		else
			rc = buf_append_byte(out, (uint8_t)*id);
	}
	return rc;
}

err_t lease_token_index_unescape(const char *s, struct buf *out)
{
	err_t rc = ERR_OK;

	for (; rc == ERR_OK && *s; s++) {
		if (strncmp(s, "%25", 3) == 0) {
			rc = buf_append_byte(out, '%');
			s += 2;
		} else if (strncmp(s, "%2F", 3) == 0) {
			rc = buf_append_byte(out, '/');
			s += 2;
		} else {
			rc = buf_append_byte(out, (uint8_t)*s);
		}
	}
	return rc;
}

/* Transactions ---------------------------------------------------------- */

void lease_txn_init(struct lease_txn *t)
{
	memset(t, 0, sizeof(*t));
}

void lease_txn_release(struct lease_txn *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nowned; i++)
		free(t->owned[i]);
	for (i = 0; i < t->nchanges; i++) {
		free(t->changes[i].id);
		free(t->changes[i].ns);
	}
	free(t->owned);
	free(t->ops);
	free(t->changes);
	lease_txn_init(t);
}

/* Grows an array of n used items to hold one more. */
err_t lease_grow(void **arr, size_t *alloc, size_t n, size_t size)
{
	size_t m = *alloc ? *alloc * 2 : 8;
	void *p;

	if (n < *alloc)
		return ERR_OK;
	if (m > SIZE_MAX / size)
		return ERR_NOMEM;
	p = realloc(*arr, m * size);
	if (p == NULL)
		return ERR_NOMEM;
	*arr = p;
	*alloc = m;
	return ERR_OK;
}

static char *txn_own(struct lease_txn *t, const char *s)
{
	char *copy;

	if (lease_grow((void **)&t->owned, &t->owned_alloc, t->nowned,
	               sizeof(*t->owned)) != ERR_OK)
		return NULL;
	copy = strdup(s);
	if (copy != NULL)
		t->owned[t->nowned++] = copy;
	return copy;
}

static err_t txn_add(struct lease_txn *t, enum storage_op_kind kind,
                     const char *key, const char *text)
{
	struct storage_op *op;
	const char *k, *v = NULL;

	if (lease_grow((void **)&t->ops, &t->alloc, t->n, sizeof(*t->ops)) !=
	    ERR_OK)
		return ERR_NOMEM;
	k = txn_own(t, key);
	if (k == NULL || (text != NULL && (v = txn_own(t, text)) == NULL))
		return ERR_NOMEM;
	op = &t->ops[t->n++];
	op->kind = kind;
	op->key = k;
	op->value = (const uint8_t *)v;
	op->len = v ? strlen(v) : 0;
	return ERR_OK;
}

err_t lease_txn_put(struct lease_txn *t, const char *key, const char *text)
{
	return txn_add(t, STORAGE_PUT, key, text);
}

err_t lease_txn_delete(struct lease_txn *t, const char *key)
{
	return txn_add(t, STORAGE_DELETE, key, NULL);
}

static err_t txn_change(struct lease_txn *t, bool remove, const char *id,
                        const char *ns, int64_t expire, bool token)
{
	struct lease_change *ch;

	if (lease_grow((void **)&t->changes, &t->changes_alloc, t->nchanges,
	               sizeof(*t->changes)) != ERR_OK)
		return ERR_NOMEM;
	ch = &t->changes[t->nchanges];
	memset(ch, 0, sizeof(*ch));
	ch->remove = remove;
	ch->expire = expire;
	ch->token = token;
	ch->id = strdup(id);
	ch->ns = strdup(ns ? ns : "");
	if (ch->id == NULL || ch->ns == NULL) {
		free(ch->id);
		free(ch->ns);
		return ERR_NOMEM;
	}
	t->nchanges++;
	return ERR_OK;
}

/* Adds the record (and the token index of a secret lease) to t. */
err_t lease_txn_put_record(struct lease_txn *t, const struct lease_info *li)
{
	struct buf key = BUF_INIT;
	json_t *o = lease_record_json(li);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	err_t rc = text ? lease_record_key(li->id, &key) : ERR_NOMEM;

	if (rc == ERR_OK)
		rc = lease_txn_put(t, buf_str(&key), text);
	if (rc == ERR_OK && li->kind == LEASE_SECRET && li->token_hash &&
	    li->token_hash[0]) {
		buf_reset(&key);
		rc = lease_token_index_key(li->token_hash, li->id, &key);
		if (rc == ERR_OK)
			rc = lease_txn_put(t, buf_str(&key), "1");
	}
	free(text);
	json_decref(o);
	buf_release(&key);
	return rc;
}

err_t lease_txn_put_lease(struct lease_mgr *lm, struct lease_txn *t,
                          const struct lease_info *li)
{
	err_t rc;

	if (lm == NULL)
		return ERR_OK;
	rc = lease_txn_put_record(t, li);
	if (rc == ERR_OK)
		rc = txn_change(t, false, li->id, li->ns, li->expire_time,
		                li->kind == LEASE_TOKEN);
	return rc;
}

err_t lease_txn_remove_lease(struct lease_mgr *lm, struct lease_txn *t,
                             const char *id)
{
	struct buf key = BUF_INIT;
	err_t rc;

	if (lm == NULL)
		return ERR_OK;
	rc = lease_record_key(id, &key);
	if (rc == ERR_OK)
		rc = lease_txn_delete(t, buf_str(&key));
	if (rc == ERR_OK)
		rc = txn_change(t, true, id, "", 0, false);
	buf_release(&key);
	return rc;
}

/* Applies one index change; lm->lock is held. */
static void apply_change(struct lease_mgr *lm, const struct lease_change *ch)
{
	struct lease_slot *s = lease_index_find(lm, ch->id);

	if (ch->remove) {
		if (s != NULL && (s->flags & SLOT_BUSY))
			s->flags |= SLOT_REMOVED;
		else if (s != NULL)
			lease_index_unlink(lm, s);
		return;
	}
	if (s == NULL) {
		if (lease_index_add(lm, ch->id, ch->ns, ch->expire,
		                    ch->token ? SLOT_TOKEN : 0, &s) != ERR_OK) {
			/* The record is durable; the next restore finds it. */
			log_error("lease", "no memory to index lease %s",
			          ch->id);
			return;
		}
	}
	s->expire = s->due = ch->expire;
	s->fails = 0;
	s->flags &= (uint8_t) ~(SLOT_IRREVOCABLE | SLOT_REMOVED);
	if (s->flags & SLOT_BUSY)
		return;
	if (s->heap_pos == SLOT_NO_POS)
		lease_heap_push(lm, s);
	else
		lease_heap_fix(lm, s);
}

err_t lease_txn_commit(struct lease_mgr *lm, struct storage *s,
                       struct lease_txn *t)
{
	err_t rc = ERR_OK;
	size_t i;

	if (t->n > 0)
		rc = storage_commit(s, t->ops, t->n);
	if (rc != ERR_OK || lm == NULL || t->nchanges == 0)
		return rc;
	pthread_mutex_lock(&lm->lock);
	for (i = 0; i < t->nchanges; i++)
		apply_change(lm, &t->changes[i]);
	pthread_cond_signal(&lm->wake);
	pthread_mutex_unlock(&lm->lock);
	return ERR_OK;
}

/* Claiming slots --------------------------------------------------------- */

/*
 * Marks the slot of id BUSY for the caller, waiting while another thread
 * holds it. exact_ns: the lease must be in exactly that namespace; else in
 * caller_ns or below.
 */
err_t lease_claim(struct lease_mgr *lm, const char *id, const char *ns,
                  bool exact_ns, struct lease_slot **out)
{
	struct lease_slot *s;
	err_t rc = ERR_NOT_FOUND;

	pthread_mutex_lock(&lm->lock);
	for (;;) {
		s = lease_index_find(lm, id);
		if (s == NULL || (s->flags & SLOT_REMOVED))
			break;
		if (exact_ns ? strcmp(s->ns, ns) != 0
		             : !lease_ns_visible(s->ns, ns))
			break;
		if (!(s->flags & SLOT_BUSY)) {
			s->flags |= SLOT_BUSY;
			lease_heap_remove(lm, s);
			*out = s;
			rc = ERR_OK;
			break;
		}
		pthread_cond_wait(&lm->idle, &lm->lock);
	}
	pthread_mutex_unlock(&lm->lock);
	return rc;
}

void lease_release(struct lease_mgr *lm, struct lease_slot *s)
{
	pthread_mutex_lock(&lm->lock);
	s->flags &= (uint8_t)~SLOT_BUSY;
	if (s->flags & SLOT_REMOVED)
		lease_index_unlink(lm, s);
	else if (!(s->flags & SLOT_IRREVOCABLE))
		lease_heap_push(lm, s);
	pthread_cond_broadcast(&lm->idle);
	pthread_cond_signal(&lm->wake);
	pthread_mutex_unlock(&lm->lock);
}

/* Revocation -------------------------------------------------------------- */

static int64_t retry_delay(int fails)
{
	int64_t d = LEASE_RETRY_BASE;

	while (--fails > 0 && d < LEASE_RETRY_CAP)
		d *= 2;
	return d < LEASE_RETRY_CAP ? d : LEASE_RETRY_CAP;
}

/* Counts a failed revocation in the record and the slot. */
static void note_failure(struct lease_mgr *lm, struct lease_slot *s,
                         struct lease_info *li, err_t why)
{
	struct lease_txn t;
	int64_t now = lease_now();

	li->failures++;
	li->irrevocable = li->failures >= LEASE_MAX_FAILURES;
	lease_txn_init(&t);
	if (lease_txn_put_record(&t, li) != ERR_OK ||
	    storage_commit(lm->enc, t.ops, t.n) != ERR_OK)
		log_error("lease", "could not record the failure of lease %s",
		          li->id);
	lease_txn_release(&t);

	pthread_mutex_lock(&lm->lock);
	s->fails = (uint16_t)li->failures;
	s->due = now + retry_delay(li->failures);
	pthread_mutex_unlock(&lm->lock);

	/*
	 * A credential that could not be revoked must not be forgotten: past
	 * LEASE_MAX_FAILURES the lease is flagged for the operator and still
	 * retried, once every LEASE_RETRY_CAP, until it goes or is forced.
	 */
	if (li->failures == LEASE_MAX_FAILURES)
		log_error("lease",
		          "lease %s could not be revoked after %d attempts "
		          "(%s); still retrying, backing off to every %d s; "
		          "revoke-force removes it",
		          li->id, li->failures, err_str(why), LEASE_RETRY_CAP);
	else
		log_warn("lease",
		         "revocation of lease %s failed (attempt %d: %s); "
		         "retrying in %lld s",
		         li->id, li->failures, err_str(why),
		         (long long)retry_delay(li->failures));
}

static err_t delete_record(struct lease_mgr *lm, const struct lease_info *li)
{
	struct lease_txn t;
	struct buf key = BUF_INIT;
	err_t rc;

	lease_txn_init(&t);
	rc = lease_record_key(li->id, &key);
	if (rc == ERR_OK)
		rc = lease_txn_delete(&t, buf_str(&key));
	if (rc == ERR_OK && li->kind == LEASE_SECRET && li->token_hash[0]) {
		buf_reset(&key);
		rc = lease_token_index_key(li->token_hash, li->id, &key);
		if (rc == ERR_OK)
			rc = lease_txn_delete(&t, buf_str(&key));
	}
	if (rc == ERR_OK)
		rc = storage_commit(lm->enc, t.ops, t.n);
	lease_txn_release(&t);
	buf_release(&key);
	return rc;
}

err_t lease_revoke_busy(struct lease_mgr *lm, struct lease_slot *s, bool force)
{
	struct lease_info *li = NULL;
	bool found = false;
	err_t rc;

	rc = lease_record_load(lm->enc, s->id, &li, &found);
	if (rc == ERR_OK && found) {
		if (li->kind == LEASE_TOKEN)
			rc = lm->cb.revoke_token
			         ? lm->cb.revoke_token(lm->cb.ctx,
			                               li->token_hash)
			         : ERR_OK;
		else
			rc = lm->cb.revoke_secret
			         ? lm->cb.revoke_secret(lm->cb.ctx, li)
			         : ERR_OK;
		if (rc != ERR_OK && !force) {
			note_failure(lm, s, li, rc);
			goto out;
		}
		rc = delete_record(lm, li);
	}
	if (rc == ERR_OK) {
		pthread_mutex_lock(&lm->lock);
		s->flags |= SLOT_REMOVED;
		pthread_mutex_unlock(&lm->lock);
		if (found)
			log_info("lease", "revoked lease %s", s->id);
	}
out:
	lease_info_free(li);
	return rc;
}

err_t lease_revoke(struct lease_mgr *lm, const char *caller_ns, const char *id,
                   bool force)
{
	struct lease_slot *s;
	err_t rc;

	rc = lease_claim(lm, id, caller_ns, false, &s);
	if (rc != ERR_OK)
		return rc;
	rc = lease_revoke_busy(lm, s, force);
	lease_release(lm, s);
	return rc;
}

/* The ids of namespace ns starting with prefix; a NULL-ended array. */
static err_t collect_prefix(struct lease_mgr *lm, const char *ns,
                            const char *prefix, char ***out)
{
	size_t plen = strlen(prefix), n = 0, alloc = 0, i;
	char **ids = NULL;
	err_t rc = ERR_OK;

	pthread_mutex_lock(&lm->lock);
	for (i = 0; i < lm->nbuckets && rc == ERR_OK; i++) {
		struct lease_slot *s;
		for (s = lm->buckets[i]; s != NULL && rc == ERR_OK;
		     s = s->next) {
			if (strcmp(s->ns, ns) != 0 ||
			    strncmp(s->id, prefix, plen) != 0)
				continue;
			rc = lease_grow((void **)&ids, &alloc, n + 1,
			                sizeof(*ids));
			if (rc == ERR_OK && (ids[n] = strdup(s->id)) != NULL)
				n++;
			else
				rc = ERR_NOMEM;
		}
	}
	pthread_mutex_unlock(&lm->lock);
	if (rc == ERR_OK && ids == NULL &&
	    (ids = calloc(1, sizeof(*ids))) == NULL)
		rc = ERR_NOMEM;
	if (ids != NULL)
		ids[n] = NULL;
	*out = ids;
	return rc;
}

static void free_ids(char **ids)
{
	size_t i;

	for (i = 0; ids != NULL && ids[i] != NULL; i++)
		free(ids[i]);
	free(ids);
}

err_t lease_revoke_prefix(struct lease_mgr *lm, const char *ns,
                          const char *prefix, bool force)
{
	char **ids = NULL;
	err_t rc, first = ERR_OK;
	size_t i;

	rc = collect_prefix(lm, ns, prefix, &ids);
	for (i = 0; rc == ERR_OK && ids[i] != NULL; i++) {
		struct lease_slot *s;
		err_t one;
		if (lease_claim(lm, ids[i], ns, true, &s) != ERR_OK)
			continue; /* gone meanwhile */
		one = lease_revoke_busy(lm, s, force);
		lease_release(lm, s);
		if (one != ERR_OK && first == ERR_OK)
			first = one;
	}
	free_ids(ids);
	return rc != ERR_OK ? rc : first;
}
