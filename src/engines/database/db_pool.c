/*
 * db_pool.c - a connection pool per configured database, and the worker's
 * retry table.
 *
 * A pool keeps idle connections for reuse and counts the open ones
 * against max_open_connections; a caller over the limit waits for one to
 * come back. Connections are made outside the lock. A pool has a
 * generation: reset (a config change, reset/<name>, rotate-root) bumps it
 * and closes the idle connections; one in use is closed when it comes
 * back. A pooled connection found dead (the server restarted, the network
 * dropped it) is closed, and the operation retried once on a new one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "engines/database/database.h"

struct db_pool {
	struct db_pool *next;
	char *name;
	const struct db_plugin *plugin;
	uint64_t gen;
	size_t open; /* idle and in use */
	size_t nidle;
	struct db_conn *idle[DB_POOL_LIMIT];
};

struct db_retry {
	struct db_retry *next;
	char *key;
	int fails;
	int64_t next_try;
};

/* The pool of name, made on first use; st->lock is held. */
static struct db_pool *pool_get(struct db_state *st, const char *name,
                                const struct db_plugin *plugin)
{
	struct db_pool *p;

	for (p = st->pools; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0)
			break;
	if (p != NULL && p->plugin != plugin) {
		/* The config changed plugins: the old connections go. */
		while (p->nidle > 0)
			p->plugin->close(p->idle[--p->nidle]);
		p->open = 0;
		p->gen++;
		p->plugin = plugin;
	}
	if (p != NULL)
		return p;
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->name = strdup(name)) == NULL) {
		free(p);
		return NULL;
	}
	p->plugin = plugin;
	p->next = st->pools;
	st->pools = p;
	return p;
}

static void deadline_in(struct timespec *ts, int secs)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += secs;
}

/* Connects with the root password, or the pending one of a rotation. */
static err_t connect_root(const struct db_config *cfg, struct db_conn **out,
                          struct buf *why)
{
	struct db_connect_params p = {cfg->url, cfg->username, cfg->password};
	struct buf why2 = BUF_INIT;
	err_t rc;

	rc = cfg->plugin->connect(&p, out, why);
	if (rc == ERR_UNAVAILABLE && cfg->pending_password != NULL) {
		/* A rotate-root that set the password but did not record it. */
		p.password = cfg->pending_password;
		if (cfg->plugin->connect(&p, out, &why2) == ERR_OK)
			rc = ERR_OK;
	}
	db_redact(why, cfg->password);
	db_redact(why, cfg->pending_password);
	buf_release(&why2);
	return rc;
}

/* Takes an idle connection or a free slot; *conn NULL means "connect". */
static err_t acquire(struct db_state *st, const struct db_config *cfg,
                     bool fresh, struct db_conn **conn, uint64_t *gen,
                     struct buf *why)
{
	struct db_pool *p;
	struct timespec until;
	err_t rc = ERR_OK;

	*conn = NULL;
	deadline_in(&until, DB_POOL_WAIT);
	pthread_mutex_lock(&st->lock);
	p = pool_get(st, cfg->name, cfg->plugin);
	while (p != NULL && rc == ERR_OK) {
		if (!fresh && p->nidle > 0) {
			*conn = p->idle[--p->nidle];
			break;
		}
		if (p->open < (size_t)cfg->max_open) {
			p->open++;
			break;
		}
		if (pthread_cond_timedwait(&st->wake, &st->lock, &until) ==
		    ETIMEDOUT) {
			buf_printf(why,
			           "all %lld connections to \"%s\" are "
			           "busy",
			           (long long)cfg->max_open, cfg->name);
			rc = ERR_UNAVAILABLE;
		}
	}
	if (p == NULL)
		rc = ERR_NOMEM;
	if (p != NULL)
		*gen = p->gen;
	pthread_mutex_unlock(&st->lock);
	if (rc != ERR_OK || *conn != NULL)
		return rc;

	rc = connect_root(cfg, conn, why);
	if (rc != ERR_OK) {
		pthread_mutex_lock(&st->lock);
		if (p->gen == *gen && p->open > 0)
			p->open--;
		pthread_cond_broadcast(&st->wake);
		pthread_mutex_unlock(&st->lock);
	}
	return rc;
}

/* Gives c back, or closes it when it is dead or from an older config. */
static void release(struct db_state *st, const struct db_config *cfg,
                    struct db_conn *c, uint64_t gen)
{
	struct db_pool *p;
	bool keep;

