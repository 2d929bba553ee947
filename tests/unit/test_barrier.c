#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "core/barrier.h"
#include "memstore.h"

static const uint8_t root_key[BARRIER_KEY_LEN] = {
    1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

struct fixture {
	struct memstore *phys;
	struct barrier *b;
	struct storage *view;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->phys = memstore_new();
	assert_non_null(f->phys);
	assert_int_equal(barrier_new(&f->phys->base, &f->b), ERR_OK);
	f->view = barrier_storage(f->b);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	barrier_free(f->b);
	storage_free(&f->phys->base);
	free(f);
	return 0;
}

/* Initialises and unseals the fixture's barrier. */
static void open_barrier(struct fixture *f)
{
	assert_int_equal(barrier_initialize(f->b, root_key, sizeof(root_key)),
	                 ERR_OK);
	assert_true(barrier_sealed(f->b));
	assert_int_equal(barrier_unseal(f->b, root_key, sizeof(root_key)),
	                 ERR_OK);
	assert_false(barrier_sealed(f->b));
}

static void put_str(struct storage *s, const char *key, const char *v)
{
	assert_int_equal(storage_put(s, key, (const uint8_t *)v, strlen(v)),
	                 ERR_OK);
}

/* Asserts that key reads back as v through s. */
static void expect_str(struct storage *s, const char *key, const char *v)
{
	struct buf out = BUF_INIT;
	bool found = false;

	assert_int_equal(storage_get(s, key, &out, &found), ERR_OK);
	assert_true(found);
	assert_int_equal(out.len, strlen(v));
	assert_memory_equal(out.data, v, out.len);
	buf_release(&out);
}

static err_t get_rc(struct storage *s, const char *key)
{
	struct buf out = BUF_INIT;
	bool found = true;
	err_t rc = storage_get(s, key, &out, &found);

	if (rc != ERR_OK) {
		assert_false(found);
		assert_int_equal(out.len, 0);
	}
	buf_release(&out);
	return rc;
}

static bool contains(const struct buf *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; hay->len >= n && i <= hay->len - n; i++)
		if (memcmp(hay->data + i, needle, n) == 0)
			return true;
	return false;
}

static void test_uninitialized(void **state)
{
	struct fixture *f = *state;
	bool init = true;

	assert_int_equal(barrier_initialized(f->b, &init), ERR_OK);
	assert_false(init);
	assert_true(barrier_sealed(f->b));
	assert_int_equal(barrier_unseal(f->b, root_key, sizeof(root_key)),
	                 ERR_NOT_FOUND);
	assert_int_equal(barrier_initialize(f->b, root_key, 16), ERR_INVALID);
	assert_int_equal(barrier_initialized(f->b, &init), ERR_OK);
	assert_false(init);

	open_barrier(f);
	assert_int_equal(barrier_initialized(f->b, &init), ERR_OK);
	assert_true(init);
	assert_int_equal(barrier_initialize(f->b, root_key, sizeof(root_key)),
	                 ERR_CONFLICT);
}

static void test_roundtrip(void **state)
{
	struct fixture *f = *state;
	const char *secret = "correct horse battery staple";
	struct buf *raw;
	struct buf out = BUF_INIT;
	bool found = true;

	open_barrier(f);
	put_str(f->view, "secret/app", secret);
	expect_str(f->view, "secret/app", secret);

	/* The physical bytes are the documented format, not the plaintext. */
	raw = memstore_raw(f->phys, "secret/app");
	assert_non_null(raw);
	assert_int_equal(raw->len, 1 + 4 + 12 + strlen(secret) + 16);
	assert_int_equal(raw->data[0], BARRIER_VERSION);
	assert_memory_equal(raw->data + 1, "\0\0\0\1", 4);
	assert_false(contains(raw, "horse"));

	/* Empty values and missing keys. */
	assert_int_equal(storage_put(f->view, "empty", NULL, 0), ERR_OK);
	expect_str(f->view, "empty", "");
	assert_int_equal(storage_get(f->view, "missing", &out, &found), ERR_OK);
	assert_false(found);
	assert_int_equal(out.len, 0);

	assert_int_equal(storage_delete(f->view, "secret/app"), ERR_OK);
	assert_int_equal(storage_get(f->view, "secret/app", &out, &found),
	                 ERR_OK);
	assert_false(found);
	buf_release(&out);
}

