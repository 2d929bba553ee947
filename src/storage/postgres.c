/*
 * postgres.c - the shared backend: one table in a PostgreSQL database,
 * reached through libpq.
 *
 * Configuration (strings): "connection_url" (required; a libpq URL or
 * key=value string), "table" (default coffer_kv_store), "max_parallel"
 * (connections, default 8), "connect_timeout" (seconds, default 5),
 * "statement_timeout" (ms, default 15000), "ha_enabled" ("true" or
 * "false"), "ha_table" (default coffer_ha_locks), "ha_lock_ttl" (seconds,
 * default 5).
 *
 * Schema, created on first start under an advisory lock so that servers
 * starting together do not race:
 *   <table>    (key TEXT COLLATE "C" PRIMARY KEY, value BYTEA NOT NULL)
 *   <ha_table> (ha_key TEXT PRIMARY KEY, ha_identity TEXT NOT NULL,
 *               ha_value TEXT, valid_until TIMESTAMPTZ NOT NULL)
 * The "C" collation orders keys byte by byte, as SQLite does, so the
 * primary key's index serves prefix listing as a range scan.
 *
 * Invariants:
 * 1. A write returns ERR_OK only after PostgreSQL acknowledged its COMMIT.
 *    Sessions run with synchronous_commit on even when the server default
 *    is off; fsync=off and full_page_writes=off cannot be fixed per
 *    session and are reported at open.
 * 2. No call hangs: connecting is bounded by connect_timeout, every
 *    statement by statement_timeout, and waiting for a pooled connection
 *    by both. A database that is away gives ERR_UNAVAILABLE (503).
 * 3. A connection that broke is closed, never reused, and every idle one
 *    opened before it is dropped too (they most likely broke with it):
 *    the next caller connects afresh, which is the whole of reconnection.
 *    A call that failed on a stale connection is retried once on a fresh
 *    one when nothing of it can have been committed (reads; writes that
 *    failed before COMMIT was sent).
 * 4. Keys and values reach SQL only as parameters of prepared statements;
 *    table names are checked identifiers, quoted.
 * 5. Fencing (postgres.h): once fenced, a write transaction begins by
 *    locking this backend's unexpired lock row FOR KEY SHARE; without it
 *    the transaction is rolled back. The row lock makes a concurrent
 *    takeover (which locks the row FOR UPDATE) wait until the write has
 *    committed or failed, and lets the holder's renewal through.
 */
#include "storage/postgres.h"

#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/encoding.h"
#include "base/log.h"
#include "storage/backend.h"

#define PG_DEFAULT_TABLE    "coffer_kv_store"
#define PG_DEFAULT_HA_TABLE "coffer_ha_locks"
#define PG_HA_KEY           "core/lock"
#define PG_LIST_BATCH       "256"
#define PG_LIST_BATCH_N     256
#define PG_MAX_IDENT        63
#define PG_SCHEMA_LOCK      "7203656"

enum pg_stmt {
	S_GET,
	S_LIST_FROM,
	S_LIST_RANGE,
	S_PUT,
	S_DELETE,
	S_FENCE,
	S_HA_ACQUIRE,
	S_HA_RELEASE,
	S_HA_LEADER,
	S_HA_RENEW,
	S__N
};

/* The first statements every connection prepares; the HA ones follow. */
#define S_KV_COUNT S_FENCE

static const char *const stmt_names[S__N] = {
    "get",   "list_from",  "list_range", "put",       "delete",
    "fence", "ha_acquire", "ha_release", "ha_leader", "ha_renew",
};

struct pg_conn {
	PGconn *db;
	unsigned gen; /* the pool generation it was opened in */
	bool broken;  /* set on a failure that left the connection unusable */
	struct pg_conn *next;
};

struct pg_store {
	struct storage base; /* first, see storage.h */
	char *url;
	char *sql[S__N];
	bool ha_enabled;
	int max_parallel;
	int connect_timeout;   /* seconds */
	int statement_timeout; /* ms */
	int ha_ttl;            /* seconds */
	bool force_sync; /* the server default is synchronous_commit=off */
	char identity[37];

	pthread_mutex_t mu; /* guards idle, open, gen */
	pthread_cond_t cond;
	struct pg_conn *idle;
	int open;
	unsigned gen;

	pthread_mutex_t ha_mu; /* guards ha_conn */
	struct pg_conn *ha_conn;
	atomic_bool fenced;
	atomic_bool fence_tripped;
};

static const struct storage_ops postgres_ops;

/* ---- errors ---- */

/* True for a SQLSTATE that says "try again later", not "you are wrong". */
static bool pg_state_transient(const char *state)
{
	static const char *const classes[] = {"08", "53", "57", "40", "55"};
	size_t i;

	if (state == NULL)
		return false;
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (strncmp(state, classes[i], 2) == 0)
			return true;
	}
	return false;
}

