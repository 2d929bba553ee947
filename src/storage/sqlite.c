/*
 * sqlite.c - the embedded default backend: one SQLite file in WAL mode.
 *
 * Configuration (strings): "path" (required), "synchronous" ("full", the
 * default, or "normal"), "busy_timeout" (ms, default 5000).
 *
 * Invariants:
 * 1. A write returns ERR_OK only after its transaction committed. With
 *    synchronous=FULL the commit has reached the disk (the WAL is synced),
 *    so it survives a power loss; "normal" may lose the last commits then,
 *    and is only an explicit, logged opt-in.
 * 2. One process per file: an exclusive flock on "<path>.lock", held for
 *    the life of the backend, refuses a second server at open.
 * 3. All writes go through one connection, used only by the writer thread
 *    (and by open/free while that thread does not run). Reads use a pool of
 *    other connections, so a reader never waits behind the writer's fsync
 *    (WAL lets readers see the last committed state).
 * 4. Keys and values reach SQL only as bound parameters.
 * 5. Once an fsync failed, the kernel may have dropped the unsynced pages
 *    and memory may disagree with disk: the backend refuses every later
 *    write (write_failed) instead of trusting a retry. Reads go on. Other
 *    write errors (disk full among them) are not sticky: SQLite rolls back
 *    cleanly and writes work again once space is freed.
 * 6. Group commit: callers queue their commit as a job and sleep; the
 *    writer thread takes every job queued so far and applies them in one
 *    transaction, each under its own savepoint, so one fsync acknowledges
 *    them all. A job's own failure rolls back only that job; a lost
 *    transaction or a failed COMMIT fails every job of the batch. A job is
 *    marked done only after the COMMIT returned, so ERR_OK still means
 *    durable.
 */
#include "storage/sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "storage/backend.h"

#define SQLITE_SCHEMA_VERSION   1
#define SQLITE_DEFAULT_BUSY_MS  5000
#define SQLITE_MAX_BUSY_MS      600000
#define SQLITE_READER_POOL_IDLE 16
#define SQLITE_BATCH_MAX_JOBS   256
#define SQLITE_BATCH_MAX_OPS    4096

static const char *const reader_sql[] = {
    "SELECT value FROM entries WHERE key = ?1",
    "SELECT key FROM entries WHERE key >= ?1 ORDER BY key",
    "SELECT key FROM entries WHERE key >= ?1 AND key < ?2 ORDER BY key",
    "BEGIN",
    "ROLLBACK",
};

enum reader_stmt { R_GET, R_LIST_FROM, R_LIST_RANGE, R_BEGIN, R_END, R__N };

static const char *const writer_sql[] = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    ("INSERT INTO entries (key, value) VALUES (?1, ?2) "
     "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    "DELETE FROM entries WHERE key = ?1",
    "SAVEPOINT job",
    "RELEASE job",
    "ROLLBACK TO job",
};

enum writer_stmt {
	W_BEGIN,
	W_COMMIT,
	W_ROLLBACK,
	W_PUT,
	W_DELETE,
	W_SAVEPOINT,
	W_RELEASE,
	W_ROLLBACK_TO,
	W__N
};

struct sqlite_reader {
	sqlite3 *db;
	sqlite3_stmt *stmt[R__N];
	struct sqlite_reader *next;
};

/* One caller's commit, waiting to be applied by the writer. */
struct sqlite_job {
	const struct storage_op *ops;
	size_t n;
	err_t rc;
	bool done;           /* set by the writer, under queue_mu */
	pthread_cond_t cond; /* the caller sleeps on it until done */
	struct sqlite_job *next;
};

struct sqlite_store {
	struct storage base; /* first, see storage.h */
	char *path;
	int lock_fd;
	int busy_ms;
	bool sync_full;

	/* Owned by the writer thread once it runs. */
	sqlite3 *wdb;
	sqlite3_stmt *wstmt[W__N];
	bool write_failed;

	pthread_mutex_t queue_mu; /* guards head, tail, stopping, job.done */
	pthread_cond_t queue_cond;
	struct sqlite_job *head, *tail;
	bool stopping;
	pthread_t writer;
	bool writer_running;

