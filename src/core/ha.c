/*
 * ha.c - the HA loop of one server; see ha.h for the states.
 *
 * Locking: the loop takes the core lock for writing only to load or
 * unload the state (promote, demote), and for reading to look at the seal
 * state. `mu` guards what request threads read (active, leader,
 * leader_connect, active_since, the forwarding key) and the loop's orders
 * (stopping, step_down). Everything else of struct ha_state belongs to the
 * loop thread. The order is always core lock, then mu: never the core lock
 * while mu is held.
 */
#include "core/ha.h"

#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/secret.h"
#include "core/core_internal.h"
#include "storage/postgres.h"

#define HA_TICK_MS  200
#define HA_TRY_MS   1000
#define HA_RETRY_MS 500

/* The forwarding key (core/ha_forward.h), made once by an active server. */
#define HA_KEY_PATH     "core/forwarding-key"
#define HA_KEY_RETRY_MS 5000

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
	/* leader's host resolved, "ip:port"; NULL when it would not resolve */
	char *leader_connect;
	int64_t active_since;
	uint8_t fwd_key[HA_FORWARD_KEY_LEN];
	bool fwd_key_ok;
	int64_t fwd_key_tried; /* when a load last failed, monotonic ms */
	bool fwd_key_warned;

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

/*
 * Replaces the cached leader address and its resolved form; mu held. NULL
 * clears them.
 */
static void ha_set_leader(struct ha_state *h, const char *addr,
                          const char *connect)
{
	free(h->leader);
	free(h->leader_connect);
	h->leader = addr != NULL && addr[0] != '\0' ? strdup(addr) : NULL;
	h->leader_connect =
	    h->leader != NULL && connect != NULL ? strdup(connect) : NULL;
}

/*
 * The host and port of an api_addr, "scheme://host[:port][/...]"; IPv6
 * hosts in brackets. The port defaults to the scheme's.
 */
static bool ha_url_split(const char *url, char *host, size_t hostlen,
                         char *port, size_t portlen)
{
	const char *p, *end, *colon = NULL;
	bool tls = strncmp(url, "https://", 8) == 0;
	size_t n;

	if (!tls && strncmp(url, "http://", 7) != 0)
		return false;
	p = url + (tls ? 8 : 7);
	end = p + strcspn(p, "/?#");
	if (*p == '[') {
		const char *close_br = memchr(p, ']', (size_t)(end - p));
		if (close_br == NULL)
			return false;
		n = (size_t)(close_br - p - 1);
		p++;
		colon = close_br[1] == ':' ? close_br + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		n = (size_t)((colon != NULL ? colon : end) - p);
	}
	if (n == 0 || n >= hostlen)
		return false;
	memcpy(host, p, n);
	host[n] = 0;
	n = colon != NULL ? (size_t)(end - colon - 1) : 0;
	if (colon != NULL && (n == 0 || n >= portlen))
		return false;
	snprintf(port, portlen, "%.*s", (int)n, colon != NULL ? colon + 1 : "");
	if (colon == NULL)
		snprintf(port, portlen, "%s", tls ? "443" : "80");
	return true;
}

/*
 * Resolves the host of an api_addr to "ip:port" ("[ip]:port" for IPv6),
 * a heap string, or NULL. It may wait on DNS, so it runs in the HA loop,
 * or in a request thread only while no leader is known yet.
 */
static char *ha_resolve(const char *url)
{
	struct addrinfo hints, *ai = NULL;
	char host[256], port[16], ip[64];
	struct buf out = BUF_INIT;
	bool v6;

	if (!ha_url_split(url, host, sizeof(host), port, sizeof(port))) {
		log_warn("ha",
		         "the active server's api_addr %s is not an "
		         "http or https URL",
		         url);
		return NULL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL ||
	    getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, sizeof(ip), NULL, 0,
	                NI_NUMERICHOST) != 0) {
		log_warn("ha", "cannot resolve %s, the active server's host",
		         host);
		if (ai != NULL)
			freeaddrinfo(ai);
		return NULL;
	}
	v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	if (buf_printf(&out, "%s%s%s:%s", v6 ? "[" : "", ip, v6 ? "]" : "",
	               port) != ERR_OK) {
		buf_release(&out);
		return NULL;
	}
	return buf_detach(&out);
}