/*
 * Turns a failed result into an err_t, marks the connection broken when
 * it cannot go on, and tells the operator why (without any value).
 */
static err_t pg_fail(struct pg_conn *pc, const PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorMessage(r) : "";

	if (msg == NULL || msg[0] == '\0')
		msg = PQerrorMessage(pc->db);
	if (PQstatus(pc->db) != CONNECTION_OK ||
	    (state != NULL &&
	     (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0))) {
		pc->broken = true;
		log_warn("storage", "postgresql %s: connection lost: %.200s",
		         what, msg);
		return ERR_UNAVAILABLE;
	}
	if (pg_state_transient(state)) {
		log_warn("storage", "postgresql %s: %s: %.200s", what, state,
		         msg);
		return ERR_UNAVAILABLE;
	}
	log_error("storage", "postgresql %s failed: %s: %.200s", what,
	          state ? state : "?", msg);
	return ERR_STORAGE;
}

/* Runs a statement that returns no rows; ERR_OK or the failure. */
static err_t pg_exec(struct pg_conn *pc, const char *sql, const char *what)
{
	PGresult *r = PQexec(pc->db, sql);
	err_t err = ERR_OK;

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		err = pg_fail(pc, r, what);
	PQclear(r);
	return err;
}

/* ---- connections ---- */

/* Notices ("table exists, skipping") would go to stderr otherwise. */
static void pg_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("storage", "postgresql notice: %.200s", msg);
}

static err_t pg_prepare_all(struct pg_store *s, struct pg_conn *pc)
{
	int n = s->ha_enabled ? S__N : S_KV_COUNT;
	PGresult *r;
	err_t err = ERR_OK;
	int i;

	for (i = 0; i < n && err == ERR_OK; i++) {
		r = PQprepare(pc->db, stmt_names[i], s->sql[i], 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			err = pg_fail(pc, r, "prepare");
		PQclear(r);
	}
	return err;
}

/* Session settings: bounded statements, and durable commits (inv. 1). */
static err_t pg_session(struct pg_store *s, struct pg_conn *pc)
{
	struct buf sql = BUF_INIT;
	err_t err;

	err = buf_printf(&sql, "SET statement_timeout = %d",
	                 s->statement_timeout);
	if (err == ERR_OK)
		err = pg_exec(pc, buf_str(&sql), "configure session");
	if (err == ERR_OK && s->force_sync)
		err = pg_exec(pc, "SET synchronous_commit = on",
		              "configure session");
	buf_release(&sql);
	return err;
}

/*
 * Opens one connection; the URL's own settings win over our defaults.
 * Keepalives make a peer that vanished without a word (a pulled cable)
 * show as a broken connection instead of a statement that never returns.
 */
static err_t pg_connect(struct pg_store *s, bool prepare, struct pg_conn **out,
                        char *errmsg, size_t errlen)
{
	char timeout[16];
	const char *keys[] = {
	    "connect_timeout",  "application_name", "client_encoding",
	    "keepalives",       "keepalives_idle",  "keepalives_interval",
	    "keepalives_count", "dbname",           NULL};
	const char *values[] = {timeout, "coffer", "UTF8", "1", "10",
	                        "3",     "3",      s->url, NULL};
	struct pg_conn *pc;
	err_t err;

	*out = NULL;
	snprintf(timeout, sizeof(timeout), "%d", s->connect_timeout);
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return ERR_NOMEM;
	pc->db = PQconnectdbParams(keys, values, 1);
	if (pc->db == NULL) {
		free(pc);
		return ERR_NOMEM;
	}
	if (PQstatus(pc->db) != CONNECTION_OK) {
		/* The message may name host and user, never the password. */
		backend_errmsg(errmsg, errlen,
		               "postgresql storage: cannot connect: %.200s",
		               PQerrorMessage(pc->db));
		log_warn("storage", "postgresql: cannot connect: %.200s",
		         PQerrorMessage(pc->db));
		PQfinish(pc->db);
		free(pc);
		return ERR_UNAVAILABLE;
	}
	PQsetNoticeProcessor(pc->db, pg_notice, NULL);
	err = pg_session(s, pc);
	if (err == ERR_OK && prepare)
		err = pg_prepare_all(s, pc);
	if (err != ERR_OK) {
		backend_errmsg(errmsg, errlen,
		               "postgresql storage: cannot set up a session: "
		               "%.200s",
		               PQerrorMessage(pc->db));
		PQfinish(pc->db);
		free(pc);
		return err;
	}
	*out = pc;
	return ERR_OK;
}

static void pg_conn_free(struct pg_conn *pc)
{
	if (pc == NULL)
		return;
	PQfinish(pc->db);
	free(pc);
}

/* Takes an idle connection of the current generation; mu held. */
static struct pg_conn *pg_pool_pop(struct pg_store *s)
{
	struct pg_conn *pc;

	while ((pc = s->idle) != NULL) {
		s->idle = pc->next;
		if (pc->gen == s->gen)
			return pc;
		/* Opened before a breakage: assume it broke too (inv. 3). */
		pg_conn_free(pc);
		s->open--;
	}
	return NULL;
}

static void pg_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/*
 * Takes a connection: an idle one, a new one while fewer than max_parallel
 * are open, or the first one handed back within the time-outs.
 */
static err_t pg_pool_get(struct pg_store *s, struct pg_conn **out)
{
	struct pg_conn *pc;
	struct timespec until;
	bool may_open;
	unsigned gen;
	int rc = 0;
	err_t err;

	*out = NULL;
	pg_deadline(&until, s->connect_timeout * 1000 + s->statement_timeout);
	pthread_mutex_lock(&s->mu);
	while ((pc = pg_pool_pop(s)) == NULL && s->open >= s->max_parallel &&
	       rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&s->cond, &s->mu, &until);
	may_open = pc == NULL && s->open < s->max_parallel;
	if (may_open)
		s->open++;
	gen = s->gen;
	pthread_mutex_unlock(&s->mu);
	if (pc != NULL) {
		*out = pc;
		return ERR_OK;
	}
	if (!may_open) {
		log_warn("storage", "postgresql: no free connection in time");
		return ERR_UNAVAILABLE;
	}

	err = pg_connect(s, true, &pc, NULL, 0);
	if (err != ERR_OK) {
		pthread_mutex_lock(&s->mu);
		s->open--;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->mu);
		return err;
	}
	pc->gen = gen;
	*out = pc;
	return ERR_OK;
}