	pthread_mutex_t pool_mu; /* guards idle, idle_count */
	struct sqlite_reader *idle;
	size_t idle_count;
};

static const struct storage_ops sqlite_ops;

/* Turns an SQLite result into an err_t and tells the operator why. */
static err_t sqlite_fail(sqlite3 *db, int rc, const char *what)
{
	const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_warn("storage", "sqlite %s: database busy: %s", what, msg);
		return ERR_UNAVAILABLE;
	case SQLITE_NOMEM:
		log_error("storage", "sqlite %s: out of memory", what);
		return ERR_NOMEM;
	default:
		log_error("storage", "sqlite %s failed: %s", what, msg);
		return ERR_STORAGE;
	}
}

/* Runs a statement that returns no rows, and resets it for reuse. */
static err_t sqlite_run(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	err_t err = ERR_OK;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = sqlite_fail(db, rc, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

static err_t sqlite_prepare_all(sqlite3 *db, const char *const *sql,
                                sqlite3_stmt **out, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = sqlite3_prepare_v3(
		    db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &out[i], NULL);
		if (rc != SQLITE_OK)
			return sqlite_fail(db, rc, "prepare");
	}
	return ERR_OK;
}

static void sqlite_finalize_all(sqlite3_stmt **stmts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sqlite3_finalize(stmts[i]);
		stmts[i] = NULL;
	}
}

/*
 * Opens one connection to the file. Readers are query_only, so a bug can
 * never make them write behind the writer's back.
 */
static err_t sqlite_connect(const struct sqlite_store *s, bool reader,
                            sqlite3 **out, char *errmsg, size_t errlen)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	sqlite3 *db = NULL;
	int rc;

	*out = NULL;
	rc = sqlite3_open_v2(s->path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		backend_errmsg(
		    errmsg, errlen, "sqlite storage: cannot open \"%s\": %s",
		    s->path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite_fail(db, rc, "open");
		sqlite3_close(db);
		return (rc & 0xff) == SQLITE_NOMEM ? ERR_NOMEM : ERR_STORAGE;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, s->busy_ms);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	rc = sqlite3_exec(db,
	                  s->sync_full ? "PRAGMA synchronous = FULL"
	                               : "PRAGMA synchronous = NORMAL",
	                  NULL, NULL, NULL);
	if (rc == SQLITE_OK && reader)
		rc =
		    sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		backend_errmsg(errmsg, errlen,
		               "sqlite storage: cannot open \"%s\": %s",
		               s->path, sqlite3_errmsg(db));
		sqlite_fail(db, rc, "configure connection");
		sqlite3_close(db);
		return ERR_STORAGE;
	}
	*out = db;
	return ERR_OK;
}

/* ---- the reader pool ---- */

static void sqlite_reader_free(struct sqlite_reader *r)
{
	if (r == NULL)
		return;
	sqlite_finalize_all(r->stmt, R__N);
	sqlite3_close(r->db);
	free(r);
}

/* Takes an idle reader connection, or opens a new one. */
static err_t sqlite_reader_get(struct sqlite_store *s,
                               struct sqlite_reader **out)
{
	struct sqlite_reader *r;
	err_t rc;

	pthread_mutex_lock(&s->pool_mu);
	r = s->idle;
	if (r != NULL) {
		s->idle = r->next;
		s->idle_count--;
	}
	pthread_mutex_unlock(&s->pool_mu);
	if (r != NULL) {
		*out = r;
		return ERR_OK;
	}

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return ERR_NOMEM;
	rc = sqlite_connect(s, true, &r->db, NULL, 0);
	if (rc == ERR_OK)
		rc = sqlite_prepare_all(r->db, reader_sql, r->stmt, R__N);
	if (rc != ERR_OK) {
		sqlite_reader_free(r);
		return rc;
	}
	*out = r;
	return ERR_OK;
}

/*
 * Returns a reader to the pool. Its statements are reset first: a
 * statement left mid-way would pin an old snapshot of the file.
 */
