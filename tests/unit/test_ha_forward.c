/*
 * X-Coffer-Forwarded-For (core/ha_forward.h): a standby's header verifies
 * on the active for the same request, and nothing else does: not another
 * request, not another key, not an old or malformed header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/ha_forward.h"

static const uint8_t key[HA_FORWARD_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
static const int64_t now = 1800000000;

static void request_for(struct request *req, const char *addr)
{
	request_init(req);
	snprintf(req->id, sizeof(req->id), "%s",
	         "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0");
	req->ns = "team/";
	req->path = strdup("secret/data/app");
	req->op = OP_UPDATE;
	req->remote_addr = addr;
}

/* The header value a standby would add for req. */
static char *signed_value(const struct request *req, int64_t when)
{
	struct buf b = BUF_INIT;

	assert_int_equal(ha_forward_sign(key, req, when, &b), ERR_OK);
	return buf_detach(&b);
}

static void test_round_trip(void **state)
{
	struct request req;
	char addr[HA_FORWARD_ADDR_LEN], *v;

	(void)state;
	request_for(&req, "10.1.2.3");
	v = signed_value(&req, now);
	assert_int_equal(strncmp(v, "v1;1800000000;10.1.2.3;0b1c2d3e-", 32), 0);

	/* The active sees the standby's address and its own request id. */
	req.remote_addr = "10.9.9.9";
	snprintf(req.id, sizeof(req.id), "%s",
	         "ffffffff-ffff-ffff-ffff-ffffffffffff");
	assert_int_equal(ha_forward_check(key, v, &req, now + 1, addr), ERR_OK);
	assert_string_equal(addr, "10.1.2.3");
	/* Clocks a little apart either way are fine. */
	assert_int_equal(
	    ha_forward_check(key, v, &req, now - HA_FORWARD_WINDOW, addr),
	    ERR_OK);
	free(v);

	req.remote_addr = "2001:db8::1";
	v = signed_value(&req, now);
	assert_int_equal(ha_forward_check(key, v, &req, now, addr), ERR_OK);
	assert_string_equal(addr, "2001:db8::1");
	free(v);
	request_release(&req);
}

static void test_other_request_or_key(void **state)
{
	uint8_t other[HA_FORWARD_KEY_LEN] = {9};
	struct request req;
	char addr[HA_FORWARD_ADDR_LEN], *v;

	(void)state;
	request_for(&req, "10.1.2.3");
	v = signed_value(&req, now);

	assert_int_equal(ha_forward_check(other, v, &req, now, addr),
	                 ERR_PERMISSION);
	assert_string_equal(addr, "");

	/* The same header on a different path, operation or namespace. */
	free(req.path);
	req.path = strdup("secret/data/other");
	assert_int_equal(ha_forward_check(key, v, &req, now, addr),
	                 ERR_PERMISSION);
	free(req.path);
	req.path = strdup("secret/data/app");
	req.op = OP_DELETE;
	assert_int_equal(ha_forward_check(key, v, &req, now, addr),
	                 ERR_PERMISSION);
	req.op = OP_UPDATE;
	req.ns = "";
	assert_int_equal(ha_forward_check(key, v, &req, now, addr),
	                 ERR_PERMISSION);
	req.ns = "team/";
	assert_int_equal(ha_forward_check(key, v, &req, now, addr), ERR_OK);
	free(v);
	request_release(&req);
}

/* Changes one field of a good value, which must then fail. */
static void check_edited(const struct request *req, const char *good,
                         const char *from, const char *to, err_t want)
{
	char edited[512], addr[HA_FORWARD_ADDR_LEN];
	const char *at = strstr(good, from);

	assert_non_null(at);
	snprintf(edited, sizeof(edited), "%.*s%s%s", (int)(at - good), good, to,
	         at + strlen(from));
	assert_int_equal(ha_forward_check(key, edited, req, now, addr), want);
	assert_string_equal(addr, "");
}

static void test_forged_stale_and_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    "garbage",
	    "v1;1800000000;10.1.2.3",
	    "v1;1800000000;10.1.2.3;id;mac;extra",
	    "v2;1800000000;10.1.2.3;0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0;00",
	};
	struct request req;
	char addr[HA_FORWARD_ADDR_LEN], *v, big[5000];
	size_t i;

	(void)state;
	request_for(&req, "10.1.2.3");
	v = signed_value(&req, now);

	/* A claimed address, time or id the MAC was not made for. */
	check_edited(&req, v, ";10.1.2.3;", ";10.1.2.4;", ERR_PERMISSION);
	check_edited(&req, v, ";1800000000;", ";1800000001;", ERR_PERMISSION);
	check_edited(&req, v, ";0b1c2d3e", ";1b1c2d3e", ERR_PERMISSION);
	check_edited(&req, v, ";10.1.2.3;", ";10.1.2.3x;", ERR_INVALID);
	check_edited(&req, v, ";10.1.2.3;", ";;", ERR_INVALID);
	check_edited(&req, v, "v1;", "V1;", ERR_INVALID);
	check_edited(&req, v, ";1800000000;", ";+1800000000;", ERR_INVALID);

	/* Too old, or from too far ahead. */
	assert_int_equal(
	    ha_forward_check(key, v, &req, now + HA_FORWARD_WINDOW + 1, addr),
	    ERR_INVALID);
	assert_int_equal(
	    ha_forward_check(key, v, &req, now - HA_FORWARD_WINDOW - 1, addr),
	    ERR_INVALID);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ha_forward_check(key, bad[i], &req, now, addr),
		                 ERR_INVALID);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(ha_forward_check(key, big, &req, now, addr),
	                 ERR_INVALID);
	free(v);
	request_release(&req);
}

static void test_nothing_to_vouch_for(void **state)
{
	struct request req;
	struct buf b = BUF_INIT;

	(void)state;
	request_for(&req, "unknown");
	assert_int_equal(ha_forward_sign(key, &req, now, &b), ERR_INVALID);
	req.remote_addr = NULL;
	assert_int_equal(ha_forward_sign(key, &req, now, &b), ERR_INVALID);
	assert_int_equal(b.len, 0);
	buf_release(&b);
	request_release(&req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_other_request_or_key),
	    cmocka_unit_test(test_forged_stale_and_malformed),
	    cmocka_unit_test(test_nothing_to_vouch_for),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