/* Hands a connection back; a broken one is closed with its generation. */
static void pg_pool_put(struct pg_store *s, struct pg_conn *pc)
{
	if (pc == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	if (pc->broken || pc->gen != s->gen) {
		if (pc->broken && pc->gen == s->gen)
			s->gen++;
		pg_conn_free(pc);
		s->open--;
	} else {
		pc->next = s->idle;
		s->idle = pc;
	}
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

/*
 * One call with a pooled connection. fn may set *retry when it failed on
 * a broken connection before anything could have been committed; it then
 * runs once more on a fresh connection (inv. 3).
 */
typedef err_t (*pg_call_fn)(struct pg_store *s, struct pg_conn *pc, void *arg,
                            bool *retry);

static err_t pg_with_conn(struct pg_store *s, pg_call_fn fn, void *arg)
{
	struct pg_conn *pc = NULL;
	bool retry = false;
	int attempt;
	err_t err = ERR_UNAVAILABLE;

	for (attempt = 0; attempt < 2; attempt++) {
		if ((err = pg_pool_get(s, &pc)) != ERR_OK)
			return err;
		retry = false;
		err = fn(s, pc, arg, &retry);
		retry = retry && pc->broken;
		pg_pool_put(s, pc);
		if (err == ERR_OK || !retry)
			break;
	}
	return err;
}

/* ---- reads ---- */

struct pg_get_args {
	const char *key;
	struct buf *out;
	bool *found;
};

static err_t pg_get_fn(struct pg_store *s, struct pg_conn *pc, void *arg,
                       bool *retry)
{
	struct pg_get_args *a = arg;
	const char *params[1] = {a->key};
	PGresult *r;
	err_t err = ERR_OK;

	(void)s;
	r = PQexecPrepared(pc->db, stmt_names[S_GET], 1, params, NULL, NULL, 1);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		err = pg_fail(pc, r, "read");
		*retry = true;
	} else if (PQntuples(r) == 1) {
		err = buf_append(a->out, PQgetvalue(r, 0, 0),
		                 (size_t)PQgetlength(r, 0, 0));
		*a->found = err == ERR_OK;
	}
	PQclear(r);
	return err;
}

static err_t pg_get(struct storage *base, const char *key, struct buf *out,
                    bool *found)
{
	size_t start = out->len;
	struct pg_get_args a = {key, out, found};
	err_t err;

	*found = false;
	if (backend_check_key(key) != ERR_OK)
		return ERR_INVALID;
	err = pg_with_conn((struct pg_store *)base, pg_get_fn, &a);
	if (err != ERR_OK)
		out->len = start;
	return err;
}

struct pg_list_args {
	const char *prefix;
	json_t *keys;
};

/*
 * Reads one batch of keys from `from` on; adds the children it finds and
 * sets `from` to where the next batch starts, or *done. A child folder
 * ends the batch: the next one starts past its whole subtree.
 */
static err_t pg_list_batch(struct pg_conn *pc, struct pg_list_args *a,
                           const char *upper, char *from, bool *done)
{
	size_t plen = strlen(a->prefix), len = 0;
	const char *params[2] = {from, upper};
	const char *key = NULL;
	PGresult *r;
	bool dir = false;
	err_t err = ERR_OK;
	int i, n;

	r = PQexecPrepared(pc->db,
	                   stmt_names[upper ? S_LIST_RANGE : S_LIST_FROM],
	                   upper ? 2 : 1, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		err = pg_fail(pc, r, "list");
		goto out;
	}
	n = PQntuples(r);
	*done = n < PG_LIST_BATCH_N;
	for (i = 0; i < n && err == ERR_OK && !dir; i++) {
		key = PQgetvalue(r, i, 0);
		len = backend_child(key + plen, &dir);
		err = backend_list_add(a->keys, key + plen, len, dir);
	}
	if (err != ERR_OK || n == 0)
		goto out;
	if (dir) {
		*done = false;
		err = backend_skip_key(a->prefix, key + plen, len, from);
	} else if (!*done) {
		/* The least key after the last one: it followed by \x01. */
		len = strlen(key);
		if (len >= STORAGE_MAX_KEY) {
			err = ERR_STORAGE;
			goto out;
		}
		memcpy(from, key, len);
		from[len] = '\x01';
		from[len + 1] = '\0';
	}
out:
	PQclear(r);
	return err;
}

static err_t pg_list_fn(struct pg_store *s, struct pg_conn *pc, void *arg,
                        bool *retry)
{
	struct pg_list_args *a = arg;
	char from[STORAGE_MAX_KEY + 2], upper[STORAGE_MAX_KEY + 1];
	size_t plen = strlen(a->prefix);
	bool done = false;
	err_t err;

	(void)s;
	json_array_clear(a->keys);
	/* One snapshot for every batch, as one read would see. */
	err = pg_exec(pc, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	              "list");
	if (err != ERR_OK) {
		*retry = true;
		return err;
	}
	/* Keys below "p/" sort from "p/" up to, not including, "p0". */
	memcpy(from, a->prefix, plen + 1);
	if (plen > 0) {
		memcpy(upper, a->prefix, plen + 1);
		upper[plen - 1] = '/' + 1;
	}
	while (err == ERR_OK && !done)
		err =
		    pg_list_batch(pc, a, plen > 0 ? upper : NULL, from, &done);
	if (err == ERR_OK)
		err = pg_exec(pc, "COMMIT", "list");
	else if (!pc->broken)
		pg_exec(pc, "ROLLBACK", "list");
	*retry = true;
	return err;
}

static err_t pg_list(struct storage *base, const char *prefix, json_t **keys)
{
	struct pg_list_args a = {prefix, NULL};
	err_t err;

	*keys = NULL;
	if (backend_check_prefix(prefix) != ERR_OK)
		return ERR_INVALID;
	if ((a.keys = json_array()) == NULL)
		return ERR_NOMEM;
	err = pg_with_conn((struct pg_store *)base, pg_list_fn, &a);
	if (err != ERR_OK) {
		json_decref(a.keys);
		return err;
	}
	*keys = a.keys;
	return ERR_OK;
}

/* ---- writes ---- */

struct pg_commit_args {
	const struct storage_op *ops;
	size_t n;
};

static err_t pg_apply_op(struct pg_conn *pc, const struct storage_op *op)
{
	const char *params[2] = {op->key,
	                         op->value ? (const char *)op->value : ""};
	int lengths[2] = {0, (int)op->len};
	int formats[2] = {0, 1};
	PGresult *r;
	err_t err = ERR_OK;

	if (op->kind == STORAGE_PUT)
		r = PQexecPrepared(pc->db, stmt_names[S_PUT], 2, params,
		                   lengths, formats, 0);
	else
		r = PQexecPrepared(pc->db, stmt_names[S_DELETE], 1, params,
		                   NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		err = pg_fail(pc, r,
		              op->kind == STORAGE_PUT ? "write" : "delete");
	PQclear(r);
	return err;
}

/* Inside the open transaction: holds the lock row, or refuses (inv. 5). */
static err_t pg_fence_check(struct pg_store *s, struct pg_conn *pc)
{
	const char *params[2] = {PG_HA_KEY, s->identity};
	PGresult *r;
	err_t err = ERR_OK;

	r = PQexecPrepared(pc->db, stmt_names[S_FENCE], 2, params, NULL, NULL,
	                   0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		err = pg_fail(pc, r, "lock check");
	} else if (PQntuples(r) != 1) {
		atomic_store(&s->fence_tripped, true);
		log_warn("storage", "postgresql: write refused, this server "
		                    "no longer holds the ha lock");
		err = ERR_UNAVAILABLE;
	}
	PQclear(r);
	return err;
}

static err_t pg_commit_fn(struct pg_store *s, struct pg_conn *pc, void *arg,
                          bool *retry)
{
	struct pg_commit_args *a = arg;
	err_t err;
	size_t i;

	/* Nothing is committed before COMMIT: a broken link may retry. */
	*retry = true;
	err = pg_exec(pc, "BEGIN", "begin");
	if (err == ERR_OK && atomic_load(&s->fenced))
		err = pg_fence_check(s, pc);
	for (i = 0; i < a->n && err == ERR_OK; i++)
		err = pg_apply_op(pc, &a->ops[i]);
	if (err != ERR_OK) {
		if (!pc->broken)
			pg_exec(pc, "ROLLBACK", "rollback");
		return err;
	}

	/* A lost answer to COMMIT leaves the outcome unknown: no retry. */
	*retry = false;
	return pg_exec(pc, "COMMIT", "commit");
}

static err_t pg_commit(struct storage *base, const struct storage_op *ops,
                       size_t n)
{
	struct pg_commit_args a = {ops, n};
	size_t i;
	err_t err;

	if ((err = backend_check_ops(ops, n)) != ERR_OK)
		return err;
	if (n == 0)
		return ERR_OK;
	/* libpq takes parameter lengths as int. */
	for (i = 0; i < n; i++) {
		if (ops[i].len > (size_t)INT32_MAX)
			return ERR_INVALID;
	}
	return pg_with_conn((struct pg_store *)base, pg_commit_fn, &a);
}

static err_t pg_put(struct storage *s, const char *key, const uint8_t *value,
                    size_t len)
{
	struct storage_op op = {STORAGE_PUT, key, value, len};

	return pg_commit(s, &op, 1);
}

static err_t pg_delete(struct storage *s, const char *key)
{
	struct storage_op op = {STORAGE_DELETE, key, NULL, 0};

	return pg_commit(s, &op, 1);
}

/* ---- configuration ---- */

/* A table name goes into SQL text: letters, digits and "_" only. */
static bool pg_ident_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > PG_MAX_IDENT || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* A whole number in [lo, hi] from a string member; dflt when missing. */
static err_t pg_config_int(json_t *config, const char *name, int lo, int hi,
                           int dflt, int *out, char *errmsg, size_t errlen)
{
	const char *p;
	long v = 0;
	bool bad;

	*out = dflt;
	p = backend_config_string(config, name, &bad);
	if (p == NULL && !bad)
		return ERR_OK;
	if (p == NULL || *p == '\0')
		goto fail;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > hi)
			goto fail;
		v = v * 10 + (*p - '0');
	}
	if (v < lo || v > hi)
		goto fail;
	*out = (int)v;
	return ERR_OK;
fail:
	backend_errmsg(errmsg, errlen,
	               "postgresql storage: \"%s\" must be a whole number "
	               "from %d to %d",
	               name, lo, hi);
	return ERR_INVALID;
}