static void test_list_and_commit(void **state)
{
	struct fixture *f = *state;
	struct storage_op ops[3] = {
	    {STORAGE_PUT, "kv/a", (const uint8_t *)"one", 3},
	    {STORAGE_PUT, "kv/dir/b", (const uint8_t *)"two", 3},
	    {STORAGE_DELETE, "kv/gone", NULL, 0},
	};
	json_t *keys = NULL;

	open_barrier(f);
	put_str(f->view, "kv/gone", "x");
	assert_int_equal(storage_commit(f->view, ops, 3), ERR_OK);
	expect_str(f->view, "kv/a", "one");
	expect_str(f->view, "kv/dir/b", "two");
	assert_int_equal(get_rc(f->view, "kv/gone"), ERR_OK);
	assert_null(memstore_raw(f->phys, "kv/gone"));
	assert_false(contains(memstore_raw(f->phys, "kv/a"), "one"));

	assert_int_equal(storage_list(f->view, "kv/", &keys), ERR_OK);
	assert_int_equal(json_array_size(keys), 2);
	assert_string_equal(json_string_value(json_array_get(keys, 0)), "a");
	assert_string_equal(json_string_value(json_array_get(keys, 1)), "dir/");
	json_decref(keys);
}

static void test_moved_ciphertext_fails(void **state)
{
	struct fixture *f = *state;
	struct buf copy = BUF_INIT;

	open_barrier(f);
	put_str(f->view, "a", "value of a");
	put_str(f->view, "b", "value of b");

	/* Swap a's ciphertext into b: same key, same term, wrong path. */
	assert_int_equal(buf_append(&copy, memstore_raw(f->phys, "a")->data,
	                            memstore_raw(f->phys, "a")->len),
	                 ERR_OK);
	assert_int_equal(storage_put(&f->phys->base, "b", copy.data, copy.len),
	                 ERR_OK);
	assert_int_equal(get_rc(f->view, "b"), ERR_CRYPTO);
	expect_str(f->view, "a", "value of a");
	buf_release(&copy);
}

