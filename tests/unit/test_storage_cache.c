/*
 * test_storage_cache.c - the read cache answers exactly what its parent
 * holds, through any mix of reads, writes, deletes and commits, and drops
 * what a write touched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "storage/cache.h"
#include "storage/storage.h"

static void expect_same(struct storage *cache, struct storage *parent,
                        const char *key)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	bool fa = false, fb = false;

	assert_int_equal(storage_get(cache, key, &a, &fa), ERR_OK);
	assert_int_equal(storage_get(parent, key, &b, &fb), ERR_OK);
	assert_int_equal(fa, fb);
	assert_int_equal(a.len, b.len);
	if (a.len > 0)
		assert_memory_equal(a.data, b.data, a.len);
	buf_release(&a);
	buf_release(&b);
}

static void test_reads_follow_writes(void **state)
{
	struct storage *parent = NULL, *cache = NULL;
	char err[128];

	(void)state;
	assert_int_equal(storage_open("inmem", NULL, &parent, err, sizeof(err)),
	                 ERR_OK);
	assert_int_equal(cache_view_new(parent, "hot/", 8, &cache), ERR_OK);

	storage_put(cache, "hot/a", (const uint8_t *)"1", 1);
	expect_same(cache, parent, "hot/a");
	expect_same(cache, parent, "hot/a"); /* now from the cache */
	storage_put(cache, "hot/a", (const uint8_t *)"22", 2);
	expect_same(cache, parent, "hot/a");
	storage_delete(cache, "hot/a");
	expect_same(cache, parent, "hot/a");

	/*
	 * A cached value is served from memory: a write that bypasses the
	 * cache is not seen, which is why every writer must go through it.
	 */
	storage_put(cache, "hot/b", (const uint8_t *)"old", 3);
	expect_same(cache, parent, "hot/b");
	storage_put(parent, "hot/b", (const uint8_t *)"new", 3);
	{
		struct buf got = BUF_INIT;
		bool found = false;
		assert_int_equal(storage_get(cache, "hot/b", &got, &found),
		                 ERR_OK);
		assert_string_equal(buf_str(&got), "old");
		buf_release(&got);
	}

	/* Keys outside the prefix pass straight through. */
	storage_put(cache, "cold/x", (const uint8_t *)"c", 1);
	expect_same(cache, parent, "cold/x");

	storage_free(cache);
	storage_free(parent);
}

/* A random mix of operations on a small key space, which forces hash
 * collisions, deletions inside probe runs and the "full: evict one"
 * path; after every step each key reads as the parent holds it. */
static void test_random_model(void **state)
{
	struct storage *parent = NULL, *cache = NULL;
	char err[128], key[32], val[32];
	unsigned seed = 12345;
	int step, k;

	(void)state;
	assert_int_equal(storage_open("inmem", NULL, &parent, err, sizeof(err)),
	                 ERR_OK);
	assert_int_equal(cache_view_new(parent, "t/", 16, &cache), ERR_OK);
	for (step = 0; step < 5000; step++) {
		int r = rand_r(&seed) % 10;
		snprintf(key, sizeof(key), "t/%d", rand_r(&seed) % 40);
		snprintf(val, sizeof(val), "v%d", step);
		if (r < 5) {
			expect_same(cache, parent, key);
		} else if (r < 8) {
			assert_int_equal(storage_put(cache, key,
			                             (const uint8_t *)val,
			                             strlen(val)),
			                 ERR_OK);
		} else if (r < 9) {
			assert_int_equal(storage_delete(cache, key), ERR_OK);
		} else {
			struct storage_op ops[2] = {
			    {STORAGE_PUT, key, (const uint8_t *)val,
			     strlen(val)},
			    {STORAGE_DELETE, "t/0", NULL, 0}};
			assert_int_equal(storage_commit(cache, ops, 2), ERR_OK);
		}
	}
	for (k = 0; k < 40; k++) {
		snprintf(key, sizeof(key), "t/%d", k);
		expect_same(cache, parent, key);
	}
	storage_free(cache);
	storage_free(parent);
}

