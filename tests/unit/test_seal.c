#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "core/seal.h"
#include "memstore.h"

struct fixture {
	struct memstore *phys;
	struct barrier *b;
	struct seal *s;
	struct buf keys[SEAL_MAX_SHARES];
	char err[256];
};

static void open_instance(struct fixture *f)
{
	assert_int_equal(barrier_new(&f->phys->base, &f->b), ERR_OK);
	assert_int_equal(seal_new(&f->phys->base, f->b, &f->s), ERR_OK);
}

static void close_instance(struct fixture *f)
{
	seal_free(f->s);
	barrier_free(f->b);
	f->s = NULL;
	f->b = NULL;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->phys = memstore_new();
	assert_non_null(f->phys);
	for (int i = 0; i < SEAL_MAX_SHARES; i++)
		buf_init(&f->keys[i], 0);
	open_instance(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close_instance(f);
	for (int i = 0; i < SEAL_MAX_SHARES; i++)
		buf_release(&f->keys[i]);
	storage_free(&f->phys->base);
	free(f);
	return 0;
}

static void init(struct fixture *f, int shares, int threshold)
{
	assert_int_equal(seal_initialize(f->s, shares, threshold, f->keys,
	                                 f->err, sizeof(f->err)),
	                 ERR_OK);
	assert_string_equal(f->err, "");
	assert_true(barrier_sealed(f->b));
}

/* Submits key i and checks the outcome and the progress after it. */
static void submit(struct fixture *f, int i, bool want_unsealed,
                   int want_progress)
{
	bool unsealed = !want_unsealed;
	int progress = -1;
	char nonce[37];

	assert_int_equal(seal_submit(f->s, f->keys[i].data, f->keys[i].len,
	                             &unsealed, f->err, sizeof(f->err)),
	                 ERR_OK);
	assert_int_equal(unsealed, want_unsealed);
	assert_int_equal(barrier_sealed(f->b), !want_unsealed);
	seal_progress(f->s, &progress, nonce);
	assert_int_equal(progress, want_progress);
	assert_int_equal(strlen(nonce), want_progress > 0 ? 36 : 0);
}

/* Writes through the view and reads back, proving the barrier is open. */
static void check_usable(struct fixture *f, const char *key, const char *v)
{
	struct storage *view = barrier_storage(f->b);
	struct buf out = BUF_INIT;
	bool found = false;

	if (v != NULL)
		assert_int_equal(
		    storage_put(view, key, (const uint8_t *)v, strlen(v)),
		    ERR_OK);
	assert_int_equal(storage_get(view, key, &out, &found), ERR_OK);
	assert_true(found);
	buf_release(&out);
}

static void test_uninitialized(void **state)
{
	struct fixture *f = *state;
	bool initialized = true, unsealed = true;
	int shares = -1, threshold = -1;
	uint8_t key[SEAL_KEY_LEN + 1] = {0};

	assert_int_equal(seal_config(f->s, &initialized, &shares, &threshold),
	                 ERR_OK);
	assert_false(initialized);
	assert_int_equal(shares, 0);
	assert_int_equal(threshold, 0);
	assert_int_equal(seal_submit(f->s, key, sizeof(key), &unsealed, f->err,
	                             sizeof(f->err)),
	                 ERR_CONFLICT);
	assert_false(unsealed);
	assert_string_equal(f->err, "Vault is not initialized");
}

static void test_init_and_unseal_5_3(void **state)
{
	struct fixture *f = *state;
	bool initialized = false;
	int shares = 0, threshold = 0;
	char nonce1[37], nonce2[37];
	int progress;

	init(f, 5, 3);
	assert_int_equal(seal_config(f->s, &initialized, &shares, &threshold),
	                 ERR_OK);
	assert_true(initialized);
	assert_int_equal(shares, 5);
	assert_int_equal(threshold, 3);
	assert_string_equal(
	    buf_str(&memstore_raw(f->phys, BARRIER_SEAL_CONFIG_PATH)[0]),
	    "{\"secret_shares\":5,\"secret_threshold\":3}");
	for (int i = 0; i < 5; i++)
		assert_int_equal(f->keys[i].len, SEAL_KEY_LEN + 1);

	seal_progress(f->s, &progress, nonce1);
	assert_int_equal(progress, 0);
	assert_string_equal(nonce1, "");
	submit(f, 4, false, 1);
	seal_progress(f->s, &progress, nonce1);
	submit(f, 1, false, 2);
	seal_progress(f->s, &progress, nonce2);
	assert_string_equal(nonce1, nonce2);
	submit(f, 2, true, 0);
	check_usable(f, "secret/x", "y");

	/* Already unsealed: nothing counted, still unsealed. */
	submit(f, 0, true, 0);
}

static void test_duplicate_share_not_counted(void **state)
{
	struct fixture *f = *state;
	bool unsealed = true;
	uint8_t clash[SEAL_KEY_LEN + 1];

	init(f, 5, 3);
	submit(f, 0, false, 1);
	submit(f, 0, false, 1);
	submit(f, 0, false, 1);

	/* Another share's bytes under the first one's x coordinate. */
	memcpy(clash, f->keys[1].data, SEAL_KEY_LEN);
	clash[SEAL_KEY_LEN] = f->keys[0].data[SEAL_KEY_LEN];
	assert_int_equal(seal_submit(f->s, clash, sizeof(clash), &unsealed,
	                             f->err, sizeof(f->err)),
	                 ERR_INVALID);
	assert_false(unsealed);
	assert_string_not_equal(f->err, "");

	submit(f, 3, false, 2);
	submit(f, 3, false, 2);
	submit(f, 4, true, 0);
}

static void test_wrong_share_resets(void **state)
{
	struct fixture *f = *state;
	bool unsealed = true;
	int progress = -1;
	char nonce[37];
	uint8_t bad[SEAL_KEY_LEN + 1];

	init(f, 5, 3);
	submit(f, 0, false, 1);
	submit(f, 1, false, 2);

	/* A share from nowhere with a fresh x completes a bad round. */
	memcpy(bad, f->keys[2].data, sizeof(bad));
	bad[3] ^= 0x01;
	assert_int_equal(seal_submit(f->s, bad, sizeof(bad), &unsealed, f->err,
	                             sizeof(f->err)),
	                 ERR_INVALID);
	assert_false(unsealed);
	assert_true(barrier_sealed(f->b));
	assert_string_equal(f->err,
	                    "invalid key: could not decrypt the root key");
	seal_progress(f->s, &progress, nonce);
	assert_int_equal(progress, 0);
	assert_string_equal(nonce, "");

	/* Wrong lengths are refused and keep the progress. */
	submit(f, 0, false, 1);
	assert_int_equal(seal_submit(f->s, bad, SEAL_KEY_LEN, &unsealed, f->err,
	                             sizeof(f->err)),
	                 ERR_INVALID);
	assert_int_equal(
	    seal_submit(f->s, bad, 0, &unsealed, f->err, sizeof(f->err)),
	    ERR_INVALID);
	assert_int_equal(
	    seal_submit(f->s, NULL, 0, &unsealed, f->err, sizeof(f->err)),
	    ERR_INVALID);
	seal_progress(f->s, &progress, nonce);
	assert_int_equal(progress, 1);

	/* A good round still works after all that. */
	submit(f, 3, false, 2);
	submit(f, 4, true, 0);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;
	char nonce1[37], nonce2[37];
	int progress;

	init(f, 3, 2);
	submit(f, 0, false, 1);
	seal_progress(f->s, &progress, nonce1);
	seal_reset(f->s);
	seal_progress(f->s, &progress, nonce2);
	assert_int_equal(progress, 0);
	assert_string_equal(nonce2, "");

	/* The share dropped by the reset counts again, in a new round. */
	submit(f, 0, false, 1);
	seal_progress(f->s, &progress, nonce2);
	assert_string_not_equal(nonce1, nonce2);
	submit(f, 2, true, 0);
}

static void test_single_share(void **state)
{
	struct fixture *f = *state;
	bool unsealed = true;
	uint8_t wrong[SEAL_KEY_LEN];

	init(f, 1, 1);
	assert_int_equal(f->keys[0].len, SEAL_KEY_LEN);
	assert_int_equal(f->keys[1].len, 0);

	memcpy(wrong, f->keys[0].data, sizeof(wrong));
	wrong[0] ^= 0x80;
	assert_int_equal(seal_submit(f->s, wrong, sizeof(wrong), &unsealed,
	                             f->err, sizeof(f->err)),
	                 ERR_INVALID);
	assert_false(unsealed);
	assert_int_equal(seal_submit(f->s, f->keys[0].data, SEAL_KEY_LEN + 1,
	                             &unsealed, f->err, sizeof(f->err)),
	                 ERR_INVALID);
	submit(f, 0, true, 0);
	check_usable(f, "a", "b");
}

static void test_bad_numbers(void **state)
{
	struct fixture *f = *state;
	const int cases[][2] = {{0, 0},   {0, 1},  {1, 0},    {5, 0},
	                        {3, 4},   {5, 1},  {2, 1},    {256, 3},
	                        {-1, -1}, {1, -5}, {300, 300}};
	bool initialized = true;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f->err[0] = 0;
		assert_int_equal(seal_initialize(f->s, cases[i][0], cases[i][1],
		                                 f->keys, f->err,
		                                 sizeof(f->err)),
		                 ERR_INVALID);
		assert_string_not_equal(f->err, "");
		assert_int_equal(f->keys[0].len, 0);
	}
	assert_int_equal(
	    seal_initialize(f->s, 5, 1, f->keys, f->err, sizeof(f->err)),
	    ERR_INVALID);
	assert_string_equal(
	    f->err, "threshold must be greater than one for multiple shares");
	assert_int_equal(seal_config(f->s, &initialized, NULL, NULL), ERR_OK);
	assert_false(initialized);
	assert_int_equal(f->phys->n, 0);

	/* The edges that are allowed. */
	init(f, 255, 255);
	assert_int_equal(f->keys[254].len, SEAL_KEY_LEN + 1);
}

