/*
 * db_worker.c - the engine's background thread: each second it finishes
 * what a crash or an outage left half-done, and rotates static roles
 * that are due.
 *
 *  - pending/<user> records of an earlier run (rule 1 of database.h):
 *    the user exists without a lease, or may; it is dropped.
 *  - config/<name> with a pending root password (rule 2): set it again.
 *  - static-role/<name>: a pending password, or rotation_period elapsed.
 *
 * A failure is retried with exponential backoff up to DB_RETRY_CAP
 * seconds (db_pool.c keeps the table), so a database that is down costs
 * one attempt and one log line per item and period, never a tight loop.
 *
 * Known shortcoming: each tick lists the three prefixes, which is fine for
 * the hundreds of roles a mount holds, not for a hundred thousand; an
 * index by next rotation time would then be needed.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "core/lease.h"
#include "engines/database/database.h"

#define DB_TICK 1 /* seconds */

err_t db_orphan_drop(struct db_state *st, const char *key, struct buf *why)
{
	struct db_stmt_op op = {0};
	struct db_config cfg;
	json_t *rec = NULL;
	bool found = false;
	err_t rc;

	memset(&cfg, 0, sizeof(cfg));
	rc = db_load(st, key, &rec, &found);
	if (rc != ERR_OK || !found)
		goto out;
	op.vars.name = json_string_value(json_object_get(rec, "username"));
	op.stmts = json_object_get(rec, "revocation_statements");
	rc = db_config_load(
	    st, json_string_value(json_object_get(rec, "db_name")), &cfg);
	if (rc == ERR_OK && op.vars.name == NULL)
		rc = ERR_INVALID;
	if (rc == ERR_OK)
		rc = db_with_conn(st, &cfg, db_op_revoke, &op, why);
	if (rc == ERR_OK) {
		log_info("database",
		         "dropped database user %s, made without "
		         "a lease before a crash or failure",
		         op.vars.name);
		rc = storage_delete(st->m->view, key);
	}
out:
	json_decref(rec);
	db_config_release(&cfg);
	return rc;
}

/* Whether the pending record under key was written by an earlier run. */
static bool is_orphan(struct db_state *st, const char *key)
{
	json_t *rec = NULL;
	bool found = false, orphan = false;

	if (db_load(st, key, &rec, &found) == ERR_OK && found) {
		const char *boot =
		    json_string_value(json_object_get(rec, "boot"));
		orphan = boot == NULL || strcmp(boot, st->boot) != 0;
	}
	json_decref(rec);
	return orphan;
}

/* Whether config/<name> holds a pending root password. */
static bool root_pending(struct db_state *st, const char *key)
{
	json_t *rec = NULL;
	bool found = false, pending = false;

	if (db_load(st, key, &rec, &found) == ERR_OK && found)
		pending = json_object_get(rec, "pending_password") != NULL;
	json_decref(rec);
	return pending;
}

enum item_kind { ITEM_ORPHAN, ITEM_ROOT, ITEM_STATIC };

static void do_item(struct db_state *st, enum item_kind kind, const char *key,
                    const char *name, int64_t now)
{
	struct buf why = BUF_INIT;
	err_t rc = ERR_OK;

	if (!db_retry_due(st, key, now))
		return;
	if (kind == ITEM_ORPHAN && is_orphan(st, key))
		rc = db_orphan_drop(st, key, &why);
	else if (kind == ITEM_ROOT && root_pending(st, key))
		rc = db_rotate_root_finish(st, name, &why);
	else if (kind == ITEM_STATIC)
		rc = db_rotate_static(st, name, false, &why);
	if (rc == ERR_OK || rc == ERR_NOT_FOUND) {
		db_retry_clear(st, key);
	} else {
		db_retry_failed(st, key, now);
		log_warn("database", "background task on %s failed: %s", key,
		         why.len ? buf_str(&why) : err_str(rc));
	}
	buf_release(&why);
}

static bool stopping(struct db_state *st)
{
	bool stop;

	pthread_mutex_lock(&st->lock);
	stop = st->stop;
	pthread_mutex_unlock(&st->lock);
	return stop;
}

static void tick(struct db_state *st)
{
	static const struct {
		const char *prefix;
		enum item_kind kind;
	} dirs[] = {
	    {"pending/", ITEM_ORPHAN},
	    {"config/", ITEM_ROOT},
	    {"static-role/", ITEM_STATIC},
	};
	struct buf key = BUF_INIT;
	json_t *names, *n;
	size_t d, i;

	for (d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		names = NULL;
		if (storage_list(st->m->view, dirs[d].prefix, &names) != ERR_OK)
			continue;
		json_array_foreach(names, i, n)
		{
			const char *name = json_string_value(n);
			if (name == NULL || !db_name_ok(name) ||
			    db_key(&key, dirs[d].prefix, name) != ERR_OK)
				continue;
			do_item(st, dirs[d].kind, buf_str(&key), name,
			        lease_now());
			if (stopping(st))
				break;
		}
		json_decref(names);
	}
	buf_release(&key);
}

static void *worker_main(void *arg)
{
	struct db_state *st = arg;
	struct timespec until;

	for (;;) {
		pthread_mutex_lock(&st->lock);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += DB_TICK;
		while (!st->stop && pthread_cond_timedwait(&st->wake, &st->lock,
		                                           &until) != ETIMEDOUT)
			;
		if (st->stop) {
			pthread_mutex_unlock(&st->lock);
			break;
		}
		pthread_mutex_unlock(&st->lock);
		tick(st);
	}
	return NULL;
}

err_t db_worker_start(struct db_state *st)
{
	if (pthread_create(&st->worker, NULL, worker_main, st) != 0)
		return ERR_INTERNAL;
	st->worker_started = true;
	return ERR_OK;
}

void db_worker_stop(struct db_state *st)
{
	if (!st->worker_started)
		return;
	pthread_mutex_lock(&st->lock);
	st->stop = true;
	pthread_cond_broadcast(&st->wake);
	pthread_mutex_unlock(&st->lock);
	pthread_join(st->worker, NULL);
	st->worker_started = false;
}