/* The parsed value of key as the parent holds it, or NULL. */
static json_t *parent_json(struct storage *parent, const char *key)
{
	struct buf b = BUF_INIT;
	bool found = false;
	json_t *j = NULL;

	assert_int_equal(storage_get(parent, key, &b, &found), ERR_OK);
	if (found)
		j = json_loadb((const char *)b.data, b.len, 0, NULL);
	buf_release(&b);
	return j;
}

static void put_text(struct storage *s, const char *key, const char *text)
{
	assert_int_equal(
	    storage_put(s, key, (const uint8_t *)text, strlen(text)), ERR_OK);
}

/*
 * Parsed values are shared while the key is unchanged (the same object
 * comes back), and a write through the cache ends the sharing at once.
 */
static void test_json_shared_until_written(void **state)
{
	struct storage *parent = NULL, *cache = NULL;
	json_t *a = NULL, *b = NULL;
	bool found = false;
	char err[128];

	(void)state;
	assert_int_equal(storage_open("inmem", NULL, &parent, err, sizeof(err)),
	                 ERR_OK);
	assert_int_equal(cache_view_new(parent, "", 64, &cache), ERR_OK);
	put_text(cache, "k", "{\"v\":1}");
	assert_int_equal(cache_get_json(cache, "k", &a, &found), ERR_OK);
	assert_true(found);
	assert_int_equal(cache_get_json(cache, "k", &b, &found), ERR_OK);
	assert_ptr_equal(a, b);
	json_decref(b);

	put_text(cache, "k", "{\"v\":2}");
	assert_int_equal(cache_get_json(cache, "k", &b, &found), ERR_OK);
	assert_ptr_not_equal(a, b);
	assert_int_equal(json_integer_value(json_object_get(b, "v")), 2);
	/* The old reader's object is still whole. */
	assert_int_equal(json_integer_value(json_object_get(a, "v")), 1);
	json_decref(a);
	json_decref(b);

	assert_int_equal(storage_delete(cache, "k"), ERR_OK);
	assert_int_equal(cache_get_json(cache, "k", &a, &found), ERR_OK);
	assert_false(found);
	assert_null(a);

	/* Stored bytes that are not JSON are a storage error, not a crash. */
	put_text(cache, "bad", "{not json");
	assert_int_equal(cache_get_json(cache, "bad", &a, &found), ERR_STORAGE);
	assert_null(a);
	/* Over a storage that is not a cache it still parses. */
	assert_int_equal(cache_get_json(parent, "bad", &a, &found),
	                 ERR_STORAGE);
	put_text(parent, "plain", "[1,2]");
	assert_int_equal(cache_get_json(parent, "plain", &a, &found), ERR_OK);
	assert_int_equal(json_array_size(a), 2);
	json_decref(a);
	storage_free(cache);
	storage_free(parent);
}

/*
 * Many keys: the table grows past its first size, and then evicts
 * at its capacity; every read through either interface matches the
 * parent at every step.
 */
static void test_json_random_model(void **state)
{
	struct storage *parent = NULL, *cache = NULL;
	char err[128], key[32], val[64];
	unsigned seed = 777;
	int step;

	(void)state;
	assert_int_equal(storage_open("inmem", NULL, &parent, err, sizeof(err)),
	                 ERR_OK);
	assert_int_equal(cache_view_new(parent, "", 300, &cache), ERR_OK);
	for (step = 0; step < 20000; step++) {
		int r = rand_r(&seed) % 10;
		snprintf(key, sizeof(key), "s/%d", rand_r(&seed) % 500);
		snprintf(val, sizeof(val), "{\"step\":%d}", step);
		if (r < 6) {
			json_t *got = NULL, *want = parent_json(parent, key);
			bool found = false;
			assert_int_equal(
			    cache_get_json(cache, key, &got, &found), ERR_OK);
			assert_int_equal(found, want != NULL);
			if (want != NULL)
				assert_true(json_equal(got, want));
			json_decref(got);
			json_decref(want);
		} else if (r < 7) {
			expect_same(cache, parent, key);
		} else if (r < 9) {
			put_text(cache, key, val);
		} else {
			assert_int_equal(storage_delete(cache, key), ERR_OK);
		}
	}
	storage_free(cache);
	storage_free(parent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reads_follow_writes),
	    cmocka_unit_test(test_random_model),
	    cmocka_unit_test(test_json_shared_until_written),
	    cmocka_unit_test(test_json_random_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
