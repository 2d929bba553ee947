#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "base/encoding.h"
#include "core/shamir.h"

static void release_all(struct buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_release(&b[i]);
}

static void split5(const uint8_t *secret, size_t len, int threshold,
                   struct buf shares[5])
{
	for (int i = 0; i < 5; i++)
		buf_init(&shares[i], 0);
	assert_int_equal(shamir_split(secret, len, 5, threshold, shares),
	                 ERR_OK);
}

/* Combines the shares whose bit is set in mask into out. */
static err_t combine_mask(const struct buf shares[5], unsigned mask,
                          struct buf *out)
{
	struct buf pick[5];
	size_t n = 0;

	for (int i = 0; i < 5; i++)
		if (mask & (1u << i))
			pick[n++] = shares[i];
	buf_reset(out);
	return shamir_combine(pick, n, out);
}

/*
 * Runs first, before any split: combining alone must work in a fresh
 * process (a restarted server unseals without ever splitting). A constant
 * polynomial makes every share equal to the secret, whatever its x.
 */
static void test_combine_first(void **state)
{
	const uint8_t secret[4] = {0xde, 0xad, 0xbe, 0xef};
	struct buf shares[2] = {BUF_INIT, BUF_INIT}, out = BUF_INIT;

	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(buf_append(&shares[i], secret, 4), ERR_OK);
		assert_int_equal(buf_append_byte(&shares[i], (uint8_t)(7 + i)),
		                 ERR_OK);
	}
	assert_int_equal(shamir_combine(shares, 2, &out), ERR_OK);
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, secret, 4);
	buf_release(&out);
	release_all(shares, 2);
}

static void test_split_format(void **state)
{
	uint8_t secret[32];
	struct buf shares[5], again[2] = {BUF_INIT, BUF_INIT};
	bool seen[256] = {false};

	(void)state;
	assert_int_equal(rand_bytes(secret, sizeof(secret)), ERR_OK);
	split5(secret, sizeof(secret), 3, shares);
	for (int i = 0; i < 5; i++) {
		uint8_t x;

		assert_int_equal(shares[i].len, sizeof(secret) + 1);
		x = shares[i].data[sizeof(secret)];
		assert_int_not_equal(x, 0);
		assert_false(seen[x]);
		seen[x] = true;
		assert_memory_not_equal(shares[i].data, secret, sizeof(secret));
	}

	/* Fresh coefficients each time: a second split looks unrelated. */
	assert_int_equal(shamir_split(secret, sizeof(secret), 2, 2, again),
	                 ERR_OK);
	assert_memory_not_equal(again[0].data, shares[0].data, sizeof(secret));
	assert_memory_not_equal(again[1].data, shares[1].data, sizeof(secret));
	release_all(again, 2);
	release_all(shares, 5);
}

static void test_every_subset(void **state)
{
	uint8_t secret[32];
	struct buf shares[5], out = BUF_INIT;
	int full = 0, short_ok = 0;

	(void)state;
	assert_int_equal(rand_bytes(secret, sizeof(secret)), ERR_OK);
	split5(secret, sizeof(secret), 3, shares);

	for (unsigned mask = 0; mask < 32; mask++) {
		int bits = __builtin_popcount(mask);
		err_t rc = combine_mask(shares, mask, &out);

		if (bits < 2) {
			assert_int_equal(rc, ERR_INVALID);
			continue;
		}
		assert_int_equal(rc, ERR_OK);
		assert_int_equal(out.len, sizeof(secret));
		if (bits >= 3) {
			/* Any threshold-sized subset, or more, recovers it. */
			assert_memory_equal(out.data, secret, sizeof(secret));
			full++;
		} else if (memcmp(out.data, secret, sizeof(secret)) == 0) {
			short_ok++;
		}
	}
	assert_int_equal(full, 16); /* C(5,3) + C(5,4) + C(5,5) */
	assert_int_equal(short_ok, 0);
	buf_release(&out);
	release_all(shares, 5);
}

