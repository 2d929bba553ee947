/*
 * ha.c - the HA loop of one server; see ha.h for the states.
 *
 * Locking: the loop takes the core lock for writing only to load or
 * unload the state (promote, demote), and for reading to look at the seal
 * state. `mu` guards what request threads read (active, leader,
 * active_since) and the loop's orders (stopping, step_down). Everything
 * else of struct ha_state belongs to the loop thread.
 */
#include "core/ha.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/encoding.h"
#include "base/log.h"
#include "core/core_internal.h"
#include "storage/postgres.h"

#define HA_TICK_MS  200
#define HA_TRY_MS   1000
#define HA_RETRY_MS 500

struct ha_state {
	struct core *c;
	struct storage *phys;
	char *value; /* our api_addr, stored with the lock */
	pthread_t thread;
	bool running;

	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stopping;
	bool step_down;
	bool active;
	char *leader; /* the active's api_addr, NULL when unknown */
	int64_t active_since;

	/* The loop thread's own, in monotonic milliseconds. */
	int ttl_ms;
	int64_t renewed_at;
	int64_t next_renew;
	int64_t next_try;
	int64_t backoff_until;
};

static int64_t ha_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Replaces the cached leader address; mu held. NULL clears it. */
static void ha_set_leader(struct ha_state *h, const char *addr)
{
	free(h->leader);
	h->leader = addr != NULL && addr[0] != '\0' ? strdup(addr) : NULL;
}

static void ha_refresh_leader(struct ha_state *h)
{
	struct buf v = BUF_INIT;
	bool found = false, self = false;

	if (postgres_ha_leader(h->phys, &v, &found, &self) != ERR_OK)
		found = false;
	pthread_mutex_lock(&h->mu);
	ha_set_leader(h, found ? buf_str(&v) : NULL);
	pthread_mutex_unlock(&h->mu);
	buf_release(&v);
}

/*
 * Gives up being active: unloads the state (the barrier keeps its keys,
 * so the server stands by) and frees the lock row if still ours.
 */
static void ha_demote(struct ha_state *h, const char *why, int backoff_ms)
{
	struct core *c = h->c;

	pthread_rwlock_wrlock(&c->lock);
	if (c->unsealed) {
		core_unload_state(c);
		c->standby = true;
	}
	pthread_rwlock_unlock(&c->lock);
	postgres_ha_release(h->phys);

	pthread_mutex_lock(&h->mu);
	h->active = false;
	h->active_since = 0;
	ha_set_leader(h, NULL);
	pthread_mutex_unlock(&h->mu);
	h->backoff_until = ha_now_ms() + backoff_ms;
	h->next_try = 0;
	log_warn("ha", "no longer the active server: %s", why);
}

/* Holds the lock: loads everything and starts serving. */
static void ha_promote(struct ha_state *h, int64_t now)
{
	struct core *c = h->c;
	int64_t sec;
	long nsec;
	err_t rc = ERR_OK;

	pthread_rwlock_wrlock(&c->lock);
	if (!c->standby)
		rc = ERR_SEALED; /* sealed since the lock was taken */
	if (rc == ERR_OK)
		rc = barrier_reload(c->barrier);
	if (rc == ERR_OK)
		rc = core_load_state(c);
	if (rc == ERR_OK)
		c->standby = false;
	pthread_rwlock_unlock(&c->lock);
	if (rc != ERR_OK) {
		log_error("ha", "cannot become active: %s", err_str(rc));
		postgres_ha_release(h->phys);
		h->backoff_until = now + 2 * HA_TRY_MS;
		return;
	}

	time_now(&sec, &nsec);
	pthread_mutex_lock(&h->mu);
	h->active = true;
	h->active_since = sec;
	ha_set_leader(h, h->value);
	pthread_mutex_unlock(&h->mu);
	h->renewed_at = now;
	h->next_renew = ha_now_ms() + h->ttl_ms / 3;
	log_info("ha", "this server is now the active server");
}

static void ha_tick_active(struct ha_state *h, int64_t now, bool unsealed,
                           bool step)
{
	bool held = false;
	err_t rc;

	if (!unsealed) {
		ha_demote(h, "sealed", 0);
		return;
	}
	if (step) {
		ha_demote(h, "step-down requested", 2 * h->ttl_ms);
		return;
	}
	if (postgres_ha_fence_tripped(h->phys)) {
		ha_demote(h, "a write found the lock held by another server",
		          0);
		return;
	}
	if (now < h->next_renew)
		return;

	rc = postgres_ha_acquire(h->phys, h->value, &held);
	if (rc == ERR_OK && held) {
		h->renewed_at = now;
		h->next_renew = now + h->ttl_ms / 3;
	} else if (rc == ERR_OK) {
		ha_demote(h, "the lock was taken by another server", 0);
	} else if (now - h->renewed_at >= h->ttl_ms) {
		/* The database may already have handed the lock on. */
		ha_demote(h, "the lock could not be renewed in time", 0);
	} else {
		h->next_renew = now + HA_RETRY_MS;
	}
}