static err_t pg_config_name(json_t *config, const char *name, const char *dflt,
                            const char **out, char *errmsg, size_t errlen)
{
	bool bad;

	*out = backend_config_string(config, name, &bad);
	if (*out == NULL && !bad)
		*out = dflt;
	if (*out == NULL || !pg_ident_ok(*out)) {
		backend_errmsg(
		    errmsg, errlen,
		    "postgresql storage: \"%s\" must be a table name "
		    "of letters, digits and _ (at most 63)",
		    name);
		return ERR_INVALID;
	}
	return ERR_OK;
}

/*
 * The statement texts; "%s" is the table (the first five) or the HA table
 * (the rest), both checked identifiers.
 */
static const char *const stmt_sql[S__N] = {
    "SELECT value FROM \"%s\" WHERE key = $1",
    ("SELECT key FROM \"%s\" WHERE key >= $1 ORDER BY key LIMIT " PG_LIST_BATCH),
    ("SELECT key FROM \"%s\" WHERE key >= $1 AND key < $2 ORDER BY key "
     "LIMIT " PG_LIST_BATCH),
    ("INSERT INTO \"%s\" (key, value) VALUES ($1, $2) ON CONFLICT (key) "
     "DO UPDATE SET value = excluded.value"),
    "DELETE FROM \"%s\" WHERE key = $1",
    /*
     * FOR KEY SHARE: it conflicts with the upsert and the delete that take
     * the lock away (both lock the row FOR UPDATE), so a steal waits for
     * the writes in flight, but not with the holder's renewal (an UPDATE
     * of non-key columns, FOR NO KEY UPDATE). With FOR SHARE a steady
     * stream of writes starved the renewal past the TTL and the active
     * lost its lock to a standby.
     */
    ("SELECT 1 FROM \"%s\" WHERE ha_key = $1 AND ha_identity = $2 AND "
     "valid_until > now() FOR KEY SHARE"),
    /* Takes a free or expired lock, or renews one's own. */
    ("INSERT INTO \"%s\" AS l (ha_key, ha_identity, ha_value, valid_until) "
     "VALUES ($1, $2, $3, clock_timestamp() + make_interval(secs => "
     "$4::int)) ON CONFLICT (ha_key) DO UPDATE SET ha_identity = "
     "excluded.ha_identity, ha_value = excluded.ha_value, valid_until = "
     "excluded.valid_until WHERE l.valid_until < clock_timestamp() OR "
     "l.ha_identity = excluded.ha_identity RETURNING ha_identity"),
    "DELETE FROM \"%s\" WHERE ha_key = $1 AND ha_identity = $2",
    ("SELECT ha_identity, ha_value FROM \"%s\" WHERE ha_key = $1 AND "
     "valid_until > clock_timestamp()"),
    /* The holder extends its unexpired lock; see the fence above. */
    ("UPDATE \"%s\" SET ha_value = $3, valid_until = clock_timestamp() + "
     "make_interval(secs => $4::int) WHERE ha_key = $1 AND ha_identity = "
     "$2 AND valid_until > clock_timestamp() RETURNING ha_identity"),
};

