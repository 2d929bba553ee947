/*
 * test_storage.c - one conformance suite for every storage backend.
 *
 * The same tests run against inmem, sqlite (a file in a fresh mkdtemp
 * folder), postgresql (a fresh table in the database COFFER_TEST_PG_URL
 * names, when it is set; tests/integration/test_postgres_storage.py sets
 * it) and a prefix view over each, so every implementation of storage.h
 * is held to the same contract. Backend-specific behaviour (files, locks,
 * configuration, view isolation, the HA lock) follows the suite.
 */
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "storage/postgres.h"
#include "storage/sqlite.h"
#include "storage/storage.h"
#include "storage/view.h"

#define VIEW_PREFIX "mounts/a/"

struct fixture {
	struct storage *s;      /* what the tests talk to */
	struct storage *parent; /* the backend under a view, or NULL */
	char dir[64];           /* temporary folder, "" when none */
	char path[128];         /* sqlite file inside dir */
	size_t max_key;         /* longest key the tests may use */
	char table[64];         /* postgresql table, "" when none */
};

/* Removes every file in dir, then dir itself. */
static void remove_dir(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	if (dir[0] == '\0' || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static json_t *sqlite_config(const char *path)
{
	return json_pack("{s:s}", "path", path);
}

static err_t open_sqlite(const char *path, struct storage **out, char *errmsg,
                         size_t errlen)
{
	json_t *config = sqlite_config(path);
	err_t rc;

	rc = storage_open("sqlite", config, out, errmsg, errlen);
	json_decref(config);
	return rc;
}

static struct fixture *fixture_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->max_key = STORAGE_MAX_KEY;
	return f;
}

static int setup_inmem(void **state)
{
	struct fixture *f = fixture_new();
	char errmsg[256];

	assert_int_equal(
	    storage_open("inmem", NULL, &f->s, errmsg, sizeof(errmsg)), ERR_OK);
	*state = f;
	return 0;
}

static int setup_sqlite(void **state)
{
	struct fixture *f = fixture_new();
	char errmsg[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/coffer-storage-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/coffer.db", f->dir);
	assert_int_equal(open_sqlite(f->path, &f->s, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	*state = f;
	return 0;
}

/* ---- postgresql fixtures ---- */

static unsigned pg_tables;

/* The database to test against, or NULL: those tests then skip. */
static const char *pg_url(void)
{
	const char *url = getenv("COFFER_TEST_PG_URL");

	return url != NULL && url[0] != '\0' ? url : NULL;
}

/* A table name no other fixture of this run uses. */
static void pg_table_name(char *out, size_t len)
{
	snprintf(out, len, "t_%ld_%u", (long)getpid(), ++pg_tables);
}

static err_t open_pg(const char *table, const char *ha, struct storage **out,
                     char *errmsg, size_t errlen)
{
	char ha_table[80];
	json_t *config;
	err_t rc;

	snprintf(ha_table, sizeof(ha_table), "%s_ha", table);
	config = json_pack("{s:s, s:s, s:s, s:s, s:s}", "connection_url",
	                   pg_url(), "table", table, "ha_table", ha_table,
	                   "ha_enabled", ha, "ha_lock_ttl", "2");
	assert_non_null(config);
	rc = storage_open("postgresql", config, out, errmsg, errlen);
	json_decref(config);
	return rc;
}

/* Runs one statement of the test's own on the test database. */
static void pg_sql(const char *sql)
{
	PGconn *db = PQconnectdb(pg_url());
	PGresult *r;

	assert_int_equal(PQstatus(db), CONNECTION_OK);
	r = PQexec(db, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(db));
	PQclear(r);
	PQfinish(db);
}

static void pg_drop(const char *table)
{
	char sql[256];

	if (table[0] == '\0' || pg_url() == NULL)
		return;
	snprintf(sql, sizeof(sql),
	         "SET client_min_messages = warning; DROP TABLE IF EXISTS %s; "
	         "DROP TABLE IF EXISTS %s_ha",
	         table, table);
	pg_sql(sql);
}

static int setup_pg(void **state)
{
	struct fixture *f = fixture_new();
	char errmsg[256] = "";

	*state = f;
	if (pg_url() == NULL)
		return 0;
	pg_table_name(f->table, sizeof(f->table));
	if (open_pg(f->table, "false", &f->s, errmsg, sizeof(errmsg)) != ERR_OK)
		fail_msg("postgresql: %s", errmsg);
	return 0;
}

/*
 * Wraps the backend in a view, with neighbours in the parent that sort
 * just before, inside and after the prefix, so that any leak shows up in
 * the suite's exact list() expectations.
 */
static int wrap_view(void **state)
{
	struct fixture *f = *state;
	static const char *const neighbours[] = {
	    "mounts/a-x", "mounts/a0", "mounts/b/c", "mounts/a", "outside",
	};
	size_t i;

	for (i = 0; i < sizeof(neighbours) / sizeof(neighbours[0]); i++)
		assert_int_equal(
		    storage_put(f->s, neighbours[i], (const uint8_t *)"n", 1),
		    ERR_OK);
	f->parent = f->s;
	assert_int_equal(view_new(f->parent, VIEW_PREFIX, &f->s), ERR_OK);
	f->max_key = STORAGE_MAX_KEY - strlen(VIEW_PREFIX);
	return 0;
}

static int setup_view_inmem(void **state)
{
	setup_inmem(state);
	return wrap_view(state);
}

static int setup_view_sqlite(void **state)
{
	setup_sqlite(state);
	return wrap_view(state);
}

static int setup_view_pg(void **state)
{
	setup_pg(state);
	if (((struct fixture *)*state)->s == NULL)
		return 0;
	return wrap_view(state);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	storage_free(f->s);
	storage_free(f->parent);
	remove_dir(f->dir);
	pg_drop(f->table);
	free(f);
	return 0;
}

/* Reads key and checks that it holds exactly the len bytes at want. */
static void assert_value(struct storage *s, const char *key, const void *want,
                         size_t len)
{
	struct buf out = BUF_INIT;
	bool found = false;

	assert_int_equal(storage_get(s, key, &out, &found), ERR_OK);
	assert_true(found);
	assert_int_equal(out.len, len);
	if (len > 0)
		assert_memory_equal(out.data, want, len);
	buf_release(&out);
}

static void assert_missing(struct storage *s, const char *key)
{
	struct buf out = BUF_INIT;
	bool found = true;

	assert_int_equal(storage_get(s, key, &out, &found), ERR_OK);
	assert_false(found);
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

static void assert_list(struct storage *s, const char *prefix,
                        const char *want_json)
{
	json_t *got = NULL, *want = json_loads(want_json, 0, NULL);
	char *text;

	assert_non_null(want);
	assert_int_equal(storage_list(s, prefix, &got), ERR_OK);
	assert_non_null(got);
	if (!json_equal(got, want)) {
		text = json_dumps(got, JSON_COMPACT);
		fail_msg("list(\"%s\") gave %s, want %s", prefix, text,
		         want_json);
	}
	json_decref(got);
	json_decref(want);
}

static void put_str(struct storage *s, const char *key, const char *value)
{
	assert_int_equal(
	    storage_put(s, key, (const uint8_t *)value, strlen(value)), ERR_OK);
}

/* ---- the conformance suite ---- */

/* The fixture of a suite test; skips when its backend is not available. */
static struct fixture *suite(void **state)
{
	struct fixture *f = *state;

	if (f->s == NULL)
		skip();
	return f;
}

static void test_put_get_overwrite_delete(void **state)
{
	struct storage *s = suite(state)->s;

	assert_missing(s, "missing");
	put_str(s, "greeting", "hello");
	assert_value(s, "greeting", "hello", 5);

	/* An overwrite replaces the value; it does not append to it. */
	put_str(s, "greeting", "bye");
	assert_value(s, "greeting", "bye", 3);

	assert_int_equal(storage_delete(s, "greeting"), ERR_OK);
	assert_missing(s, "greeting");
	assert_int_equal(storage_delete(s, "greeting"), ERR_OK);
	assert_int_equal(storage_delete(s, "never/was"), ERR_OK);
}

static void test_get_appends(void **state)
{
	struct storage *s = suite(state)->s;
	struct buf out = BUF_INIT;
	bool found = false;

	put_str(s, "k", "world");
	assert_int_equal(buf_append_str(&out, "hello "), ERR_OK);
	assert_int_equal(storage_get(s, "k", &out, &found), ERR_OK);
	assert_true(found);
	assert_string_equal(buf_str(&out), "hello world");
	buf_release(&out);
}

static void test_binary_values(void **state)
{
	struct storage *s = suite(state)->s;
	static const uint8_t nuls[] = {0, 'a', 0, 0xff, 0, 0x80, 0};
	uint8_t *big;
	size_t i, big_len = (size_t)1 << 20;

	assert_int_equal(storage_put(s, "bin", nuls, sizeof(nuls)), ERR_OK);
	assert_value(s, "bin", nuls, sizeof(nuls));

	/* An empty value is a value, not a missing key. */
	assert_int_equal(storage_put(s, "empty", NULL, 0), ERR_OK);
	assert_value(s, "empty", "", 0);

	big = malloc(big_len);
	assert_non_null(big);
	for (i = 0; i < big_len; i++)
		big[i] = (uint8_t)(i * 7 + (i >> 8));
	assert_int_equal(storage_put(s, "big", big, big_len), ERR_OK);
	assert_value(s, "big", big, big_len);
	free(big);
}

static void test_list(void **state)
{
	struct storage *s = suite(state)->s;
	static const char *const keys[] = {
	    "b", "a/x", "a/y/z", "a/y/w", "c/d/e/f", "a-b",
	    "a", "aa",  "a.txt", "a0",    "d/é/x",   "d/éa",
	};
	size_t i;

	assert_list(s, "", "[]");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put_str(s, keys[i], "v");

	/* "a" is both a key and a folder: both show, each once. */
	assert_list(s, "",
	            "[\"a\", \"a-b\", \"a.txt\", \"a/\", \"a0\", \"aa\", "
	            "\"b\", \"c/\", \"d/\"]");
	assert_list(s, "a/", "[\"x\", \"y/\"]");
	assert_list(s, "a/y/", "[\"w\", \"z\"]");
	assert_list(s, "c/", "[\"d/\"]");
	assert_list(s, "c/d/e/", "[\"f\"]");
	assert_list(s, "d/", "[\"é/\", \"éa\"]");
	assert_list(s, "nothing/", "[]");
	assert_list(s, "a/x/", "[]");

	/* A folder disappears with its last key. */
	assert_int_equal(storage_delete(s, "c/d/e/f"), ERR_OK);
	assert_list(s, "",
	            "[\"a\", \"a-b\", \"a.txt\", \"a/\", \"a0\", "
	            "\"aa\", \"b\", \"d/\"]");
}

static void test_list_big_subtree(void **state)
{
	struct storage *s = suite(state)->s;
	struct storage_op ops[500];
	char keys[500][32];
	size_t i;

	for (i = 0; i < 500; i++) {
		snprintf(keys[i], sizeof(keys[i]), "big/sub%zu/leaf", i % 5);
		if (i >= 5)
			snprintf(keys[i], sizeof(keys[i]), "big/sub%zu/x/%zu",
			         i % 5, i);
		ops[i] = (struct storage_op){STORAGE_PUT, keys[i],
		                             (const uint8_t *)"v", 1};
	}
	assert_int_equal(storage_commit(s, ops, 500), ERR_OK);
	put_str(s, "big/z", "v");
	assert_list(s, "big/",
	            "[\"sub0/\", \"sub1/\", \"sub2/\", \"sub3/\", \"sub4/\", "
	            "\"z\"]");
	assert_list(s, "big/sub3/", "[\"leaf\", \"x/\"]");
}

static void test_list_bad_prefix(void **state)
{
	struct storage *s = suite(state)->s;
	json_t *keys = NULL;

	assert_int_equal(storage_list(s, "a", &keys), ERR_INVALID);
	assert_null(keys);
	assert_int_equal(storage_list(s, NULL, &keys), ERR_INVALID);
	assert_null(keys);
}

static void test_commit_all(void **state)
{
	struct storage *s = suite(state)->s;
	struct storage_op ops[] = {
	    {STORAGE_PUT, "x", (const uint8_t *)"1", 1},
	    {STORAGE_PUT, "y/z", (const uint8_t *)"2", 1},
	    {STORAGE_DELETE, "old", NULL, 0},
	    {STORAGE_PUT, "x", (const uint8_t *)"3", 1},
	};

	put_str(s, "old", "gone soon");
	assert_int_equal(storage_commit(s, ops, 4), ERR_OK);
	assert_value(s, "x", "3", 1);
	assert_value(s, "y/z", "2", 1);
	assert_missing(s, "old");
	assert_int_equal(storage_commit(s, NULL, 0), ERR_OK);
}

static void test_commit_atomic(void **state)
{
	struct fixture *f = suite(state);
	char *long_key = malloc(f->max_key + 2);
	struct storage_op ops[] = {
	    {STORAGE_PUT, "new", (const uint8_t *)"x", 1},
	    {STORAGE_DELETE, "keep", NULL, 0},
	    {STORAGE_PUT, long_key, (const uint8_t *)"y", 1},
	};

	assert_non_null(long_key);
	memset(long_key, 'k', f->max_key + 1);
	long_key[f->max_key + 1] = '\0';
	put_str(f->s, "keep", "1");

	assert_int_equal(storage_commit(f->s, ops, 3), ERR_INVALID);
	assert_missing(f->s, "new");
	assert_value(f->s, "keep", "1", 1);

	/* A bad operation kind is refused the same way. */
	ops[2].key = "fine";
	ops[2].kind = (enum storage_op_kind)42;
	assert_int_equal(storage_commit(f->s, ops, 3), ERR_INVALID);
	assert_missing(f->s, "new");
	assert_value(f->s, "keep", "1", 1);
	free(long_key);
}

static void test_limits(void **state)
{
	struct fixture *f = suite(state);
	char *key = malloc(f->max_key + 2);
	static const uint8_t v[] = "v";
	uint8_t *huge;

	assert_non_null(key);
	assert_int_equal(storage_put(f->s, "", v, 1), ERR_INVALID);
	assert_int_equal(storage_put(f->s, NULL, v, 1), ERR_INVALID);
	assert_int_equal(storage_put(f->s, "dir/", v, 1), ERR_INVALID);
	assert_int_equal(storage_put(f->s, "bad\xff", v, 1), ERR_INVALID);
	assert_int_equal(storage_put(f->s, "k", NULL, 1), ERR_INVALID);
	assert_int_equal(storage_delete(f->s, ""), ERR_INVALID);

	/* The longest key works; one byte more does not. */
	memset(key, 'k', f->max_key);
	key[f->max_key] = '\0';
	assert_int_equal(storage_put(f->s, key, v, 1), ERR_OK);
	assert_value(f->s, key, v, 1);
	key[f->max_key] = 'k';
	key[f->max_key + 1] = '\0';
	assert_int_equal(storage_put(f->s, key, v, 1), ERR_INVALID);
	assert_int_equal(storage_delete(f->s, key), ERR_INVALID);
	free(key);

	/* calloc'd pages are not touched unless a backend reads them. */
	huge = calloc(1, STORAGE_MAX_VALUE + 1);
	assert_non_null(huge);
	assert_int_equal(storage_put(f->s, "huge", huge, STORAGE_MAX_VALUE + 1),
	                 ERR_INVALID);
	assert_missing(f->s, "huge");
	free(huge);
}

#define WRITERS     8
#define WRITES_EACH 200

struct writer {
	struct storage *s;
	int id;
	err_t rc;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct buf out = BUF_INIT;
	char key[64], value[64];
	bool found;
	int i;

	w->rc = ERR_OK;
	for (i = 0; i < WRITES_EACH && w->rc == ERR_OK; i++) {
		snprintf(key, sizeof(key), "t%d/k%03d", w->id, i);
		snprintf(value, sizeof(value), "v%d-%d", w->id, i);
		w->rc = storage_put(w->s, key, (const uint8_t *)value,
		                    strlen(value));
		if (w->rc != ERR_OK)
			break;

		/* Reads run alongside the other threads' writes. */
		buf_reset(&out);
		w->rc = storage_get(w->s, key, &out, &found);
		if (w->rc == ERR_OK && (!found || strcmp(buf_str(&out), value)))
			w->rc = ERR_INTERNAL;
	}
	buf_release(&out);
	return NULL;
}

static void test_concurrency(void **state)
{
	struct storage *s = suite(state)->s;
	struct writer w[WRITERS];
	pthread_t th[WRITERS];
	char key[64], value[64];
	json_t *keys = NULL;
	int t, i;

	for (t = 0; t < WRITERS; t++) {
		w[t] = (struct writer){s, t, ERR_INTERNAL};
		assert_int_equal(
		    pthread_create(&th[t], NULL, writer_main, &w[t]), 0);
	}
	for (t = 0; t < WRITERS; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(w[t].rc, ERR_OK);
	}

	for (t = 0; t < WRITERS; t++) {
		for (i = 0; i < WRITES_EACH; i++) {
			snprintf(key, sizeof(key), "t%d/k%03d", t, i);
			snprintf(value, sizeof(value), "v%d-%d", t, i);
			assert_value(s, key, value, strlen(value));
		}
		snprintf(key, sizeof(key), "t%d/", t);
		assert_int_equal(storage_list(s, key, &keys), ERR_OK);
		assert_int_equal(json_array_size(keys), WRITES_EACH);
		json_decref(keys);
	}
	assert_int_equal(storage_list(s, "", &keys), ERR_OK);
	assert_int_equal(json_array_size(keys), WRITERS);
	json_decref(keys);
}

/* ---- the registry ---- */

static void test_unknown_type(void **state)
{
	struct storage *s = (struct storage *)1;
	char errmsg[128];

	(void)state;
	assert_int_equal(storage_open("x", NULL, &s, errmsg, sizeof(errmsg)),
	                 ERR_INVALID);
	assert_null(s);
	assert_string_equal(errmsg, "unknown storage type \"x\"");
	assert_int_equal(storage_open(NULL, NULL, &s, errmsg, sizeof(errmsg)),
	                 ERR_INVALID);
}

/* ---- sqlite specifics ---- */

struct tmpdir {
	char dir[64];
	char path[128];
};

static void tmpdir_make(struct tmpdir *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/coffer-storage-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/coffer.db", t->dir);
}

static void test_sqlite_reopen_keeps_data(void **state)
{
	struct storage *s = NULL;
	struct tmpdir t;
	char errmsg[256];

	(void)state;
	tmpdir_make(&t);
	assert_int_equal(open_sqlite(t.path, &s, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	put_str(s, "a/b", "kept");
	put_str(s, "gone", "x");
	assert_int_equal(storage_delete(s, "gone"), ERR_OK);
	storage_free(s);

	assert_int_equal(open_sqlite(t.path, &s, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	assert_value(s, "a/b", "kept", 4);
	assert_missing(s, "gone");
	assert_list(s, "", "[\"a/\"]");
	assert_int_equal(sqlite_check_integrity(s, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	storage_free(s);
	remove_dir(t.dir);
}

static void test_sqlite_second_open_refused(void **state)
{
	struct storage *first = NULL, *second = (struct storage *)1;
	struct tmpdir t;
	char errmsg[256] = "";

	(void)state;
	tmpdir_make(&t);
	assert_int_equal(open_sqlite(t.path, &first, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	assert_int_equal(open_sqlite(t.path, &second, errmsg, sizeof(errmsg)),
	                 ERR_CONFLICT);
	assert_null(second);
	assert_non_null(strstr(errmsg, "in use by another server"));

	/* The refused open must not have disturbed the first one. */
	put_str(first, "still", "works");
	assert_value(first, "still", "works", 5);
	storage_free(first);

	/* Once the first is closed the file is free again. */
	assert_int_equal(open_sqlite(t.path, &second, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	assert_value(second, "still", "works", 5);
	storage_free(second);
	remove_dir(t.dir);
}

static void test_sqlite_file_modes(void **state)
{
	struct storage *s = NULL;
	struct tmpdir t;
	char errmsg[256], other[160];
	struct stat st;
	mode_t old = umask(022);

	(void)state;
	tmpdir_make(&t);
	assert_int_equal(open_sqlite(t.path, &s, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	put_str(s, "k", "v");
	assert_int_equal(stat(t.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(other, sizeof(other), "%s.lock", t.path);
	assert_int_equal(stat(other, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(other, sizeof(other), "%s-wal", t.path);
	assert_int_equal(stat(other, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	storage_free(s);
	umask(old);
	remove_dir(t.dir);
}

/* Opens sqlite with config and expects ERR_INVALID and a message part. */
static void assert_config_error(json_t *config, const char *want)
{
	struct storage *s = (struct storage *)1;
	char errmsg[256] = "";

	assert_int_equal(
	    storage_open("sqlite", config, &s, errmsg, sizeof(errmsg)),
	    ERR_INVALID);
	assert_null(s);
	if (strstr(errmsg, want) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", errmsg, want);
	json_decref(config);
}

static void test_sqlite_config_errors(void **state)
{
	struct storage *s = NULL;
	struct tmpdir t;
	char errmsg[256], missing[160];

	(void)state;
	tmpdir_make(&t);
	snprintf(missing, sizeof(missing), "%s/no/such/folder/x.db", t.dir);

	assert_config_error(NULL, "\"path\"");
	assert_config_error(json_object(), "\"path\"");
	assert_config_error(json_pack("{s:i}", "path", 3), "\"path\"");
	assert_config_error(json_pack("{s:s}", "path", ""), "\"path\"");
	assert_config_error(json_pack("{s:s}", "path", missing),
	                    "does not exist");
	assert_config_error(
	    json_pack("{s:s, s:s}", "path", t.path, "synchronous", "off"),
	    "\"synchronous\"");
	assert_config_error(
	    json_pack("{s:s, s:s}", "path", t.path, "busy_timeout", "5s"),
	    "\"busy_timeout\"");
	assert_config_error(json_pack("{s:s, s:s}", "path", t.path,
	                              "busy_timeout", "99999999999"),
	                    "\"busy_timeout\"");

	/* A refused configuration creates nothing. */
	assert_int_equal(access(t.path, F_OK), -1);

	/* The explicit opt-ins are accepted. */
	json_t *config =
	    json_pack("{s:s, s:s, s:s}", "path", t.path, "synchronous",
	              "normal", "busy_timeout", "250");
	assert_int_equal(
	    storage_open("sqlite", config, &s, errmsg, sizeof(errmsg)), ERR_OK);
	put_str(s, "k", "v");
	storage_free(s);
	json_decref(config);
	remove_dir(t.dir);
}

static void test_sqlite_not_a_database(void **state)
{
	struct storage *s = (struct storage *)1;
	struct tmpdir t;
	char errmsg[256] = "";
	FILE *fp;

	(void)state;
	tmpdir_make(&t);
	fp = fopen(t.path, "w");
	assert_non_null(fp);
	fputs("this is not an sqlite database, just some text\n", fp);
	fclose(fp);
	assert_int_equal(open_sqlite(t.path, &s, errmsg, sizeof(errmsg)),
	                 ERR_STORAGE);
	assert_null(s);
	assert_non_null(strstr(errmsg, "not a database"));
	remove_dir(t.dir);
}

/*
 * A file size limit makes the WAL write fail like a full disk would: the
 * write is refused, reads go on, and writes work again once room is back.
 */
static void test_sqlite_write_failure_recovers(void **state)
{
	struct storage *s = NULL;
	struct rlimit old, small;
	size_t big_len = (size_t)1 << 20;
	uint8_t *big = calloc(1, big_len);
	struct tmpdir t;
	char errmsg[256];
	err_t rc;

	(void)state;
	assert_non_null(big);
	tmpdir_make(&t);
	assert_int_equal(open_sqlite(t.path, &s, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	put_str(s, "before", "v");

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 256 << 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	rc = storage_put(s, "big", big, big_len);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	assert_int_equal(rc, ERR_STORAGE);
	assert_missing(s, "big");
	assert_value(s, "before", "v", 1);
	assert_int_equal(storage_put(s, "big", big, big_len), ERR_OK);
	assert_value(s, "big", big, big_len);
	assert_int_equal(sqlite_check_integrity(s, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	storage_free(s);
	free(big);
	remove_dir(t.dir);
}

/* Damage in the middle of the file is what the integrity check is for. */
static void test_sqlite_integrity_detects_damage(void **state)
{
	struct storage *s = NULL;
	struct tmpdir t;
	char errmsg[256] = "", key[32], junk[4096];
	FILE *fp;
	int i;

	(void)state;
	tmpdir_make(&t);
	assert_int_equal(open_sqlite(t.path, &s, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	for (i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "key/%05d", i);
		put_str(s, key, "some value that fills pages");
	}
	storage_free(s);

	/* Closing checkpointed everything into the main file. */
	memset(junk, 0x5a, sizeof(junk));
	fp = fopen(t.path, "r+");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 4096 * 3 + 64, SEEK_SET), 0);
	assert_int_equal(fwrite(junk, 1, 1024, fp), 1024);
	fclose(fp);

	assert_int_equal(open_sqlite(t.path, &s, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	assert_int_equal(sqlite_check_integrity(s, errmsg, sizeof(errmsg)),
	                 ERR_STORAGE);
	assert_true(errmsg[0] != '\0');
	storage_free(s);
	remove_dir(t.dir);
}

static void test_sqlite_integrity_wrong_backend(void **state)
{
	struct storage *s = NULL;
	char errmsg[128];

	(void)state;
	assert_int_equal(
	    storage_open("inmem", NULL, &s, errmsg, sizeof(errmsg)), ERR_OK);
	assert_int_equal(sqlite_check_integrity(s, errmsg, sizeof(errmsg)),
	                 ERR_INVALID);
	storage_free(s);
}

/* ---- postgresql specifics ---- */

static void assert_pg_config_error(json_t *config, const char *want)
{
	struct storage *s = (struct storage *)1;
	char errmsg[256] = "";

	assert_int_equal(
	    storage_open("postgresql", config, &s, errmsg, sizeof(errmsg)),
	    ERR_INVALID);
	assert_null(s);
	if (strstr(errmsg, want) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", errmsg, want);
	json_decref(config);
}

/* Checked before any connection, so no database is needed. */
static void test_pg_config_errors(void **state)
{
	const char *url = "postgresql://nobody@127.0.0.1:1/x";

	(void)state;
	assert_pg_config_error(NULL, "\"connection_url\"");
	assert_pg_config_error(json_pack("{s:s}", "connection_url", ""),
	                       "\"connection_url\"");
	assert_pg_config_error(
	    json_pack("{s:s, s:s}", "connection_url", url, "table", "a;drop"),
	    "\"table\"");
	assert_pg_config_error(
	    json_pack("{s:s, s:s}", "connection_url", url, "table", "1abc"),
	    "\"table\"");
	assert_pg_config_error(
	    json_pack("{s:s, s:s}", "connection_url", url, "ha_table", "x\"y"),
	    "\"ha_table\"");
	assert_pg_config_error(json_pack("{s:s, s:s, s:s}", "connection_url",
	                                 url, "table", "same", "ha_table",
	                                 "same"),
	                       "must differ");
	assert_pg_config_error(
	    json_pack("{s:s, s:s}", "connection_url", url, "ha_enabled", "yes"),
	    "\"ha_enabled\"");
	assert_pg_config_error(
	    json_pack("{s:s, s:s}", "connection_url", url, "max_parallel", "0"),
	    "\"max_parallel\"");
	assert_pg_config_error(json_pack("{s:s, s:s}", "connection_url", url,
	                                 "max_parallel", "9999999999999"),
	                       "\"max_parallel\"");
	assert_pg_config_error(json_pack("{s:s, s:s}", "connection_url", url,
	                                 "connect_timeout", "5s"),
	                       "\"connect_timeout\"");
	assert_pg_config_error(
	    json_pack("{s:s, s:s}", "connection_url", url, "ha_lock_ttl", "1"),
	    "\"ha_lock_ttl\"");
}

/* Nothing listens on port 1: a clean, quick ERR_UNAVAILABLE. */
static void test_pg_unreachable(void **state)
{
	struct storage *s = (struct storage *)1;
	char errmsg[256] = "";
	json_t *config =
	    json_pack("{s:s, s:s}", "connection_url",
	              "postgresql://nobody@127.0.0.1:1/x?sslmode=disable",
	              "connect_timeout", "2");
	time_t start = time(NULL);

	(void)state;
	assert_int_equal(
	    storage_open("postgresql", config, &s, errmsg, sizeof(errmsg)),
	    ERR_UNAVAILABLE);
	assert_null(s);
	assert_non_null(strstr(errmsg, "cannot connect"));
	assert_true(time(NULL) - start <= 3);
	json_decref(config);
}

static void test_pg_reopen_keeps_data(void **state)
{
	struct storage *s = NULL;
	char table[64], errmsg[256] = "";

	(void)state;
	if (pg_url() == NULL)
		skip();
	pg_table_name(table, sizeof(table));
	assert_int_equal(open_pg(table, "false", &s, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	put_str(s, "a/b", "kept");
	storage_free(s);

	/* A second open finds the table and leaves it as it was. */
	assert_int_equal(open_pg(table, "false", &s, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	assert_value(s, "a/b", "kept", 4);
	assert_list(s, "", "[\"a/\"]");
	storage_free(s);
	pg_drop(table);
}

/*
 * Every server connection of this backend is killed behind its back, as a
 * database restart would: the next calls reconnect on their own.
 */
static void test_pg_reconnects(void **state)
{
	struct storage *s = NULL;
	char table[64], errmsg[256] = "";
	int i;

	(void)state;
	if (pg_url() == NULL)
		skip();
	pg_table_name(table, sizeof(table));
	assert_int_equal(open_pg(table, "false", &s, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	put_str(s, "before", "v");
	pg_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
	       "WHERE application_name = 'coffer'");

	/* Reads and writes both find their way back, and nothing is lost. */
	assert_value(s, "before", "v", 1);
	pg_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
	       "WHERE application_name = 'coffer'");
	put_str(s, "after", "w");
	for (i = 0; i < 3; i++)
		assert_value(s, "after", "w", 1);
	assert_list(s, "", "[\"after\", \"before\"]");
	storage_free(s);
	pg_drop(table);
}

static void pg_open_two(const char *table, struct storage **a,
                        struct storage **b)
{
	char errmsg[256] = "";

	assert_int_equal(open_pg(table, "true", a, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	assert_int_equal(open_pg(table, "true", b, errmsg, sizeof(errmsg)),
	                 ERR_OK);
	assert_true(postgres_ha_enabled(*a));
	assert_int_equal(postgres_ha_ttl_ms(*a), 2000);
}

static void assert_leader(struct storage *s, bool found, bool self,
                          const char *value)
{
	struct buf v = BUF_INIT;
	bool f = !found, me = !self;

	assert_int_equal(postgres_ha_leader(s, &v, &f, &me), ERR_OK);
	assert_int_equal(f, found);
	assert_int_equal(me, self);
	if (found)
		assert_string_equal(buf_str(&v), value);
	buf_release(&v);
}

/* Two servers on one database: one lock, handed over only when free. */
static void test_pg_ha_lock(void **state)
{
	struct storage *a = NULL, *b = NULL;
	char table[64];
	bool held = false;

	(void)state;
	if (pg_url() == NULL)
		skip();
	pg_table_name(table, sizeof(table));
	pg_open_two(table, &a, &b);

	assert_leader(a, false, false, NULL);
	assert_int_equal(postgres_ha_acquire(a, "http://a", &held), ERR_OK);
	assert_true(held);
	assert_int_equal(postgres_ha_acquire(b, "http://b", &held), ERR_OK);
	assert_false(held);
	assert_leader(b, true, false, "http://a");
	assert_leader(a, true, true, "http://a");

	/* Renewal keeps it; release frees it for the other at once. */
	assert_int_equal(postgres_ha_acquire(a, "http://a", &held), ERR_OK);
	assert_true(held);
	assert_int_equal(postgres_ha_release(a), ERR_OK);
	assert_int_equal(postgres_ha_acquire(b, "http://b", &held), ERR_OK);
	assert_true(held);
	assert_int_equal(postgres_ha_acquire(a, "http://a", &held), ERR_OK);
	assert_false(held);

	/* An unrenewed lock expires after its TTL and can be taken. */
	sleep(3);
	assert_leader(a, false, false, NULL);
	assert_int_equal(postgres_ha_acquire(a, "http://a", &held), ERR_OK);
	assert_true(held);
	assert_int_equal(postgres_ha_acquire(b, "http://b", &held), ERR_OK);
	assert_false(held);
	storage_free(a);
	storage_free(b);
	pg_drop(table);
}

/* A fenced backend writes only while it holds the lock. */
static void test_pg_ha_fencing(void **state)
{
	struct storage *a = NULL, *b = NULL;
	char table[64], sql[256];
	bool held = false;

	(void)state;
	if (pg_url() == NULL)
		skip();
	pg_table_name(table, sizeof(table));
	pg_open_two(table, &a, &b);
	postgres_ha_fence(a);
	postgres_ha_fence(b);

	assert_int_equal(postgres_ha_acquire(a, "http://a", &held), ERR_OK);
	assert_true(held);
	put_str(a, "k", "from a");
	assert_false(postgres_ha_fence_tripped(a));

	/* The standby cannot write, and learns why. */
	assert_int_equal(storage_put(b, "k", (const uint8_t *)"b", 1),
	                 ERR_UNAVAILABLE);
	assert_true(postgres_ha_fence_tripped(b));
	assert_false(postgres_ha_fence_tripped(b));

	/* Someone takes the row by hand: a's next write is refused. */
	snprintf(sql, sizeof(sql),
	         "UPDATE %s_ha SET ha_identity = 'thief', valid_until = now() "
	         "+ interval '1 hour'",
	         table);
	pg_sql(sql);
	assert_int_equal(storage_put(a, "k", (const uint8_t *)"late", 4),
	                 ERR_UNAVAILABLE);
	assert_true(postgres_ha_fence_tripped(a));
	assert_value(a, "k", "from a", 6);
	assert_int_equal(postgres_ha_acquire(a, "http://a", &held), ERR_OK);
	assert_false(held);
	storage_free(a);
	storage_free(b);
	pg_drop(table);
}

/* ---- views ---- */

static void test_view_isolation(void **state)
{
	struct storage *parent = NULL, *view = NULL, *other = NULL;
	char errmsg[128];

	(void)state;
	assert_int_equal(
	    storage_open("inmem", NULL, &parent, errmsg, sizeof(errmsg)),
	    ERR_OK);
	put_str(parent, "secret", "root");
	put_str(parent, "mounts/b/secret", "b's");
	put_str(parent, "mounts/a-secret", "sibling");
	assert_int_equal(view_new(parent, "mounts/a/", &view), ERR_OK);
	assert_int_equal(view_new(parent, "mounts/b/", &other), ERR_OK);

	/* Keys are plain strings: no path trick climbs out of the view. */
	assert_missing(view, "../b/secret");
	assert_missing(view, "../../secret");
	assert_missing(view, "/secret");
	assert_list(view, "", "[]");
	assert_int_equal(storage_delete(view, "../b/secret"), ERR_OK);
	assert_value(other, "secret", "b's", 3);

	/* The view's writes land under its prefix and only there. */
	put_str(view, "secret", "a's");
	assert_value(parent, "mounts/a/secret", "a's", 3);
	assert_value(parent, "secret", "root", 4);
	assert_value(other, "secret", "b's", 3);
	assert_list(parent, "mounts/", "[\"a-secret\", \"a/\", \"b/\"]");
	assert_int_equal(storage_delete(view, "secret"), ERR_OK);
	assert_value(other, "secret", "b's", 3);

	/* Freeing a view leaves its parent usable. */
	storage_free(view);
	storage_free(other);
	assert_value(parent, "secret", "root", 4);
	storage_free(parent);
}

static void test_view_bad_prefix(void **state)
{
	struct storage *parent = NULL, *view = (struct storage *)1;
	char errmsg[128];

	(void)state;
	assert_int_equal(
	    storage_open("inmem", NULL, &parent, errmsg, sizeof(errmsg)),
	    ERR_OK);
	assert_int_equal(view_new(parent, "", &view), ERR_INVALID);
	assert_null(view);
	assert_int_equal(view_new(parent, "mounts/a", &view), ERR_INVALID);
	assert_int_equal(view_new(parent, NULL, &view), ERR_INVALID);
	assert_int_equal(view_new(NULL, "a/", &view), ERR_INVALID);
	storage_free(parent);
}

#define CONFORMANCE(setup)                                                     \
	cmocka_unit_test_setup_teardown(test_put_get_overwrite_delete, setup,  \
	                                teardown),                             \
	    cmocka_unit_test_setup_teardown(test_get_appends, setup,           \
	                                    teardown),                         \
	    cmocka_unit_test_setup_teardown(test_binary_values, setup,         \
	                                    teardown),                         \
	    cmocka_unit_test_setup_teardown(test_list, setup, teardown),       \
	    cmocka_unit_test_setup_teardown(test_list_big_subtree, setup,      \
	                                    teardown),                         \
	    cmocka_unit_test_setup_teardown(test_list_bad_prefix, setup,       \
	                                    teardown),                         \
	    cmocka_unit_test_setup_teardown(test_commit_all, setup, teardown), \
	    cmocka_unit_test_setup_teardown(test_commit_atomic, setup,         \
	                                    teardown),                         \
	    cmocka_unit_test_setup_teardown(test_limits, setup, teardown),     \
	    cmocka_unit_test_setup_teardown(test_concurrency, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    CONFORMANCE(setup_inmem),
	    CONFORMANCE(setup_view_inmem),
	    CONFORMANCE(setup_sqlite),
	    CONFORMANCE(setup_view_sqlite),
	    CONFORMANCE(setup_pg),
	    CONFORMANCE(setup_view_pg),
	    cmocka_unit_test(test_unknown_type),
	    cmocka_unit_test(test_sqlite_reopen_keeps_data),
	    cmocka_unit_test(test_sqlite_second_open_refused),
	    cmocka_unit_test(test_sqlite_file_modes),
	    cmocka_unit_test(test_sqlite_config_errors),
	    cmocka_unit_test(test_sqlite_not_a_database),
	    cmocka_unit_test(test_sqlite_write_failure_recovers),
	    cmocka_unit_test(test_sqlite_integrity_detects_damage),
	    cmocka_unit_test(test_sqlite_integrity_wrong_backend),
	    cmocka_unit_test(test_pg_config_errors),
	    cmocka_unit_test(test_pg_unreachable),
	    cmocka_unit_test(test_pg_reopen_keeps_data),
	    cmocka_unit_test(test_pg_reconnects),
	    cmocka_unit_test(test_pg_ha_lock),
	    cmocka_unit_test(test_pg_ha_fencing),
	    cmocka_unit_test(test_view_isolation),
	    cmocka_unit_test(test_view_bad_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
