/*
 * lease_internal.h - the lease manager's state, shared by lease.c (the API
 * and records), lease_index.c (the in-memory index) and lease_expiry.c
 * (restore and the expiry thread). Nothing else includes it.
 *
 * Invariants, all under lm->lock:
 * 1. Every slot is in exactly one hash chain.
 * 2. A slot is in the heap iff it is neither BUSY nor IRREVOCABLE; then
 *    heap[slot->heap_pos] == slot.
 * 3. A BUSY slot belongs to the one thread that set the flag: nobody else
 *    frees it; others mark it REMOVED or change its times, and its owner
 *    acts on that when it releases the slot.
 */
#ifndef COFFER_CORE_LEASE_INTERNAL_H
#define COFFER_CORE_LEASE_INTERNAL_H

#include <pthread.h>

#include "base/buf.h"
#include "core/lease.h"

#define SLOT_BUSY        0x01
#define SLOT_REMOVED     0x02
#define SLOT_IRREVOCABLE 0x04
#define SLOT_TOKEN       0x08
#define SLOT_NO_POS      UINT32_MAX

/* About 48 bytes plus the id: the whole per-lease cost besides the heap. */
struct lease_slot {
	struct lease_slot *next; /* hash chain */
	int64_t expire;          /* unix seconds */
	int64_t due;             /* next action: expiry or retry */
	const char *ns;          /* interned in lm->names */
	uint32_t heap_pos;
	uint32_t hash;
	uint16_t fails;
	uint8_t flags;
	char id[];
};

struct lease_ns {
	struct lease_ns *next;
	char name[];
};

struct lease_mgr {
	struct storage *enc;
	struct lease_callbacks cb;

	pthread_mutex_t lock;
	pthread_cond_t wake; /* the expiry thread sleeps on it (monotonic) */
	pthread_cond_t idle; /* a BUSY slot was released */

	struct lease_slot **buckets;
	size_t nbuckets, count;
	struct lease_slot **heap;
	size_t heap_len, heap_alloc;
	struct lease_ns *names;

	pthread_t thread;
	bool running, stop;
};

/* An index change of a lease_txn, applied after the commit. */
struct lease_change {
	bool remove;
	char *id;
	char *ns;
	int64_t expire;
	bool token;
};

/* lease_index.c; every function wants lm->lock held. */
struct lease_slot *lease_index_find(struct lease_mgr *lm, const char *id);
err_t lease_index_add(struct lease_mgr *lm, const char *id, const char *ns,
                      int64_t expire, uint8_t flags, struct lease_slot **out);
void lease_index_unlink(struct lease_mgr *lm, struct lease_slot *s);
void lease_index_clear(struct lease_mgr *lm);
err_t lease_heap_push(struct lease_mgr *lm, struct lease_slot *s);
void lease_heap_remove(struct lease_mgr *lm, struct lease_slot *s);
void lease_heap_fix(struct lease_mgr *lm, struct lease_slot *s);
bool lease_ns_visible(const char *lease_ns, const char *caller_ns);

/* lease.c: revocation of a slot its caller holds BUSY, and its release. */
err_t lease_revoke_busy(struct lease_mgr *lm, struct lease_slot *s, bool force);
void lease_release(struct lease_mgr *lm, struct lease_slot *s);
err_t lease_record_load(struct storage *s, const char *id,
                        struct lease_info **out, bool *found);
err_t lease_record_parse(json_t *o, struct lease_info **out);
json_t *lease_record_json(const struct lease_info *li);
err_t lease_record_key(const char *id, struct buf *key);
err_t lease_token_index_key(const char *token_hash, const char *id,
                            struct buf *out);
err_t lease_token_index_unescape(const char *s, struct buf *out);
err_t lease_txn_put_record(struct lease_txn *t, const struct lease_info *li);
err_t lease_claim(struct lease_mgr *lm, const char *id, const char *ns,
                  bool exact_ns, struct lease_slot **out);
/* Grows *arr (n used of *alloc items of size bytes) to hold one more. */
err_t lease_grow(void **arr, size_t *alloc, size_t n, size_t size);

/* Milliseconds from now until the unix second due, at most 1000. */
int64_t lease_ms_until(int64_t due);

/* lease_expiry.c */
err_t lease_restore(struct lease_mgr *lm);

#endif