/* Puts the table name in place of the "%s" of a statement text. */
static err_t pg_build_one(const char *tmpl, const char *table, char **out)
{
	const char *at = strstr(tmpl, "%s");
	struct buf b = BUF_INIT;
	err_t err;

	err = buf_append(&b, tmpl, (size_t)(at - tmpl));
	if (err == ERR_OK)
		err = buf_append_str(&b, table);
	if (err == ERR_OK)
		err = buf_append_str(&b, at + 2);
	if (err == ERR_OK && (*out = buf_detach(&b)) == NULL)
		err = ERR_NOMEM;
	buf_release(&b);
	return err;
}

static err_t pg_build_sql(struct pg_store *s, const char *t, const char *h)
{
	err_t err = ERR_OK;
	int i;

	for (i = 0; i < S__N && err == ERR_OK; i++)
		err =
		    pg_build_one(stmt_sql[i], i < S_FENCE ? t : h, &s->sql[i]);
	return err;
}

static err_t pg_parse_config(struct pg_store *s, json_t *config,
                             const char **table, const char **ha_table,
                             char *errmsg, size_t errlen)
{
	const char *url, *ha;
	bool bad;
	err_t err;

	url = backend_config_string(config, "connection_url", &bad);
	if (url == NULL || url[0] == '\0') {
		backend_errmsg(errmsg, errlen,
		               "postgresql storage needs a \"connection_url\"");
		return ERR_INVALID;
	}
	ha = backend_config_string(config, "ha_enabled", &bad);
	if (bad || (ha != NULL && strcmp(ha, "true") != 0 &&
	            strcmp(ha, "false") != 0)) {
		backend_errmsg(errmsg, errlen,
		               "postgresql storage: \"ha_enabled\" must be "
		               "\"true\" or \"false\"");
		return ERR_INVALID;
	}
	s->ha_enabled = ha != NULL && strcmp(ha, "true") == 0;
	if ((err = pg_config_name(config, "table", PG_DEFAULT_TABLE, table,
	                          errmsg, errlen)) != ERR_OK ||
	    (err = pg_config_name(config, "ha_table", PG_DEFAULT_HA_TABLE,
	                          ha_table, errmsg, errlen)) != ERR_OK ||
	    (err = pg_config_int(config, "max_parallel", 1, 1024, 8,
	                         &s->max_parallel, errmsg, errlen)) != ERR_OK ||
	    (err = pg_config_int(config, "connect_timeout", 1, 300, 5,
	                         &s->connect_timeout, errmsg, errlen)) !=
	        ERR_OK ||
	    (err = pg_config_int(config, "statement_timeout", 100, 600000,
	                         15000, &s->statement_timeout, errmsg,
	                         errlen)) != ERR_OK ||
	    (err = pg_config_int(config, "ha_lock_ttl", 2, 300, 5, &s->ha_ttl,
	                         errmsg, errlen)) != ERR_OK)
		return err;
	if (strcmp(*table, *ha_table) == 0) {
		backend_errmsg(errmsg, errlen,
		               "postgresql storage: \"table\" and \"ha_table\" "
		               "must differ");
		return ERR_INVALID;
	}
	if ((s->url = strdup(url)) == NULL)
		return ERR_NOMEM;
	return ERR_OK;
}