static void sqlite_reader_put(struct sqlite_store *s, struct sqlite_reader *r)
{
	size_t i;

	for (i = 0; i < R__N; i++) {
		sqlite3_reset(r->stmt[i]);
		sqlite3_clear_bindings(r->stmt[i]);
	}
	pthread_mutex_lock(&s->pool_mu);
	if (s->idle_count < SQLITE_READER_POOL_IDLE) {
		r->next = s->idle;
		s->idle = r;
		s->idle_count++;
		r = NULL;
	}
	pthread_mutex_unlock(&s->pool_mu);
	sqlite_reader_free(r);
}

/* ---- reads ---- */

static err_t sqlite_get(struct storage *base, const char *key, struct buf *out,
                        bool *found)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	struct sqlite_reader *r = NULL;
	sqlite3_stmt *st;
	err_t err;
	int rc;

	*found = false;
	if (backend_check_key(key) != ERR_OK)
		return ERR_INVALID;
	if ((err = sqlite_reader_get(s, &r)) != ERR_OK)
		return err;

	st = r->stmt[R_GET];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		/* A zero-length blob comes back as a NULL pointer. */
		err = buf_append(out, sqlite3_column_blob(st, 0),
		                 (size_t)sqlite3_column_bytes(st, 0));
		*found = err == ERR_OK;
	} else if (rc != SQLITE_DONE) {
		err = sqlite_fail(r->db, rc, "read");
	}
	sqlite_reader_put(s, r);
	return err;
}

/*
 * Walks the direct children of prefix with statement st (already bound),
 * seeking past each child folder's subtree instead of reading it.
 */
static err_t sqlite_list_walk(struct sqlite_reader *r, sqlite3_stmt *st,
                              const char *prefix, json_t *keys)
{
	char skip[STORAGE_MAX_KEY + 1];
	size_t plen = strlen(prefix), len;
	const char *key;
	bool dir;
	err_t err;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		key = (const char *)sqlite3_column_text(st, 0);
		if (key == NULL)
			return ERR_NOMEM;
		len = backend_child(key + plen, &dir);
		err = backend_list_add(keys, key + plen, len, dir);
		if (err != ERR_OK)
			return err;
		if (!dir)
			continue;
		err = backend_skip_key(prefix, key + plen, len, skip);
		if (err != ERR_OK)
			return err;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, skip, -1, SQLITE_TRANSIENT);
	}
	return rc == SQLITE_DONE ? ERR_OK : sqlite_fail(r->db, rc, "list");
}

static err_t sqlite_list(struct storage *base, const char *prefix,
                         json_t **keys)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	char upper[STORAGE_MAX_KEY + 1];
	struct sqlite_reader *r = NULL;
	json_t *arr = NULL;
	sqlite3_stmt *st;
	size_t plen;
	err_t err;

	*keys = NULL;
	if (backend_check_prefix(prefix) != ERR_OK)
		return ERR_INVALID;
	if ((err = sqlite_reader_get(s, &r)) != ERR_OK)
		return err;
	if ((arr = json_array()) == NULL) {
		err = ERR_NOMEM;
		goto out;
	}

	/* Keys below "p/" sort from "p/" up to, not including, "p0". */
	plen = strlen(prefix);
	st = r->stmt[plen > 0 ? R_LIST_RANGE : R_LIST_FROM];
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	if (plen > 0) {
		memcpy(upper, prefix, plen + 1);
		upper[plen - 1] = '/' + 1;
		sqlite3_bind_text(st, 2, upper, -1, SQLITE_STATIC);
	}

	/* One read transaction, so every seek sees the same snapshot. */
	if ((err = sqlite_run(r->db, r->stmt[R_BEGIN], "list")) != ERR_OK)
		goto out;
	err = sqlite_list_walk(r, st, prefix, arr);
	sqlite3_reset(st);
	sqlite_run(r->db, r->stmt[R_END], "list");
	if (err == ERR_OK) {
		*keys = arr;
		arr = NULL;
	}
out:
	json_decref(arr);
	sqlite_reader_put(s, r);
	return err;
}

/* ---- writes ---- */

