/*
 * sqlite_lease.c - the raw SQLite baselines of the lease rows.
 *
 *   sqlite_lease scan DB PREFIX
 *     Opens the server's own database file read-only and reads every
 *     entry whose key starts with PREFIX, values included (what a restore
 *     must read at the least), in key order. Prints
 *     "rows=N bytes=B seconds=S", S counting the open too. The baseline of
 *     W8 (restart to serving); run.sh drops the page cache first when it
 *     can, for a cold scan.
 *
 *   sqlite_lease expire DB N
 *     Makes a fresh lease table of N rows in DB (an id shaped like the
 *     server's lease ids, expiry times spread over one minute, a 470-byte
 *     body: the size of the server's encrypted token lease record,
 *     with an index on the expiry time), then times the loop
 *     "select the 1,000 oldest by the expiry index, delete them by
 *     primary key, commit" until the table is empty, in WAL mode with
 *     synchronous=FULL. Prints "rows_per_s=R rows=N seconds=S". The
 *     baseline of W7 (the expiry storm), as perf-security.md A4 measured
 *     it.
 *
 *   sqlite_lease watch DB PREFIX DUE_AT CAP_S
 *     Watches the server's database file (read-only, while the server
 *     runs) for the moment no key starting with PREFIX is left, checking
 *     ten times a second with a one-row index probe that costs next to
 *     nothing. Prints "drained_s=S remaining=0", S counted from DUE_AT
 *     (unix seconds, may be fractional), or, when CAP_S seconds after
 *     DUE_AT some are left, "drained_s=-1 remaining=R elapsed=E" (one
 *     count, at the end only). Measures W7's expiry rate from outside the
 *     server, which has no lease counter to ask.
 *
 * Built by bench/run.sh only; not part of the server or the tests.
 */
#define _XOPEN_SOURCE 700
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BODY_BYTES 470

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
		fprintf(stderr, "sqlite_lease: %s: %s\n", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int scan(const char *path, const char *prefix)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *end = NULL;
	size_t n = strlen(prefix);
	long long rows = 0, bytes = 0;
	double start = now_s();
	int rc = 1, step;

	if (n == 0 || (end = strdup(prefix)) == NULL)
		return 1;
	end[n - 1]++; /* the first key past every key with the prefix */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT length(value) FROM entries WHERE key >= "
	                       "?1 AND key < ?2 ORDER BY key",
	                       -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, end, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		rows++;
		bytes += sqlite3_column_int64(st, 0);
	}
	if (step != SQLITE_DONE)
		goto out;
	printf("rows=%lld bytes=%lld seconds=%.3f\n", rows, bytes,
	       now_s() - start);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "sqlite_lease: scan: %s\n",
		        db ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(end);
	return rc;
}

/* xorshift64: cheap filler bytes; nothing here needs real randomness. */
static unsigned long long next_rand(unsigned long long *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * Inserts n lease rows in one transaction (not timed), with a large page
 * cache so that this takes seconds, not minutes; the timed loop runs with
 * SQLite's default cache, as the server's connections do. Expiry times are
 * spread over a minute in milliseconds, so that expiry order is unrelated
 * to key order, as with the server's random lease ids.
 */
static int fill(sqlite3 *db, long n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned long long x = 88172645463325252ULL, body[BODY_BYTES / 8 + 1];
	char id[128];
	sqlite3_stmt *ins = NULL;
	long i;
	int k, rc = -1;

	if (exec(db, "PRAGMA cache_size = -262144") ||
	    exec(db, "CREATE TABLE leases (id TEXT PRIMARY KEY, expire "
	             "INTEGER NOT NULL, body BLOB NOT NULL) WITHOUT ROWID") ||
	    exec(db, "CREATE INDEX leases_expire ON leases (expire)") ||
	    exec(db, "BEGIN") ||
	    sqlite3_prepare_v2(db, "INSERT INTO leases VALUES (?1, ?2, ?3)", -1,
	                       &ins, NULL) != SQLITE_OK)
		goto out;
	for (i = 0; i < n; i++) {
		k = snprintf(id, sizeof(id), "auth/token/create-orphan/");
		while (k < 25 + 64)
			id[k++] = hex[next_rand(&x) & 15];
		id[k] = '\0';
		for (k = 0; k < (int)(sizeof(body) / sizeof(body[0])); k++)
			body[k] = next_rand(&x);
		sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 2,
		                   1800000000000LL +
		                       (long long)(next_rand(&x) % 60000));
		sqlite3_bind_blob(ins, 3, body, BODY_BYTES, SQLITE_TRANSIENT);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto out;
		sqlite3_reset(ins);
	}
	if (exec(db, "COMMIT") || exec(db, "PRAGMA wal_checkpoint(TRUNCATE)") ||
	    exec(db, "PRAGMA cache_size = -2000"))
		goto out;
	rc = 0;
out:
	sqlite3_finalize(ins);
	return rc;
}