/* ---- open and close ---- */

/* Reads one setting with SHOW; "" when it cannot be read. */
static void pg_show(struct pg_conn *pc, const char *name, char *out,
                    size_t outlen)
{
	struct buf sql = BUF_INIT;
	PGresult *r = NULL;

	out[0] = '\0';
	if (buf_printf(&sql, "SHOW %s", name) == ERR_OK)
		r = PQexec(pc->db, buf_str(&sql));
	if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK &&
	    PQntuples(r) == 1)
		snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	buf_release(&sql);
}

/* Part C of the durability promise: tell the operator what weakens it. */
static void pg_check_durability(struct pg_store *s, struct pg_conn *pc)
{
	char v[64];

	pg_show(pc, "synchronous_commit", v, sizeof(v));
	if (strcmp(v, "off") == 0) {
		s->force_sync = true;
		log_warn("storage",
		         "postgresql synchronous_commit is off on the server; "
		         "coffer turns it on for its own sessions");
	}
	pg_show(pc, "fsync", v, sizeof(v));
	if (strcmp(v, "off") == 0)
		log_warn("storage",
		         "postgresql fsync is off: a crash of the database "
		         "host can lose acknowledged writes or corrupt the "
		         "database");
	pg_show(pc, "full_page_writes", v, sizeof(v));
	if (strcmp(v, "off") == 0)
		log_warn("storage",
		         "postgresql full_page_writes is off: a power loss "
		         "can corrupt the database");
}

