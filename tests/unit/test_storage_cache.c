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
 * collisions, deletions inside probe runs and the "full: start over"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reads_follow_writes),
	    cmocka_unit_test(test_random_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