static void test_reinit_refused(void **state)
{
	struct fixture *f = *state;
	struct buf other[2] = {BUF_INIT, BUF_INIT};

	init(f, 2, 2);
	assert_int_equal(
	    seal_initialize(f->s, 2, 2, other, f->err, sizeof(f->err)),
	    ERR_CONFLICT);
	assert_string_equal(f->err, "Vault is already initialized");
	assert_int_equal(other[0].len, 0);

	/* The original keys still open it. */
	submit(f, 0, false, 1);
	submit(f, 1, true, 0);
}

static void test_failed_init_stores_nothing(void **state)
{
	struct fixture *f = *state;

	f->phys->fail_writes = 1;
	assert_int_not_equal(
	    seal_initialize(f->s, 5, 3, f->keys, f->err, sizeof(f->err)),
	    ERR_OK);
	assert_string_not_equal(f->err, "");
	assert_int_equal(f->phys->n, 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(f->keys[i].len, 0);
	init(f, 5, 3);
}

static void test_seal_and_unseal_again(void **state)
{
	struct fixture *f = *state;

	init(f, 5, 3);
	submit(f, 0, false, 1);
	submit(f, 1, false, 2);
	submit(f, 2, true, 0);
	check_usable(f, "kept", "across seals");

	for (int round = 0; round < 3; round++) {
		submit(f, 0, true, 0);
		seal_seal(f->s);
		assert_true(barrier_sealed(f->b));
		submit(f, 4, false, 1);
		seal_seal(f->s); /* drops the collected share too */
		submit(f, 3, false, 1);
		submit(f, 2, false, 2);
		submit(f, 1, true, 0);
		check_usable(f, "kept", NULL);
	}
}

/* Initialises a separate 2-of-2 vault and returns its shares in keys. */
static void init_other_vault(struct buf keys[2])
{
	struct memstore *other = memstore_new();
	struct barrier *ob = NULL;
	struct seal *os = NULL;
	char err[128];

	assert_non_null(other);
	assert_int_equal(barrier_new(&other->base, &ob), ERR_OK);
	assert_int_equal(seal_new(&other->base, ob, &os), ERR_OK);
	assert_int_equal(seal_initialize(os, 2, 2, keys, err, sizeof(err)),
	                 ERR_OK);
	seal_free(os);
	barrier_free(ob);
	storage_free(&other->base);
}

static void test_survives_new_instance(void **state)
{
	struct fixture *f = *state;
	struct buf first[2] = {BUF_INIT, BUF_INIT};
	bool initialized = false, unsealed = true;
	int shares, threshold;

	init(f, 4, 2);
	submit(f, 3, false, 1);
	submit(f, 1, true, 0);
	check_usable(f, "persist", "me");
	assert_int_equal(barrier_rotate(f->b, NULL), ERR_OK);
	check_usable(f, "persist2", "me too");

	close_instance(f);
	open_instance(f);
	assert_true(barrier_sealed(f->b));
	assert_int_equal(seal_config(f->s, &initialized, &shares, &threshold),
	                 ERR_OK);
	assert_true(initialized);
	assert_int_equal(shares, 4);
	assert_int_equal(threshold, 2);
	submit(f, 0, false, 1);
	submit(f, 2, true, 0);
	check_usable(f, "persist", NULL);
	check_usable(f, "persist2", NULL);

	/* Shares of another vault do not open this one. */
	init_other_vault(first);
	seal_seal(f->s);
	for (int i = 0; i < 2; i++) {
		/* Keep the x bytes apart so that the round completes. */
		first[i].data[SEAL_KEY_LEN] = (uint8_t)(200 + i);
	}
	assert_int_equal(seal_submit(f->s, first[0].data, first[0].len,
	                             &unsealed, f->err, sizeof(f->err)),
	                 ERR_OK);
	assert_int_equal(seal_submit(f->s, first[1].data, first[1].len,
	                             &unsealed, f->err, sizeof(f->err)),
	                 ERR_INVALID);
	assert_false(unsealed);
	assert_true(barrier_sealed(f->b));
	buf_release(&first[0]);
	buf_release(&first[1]);
}

static void test_malformed_config(void **state)
{
	struct fixture *f = *state;
	const char *bad[] = {"",
	                     "not json",
	                     "[]",
	                     "{\"secret_shares\":5}",
	                     "{\"secret_shares\":\"5\",\"secret_threshold\":3}",
	                     "{\"secret_shares\":5,\"secret_threshold\":9}",
	                     ("{\"secret_shares\":4294967301,"
	                      "\"secret_threshold\":3}")};
	bool initialized, unsealed;
	uint8_t key[SEAL_KEY_LEN + 1] = {1};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    storage_put(&f->phys->base, BARRIER_SEAL_CONFIG_PATH,
		                (const uint8_t *)bad[i], strlen(bad[i])),
		    ERR_OK);
		assert_int_equal(seal_config(f->s, &initialized, NULL, NULL),
		                 ERR_INTERNAL);
		assert_int_equal(seal_submit(f->s, key, sizeof(key), &unsealed,
		                             f->err, sizeof(f->err)),
		                 ERR_INTERNAL);
		assert_int_equal(seal_initialize(f->s, 3, 2, f->keys, f->err,
		                                 sizeof(f->err)),
		                 ERR_INTERNAL);
		assert_int_equal(f->keys[0].len, 0);
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_uninitialized),
	    T(test_init_and_unseal_5_3),
	    T(test_duplicate_share_not_counted),
	    T(test_wrong_share_resets),
	    T(test_reset),
	    T(test_single_share),
	    T(test_bad_numbers),
	    T(test_reinit_refused),
	    T(test_failed_init_stores_nothing),
	    T(test_seal_and_unseal_again),
	    T(test_survives_new_instance),
	    T(test_malformed_config),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
