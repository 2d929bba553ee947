/*
 * sqlite_commit.c - the raw SQLite baseline for the durable-write rows.
 *
 * One writer commits one row per transaction into a table shaped like the
 * server's (key TEXT PRIMARY KEY, value BLOB, WITHOUT ROWID), in WAL mode
 * with synchronous=FULL, for a warm-up and then a measured number of
 * seconds, and prints "commits_per_s=N". This is the ceiling a server on
 * the same disk could reach with one client and no group commit.
 *
 *   sqlite_commit DB_PATH WARMUP_S MEASURE_S
 *
 * Built by bench/run.sh only; not part of the server or the tests.
 */
#define _XOPEN_SOURCE 700
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEYS        10000
#define VALUE_BYTES 200

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "sqlite_commit: %s: %s\n", sql,
		        msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Commits rows until `until`; returns the number committed, -1 on error. */
static long commit_until(sqlite3 *db, sqlite3_stmt *ins, double until,
                         unsigned char *value)
{
	long n = 0;
	char key[64];

	while (now_s() < until) {
		snprintf(key, sizeof(key), "logical/bench/meta/app-%ld",
		         (long)(random() % KEYS));
		if (exec(db, "BEGIN IMMEDIATE") != 0)
			return -1;
		sqlite3_bind_text(ins, 1, key, -1, SQLITE_TRANSIENT);
		/* SQLite skips writing a page whose bytes do not change. */
		memcpy(value, &n, sizeof(n));
		sqlite3_bind_blob(ins, 2, value, VALUE_BYTES, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			fprintf(stderr, "sqlite_commit: insert: %s\n",
			        sqlite3_errmsg(db));
			return -1;
		}
		sqlite3_reset(ins);
		if (exec(db, "COMMIT") != 0)
			return -1;
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL;
	unsigned char value[VALUE_BYTES];
	double warmup, measure, start;
	long n;
	int rc = 1;
	size_t i;

	if (argc != 4) {
		fprintf(stderr, "usage: %s DB WARMUP_S MEASURE_S\n", argv[0]);
		return 2;
	}
	warmup = strtod(argv[2], NULL);
	measure = strtod(argv[3], NULL);
	if (measure <= 0 || warmup < 0)
		return 2;
	for (i = 0; i < sizeof(value); i++)
		value[i] = (unsigned char)random();
	if (sqlite3_open(argv[1], &db) != SQLITE_OK)
		goto out;
	if (exec(db, "PRAGMA journal_mode = WAL") != 0 ||
	    exec(db, "PRAGMA synchronous = FULL") != 0 ||
	    exec(db, "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY "
	             "KEY, value BLOB NOT NULL) WITHOUT ROWID") != 0)
		goto out;
	if (sqlite3_prepare_v2(db,
	                       "INSERT INTO entries (key, value) VALUES (?1, "
	                       "?2) ON CONFLICT (key) DO UPDATE SET value = "
	                       "excluded.value",
	                       -1, &ins, NULL) != SQLITE_OK)
		goto out;
	if (commit_until(db, ins, now_s() + warmup, value) < 0)
		goto out;
	start = now_s();
	n = commit_until(db, ins, start + measure, value);
	if (n < 0)
		goto out;
	printf("commits_per_s=%.1f\n", (double)n / (now_s() - start));
	rc = 0;
out:
	if (rc != 0 && db != NULL)
		fprintf(stderr, "sqlite_commit: %s\n", sqlite3_errmsg(db));
	sqlite3_finalize(ins);
	sqlite3_close(db);
	return rc;
}