static err_t sqlite_apply_op(struct sqlite_store *s,
                             const struct storage_op *op)
{
	sqlite3_stmt *st;

	if (op->kind == STORAGE_PUT) {
		st = s->wstmt[W_PUT];
		sqlite3_bind_text(st, 1, op->key, -1, SQLITE_STATIC);
		/* A NULL pointer would bind SQL NULL, not an empty value. */
		sqlite3_bind_blob64(st, 2, op->value ? op->value : (void *)"",
		                    op->len, SQLITE_STATIC);
		return sqlite_run(s->wdb, st, "write");
	}
	st = s->wstmt[W_DELETE];
	sqlite3_bind_text(st, 1, op->key, -1, SQLITE_STATIC);
	return sqlite_run(s->wdb, st, "delete");
}

/* Applies one job inside the open transaction, under a savepoint. */
static err_t sqlite_apply_job(struct sqlite_store *s, struct sqlite_job *job)
{
	err_t err;
	size_t i;

	err = sqlite_run(s->wdb, s->wstmt[W_SAVEPOINT], "savepoint");
	for (i = 0; i < job->n && err == ERR_OK; i++)
		err = sqlite_apply_op(s, &job->ops[i]);
	if (err != ERR_OK && !sqlite3_get_autocommit(s->wdb)) {
		sqlite_run(s->wdb, s->wstmt[W_ROLLBACK_TO], "rollback");
		sqlite_run(s->wdb, s->wstmt[W_RELEASE], "rollback");
		return err;
	}
	if (err == ERR_OK)
		err = sqlite_run(s->wdb, s->wstmt[W_RELEASE], "savepoint");
	return err;
}

static void sqlite_jobs_fail(struct sqlite_job *jobs, err_t err)
{
	for (; jobs != NULL; jobs = jobs->next) {
		if (jobs->rc == ERR_OK)
			jobs->rc = err;
	}
}

/*
 * Commits a chain of jobs as one transaction; sets each job's rc. A job
 * whose own operations fail is rolled back to its savepoint alone; if the
 * transaction itself is lost or the commit fails, every job fails. Runs
 * on the writer thread only.
 */
static void sqlite_run_batch(struct sqlite_store *s, struct sqlite_job *jobs)
{
	struct sqlite_job *j;
	err_t err;
	int rc;

	for (j = jobs; j != NULL; j = j->next)
		j->rc = ERR_OK;
	if (s->write_failed) {
		sqlite_jobs_fail(jobs, ERR_STORAGE);
		return;
	}
	err = sqlite_run(s->wdb, s->wstmt[W_BEGIN], "begin");
	if (err != ERR_OK) {
		sqlite_jobs_fail(jobs, err);
		return;
	}

	for (j = jobs; j != NULL; j = j->next) {
		j->rc = sqlite_apply_job(s, j);
		if (j->rc != ERR_OK && sqlite3_get_autocommit(s->wdb)) {
			/* SQLite rolled the whole transaction back. */
			sqlite_jobs_fail(jobs, j->rc);
			return;
		}
	}

	rc = sqlite3_step(s->wstmt[W_COMMIT]);
	sqlite3_reset(s->wstmt[W_COMMIT]);
	if (rc == SQLITE_DONE)
		return;
	err = sqlite_fail(s->wdb, rc, "commit");
	if (!sqlite3_get_autocommit(s->wdb))
		sqlite_run(s->wdb, s->wstmt[W_ROLLBACK], "rollback");
	if (rc == SQLITE_IOERR_FSYNC || rc == SQLITE_IOERR_DIR_FSYNC) {
		s->write_failed = true;
		log_error("storage", "sqlite: refusing further writes after a "
		                     "failed fsync; check the disk and restart "
		                     "the server");
	}
	sqlite_jobs_fail(jobs, err);
}

/* Detaches the first jobs of the queue, up to the batch limits. */
static struct sqlite_job *sqlite_take_batch(struct sqlite_store *s)
{
	struct sqlite_job *batch = s->head, *last = s->head;
	size_t jobs = 1, ops = last->n;