	pthread_mutex_lock(&st->lock);
	p = pool_get(st, cfg->name, cfg->plugin);
	keep = p != NULL && p->gen == gen && !cfg->plugin->broken(c) &&
	       p->nidle < DB_POOL_LIMIT;
	if (keep)
		p->idle[p->nidle++] = c;
	else if (p != NULL && p->gen == gen)
		p->open--;
	pthread_cond_broadcast(&st->wake);
	pthread_mutex_unlock(&st->lock);
	if (!keep)
		cfg->plugin->close(c);
}

err_t db_with_conn(struct db_state *st, const struct db_config *cfg,
                   db_op_fn op, void *arg, struct buf *why)
{
	struct db_conn *c = NULL;
	uint64_t gen = 0;
	bool fresh = false;
	err_t rc;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		rc = acquire(st, cfg, fresh, &c, &gen, why);
		if (rc != ERR_OK)
			return rc;
		rc = op(cfg->plugin, c, arg, why);
		fresh = rc == ERR_UNAVAILABLE && cfg->plugin->broken(c);
		release(st, cfg, c, gen);
		if (!fresh)
			break;
		log_info("database",
		         "connection to \"%s\" was lost; "
		         "reconnecting",
		         cfg->name);
		buf_reset(why);
	}
	return rc;
}

void db_pool_reset(struct db_state *st, const char *name)
{
	struct db_conn *closing[DB_POOL_LIMIT];
	const struct db_plugin *plugin = NULL;
	struct db_pool *p;
	size_t n = 0, i;

	pthread_mutex_lock(&st->lock);
	for (p = st->pools; p != NULL; p = p->next) {
		if (strcmp(p->name, name) != 0)
			continue;
		plugin = p->plugin;
		while (p->nidle > 0)
			closing[n++] = p->idle[--p->nidle];
		/* In-use ones are closed on release and not counted then. */
		p->open = 0;
		p->gen++;
	}
	pthread_cond_broadcast(&st->wake);
	pthread_mutex_unlock(&st->lock);
	for (i = 0; i < n; i++)
		plugin->close(closing[i]);
}

void db_pool_free_all(struct db_state *st)
{
	struct db_pool *p, *next;

	for (p = st->pools; p != NULL; p = next) {
		next = p->next;
		while (p->nidle > 0)
			p->plugin->close(p->idle[--p->nidle]);
		free(p->name);
		free(p);
	}
	st->pools = NULL;
}

/* Retry table ------------------------------------------------------------ */

static struct db_retry *retry_find(struct db_state *st, const char *key)
{
	struct db_retry *r;

	for (r = st->retries; r != NULL; r = r->next)
		if (strcmp(r->key, key) == 0)
			return r;
	return NULL;
}

bool db_retry_due(struct db_state *st, const char *key, int64_t now)
{
	struct db_retry *r;
	bool due;

	pthread_mutex_lock(&st->lock);
	r = retry_find(st, key);
	due = r == NULL || r->next_try <= now;
	pthread_mutex_unlock(&st->lock);
	return due;
}

void db_retry_failed(struct db_state *st, const char *key, int64_t now)
{
	struct db_retry *r;
	int64_t delay = 1;
	int i;

	pthread_mutex_lock(&st->lock);
	r = retry_find(st, key);
	if (r == NULL && (r = calloc(1, sizeof(*r))) != NULL) {
		if ((r->key = strdup(key)) == NULL) {
			free(r);
			r = NULL;
		} else {
			r->next = st->retries;
			st->retries = r;
		}
	}
	if (r != NULL) {
		if (r->fails < 30)
			r->fails++;
		for (i = 1; i < r->fails && delay < DB_RETRY_CAP; i++)
			delay *= 2;
		r->next_try =
		    now + (delay < DB_RETRY_CAP ? delay : DB_RETRY_CAP);
	}
	pthread_mutex_unlock(&st->lock);
}

void db_retry_clear(struct db_state *st, const char *key)
{
	struct db_retry **pp, *r;

	pthread_mutex_lock(&st->lock);
	for (pp = &st->retries; (r = *pp) != NULL; pp = &r->next) {
		if (strcmp(r->key, key) == 0) {
			*pp = r->next;
			free(r->key);
			free(r);
			break;
		}
	}
	pthread_mutex_unlock(&st->lock);
}

void db_retry_free_all(struct db_state *st)
{
	struct db_retry *r, *next;

	for (r = st->retries; r != NULL; r = next) {
		next = r->next;
		free(r->key);
		free(r);
	}
	st->retries = NULL;
}
