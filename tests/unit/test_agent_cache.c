/*
 * test_agent_cache.c - what the proxy's cache keeps and for how long:
 * leased and auth answers only, keyed on the whole request, served for
 * two thirds of the lease, dropped when the lease is revoked; identical
 * requests in flight share one answer.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/agent_cache.h"

static const char leased[] =
    "{\"lease_id\":\"database/creds/ro/abc\",\"lease_duration\":60,"
    "\"renewable\":true,\"data\":{\"username\":\"u1\"}}";
static const char auth[] =
    "{\"lease_id\":\"\",\"lease_duration\":0,\"auth\":{\"client_token\":"
    "\"hvs.x\",\"lease_duration\":90}}";
static const char kv[] =
    "{\"lease_id\":\"\",\"lease_duration\":0,\"data\":{\"data\":{}}}";
static const char wrapped[] =
    "{\"lease_id\":\"\",\"wrap_info\":{\"token\":\"hvs.w\",\"ttl\":60},"
    "\"auth\":{\"client_token\":\"hvs.x\",\"lease_duration\":90}}";

static int64_t lifetime(long status, const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	const char *lease = NULL;
	int64_t t;

	t = agent_cache_lifetime(status, j, &lease);
	json_decref(j);
	return t;
}

static void test_lifetime(void **state)
{
	(void)state;
	assert_int_equal(lifetime(200, leased), 60);
	assert_int_equal(lifetime(200, auth), 90);
	assert_int_equal(lifetime(200, kv), 0);
	assert_int_equal(lifetime(200, wrapped), 0);
	assert_int_equal(lifetime(403, leased), 0);
	assert_int_equal(lifetime(204, NULL), 0);
	assert_int_equal(lifetime(200, "{\"lease_id\":\"x\","
	                               "\"lease_duration\":0}"),
	                 0);
	assert_int_equal(lifetime(200, "[1]"), 0);
}

static void key_of(const char *token, const char *path, const char *params,
                   unsigned char key[AGENT_CACHE_KEYLEN])
{
	struct agent_cache_req r = {token, "GET",  "",
	                            path,  params, params ? strlen(params) : 0};

	agent_cache_key(&r, key);
}

static void put_text(struct agent_cache *c, const unsigned char *key,
                     const char *text, int64_t now)
{
	struct buf body = BUF_INIT;
	json_t *j = json_loads(text, 0, NULL);

	assert_int_equal(buf_append_str(&body, text), ERR_OK);
	agent_cache_put(c, key, 200, j, &body, now);
	json_decref(j);
	buf_release(&body);
}

static void test_keys_differ(void **state)
{
	unsigned char a[32], b[32], c[32], d[32], e[32];
	struct agent_cache_req split1 = {"ab", "GET", "", "c", NULL, 0};
	struct agent_cache_req split2 = {"a", "GET", "", "bc", NULL, 0};

	(void)state;
	key_of("t1", "db/creds/ro", NULL, a);
	key_of("t2", "db/creds/ro", NULL, b);
	key_of("t1", "db/creds/rw", NULL, c);
	key_of("t1", "db/creds/ro", "x=1", d);
	assert_memory_not_equal(a, b, 32);
	assert_memory_not_equal(a, c, 32);
	assert_memory_not_equal(a, d, 32);
	key_of("t1", "db/creds/ro", NULL, e);
	assert_memory_equal(a, e, 32);
	/* Field boundaries count: "ab"+"c" is not "a"+"bc". */
	agent_cache_key(&split1, a);
	agent_cache_key(&split2, b);
	assert_memory_not_equal(a, b, 32);
}