	while (last->next != NULL && jobs < SQLITE_BATCH_MAX_JOBS &&
	       ops < SQLITE_BATCH_MAX_OPS) {
		last = last->next;
		jobs++;
		ops += last->n;
	}
	s->head = last->next;
	if (s->head == NULL)
		s->tail = NULL;
	last->next = NULL;
	return batch;
}

/*
 * The writer thread: while a batch commits (and fsyncs), new jobs pile up
 * in the queue and form the next batch; no timer delays a lone writer.
 */
static void *sqlite_writer_main(void *arg)
{
	struct sqlite_store *s = arg;
	struct sqlite_job *batch, *next;

	pthread_mutex_lock(&s->queue_mu);
	for (;;) {
		while (s->head == NULL && !s->stopping)
			pthread_cond_wait(&s->queue_cond, &s->queue_mu);
		if (s->head == NULL)
			break;
		batch = sqlite_take_batch(s);
		pthread_mutex_unlock(&s->queue_mu);

		sqlite_run_batch(s, batch);

		/* A job lives on its caller's stack: no touching after done. */
		pthread_mutex_lock(&s->queue_mu);
		for (; batch != NULL; batch = next) {
			next = batch->next;
			batch->done = true;
			pthread_cond_signal(&batch->cond);
		}
	}
	pthread_mutex_unlock(&s->queue_mu);
	return NULL;
}

static err_t sqlite_commit(struct storage *base, const struct storage_op *ops,
                           size_t n)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	struct sqlite_job job = {.ops = ops, .n = n, .rc = ERR_OK};
	err_t err;

	/* A bad operation fails its own caller, before it can join a batch. */
	if ((err = backend_check_ops(ops, n)) != ERR_OK)
		return err;
	if (n == 0)
		return ERR_OK;
	if (pthread_cond_init(&job.cond, NULL) != 0)
		return ERR_NOMEM;

	pthread_mutex_lock(&s->queue_mu);
	if (s->stopping) {
		job.rc = ERR_UNAVAILABLE;
	} else {
		if (s->tail != NULL)
			s->tail->next = &job;
		else
			s->head = &job;
		s->tail = &job;
		pthread_cond_signal(&s->queue_cond);
		while (!job.done)
			pthread_cond_wait(&job.cond, &s->queue_mu);
	}
	pthread_mutex_unlock(&s->queue_mu);

	pthread_cond_destroy(&job.cond);
	return job.rc;
}

static err_t sqlite_put(struct storage *s, const char *key,
                        const uint8_t *value, size_t len)
{
	struct storage_op op = {STORAGE_PUT, key, value, len};

	return sqlite_commit(s, &op, 1);
}

static err_t sqlite_delete(struct storage *s, const char *key)
{
	struct storage_op op = {STORAGE_DELETE, key, NULL, 0};

	return sqlite_commit(s, &op, 1);
}

/* ---- open and close ---- */

static void sqlite_free(struct storage *base)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	struct sqlite_reader *r;

	if (s == NULL)
		return;

	/* The writer drains the jobs already queued, then exits. */
	if (s->writer_running) {
		pthread_mutex_lock(&s->queue_mu);
		s->stopping = true;
		pthread_cond_signal(&s->queue_cond);
		pthread_mutex_unlock(&s->queue_mu);
		pthread_join(s->writer, NULL);
	}

	while ((r = s->idle) != NULL) {
		s->idle = r->next;
		sqlite_reader_free(r);
	}
	/* The writer closes last: it checkpoints the WAL into the file. */
	sqlite_finalize_all(s->wstmt, W__N);
	sqlite3_close(s->wdb);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	pthread_cond_destroy(&s->queue_cond);
	pthread_mutex_destroy(&s->queue_mu);
	pthread_mutex_destroy(&s->pool_mu);
	free(s->path);
	free(s);
}