static err_t pg_schema(struct pg_store *s, struct pg_conn *pc,
                       const char *table, const char *ha_table)
{
	struct buf sql = BUF_INIT;
	err_t err;

	err = buf_printf(&sql,
	                 "BEGIN; SELECT pg_advisory_xact_lock(" PG_SCHEMA_LOCK
	                 "); CREATE TABLE IF NOT EXISTS \"%s\" (key TEXT "
	                 "COLLATE \"C\" PRIMARY KEY, value BYTEA NOT NULL);",
	                 table);
	if (err == ERR_OK && s->ha_enabled)
		err = buf_printf(
		    &sql,
		    " CREATE TABLE IF NOT EXISTS \"%s\" (ha_key TEXT "
		    "COLLATE \"C\" PRIMARY KEY, ha_identity TEXT NOT "
		    "NULL, ha_value TEXT, valid_until TIMESTAMPTZ NOT "
		    "NULL);",
		    ha_table);
	if (err == ERR_OK)
		err = buf_append_str(&sql, " COMMIT");
	if (err == ERR_OK)
		err = pg_exec(pc, buf_str(&sql), "schema");
	if (err != ERR_OK && PQstatus(pc->db) == CONNECTION_OK)
		pg_exec(pc, "ROLLBACK", "schema");
	buf_release(&sql);
	return err;
}

static void pg_free(struct storage *base)
{
	struct pg_store *s = (struct pg_store *)base;
	struct pg_conn *pc;
	int i;

	if (s == NULL)
		return;
	while ((pc = s->idle) != NULL) {
		s->idle = pc->next;
		pg_conn_free(pc);
	}
	pg_conn_free(s->ha_conn);
	for (i = 0; i < S__N; i++)
		free(s->sql[i]);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->ha_mu);
	free(s->url);
	free(s);
}

static err_t pg_store_new(struct pg_store **out)
{
	struct pg_store *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return ERR_NOMEM;
	if (pthread_mutex_init(&s->mu, NULL) != 0 ||
	    pthread_mutex_init(&s->ha_mu, NULL) != 0 ||
	    pthread_cond_init(&s->cond, NULL) != 0 ||
	    uuid_new(s->identity) != ERR_OK) {
		/* Only fails for lack of memory; nothing to undo on Linux. */
		free(s);
		return ERR_NOMEM;
	}
	atomic_init(&s->fenced, false);
	atomic_init(&s->fence_tripped, false);
	s->base.ops = &postgres_ops;
	s->base.type = "postgresql";
	*out = s;
	return ERR_OK;
}

/*
 * The first connection checks the server and sets the schema up; it then
 * becomes the first idle connection of the pool.
 */
static err_t pg_first_connect(struct pg_store *s, const char *table,
                              const char *ha_table, char *errmsg, size_t errlen)
{
	struct pg_conn *pc = NULL;
	err_t err;

	/* Statements are prepared once the tables exist. */
	err = pg_connect(s, false, &pc, errmsg, errlen);
	if (err != ERR_OK)
		return err;
	pg_check_durability(s, pc);
	err = pg_schema(s, pc, table, ha_table);
	if (err != ERR_OK) {
		backend_errmsg(errmsg, errlen,
		               "postgresql storage: cannot create the tables: "
		               "%.200s",
		               PQerrorMessage(pc->db));
		pg_conn_free(pc);
		return err;
	}

	/* A new session gets synchronous_commit and every statement. */
	pg_conn_free(pc);
	err = pg_connect(s, true, &pc, errmsg, errlen);
	if (err != ERR_OK)
		return err;
	s->open = 1;
	s->idle = pc;
	return ERR_OK;
}

err_t postgres_open(json_t *config, struct storage **out, char *errmsg,
                    size_t errlen)
{
	const char *table = NULL, *ha_table = NULL;
	struct pg_store *s = NULL;
	err_t err;

	*out = NULL;
	if (!PQisthreadsafe()) {
		backend_errmsg(errmsg, errlen,
		               "postgresql storage: libpq was built without "
		               "thread support");
		return ERR_UNSUPPORTED;
	}
	if ((err = pg_store_new(&s)) != ERR_OK)
		goto out;
	err = pg_parse_config(s, config, &table, &ha_table, errmsg, errlen);
	if (err == ERR_OK)
		err = pg_build_sql(s, table, ha_table);
	if (err == ERR_OK)
		err = pg_first_connect(s, table, ha_table, errmsg, errlen);
	if (err != ERR_OK)
		goto out;
	log_info("storage", "postgresql storage ready (table %s, ha %s)", table,
	         s->ha_enabled ? "enabled" : "disabled");
	*out = &s->base;
	s = NULL;
out:
	if (err == ERR_NOMEM)
		backend_errmsg(errmsg, errlen,
		               "postgresql storage: out of memory");
	pg_free(s ? &s->base : NULL);
	return err;
}