static void ha_refresh_leader(struct ha_state *h)
{
	struct buf v = BUF_INIT;
	bool found = false, self = false, same;
	char *connect = NULL;

	if (postgres_ha_leader(h->phys, &v, &found, &self) != ERR_OK)
		found = false;
	pthread_mutex_lock(&h->mu);
	same = found && h->leader != NULL && h->leader_connect != NULL &&
	       strcmp(h->leader, buf_str(&v)) == 0;
	pthread_mutex_unlock(&h->mu);
	if (same)
		goto out;

	/* A new active server: resolve its address once, outside mu. */
	if (found && buf_str(&v)[0] != '\0')
		connect = ha_resolve(buf_str(&v));
	pthread_mutex_lock(&h->mu);
	ha_set_leader(h, found ? buf_str(&v) : NULL, connect);
	pthread_mutex_unlock(&h->mu);
out:
	free(connect);
	buf_release(&v);
}

/*
 * Reads the forwarding key into key, or, with create (the active server,
 * which alone may write), makes and stores it when there is none yet.
 * The core lock is held. ERR_NOT_FOUND when there is none and !create.
 */
static err_t ha_key_read(struct core *c, bool create,
                         uint8_t key[HA_FORWARD_KEY_LEN])
{
	struct buf b = BUF_INIT;
	bool found = false;
	err_t rc;

	rc = storage_get(c->enc, HA_KEY_PATH, &b, &found);
	if (rc == ERR_OK && found && b.len != HA_FORWARD_KEY_LEN)
		rc = ERR_CRYPTO;
	else if (rc == ERR_OK && found)
		memcpy(key, b.data, HA_FORWARD_KEY_LEN);
	else if (rc == ERR_OK && !create)
		rc = ERR_NOT_FOUND;
	else if (rc == ERR_OK)
		rc = rand_bytes(key, HA_FORWARD_KEY_LEN);
	if (rc == ERR_OK && !found)
		rc = storage_put(c->enc, HA_KEY_PATH, key, HA_FORWARD_KEY_LEN);
	buf_release(&b);
	return rc;
}

/* Keeps key as the cached forwarding key, or notes a failed load; mu held. */
static void ha_key_keep(struct ha_state *h, err_t rc,
                        const uint8_t key[HA_FORWARD_KEY_LEN])
{
	if (rc == ERR_OK) {
		memcpy(h->fwd_key, key, HA_FORWARD_KEY_LEN);
		h->fwd_key_ok = true;
		return;
	}
	h->fwd_key_tried = ha_now_ms();
	/* Sealed is no news; anything else the operator should hear once. */
	if (rc != ERR_SEALED && !h->fwd_key_warned)
		log_warn("ha",
		         "no request forwarding key (%s): forwarded "
		         "requests carry the standby's address, not the "
		         "client's",
		         err_str(rc));
	h->fwd_key_warned = h->fwd_key_warned || rc != ERR_SEALED;
}

/* Wipes the cached key: the server was sealed. */
static void ha_key_forget(struct ha_state *h)
{
	pthread_mutex_lock(&h->mu);
	secret_wipe(h->fwd_key, sizeof(h->fwd_key));
	h->fwd_key_ok = false;
	h->fwd_key_tried = 0;
	pthread_mutex_unlock(&h->mu);
}

/*
 * The forwarding key into key, read from storage on first use (and again
 * at most every HA_KEY_RETRY_MS while there is none). The core lock must
 * not be held: a standby whose keyring is older than the key reloads it.
 */
static bool ha_key_get(struct ha_state *h, uint8_t key[HA_FORWARD_KEY_LEN])
{
	struct core *c = h->c;
	bool ok, try_now;
	err_t rc = ERR_SEALED;

	pthread_mutex_lock(&h->mu);
	ok = h->fwd_key_ok;
	if (ok)
		memcpy(key, h->fwd_key, HA_FORWARD_KEY_LEN);
	try_now = !ok && (h->fwd_key_tried == 0 ||
	                  ha_now_ms() - h->fwd_key_tried >= HA_KEY_RETRY_MS);
	if (try_now)
		h->fwd_key_tried = ha_now_ms();
	pthread_mutex_unlock(&h->mu);
	if (ok || !try_now)
		return ok;

	pthread_rwlock_wrlock(&c->lock);
	if (c->unsealed || c->standby) {
		rc = ha_key_read(c, false, key);
		if (rc == ERR_CRYPTO && barrier_reload(c->barrier) == ERR_OK)
			rc = ha_key_read(c, false, key);
	}
	pthread_rwlock_unlock(&c->lock);
	pthread_mutex_lock(&h->mu);
	ha_key_keep(h, rc, key);
	pthread_mutex_unlock(&h->mu);
	return rc == ERR_OK;
}