/* Parses "busy_timeout": a string (or number) of milliseconds. */
static err_t sqlite_parse_busy(json_t *config, int *out, char *errmsg,
                               size_t errlen)
{
	json_t *v = json_is_object(config)
	                ? json_object_get(config, "busy_timeout")
	                : NULL;
	const char *p;
	long ms = 0;

	*out = SQLITE_DEFAULT_BUSY_MS;
	if (v == NULL)
		return ERR_OK;
	if (json_is_integer(v)) {
		ms = (long)json_integer_value(v);
		if (ms < 0 || ms > SQLITE_MAX_BUSY_MS)
			goto bad;
	} else if (json_is_string(v) && json_string_value(v)[0] != '\0') {
		for (p = json_string_value(v); *p != '\0'; p++) {
			if (*p < '0' || *p > '9')
				goto bad;
			ms = ms * 10 + (*p - '0');
			if (ms > SQLITE_MAX_BUSY_MS)
				goto bad;
		}
	} else {
		goto bad;
	}
	*out = (int)ms;
	return ERR_OK;
bad:
	backend_errmsg(errmsg, errlen,
	               "sqlite storage: \"busy_timeout\" must be a number of "
	               "milliseconds from 0 to %d",
	               SQLITE_MAX_BUSY_MS);
	return ERR_INVALID;
}

static err_t sqlite_parse_config(struct sqlite_store *s, json_t *config,
                                 char *errmsg, size_t errlen)
{
	const char *path, *sync;
	bool bad;

	path = backend_config_string(config, "path", &bad);
	if (path == NULL || path[0] == '\0') {
		backend_errmsg(errmsg, errlen,
		               "sqlite storage needs a \"path\" to its file");
		return ERR_INVALID;
	}
	sync = backend_config_string(config, "synchronous", &bad);
	if (bad || (sync != NULL && strcmp(sync, "full") != 0 &&
	            strcmp(sync, "normal") != 0)) {
		backend_errmsg(errmsg, errlen,
		               "sqlite storage: \"synchronous\" must be "
		               "\"full\" or \"normal\"");
		return ERR_INVALID;
	}
	s->sync_full = sync == NULL || strcmp(sync, "full") == 0;
	if ((s->path = strdup(path)) == NULL)
		return ERR_NOMEM;
	return sqlite_parse_busy(config, &s->busy_ms, errmsg, errlen);
}

/* The folder must exist: creating it would hide a typo in the path. */
static err_t sqlite_check_folder(const char *path, char *errmsg, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	struct buf dir = BUF_INIT;
	struct stat st;
	err_t err = ERR_OK;

	if (slash == path)
		err = buf_append_str(&dir, "/");
	else if (slash == NULL)
		err = buf_append_str(&dir, ".");
	else
		err = buf_append(&dir, path, (size_t)(slash - path));
	if (err != ERR_OK)
		goto out;
	if (stat(buf_str(&dir), &st) != 0 || !S_ISDIR(st.st_mode)) {
		backend_errmsg(errmsg, errlen,
		               "sqlite storage: folder \"%s\" does not exist",
		               buf_str(&dir));
		err = ERR_INVALID;
	}
out:
	buf_release(&dir);
	return err;
}

/* Takes the lock that keeps a second server off the same file. */
static err_t sqlite_lock(struct sqlite_store *s, char *errmsg, size_t errlen)
{
	struct buf lock = BUF_INIT;
	err_t err;

	if ((err = buf_printf(&lock, "%s.lock", s->path)) != ERR_OK)
		goto out;
	s->lock_fd = open(buf_str(&lock), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		backend_errmsg(
		    errmsg, errlen,
		    "sqlite storage: cannot open lock file \"%s\": %s",
		    buf_str(&lock), strerror(errno));
		err = ERR_IO;
		goto out;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0)
		goto out;
	if (errno == EWOULDBLOCK) {
		backend_errmsg(errmsg, errlen,
		               "sqlite storage: \"%s\" is in use by another "
		               "server (lock file \"%s\" is held)",
		               s->path, buf_str(&lock));
		err = ERR_CONFLICT;
	} else {
		backend_errmsg(errmsg, errlen,
		               "sqlite storage: cannot lock \"%s\": %s",
		               buf_str(&lock), strerror(errno));
		err = ERR_IO;
	}
out:
	buf_release(&lock);
	return err;
}

/*
 * Creates the file owner-only before SQLite sees it; SQLite gives the WAL
 * and shared-memory files the same mode as the database file.
 */