static void ha_tick_standby(struct ha_state *h, int64_t now)
{
	bool held = false;

	if (now < h->next_try)
		return;
	h->next_try = now + HA_TRY_MS;
	if (now >= h->backoff_until &&
	    postgres_ha_acquire(h->phys, h->value, &held) == ERR_OK && held) {
		ha_promote(h, now);
		return;
	}
	ha_refresh_leader(h);
}

static void ha_tick(struct ha_state *h, bool step)
{
	int64_t now = ha_now_ms();
	bool unsealed, standby;

	pthread_rwlock_rdlock(&h->c->lock);
	unsealed = h->c->unsealed;
	standby = h->c->standby;
	pthread_rwlock_unlock(&h->c->lock);

	if (h->active)
		ha_tick_active(h, now, unsealed, step);
	else if (standby)
		ha_tick_standby(h, now);
}

static void *ha_main(void *arg)
{
	struct ha_state *h = arg;
	struct timespec until;
	bool step;

	pthread_mutex_lock(&h->mu);
	while (!h->stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += HA_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->cond, &h->mu, &until);
		if (h->stopping)
			break;
		step = h->step_down;
		h->step_down = false;
		pthread_mutex_unlock(&h->mu);
		ha_tick(h, step);
		pthread_mutex_lock(&h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

err_t ha_new(struct core *c, struct ha_state **out)
{
	struct ha_state *h;

	*out = NULL;
	if (!postgres_ha_enabled(c->phys))
		return ERR_OK;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return ERR_NOMEM;
	h->c = c;
	h->phys = c->phys;
	h->ttl_ms = postgres_ha_ttl_ms(c->phys);
	h->value = strdup(c->api_addr != NULL ? c->api_addr : "");
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cond, NULL);
	if (h->value == NULL) {
		ha_free(h);
		return ERR_NOMEM;
	}
	if (c->api_addr == NULL)
		log_warn("ha", "no api_addr is set: standby servers cannot "
		               "redirect clients to this one");
	if (pthread_create(&h->thread, NULL, ha_main, h) != 0) {
		ha_free(h);
		return ERR_INTERNAL;
	}
	h->running = true;
	*out = h;
	return ERR_OK;
}

void ha_free(struct ha_state *h)
{
	if (h == NULL)
		return;
	if (h->running) {
		pthread_mutex_lock(&h->mu);
		h->stopping = true;
		pthread_cond_signal(&h->cond);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->thread, NULL);
	}
	/* A clean shutdown hands over at once instead of after the TTL. */
	if (h->active)
		postgres_ha_release(h->phys);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->mu);
	free(h->leader);
	free(h->value);
	free(h);
}

void ha_enter_standby(struct core *c)
{
	struct ha_state *h = c->ha;

	c->standby = true;
	postgres_ha_fence(c->phys);
	log_info("ha", "unsealed as a standby; waiting for the lock");
	pthread_mutex_lock(&h->mu);
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->mu);
}

void ha_redirect(struct core *c, struct response *resp)
{
	struct ha_state *h = c->ha;
	char *leader = NULL;
	bool known;

	/* Just unsealed, or the active just changed: ask the database. */
	pthread_mutex_lock(&h->mu);
	known = h->leader != NULL;
	pthread_mutex_unlock(&h->mu);
	if (!known)
		ha_refresh_leader(h);

	pthread_mutex_lock(&h->mu);
	/* The row may still carry our own address (a lock taken by hand). */
	if (h->leader != NULL && strcmp(h->leader, h->value) != 0)
		leader = strdup(h->leader);
	pthread_mutex_unlock(&h->mu);
	if (leader == NULL) {
		response_error(resp, ERR_UNAVAILABLE,
		               "this server is a standby and no active server "
		               "is known yet; try again shortly");
		return;
	}
	resp->status = 307;
	resp->bare = true;
	response_set_data(resp, json_pack("{s:s}", "leader_address", leader));
	free(leader);
}

void ha_status(struct core *c, bool *enabled, bool *is_self, char **leader,
               int64_t *active_since)
{
	struct ha_state *h = c->ha;

	*enabled = h != NULL;
	*is_self = false;
	*leader = NULL;
	*active_since = 0;
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	*is_self = h->active;
	*active_since = h->active_since;
	if (h->leader != NULL)
		*leader = strdup(h->leader);
	pthread_mutex_unlock(&h->mu);
}

err_t ha_step_down(struct core *c)
{
	struct ha_state *h = c->ha;

	if (h == NULL)
		return ERR_OK;
	pthread_mutex_lock(&h->mu);
	h->step_down = true;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->mu);
	return ERR_OK;
}