static void test_thresholds(void **state)
{
	const uint8_t secret[] = "a short secret";
	struct buf shares[SHAMIR_MAX_PARTS], out = BUF_INIT;

	(void)state;
	for (int i = 0; i < SHAMIR_MAX_PARTS; i++)
		buf_init(&shares[i], 0);

	/* 2 of 2, and the largest case: 255 shares, any 255 needed. */
	assert_int_equal(shamir_split(secret, sizeof(secret), 2, 2, shares),
	                 ERR_OK);
	assert_int_equal(shamir_combine(shares, 2, &out), ERR_OK);
	assert_memory_equal(out.data, secret, sizeof(secret));
	release_all(shares, 2);

	assert_int_equal(shamir_split(secret, sizeof(secret), 255, 255, shares),
	                 ERR_OK);
	buf_reset(&out);
	assert_int_equal(shamir_combine(shares, 255, &out), ERR_OK);
	assert_memory_equal(out.data, secret, sizeof(secret));
	buf_reset(&out);
	assert_int_equal(shamir_combine(shares, 254, &out), ERR_OK);
	assert_memory_not_equal(out.data, secret, sizeof(secret));
	release_all(shares, SHAMIR_MAX_PARTS);
	buf_release(&out);
}

static void test_split_bad_args(void **state)
{
	const uint8_t secret[4] = {1, 2, 3, 4};
	struct buf shares[SHAMIR_MAX_PARTS + 1];

	(void)state;
	for (int i = 0; i <= SHAMIR_MAX_PARTS; i++)
		buf_init(&shares[i], 0);
	assert_int_equal(shamir_split(secret, 4, 5, 1, shares), ERR_INVALID);
	assert_int_equal(shamir_split(secret, 4, 1, 1, shares), ERR_INVALID);
	assert_int_equal(shamir_split(secret, 4, 5, 0, shares), ERR_INVALID);
	assert_int_equal(shamir_split(secret, 4, 3, 4, shares), ERR_INVALID);
	assert_int_equal(shamir_split(secret, 4, 256, 3, shares), ERR_INVALID);
	assert_int_equal(shamir_split(secret, 4, -1, -3, shares), ERR_INVALID);
	assert_int_equal(shamir_split(secret, 0, 5, 3, shares), ERR_INVALID);
	assert_int_equal(shamir_split(NULL, 4, 5, 3, shares), ERR_INVALID);
	for (int i = 0; i <= SHAMIR_MAX_PARTS; i++)
		assert_int_equal(shares[i].len, 0);
}

static void test_combine_bad_shares(void **state)
{
	uint8_t secret[16];
	struct buf shares[5], out = BUF_INIT, two[2], tiny[2];

	(void)state;
	assert_int_equal(rand_bytes(secret, sizeof(secret)), ERR_OK);
	split5(secret, sizeof(secret), 2, shares);

	/* The same share twice (duplicate x). */
	two[0] = shares[0];
	two[1] = shares[0];
	assert_int_equal(shamir_combine(two, 2, &out), ERR_INVALID);

	/* Different y but the same x coordinate. */
	shares[1].data[sizeof(secret)] = shares[0].data[sizeof(secret)];
	assert_int_equal(shamir_combine(shares, 2, &out), ERR_INVALID);

	/* x == 0 would be the secret's own coordinate. */
	shares[1].data[sizeof(secret)] = 0;
	assert_int_equal(shamir_combine(shares, 2, &out), ERR_INVALID);

	/* Mismatched lengths. */
	shares[3].len--;
	assert_int_equal(shamir_combine(shares + 2, 2, &out), ERR_INVALID);

	/* Shares too short to hold anything, too few, none. */
	buf_init(&tiny[0], 0);
	buf_init(&tiny[1], 0);
	assert_int_equal(buf_append_byte(&tiny[0], 1), ERR_OK);
	assert_int_equal(buf_append_byte(&tiny[1], 2), ERR_OK);
	assert_int_equal(shamir_combine(tiny, 2, &out), ERR_INVALID);
	assert_int_equal(shamir_combine(shares + 4, 1, &out), ERR_INVALID);
	assert_int_equal(shamir_combine(NULL, 0, &out), ERR_INVALID);
	assert_int_equal(out.len, 0);

	/* The untouched pair still works. */
	shares[3].len++;
	assert_int_equal(shamir_combine(shares + 3, 2, &out), ERR_OK);
	assert_memory_equal(out.data, secret, sizeof(secret));
	buf_release(&out);
	release_all(tiny, 2);
	release_all(shares, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_combine_first),
	    cmocka_unit_test(test_split_format),
	    cmocka_unit_test(test_every_subset),
	    cmocka_unit_test(test_thresholds),
	    cmocka_unit_test(test_split_bad_args),
	    cmocka_unit_test(test_combine_bad_shares),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