static err_t sqlite_create_file(const char *path, char *errmsg, size_t errlen)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		backend_errmsg(errmsg, errlen,
		               "sqlite storage: cannot open \"%s\": %s", path,
		               strerror(errno));
		return ERR_IO;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
		log_warn(
		    "storage",
		    "sqlite file %s can be read by other users (mode %03o)",
		    path, (unsigned)(st.st_mode & 0777));
	close(fd);
	return ERR_OK;
}

/* WAL lets readers run beside the writer; refuse a file that cannot. */
static err_t sqlite_enable_wal(struct sqlite_store *s, char *errmsg,
                               size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const char *mode = NULL;
	int rc;

	rc = sqlite3_prepare_v2(s->wdb, "PRAGMA journal_mode = WAL", -1, &st,
	                        NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		mode = (const char *)sqlite3_column_text(st, 0);
	if (rc != SQLITE_ROW) {
		backend_errmsg(errmsg, errlen,
		               "sqlite storage: cannot open \"%s\": %s",
		               s->path, sqlite3_errmsg(s->wdb));
		sqlite3_finalize(st);
		return sqlite_fail(s->wdb, rc, "enable wal");
	}
	if (mode == NULL || sqlite3_stricmp(mode, "wal") != 0) {
		backend_errmsg(errmsg, errlen,
		               "sqlite storage: \"%s\" cannot use WAL mode "
		               "(journal mode stays \"%s\")",
		               s->path, mode ? mode : "unknown");
		sqlite3_finalize(st);
		return ERR_STORAGE;
	}
	sqlite3_finalize(st);
	return ERR_OK;
}

/* Reads PRAGMA user_version inside the caller's transaction. */
static int sqlite_user_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Creates the schema on a new file, or checks an existing one. Later
 * versions migrate here, one step per version, inside this transaction.
 */
static err_t sqlite_schema(struct sqlite_store *s, char *errmsg, size_t errlen)
{
	int rc, version = -1;

	rc = sqlite3_exec(s->wdb, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite_user_version(s->wdb, &version);
	if (rc == SQLITE_OK && version > SQLITE_SCHEMA_VERSION) {
		sqlite3_exec(s->wdb, "ROLLBACK", NULL, NULL, NULL);
		backend_errmsg(errmsg, errlen,
		               "sqlite storage: \"%s\" has schema version %d, "
		               "newer than this server's %d",
		               s->path, version, SQLITE_SCHEMA_VERSION);
		return ERR_CONFLICT;
	}
	if (rc == SQLITE_OK && version == 0)
		rc = sqlite3_exec(s->wdb,
		                  "CREATE TABLE IF NOT EXISTS entries ("
		                  "key TEXT PRIMARY KEY, value BLOB NOT NULL) "
		                  "WITHOUT ROWID; PRAGMA user_version = 1",
		                  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->wdb, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return ERR_OK;

	backend_errmsg(errmsg, errlen,
	               "sqlite storage: cannot set up \"%s\": %s", s->path,
	               sqlite3_errmsg(s->wdb));
	if (!sqlite3_get_autocommit(s->wdb))
		sqlite3_exec(s->wdb, "ROLLBACK", NULL, NULL, NULL);
	return sqlite_fail(s->wdb, rc, "schema");
}

static err_t sqlite_store_new(struct sqlite_store **out)
{
	struct sqlite_store *s = calloc(1, sizeof(*s));
	int qm, qc, pm;

	*out = NULL;
	if (s == NULL)
		return ERR_NOMEM;
	qm = pthread_mutex_init(&s->queue_mu, NULL);
	qc = pthread_cond_init(&s->queue_cond, NULL);
	pm = pthread_mutex_init(&s->pool_mu, NULL);
	if (qm != 0 || qc != 0 || pm != 0) {
		if (qm == 0)
			pthread_mutex_destroy(&s->queue_mu);
		if (qc == 0)
			pthread_cond_destroy(&s->queue_cond);
		if (pm == 0)
			pthread_mutex_destroy(&s->pool_mu);
		free(s);
		return ERR_NOMEM;
	}
	s->lock_fd = -1;
	s->base.ops = &sqlite_ops;
	s->base.type = "sqlite";
	*out = s;
	return ERR_OK;
}

/*
 * Opens (creating if needed) the SQLite file named by config "path". The
 * caller frees *out with storage_free, which also drops the file lock.
 * Fails with ERR_INVALID on bad configuration or a missing folder,
 * ERR_CONFLICT when another server holds the file, ERR_STORAGE or ERR_IO
 * when SQLite or the OS refuse; errmsg says which.
 */
err_t sqlite_open(json_t *config, struct storage **out, char *errmsg,
                  size_t errlen)
{
	struct sqlite_store *s = NULL;
	err_t err;

	*out = NULL;
	if (!sqlite3_threadsafe()) {
		backend_errmsg(errmsg, errlen,
		               "sqlite storage: the SQLite library was built "
		               "without thread support");
		return ERR_UNSUPPORTED;
	}
	if ((err = sqlite_store_new(&s)) != ERR_OK)
		goto out;
	if ((err = sqlite_parse_config(s, config, errmsg, errlen)) != ERR_OK)
		goto out;
	if ((err = sqlite_check_folder(s->path, errmsg, errlen)) != ERR_OK ||
	    (err = sqlite_lock(s, errmsg, errlen)) != ERR_OK ||
	    (err = sqlite_create_file(s->path, errmsg, errlen)) != ERR_OK)
		goto out;

	err = sqlite_connect(s, false, &s->wdb, errmsg, errlen);
	if (err != ERR_OK)
		goto out;
	if ((err = sqlite_enable_wal(s, errmsg, errlen)) != ERR_OK ||
	    (err = sqlite_schema(s, errmsg, errlen)) != ERR_OK)
		goto out;
	err = sqlite_prepare_all(s->wdb, writer_sql, s->wstmt, W__N);
	if (err != ERR_OK) {
		backend_errmsg(errmsg, errlen,
		               "sqlite storage: cannot prepare statements");
		goto out;
	}

	if (pthread_create(&s->writer, NULL, sqlite_writer_main, s) != 0) {
		err = ERR_NOMEM;
		goto out;
	}
	s->writer_running = true;

	if (!s->sync_full)
		log_warn("storage",
		         "sqlite synchronous=normal: a power loss or os crash "
		         "may lose the last acknowledged writes");
	*out = &s->base;
	s = NULL;
out:
	if (err == ERR_NOMEM)
		backend_errmsg(errmsg, errlen, "sqlite storage: out of memory");
	sqlite_free(s ? &s->base : NULL);
	return err;
}

err_t sqlite_check_integrity(struct storage *base, char *errmsg, size_t errlen)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	struct sqlite_reader *r = NULL;
	sqlite3_stmt *st = NULL;
	const char *first;
	err_t err;
	int rc;

	if (base == NULL || base->ops != &sqlite_ops)
		return ERR_INVALID;
	if ((err = sqlite_reader_get(s, &r)) != ERR_OK) {
		backend_errmsg(errmsg, errlen, "cannot open a connection");
		return err == ERR_NOMEM ? err : ERR_STORAGE;
	}

	rc = sqlite3_prepare_v2(r->db, "PRAGMA integrity_check(20)", -1, &st,
	                        NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		backend_errmsg(errmsg, errlen,
		               "integrity check did not run: %s",
		               sqlite3_errmsg(r->db));
		err = sqlite_fail(r->db, rc, "integrity check");
		goto out;
	}
	first = (const char *)sqlite3_column_text(st, 0);
	if (first == NULL || strcmp(first, "ok") != 0) {
		backend_errmsg(errmsg, errlen, "%s", first ? first : "unknown");
		log_error("storage", "sqlite integrity check of %s failed: %s",
		          s->path, first ? first : "unknown");
		err = ERR_STORAGE;
	}
out:
	sqlite3_finalize(st);
	sqlite_reader_put(s, r);
	return err;
}

static const struct storage_ops sqlite_ops = {
    .get = sqlite_get,
    .put = sqlite_put,
    .delete = sqlite_delete,
    .list = sqlite_list,
    .commit = sqlite_commit,
    .free = sqlite_free,
};