/* One batch: the 1,000 oldest, deleted by key, one commit. */
static long expire_batch(sqlite3 *db, sqlite3_stmt *sel, sqlite3_stmt *del)
{
	long n = 0;
	int step;

	if (exec(db, "BEGIN IMMEDIATE"))
		return -1;
	while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
		sqlite3_bind_text(del, 1,
		                  (const char *)sqlite3_column_text(sel, 0), -1,
		                  SQLITE_TRANSIENT);
		if (sqlite3_step(del) != SQLITE_DONE)
			return -1;
		sqlite3_reset(del);
		n++;
	}
	sqlite3_reset(sel);
	if (step != SQLITE_DONE || exec(db, "COMMIT"))
		return -1;
	return n;
}

static int expire(const char *path, long n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *sel = NULL, *del = NULL;
	long done = 0, got;
	double start, secs;
	int rc = 1;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    exec(db, "PRAGMA journal_mode = WAL") ||
	    exec(db, "PRAGMA synchronous = FULL") || fill(db, n) != 0 ||
	    sqlite3_prepare_v2(db,
	                       "SELECT id FROM leases ORDER BY expire LIMIT "
	                       "1000",
	                       -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "DELETE FROM leases WHERE id = ?1", -1, &del,
	                       NULL) != SQLITE_OK)
		goto out;
	start = now_s();
	while ((got = expire_batch(db, sel, del)) > 0)
		done += got;
	secs = now_s() - start;
	if (got < 0 || done != n)
		goto out;
	printf("rows_per_s=%.1f rows=%ld seconds=%.3f\n", (double)n / secs, n,
	       secs);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "sqlite_lease: expire: %s\n",
		        db ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_finalize(sel);
	sqlite3_finalize(del);
	sqlite3_close(db);
	return rc;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs sql with the prefix range bound; its first column, or -1. */
static long long range_query(sqlite3 *db, const char *sql, const char *lo,
                             const char *hi)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;
	int step;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (step == SQLITE_DONE)
		v = 0;
	sqlite3_finalize(st);
	return v;
}

static int watch(const char *path, const char *prefix, double due, double cap)
{
	const struct timespec tick = {0, 100000000L};
	sqlite3 *db = NULL;
	char *end = NULL;
	size_t n = strlen(prefix);
	long long left;
	int rc = 1;

	if (n == 0 || (end = strdup(prefix)) == NULL)
		return 1;
	end[n - 1]++;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 5000);
	for (;;) {
		left = range_query(db,
		                   "SELECT 1 FROM entries WHERE key >= ?1 AND "
		                   "key < ?2 LIMIT 1",
		                   prefix, end);
		if (left < 0)
			goto out;
		if (left == 0 && wall_s() >= due) {
			printf("drained_s=%.3f remaining=0\n", wall_s() - due);
			break;
		}
		if (wall_s() >= due + cap) {
			left = range_query(db,
			                   "SELECT count(*) FROM entries WHERE "
			                   "key >= ?1 AND key < ?2",
			                   prefix, end);
			printf("drained_s=-1 remaining=%lld elapsed=%.3f\n",
			       left, wall_s() - due);
			break;
		}
		nanosleep(&tick, NULL);
	}
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "sqlite_lease: watch: %s\n",
		        db ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_close(db);
	free(end);
	return rc;
}

int main(int argc, char **argv)
{
	long n;

	if (argc == 4 && strcmp(argv[1], "scan") == 0)
		return scan(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "expire") == 0) {
		n = strtol(argv[3], NULL, 10);
		if (n < 1)
			return 2;
		return expire(argv[2], n);
	}
	if (argc == 6 && strcmp(argv[1], "watch") == 0)
		return watch(argv[2], argv[3], strtod(argv[4], NULL),
		             strtod(argv[5], NULL));
	fprintf(stderr,
	        "usage: %s scan DB PREFIX | expire DB N | "
	        "watch DB PREFIX DUE_AT CAP_S\n"
	        "  (see the comment at the top of bench/sqlite_lease.c)\n",
	        argv[0]);
	return 2;
}
