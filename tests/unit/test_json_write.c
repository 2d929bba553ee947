/*
 * test_json_write.c - our JSON writer gives the text jansson's dumper
 * gives for the values responses carry, escapes what JSON requires, and
 * refuses what has no JSON form; the keyed HMAC matches RFC 4231.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/encoding.h"
#include "base/hmac.h"
#include "base/json_write.h"

static void expect_text(const json_t *v, const char *want)
{
	struct buf b = BUF_INIT;

	assert_int_equal(json_write(&b, v), ERR_OK);
	assert_string_equal(buf_str(&b), want);
	buf_release(&b);
}

/* Whatever jansson prints compactly, we print byte for byte. */
static void expect_like_jansson(const char *doc)
{
	json_t *v = json_loads(doc, JSON_DECODE_ANY, NULL);
	char *theirs;

	assert_non_null(v);
	theirs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	assert_non_null(theirs);
	expect_text(v, theirs);
	free(theirs);
	json_decref(v);
}

static void test_same_as_jansson(void **state)
{
	(void)state;
	expect_like_jansson("{\"a\":1,\"b\":[true,false,null],\"c\":{}}");
	expect_like_jansson("{\"z\":1,\"a\":2,\"m\":3}"); /* insertion order */
	expect_like_jansson("[-9223372036854775807,0,42,[],[[]]]");
	expect_like_jansson("[1.5,-0.25,1e+300,3.0,2.5e-7,-1e-300]");
	expect_like_jansson("\"caf\\u00e9 \\u65e5\\u672c\"");
	expect_like_jansson("{\"data\":{\"data\":{\"password\":\"hunter2\"},"
	                    "\"metadata\":{\"version\":1}}}");
}

static void test_escapes(void **state)
{
	json_t *s = json_stringn("q\"b\\n\n\t\x01/", 9);

	(void)state;
	/* Control characters as \u00XX: valid JSON, and no raw newline
	 * can split a log line or a response. */
	expect_text(s, "\"q\\\"b\\\\n\\u000a\\u0009\\u0001/\"");
	json_decref(s);
	s = json_stringn("a\0b", 3); /* jansson keeps embedded NULs */
	expect_text(s, "\"a\\u0000b\"");
	json_decref(s);
	expect_text(NULL, "null");
}

static void test_refuses(void **state)
{
	struct buf b = BUF_INIT;
	json_t *deep = json_array(), *inner = deep;
	int i;

	(void)state;
	for (i = 0; i < JSON_WRITE_MAX_DEPTH + 10; i++) {
		json_t *next = json_array();
		json_array_append_new(inner, next);
		inner = next;
	}
	assert_int_equal(json_write(&b, deep), ERR_INVALID);
	buf_release(&b);
	json_decref(deep);
}

static void test_ints(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	json_write_int(&b, INT64_MIN);
	buf_append_byte(&b, ' ');
	json_write_int(&b, INT64_MAX);
	buf_append_byte(&b, ' ');
	json_write_int(&b, 0);
	assert_string_equal(buf_str(&b),
	                    "-9223372036854775808 9223372036854775807 0");
	buf_release(&b);
}

static void expect_hmac(const uint8_t *key, size_t klen, const char *data,
                        const char *want_hex)
{
	struct hmac_key *k = NULL;
	uint8_t mac[HMAC_SHA256_LEN];
	char *hex;

	assert_int_equal(hmac_key_new(key, klen, &k), ERR_OK);
	/* Twice: the key's state must not be consumed by a run. */
	assert_int_equal(hmac_sha256(k, data, strlen(data), mac), ERR_OK);
	assert_int_equal(hmac_sha256(k, data, strlen(data), mac), ERR_OK);
	hex = hex_encode(mac, sizeof(mac));
	assert_string_equal(hex, want_hex);
	free(hex);
	hmac_key_free(k);
}

/* RFC 4231 test cases 1, 2 and 6 (a key longer than the block). */
static void test_hmac_vectors(void **state)
{
	uint8_t k1[20], k6[131];

	(void)state;
	memset(k1, 0x0b, sizeof(k1));
	memset(k6, 0xaa, sizeof(k6));
	expect_hmac(k1, sizeof(k1), "Hi There",
	            "b0344c61d8db38535ca8afceaf0bf12b"
	            "881dc200c9833da726e9376c2e32cff7");
	expect_hmac((const uint8_t *)"Jefe", 4, "what do ya want for nothing?",
	            "5bdcc146bf60754e6a042426089575c7"
	            "5a003f089d2739839dec58b964ec3843");
	expect_hmac(k6, sizeof(k6),
	            "Test Using Larger Than Block-Size Key - Hash Key First",
	            "60e431591ee0b67f0d8a26aacbf5b77f"
	            "8e0bc6213728c5140546040f0ee37f54");
	hmac_key_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_as_jansson),
	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_refuses),
	    cmocka_unit_test(test_ints),
	    cmocka_unit_test(test_hmac_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