/*
 * Says whether this server is the active one, to sys/leader and to the
 * forwarding code. Called with the core lock held for writing, in the
 * same step as c->standby changes, so that sys/health and sys/leader
 * never disagree.
 */
static void ha_mark_active(struct ha_state *h, bool active)
{
	int64_t sec = 0;
	long nsec;

	if (active)
		time_now(&sec, &nsec);
	pthread_mutex_lock(&h->mu);
	h->active = active;
	h->active_since = sec;
	ha_set_leader(h, active ? h->value : NULL, NULL);
	pthread_mutex_unlock(&h->mu);
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
	ha_mark_active(h, false);
	pthread_rwlock_unlock(&c->lock);
	postgres_ha_release(h->phys);

	h->backoff_until = ha_now_ms() + backoff_ms;
	h->next_try = 0;
	log_warn("ha", "no longer the active server: %s", why);
}

/* Holds the lock: loads everything and starts serving. */
static void ha_promote(struct ha_state *h, int64_t now)
{
	struct core *c = h->c;
	uint8_t key[HA_FORWARD_KEY_LEN];
	err_t rc = ERR_OK, key_rc;

	pthread_rwlock_wrlock(&c->lock);
	if (!c->standby)
		rc = ERR_SEALED; /* sealed since the lock was taken */
	if (rc == ERR_OK)
		rc = barrier_reload(c->barrier);
	if (rc == ERR_OK)
		rc = core_load_state(c);
	if (rc == ERR_OK) {
		c->standby = false;
		ha_mark_active(h, true);
		/* Holding the lock, this server may make the key. */
		key_rc = ha_key_read(c, true, key);
		pthread_mutex_lock(&h->mu);
		ha_key_keep(h, key_rc, key);
		pthread_mutex_unlock(&h->mu);
		secret_wipe(key, sizeof(key));
	}
	pthread_rwlock_unlock(&c->lock);
	if (rc != ERR_OK) {
		log_error("ha", "cannot become active: %s", err_str(rc));
		postgres_ha_release(h->phys);
		h->backoff_until = now + 2 * HA_TRY_MS;
		return;
	}
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
	else if (!unsealed)
		ha_key_forget(h);
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
	secret_wipe(h->fwd_key, sizeof(h->fwd_key));
	free(h->leader);
	free(h->leader_connect);
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

/* Replaces whatever resp held with an error. */
static void ha_fail(struct response *resp, err_t code, const char *msg)
{
	response_release(resp);
	response_init(resp);
	response_error(resp, code, "%s", msg);
}

/* The first value of a request header (name lowercase), or NULL. */
static const char *ha_header(const struct request *req, const char *name)
{
	json_t *values = json_object_get(req->headers, name);

	return json_string_value(json_array_get(values, 0));
}

/* An active server with clustering disabled sends the client back. */
static bool ha_redirect_here(struct ha_state *h, struct response *resp)
{
	bool active;

	pthread_mutex_lock(&h->mu);
	active = h->active;
	pthread_mutex_unlock(&h->mu);
	if (!active || h->value[0] == '\0')
		return false;
	resp->status = 307;
	resp->bare = true;
	response_set_data(resp, json_pack("{s:s}", "leader_address", h->value));
	return true;
}

enum ha_origin ha_accept_forwarded(struct core *c, struct request *req,
                                   bool clustering_disabled,
                                   char addr[HA_FORWARD_ADDR_LEN],
                                   struct response *resp)
{
	struct ha_state *h = c->ha;
	json_t *values = json_object_get(req->headers, HA_FORWARD_HEADER_LC);
	uint8_t key[HA_FORWARD_KEY_LEN];
	const char *value;
	int64_t now;
	long nsec;
	err_t rc = ERR_INVALID;

	addr[0] = 0;
	if (values == NULL)
		return HA_ORIGIN_CLIENT;
	/* Two such headers: one came from the client; believe neither. */
	value = json_array_size(values) == 1
	            ? ha_header(req, HA_FORWARD_HEADER_LC)
	            : NULL;
	if (h != NULL && value != NULL && !ha_key_get(h, key))
		rc = ERR_UNAVAILABLE;
	else if (h != NULL && value != NULL) {
		time_now(&now, &nsec);
		rc = ha_forward_check(key, value, req, now, addr);
	}
	secret_wipe(key, sizeof(key));
	json_object_del(req->headers, HA_FORWARD_HEADER_LC);
	if (h == NULL)
		return HA_ORIGIN_CLIENT;
	if (rc != ERR_OK) {
		log_warn("ha",
		         "ignored the %s header of request %s from %s: %s",
		         HA_FORWARD_HEADER, req->id, req->remote_addr,
		         rc == ERR_PERMISSION ? "its signature does not match"
		         : rc == ERR_UNAVAILABLE ? "no forwarding key is known"
		                                 : "malformed or out of date");
		return HA_ORIGIN_CLIENT;
	}
	log_debug("ha", "request %s forwarded by %s for %s", req->id,
	          req->remote_addr, addr);
	req->remote_addr = addr;
	if (clustering_disabled && ha_redirect_here(h, resp))
		return HA_ORIGIN_ANSWERED;
	return HA_ORIGIN_FORWARDED;
}

/* Adds where and how to forward to the 307 that ha_redirect made. */
static void ha_plan_forward(struct ha_state *h, const struct request *req,
                            struct response *resp)
{
	char *leader = NULL, *connect = NULL;
	uint8_t key[HA_FORWARD_KEY_LEN];
	struct buf line = BUF_INIT;
	int64_t now;
	long nsec;
	json_t *d;

	pthread_mutex_lock(&h->mu);
	if (h->leader != NULL && h->leader_connect != NULL &&
	    strcmp(h->leader, h->value) != 0) {
		leader = strdup(h->leader);
		connect = strdup(h->leader_connect);
	}
	pthread_mutex_unlock(&h->mu);
	if (leader == NULL || connect == NULL) {
		ha_fail(resp, ERR_UNAVAILABLE,
		        "active node unreachable: its address is not known "
		        "or does not resolve");
		goto out;
	}

	/* Without the key the request still goes, under our address. */
	if (ha_key_get(h, key)) {
		time_now(&now, &nsec);
		if (buf_append_str(&line, HA_FORWARD_HEADER ": ") != ERR_OK ||
		    ha_forward_sign(key, req, now, &line) != ERR_OK)
			buf_release(&line);
		secret_wipe(key, sizeof(key));
	}
	d = json_pack("{s:s, s:s}", "leader_address", leader, "forward_address",
	              connect);
	if (d != NULL && line.len > 0)
		json_object_set_new(d, "forward_header",
		                    json_string(buf_str(&line)));
	if (d == NULL)
		ha_fail(resp, ERR_NOMEM, "out of memory");
	else
		response_set_data(resp, d);
out:
	buf_release(&line);
	free(leader);
	free(connect);
}

static bool ha_is_standby(struct core *c)
{
	bool standby;

	pthread_rwlock_rdlock(&c->lock);
	standby = c->standby;
	pthread_rwlock_unlock(&c->lock);
	return standby;
}

void ha_standby_answer(struct core *c, const struct request *req,
                       enum ha_route route, struct response *resp)
{
	const char *no_fwd;

	if (c->ha == NULL || req->path == NULL)
		return;
	if (strcmp(req->path, "sys/seal") == 0 && ha_is_standby(c)) {
		log_warn("ha",
		         "refused to seal a standby (request %s): "
		         "restart it instead",
		         req->id);
		ha_fail(resp, ERR_INTERNAL,
		        "cannot seal a standby server: it has no token store "
		        "to check the caller against; restart it instead");
		return;
	}
	if (resp->err != ERR_OK || resp->status != 307)
		return;

	no_fwd = ha_header(req, "x-vault-no-request-forwarding");
	if (route == HA_ROUTE_REDIRECT || (no_fwd != NULL && no_fwd[0] != 0))
		return;
	if (route == HA_ROUTE_NO_HOP) {
		ha_fail(resp, ERR_UNAVAILABLE,
		        "active node unreachable: the request was forwarded to "
		        "a server that is no longer active; try again");
		return;
	}
	ha_plan_forward(c->ha, req, resp);
}
