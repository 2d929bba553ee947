/*
 * lease_expiry.c - restoring the index at unseal, and the expiry thread.
 *
 * The thread sleeps on a condition variable bound to CLOCK_MONOTONIC until
 * the earliest due time (at most a second, so that a step of the wall
 * clock, which lease times follow, is noticed soon), takes up to
 * LEASE_BATCH due slots, and revokes them one by one through the
 * callbacks. A new lease due sooner signals the condition variable.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "core/lease_internal.h"

static err_t restore_one(void *ctx, const char *key)
{
	struct lease_mgr *lm = ctx;
	struct buf val = BUF_INIT;
	struct lease_info *li = NULL;
	struct lease_slot *s;
	bool found = false;
	json_t *o = NULL;
	err_t rc;

	rc = storage_get(lm->enc, key, &val, &found);
	if (rc != ERR_OK || !found)
		goto out;
	o = json_loadb((const char *)val.data, val.len, 0, NULL);
	if (o == NULL || lease_record_parse(o, &li) != ERR_OK) {
		/* Keep going: one bad record must not keep the server sealed.
		 */
		log_error("lease", "skipping unreadable lease record %s", key);
		goto out;
	}

	pthread_mutex_lock(&lm->lock);
	rc = lease_index_add(lm, li->id, li->ns, li->expire_time,
	                     li->kind == LEASE_TOKEN ? SLOT_TOKEN : 0, &s);
	if (rc == ERR_OK) {
		s->fails = (uint16_t)(li->failures > 0 ? li->failures : 0);
		/* Irrevocable ones too: they are retried, never forgotten. */
		lease_heap_push(lm, s);
	}
	pthread_mutex_unlock(&lm->lock);
out:
	lease_info_free(li);
	json_decref(o);
	buf_release(&val);
	return rc;
}

err_t lease_restore(struct lease_mgr *lm)
{
	err_t rc = lease_walk(lm->enc, LEASE_ID_PREFIX, restore_one, lm);

	if (rc == ERR_OK)
		log_info("lease", "restored %zu leases", lease_count(lm));
	return rc;
}

/* Sleeps on lm->wake for at most ms milliseconds; lm->lock is held. */
static void wait_ms(struct lease_mgr *lm, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&lm->wake, &lm->lock, &ts);
}

/* Pops up to LEASE_BATCH due slots and marks them BUSY; lock held. */
static size_t take_batch(struct lease_mgr *lm, int64_t now,
                         struct lease_slot **batch)
{
	size_t n = 0;

	while (n < LEASE_BATCH && lm->heap_len > 0 && lm->heap[0]->due <= now) {
		struct lease_slot *s = lm->heap[0];
		lease_heap_remove(lm, s);
		s->flags |= SLOT_BUSY;
		batch[n++] = s;
	}
	return n;
}

static void run_batch(struct lease_mgr *lm, struct lease_slot **batch, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		lease_revoke_busy(lm, batch[i], false);
		lease_release(lm, batch[i]);
	}
}

static void *expiry_main(void *arg)
{
	struct lease_mgr *lm = arg;
	struct lease_slot *batch[LEASE_BATCH];
	size_t n;

	pthread_mutex_lock(&lm->lock);
	while (!lm->stop) {
		int64_t now = lease_now();
		if (lm->heap_len == 0 || lm->heap[0]->due > now) {
			wait_ms(lm, lm->heap_len
			                ? lease_ms_until(lm->heap[0]->due)
			                : 1000);
			continue;
		}
		n = take_batch(lm, now, batch);
		pthread_mutex_unlock(&lm->lock);

		if (lm->cb.enter != NULL && !lm->cb.enter(lm->cb.ctx)) {
			/* Put them back; a seal is probably waiting. */
			size_t i;
			for (i = 0; i < n; i++)
				lease_release(lm, batch[i]);
			pthread_mutex_lock(&lm->lock);
			if (!lm->stop)
				wait_ms(lm, 50);
			continue;
		}
		run_batch(lm, batch, n);
		if (lm->cb.leave != NULL)
			lm->cb.leave(lm->cb.ctx);
		pthread_mutex_lock(&lm->lock);
	}
	pthread_mutex_unlock(&lm->lock);
	return NULL;
}

err_t lease_mgr_start(struct lease_mgr *lm)
{
	err_t rc;

	if (lm->running)
		return ERR_OK;
	rc = lease_restore(lm);
	if (rc != ERR_OK)
		return rc;
	lm->stop = false;
	if (pthread_create(&lm->thread, NULL, expiry_main, lm) != 0) {
		log_error("lease", "cannot start the expiry thread");
		return ERR_INTERNAL;
	}
	lm->running = true;
	return ERR_OK;
}

void lease_mgr_stop(struct lease_mgr *lm)
{
	if (lm == NULL || !lm->running)
		return;
	pthread_mutex_lock(&lm->lock);
	lm->stop = true;
	pthread_cond_signal(&lm->wake);
	pthread_mutex_unlock(&lm->lock);
	pthread_join(lm->thread, NULL);
	lm->running = false;
}

void lease_mgr_kick(struct lease_mgr *lm)
{
	pthread_mutex_lock(&lm->lock);
	pthread_cond_signal(&lm->wake);
	pthread_mutex_unlock(&lm->lock);
}