static void test_hit_and_expiry(void **state)
{
	struct agent_cache *c;
	unsigned char key[32], other[32];
	struct buf got = BUF_INIT;

	(void)state;
	assert_int_equal(agent_cache_new(&c), ERR_OK);
	key_of("t", "database/creds/ro", NULL, key);
	key_of("u", "database/creds/ro", NULL, other);

	assert_false(agent_cache_get(c, key, 1000, &got));
	put_text(c, key, leased, 1000);
	assert_int_equal(agent_cache_count(c), 1);
	assert_true(agent_cache_get(c, key, 2000, &got));
	assert_string_equal(buf_str(&got), leased);
	/* Another token is another key. */
	assert_false(agent_cache_get(c, other, 2000, &got));
	agent_cache_abandon(c, other);

	/* 60 s lease: served until 40 s after it was stored. */
	buf_reset(&got);
	assert_true(agent_cache_get(c, key, 1000 + 39999, &got));
	assert_false(agent_cache_get(c, key, 1000 + 40000, &got));
	put_text(c, key, kv, 41000); /* the new answer has no lease */
	assert_int_equal(agent_cache_count(c), 0);
	buf_release(&got);
	agent_cache_free(c);
}

static void test_not_cached(void **state)
{
	struct agent_cache *c;
	unsigned char key[32];
	struct buf got = BUF_INIT, body = BUF_INIT;
	json_t *j = json_loads(leased, 0, NULL);

	(void)state;
	assert_int_equal(agent_cache_new(&c), ERR_OK);
	key_of("t", "secret/data/app", NULL, key);
	assert_false(agent_cache_get(c, key, 0, &got));
	put_text(c, key, kv, 0);
	assert_false(agent_cache_get(c, key, 1, &got));
	/* An error is never kept, whatever its body says. */
	buf_append_str(&body, leased);
	agent_cache_put(c, key, 500, j, &body, 1);
	assert_false(agent_cache_get(c, key, 2, &got));
	agent_cache_abandon(c, key);
	assert_int_equal(agent_cache_count(c), 0);
	json_decref(j);
	buf_release(&body);
	buf_release(&got);
	agent_cache_free(c);
}

static void test_evict(void **state)
{
	struct agent_cache *c;
	unsigned char a[32], b[32];
	struct buf got = BUF_INIT;

	(void)state;
	assert_int_equal(agent_cache_new(&c), ERR_OK);
	key_of("t", "database/creds/ro", NULL, a);
	key_of("t", "auth/token/create", NULL, b);
	agent_cache_get(c, a, 0, &got);
	put_text(c, a, leased, 0);
	agent_cache_get(c, b, 0, &got);
	put_text(c, b, auth, 0);
	assert_int_equal(agent_cache_count(c), 2);
	assert_int_equal(agent_cache_evict(c, "database/creds/ro/abd", false),
	                 0);
	assert_int_equal(agent_cache_evict(c, "database/creds/", true), 1);
	assert_false(agent_cache_get(c, a, 1, &got));
	agent_cache_abandon(c, a);
	assert_true(agent_cache_get(c, b, 1, &got));
	buf_release(&got);
	agent_cache_free(c);
}

struct waiter {
	struct agent_cache *c;
	unsigned char key[32];
	bool hit;
	struct buf got;
};

static void *wait_for(void *arg)
{
	struct waiter *w = arg;

	w->hit = agent_cache_get(w->c, w->key, 10, &w->got);
	return NULL;
}

/* A second identical request waits for the first one's lease. */
static void test_in_flight(void **state)
{
	struct waiter w = {0};
	struct buf got = BUF_INIT;
	pthread_t t;

	(void)state;
	assert_int_equal(agent_cache_new(&w.c), ERR_OK);
	key_of("t", "database/creds/ro", NULL, w.key);
	assert_false(agent_cache_get(w.c, w.key, 0, &got));
	assert_int_equal(pthread_create(&t, NULL, wait_for, &w), 0);
	usleep(100 * 1000);
	put_text(w.c, w.key, leased, 5);
	pthread_join(t, NULL);
	assert_true(w.hit);
	assert_string_equal(buf_str(&w.got), leased);
	buf_release(&w.got);
	buf_release(&got);
	agent_cache_free(w.c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lifetime),
	    cmocka_unit_test(test_keys_differ),
	    cmocka_unit_test(test_hit_and_expiry),
	    cmocka_unit_test(test_not_cached),
	    cmocka_unit_test(test_evict),
	    cmocka_unit_test(test_in_flight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