static void test_tampering_fails(void **state)
{
	struct fixture *f = *state;
	struct buf *raw;
	size_t len, i;

	open_barrier(f);
	put_str(f->view, "k", "some plaintext value");
	raw = memstore_raw(f->phys, "k");
	len = raw->len;

	/* Every single bit flip, anywhere in the value, must be caught. */
	for (i = 0; i < len * 8; i++) {
		raw->data[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(get_rc(f->view, "k"), ERR_CRYPTO);
		raw->data[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	expect_str(f->view, "k", "some plaintext value");

	/* Unknown version, unknown term, truncation. */
	raw->data[0] = 2;
	assert_int_equal(get_rc(f->view, "k"), ERR_CRYPTO);
	raw->data[0] = BARRIER_VERSION;
	raw->data[4] = 9;
	assert_int_equal(get_rc(f->view, "k"), ERR_CRYPTO);
	raw->data[4] = 1;
	for (i = 0; i < len; i += 7) {
		raw->len = i;
		assert_int_equal(get_rc(f->view, "k"), ERR_CRYPTO);
	}
	raw->len = len;
	expect_str(f->view, "k", "some plaintext value");
}

static void test_sealed_refuses_everything(void **state)
{
	struct fixture *f = *state;
	struct storage_op op = {STORAGE_PUT, "x", (const uint8_t *)"1", 1};
	struct buf out = BUF_INIT;
	json_t *keys = NULL;
	bool found = true;
	uint32_t term;

	/* Before initialisation, after it, and after an unseal and seal. */
	for (int round = 0; round < 3; round++) {
		if (round == 1)
			assert_int_equal(barrier_initialize(f->b, root_key,
			                                    sizeof(root_key)),
			                 ERR_OK);
		if (round == 2) {
			assert_int_equal(
			    barrier_unseal(f->b, root_key, sizeof(root_key)),
			    ERR_OK);
			put_str(f->view, "x", "1");
			barrier_seal(f->b);
		}
		assert_true(barrier_sealed(f->b));
		assert_int_equal(storage_get(f->view, "x", &out, &found),
		                 ERR_SEALED);
		assert_false(found);
		assert_int_equal(storage_put(f->view, "x", op.value, 1),
		                 ERR_SEALED);
		assert_int_equal(storage_delete(f->view, "x"), ERR_SEALED);
		assert_int_equal(storage_list(f->view, "", &keys), ERR_SEALED);
		assert_null(keys);
		assert_int_equal(storage_commit(f->view, &op, 1), ERR_SEALED);
		assert_int_equal(storage_commit(f->view, &op, 0), ERR_SEALED);
		assert_int_equal(barrier_rotate(f->b, &term), ERR_SEALED);
		assert_int_equal(barrier_key_status(f->b, &term, NULL, NULL),
		                 ERR_SEALED);
	}
	/* The sealed barrier did not delete the value. */
	assert_non_null(memstore_raw(f->phys, "x"));
	assert_int_equal(out.len, 0);
}

static void test_wrong_root_key(void **state)
{
	struct fixture *f = *state;
	uint8_t wrong[BARRIER_KEY_LEN];

	assert_int_equal(barrier_initialize(f->b, root_key, sizeof(root_key)),
	                 ERR_OK);
	memcpy(wrong, root_key, sizeof(wrong));
	wrong[31] ^= 1;
	assert_int_equal(barrier_unseal(f->b, wrong, sizeof(wrong)),
	                 ERR_CRYPTO);
	assert_true(barrier_sealed(f->b));
	assert_int_equal(barrier_unseal(f->b, root_key, 31), ERR_INVALID);
	assert_true(barrier_sealed(f->b));
	assert_int_equal(get_rc(f->view, "x"), ERR_SEALED);

	/* A wrong key on an unsealed barrier is refused and changes nothing. */
	assert_int_equal(barrier_unseal(f->b, root_key, sizeof(root_key)),
	                 ERR_OK);
	put_str(f->view, "x", "still here");
	assert_int_equal(barrier_unseal(f->b, wrong, sizeof(wrong)),
	                 ERR_CRYPTO);
	assert_false(barrier_sealed(f->b));
	expect_str(f->view, "x", "still here");

	/* A damaged keyring is a crypto error too. */
	barrier_seal(f->b);
	memstore_raw(f->phys, BARRIER_KEYRING_PATH)->data[20] ^= 0x40;
	assert_int_equal(barrier_unseal(f->b, root_key, sizeof(root_key)),
	                 ERR_CRYPTO);
	assert_true(barrier_sealed(f->b));
}

static uint32_t stored_term(struct fixture *f, const char *key)
{
	struct buf *raw = memstore_raw(f->phys, key);

	assert_non_null(raw);
	return (uint32_t)raw->data[1] << 24 | (uint32_t)raw->data[2] << 16 |
	       (uint32_t)raw->data[3] << 8 | raw->data[4];
}

static void test_rotate(void **state)
{
	struct fixture *f = *state;
	struct barrier *again = NULL;
	uint32_t term = 0;
	uint64_t enc = 99;
	int64_t installed = 0;

	open_barrier(f);
	assert_int_equal(barrier_key_status(f->b, &term, &installed, &enc),
	                 ERR_OK);
	assert_int_equal(term, 1);
	assert_true(installed > 1700000000);
	assert_int_equal(enc, 0);
	put_str(f->view, "old", "written under term 1");
	put_str(f->view, "old2", "also term 1");
	assert_int_equal(barrier_key_status(f->b, NULL, NULL, &enc), ERR_OK);
	assert_int_equal(enc, 2);

	assert_int_equal(barrier_rotate(f->b, &term), ERR_OK);
	assert_int_equal(term, 2);
	assert_int_equal(barrier_key_status(f->b, &term, NULL, &enc), ERR_OK);
	assert_int_equal(term, 2);
	assert_int_equal(enc, 0);
	put_str(f->view, "new", "written under term 2");
	assert_int_equal(stored_term(f, "old"), 1);
	assert_int_equal(stored_term(f, "new"), 2);
	expect_str(f->view, "old", "written under term 1");
	expect_str(f->view, "new", "written under term 2");

	/* A failed keyring write keeps the old term active. */
	f->phys->fail_writes = 1;
	assert_int_equal(barrier_rotate(f->b, &term), ERR_STORAGE);
	assert_int_equal(barrier_key_status(f->b, &term, NULL, NULL), ERR_OK);
	assert_int_equal(term, 2);
	assert_int_equal(barrier_rotate(f->b, &term), ERR_OK);
	assert_int_equal(term, 3);
	put_str(f->view, "newer", "term 3");

	/* The rotated keyring persists: a fresh barrier reads every term. */
	assert_int_equal(barrier_new(&f->phys->base, &again), ERR_OK);
	assert_int_equal(barrier_unseal(again, root_key, sizeof(root_key)),
	                 ERR_OK);
	assert_int_equal(barrier_key_status(again, &term, NULL, NULL), ERR_OK);
	assert_int_equal(term, 3);
	expect_str(barrier_storage(again), "old", "written under term 1");
	expect_str(barrier_storage(again), "old2", "also term 1");
	expect_str(barrier_storage(again), "new", "written under term 2");
	expect_str(barrier_storage(again), "newer", "term 3");
	put_str(barrier_storage(again), "again", "term 3 too");
	assert_int_equal(stored_term(f, "again"), 3);
	barrier_free(again);
}

static void test_reserved_keys(void **state)
{
	struct fixture *f = *state;
	const char *reserved[] = {BARRIER_KEYRING_PATH, BARRIER_ROOT_KEY_PATH,
	                          BARRIER_SEAL_CONFIG_PATH};
	struct storage_op ops[2] = {
	    {STORAGE_PUT, "core/mounts", (const uint8_t *)"m", 1},
	    {STORAGE_PUT, NULL, (const uint8_t *)"evil", 4},
	};
	struct buf before = BUF_INIT;

	open_barrier(f);
	assert_int_equal(
	    buf_append(&before,
	               memstore_raw(f->phys, BARRIER_KEYRING_PATH)->data,
	               memstore_raw(f->phys, BARRIER_KEYRING_PATH)->len),
	    ERR_OK);

	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(
		    storage_put(f->view, reserved[i], ops[1].value, 4),
		    ERR_INVALID);
		assert_int_equal(storage_delete(f->view, reserved[i]),
		                 ERR_INVALID);
		ops[1].key = reserved[i];
		ops[1].kind = i == 1 ? STORAGE_DELETE : STORAGE_PUT;
		assert_int_equal(storage_commit(f->view, ops, 2), ERR_INVALID);
	}
	/* Neither the reserved key nor its companion in the batch changed. */
	assert_null(memstore_raw(f->phys, "core/mounts"));
	assert_memory_equal(memstore_raw(f->phys, BARRIER_KEYRING_PATH)->data,
	                    before.data, before.len);

	/* Other core keys may be stored encrypted through the view. */
	put_str(f->view, "core/mounts", "table");
	expect_str(f->view, "core/mounts", "table");
	barrier_seal(f->b);
	assert_int_equal(barrier_unseal(f->b, root_key, sizeof(root_key)),
	                 ERR_OK);
	buf_release(&before);
}

struct worker {
	struct storage *view;
	int id;
	int failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct buf out = BUF_INIT;
	char key[32], val[32];
	bool found;

	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "w%d/%d", w->id, i % 20);
		snprintf(val, sizeof(val), "v%d-%d", w->id, i);
		if (storage_put(w->view, key, (const uint8_t *)val,
		                strlen(val)) != ERR_OK)
			w->failures++;
		buf_reset(&out);
		if (storage_get(w->view, key, &out, &found) != ERR_OK ||
		    !found || strcmp(buf_str(&out), val) != 0)
			w->failures++;
	}
	buf_release(&out);
	return NULL;
}

static void test_concurrent_rotate(void **state)
{
	struct fixture *f = *state;
	pthread_t th[4];
	struct worker w[4];
	uint32_t term = 0;

	open_barrier(f);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){f->view, i, 0};
		assert_int_equal(
		    pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	/* Rotations interleave with the workers' reads and writes. */
	for (int i = 0; i < 40; i++) {
		assert_int_equal(barrier_rotate(f->b, &term), ERR_OK);
		usleep(500);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	assert_int_equal(term, 41);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_uninitialized, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_and_commit, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_moved_ciphertext_fails, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_tampering_fails, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_sealed_refuses_everything,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_root_key, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reserved_keys, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_rotate, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