/* ---- the HA lock ---- */

static struct pg_store *pg_ha_store(struct storage *base)
{
	struct pg_store *s = (struct pg_store *)base;

	if (base == NULL || base->ops != &postgres_ops || !s->ha_enabled)
		return NULL;
	return s;
}

bool postgres_ha_enabled(struct storage *base)
{
	return pg_ha_store(base) != NULL;
}

int postgres_ha_ttl_ms(struct storage *base)
{
	struct pg_store *s = pg_ha_store(base);

	return s != NULL ? s->ha_ttl * 1000 : 0;
}

/*
 * Runs one HA statement on the dedicated connection, reconnecting when
 * it broke. ha_mu held. The result, when ERR_OK, is the caller's.
 */
static err_t pg_ha_exec(struct pg_store *s, enum pg_stmt st, int n,
                        const char *const *params, PGresult **out)
{
	PGresult *r;
	err_t err;

	*out = NULL;
	if (s->ha_conn != NULL && s->ha_conn->broken) {
		pg_conn_free(s->ha_conn);
		s->ha_conn = NULL;
	}
	if (s->ha_conn == NULL &&
	    (err = pg_connect(s, true, &s->ha_conn, NULL, 0)) != ERR_OK)
		return err;
	r = PQexecPrepared(s->ha_conn->db, stmt_names[st], n, params, NULL,
	                   NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK &&
	    PQresultStatus(r) != PGRES_COMMAND_OK) {
		err = pg_fail(s->ha_conn, r, "ha lock");
		PQclear(r);
		return err;
	}
	*out = r;
	return ERR_OK;
}

err_t postgres_ha_acquire(struct storage *base, const char *value, bool *held)
{
	struct pg_store *s = pg_ha_store(base);
	char ttl[16];
	const char *params[4] = {PG_HA_KEY, NULL, value ? value : "", ttl};
	PGresult *r = NULL;
	err_t err;

	*held = false;
	if (s == NULL)
		return ERR_INVALID;
	params[1] = s->identity;
	snprintf(ttl, sizeof(ttl), "%d", s->ha_ttl);
	pthread_mutex_lock(&s->ha_mu);
	/* Renewing one's own lock first: it never waits for the writes. */
	err = pg_ha_exec(s, S_HA_RENEW, 4, params, &r);
	if (err == ERR_OK && PQntuples(r) == 0) {
		PQclear(r);
		r = NULL;
		err = pg_ha_exec(s, S_HA_ACQUIRE, 4, params, &r);
	}
	pthread_mutex_unlock(&s->ha_mu);
	if (err == ERR_OK)
		*held = PQntuples(r) == 1;
	PQclear(r);
	return err;
}

err_t postgres_ha_release(struct storage *base)
{
	struct pg_store *s = pg_ha_store(base);
	const char *params[2] = {PG_HA_KEY, NULL};
	PGresult *r = NULL;
	err_t err;

	if (s == NULL)
		return ERR_INVALID;
	params[1] = s->identity;
	pthread_mutex_lock(&s->ha_mu);
	err = pg_ha_exec(s, S_HA_RELEASE, 2, params, &r);
	pthread_mutex_unlock(&s->ha_mu);
	PQclear(r);
	return err;
}

err_t postgres_ha_leader(struct storage *base, struct buf *value, bool *found,
                         bool *is_self)
{
	struct pg_store *s = pg_ha_store(base);
	const char *params[1] = {PG_HA_KEY};
	PGresult *r = NULL;
	err_t err;

	*found = false;
	*is_self = false;
	if (s == NULL)
		return ERR_INVALID;
	pthread_mutex_lock(&s->ha_mu);
	err = pg_ha_exec(s, S_HA_LEADER, 1, params, &r);
	pthread_mutex_unlock(&s->ha_mu);
	if (err == ERR_OK && PQntuples(r) == 1) {
		*found = true;
		*is_self = strcmp(PQgetvalue(r, 0, 0), s->identity) == 0;
		err = buf_append_str(value, PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return err;
}

void postgres_ha_fence(struct storage *base)
{
	struct pg_store *s = pg_ha_store(base);

	if (s != NULL)
		atomic_store(&s->fenced, true);
}

bool postgres_ha_fence_tripped(struct storage *base)
{
	struct pg_store *s = pg_ha_store(base);

	return s != NULL && atomic_exchange(&s->fence_tripped, false);
}

static const struct storage_ops postgres_ops = {
    .get = pg_get,
    .put = pg_put,
    .delete = pg_delete,
    .list = pg_list,
    .commit = pg_commit,
    .free = pg_free,
};
