/* The Vault envelope: keys always present, 204 rule, errors, raw, bare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/envelope.h"
#include "http/status.h"

#define RID "6f6d5a3c-2c1f-8a0e-4b1b-9b7a0c2d1e55"

/* Encodes resp and parses the body back; NULL when there is none. */
static json_t *encode(struct response *resp, struct http_reply *reply)
{
	struct buf body = BUF_INIT;
	json_t *out = NULL;

	assert_int_equal(http_envelope_encode(RID, resp, &body, reply), ERR_OK);
	if (body.len > 0) {
		out = json_loadb((const char *)body.data, body.len, 0, NULL);
		assert_non_null(out);
	}
	buf_release(&body);
	return out;
}

static void test_full_envelope(void **state)
{
	static const char *const keys[] = {
	    "request_id", "lease_id", "renewable", "lease_duration", "data",
	    "wrap_info",  "warnings", "auth",      "mount_type"};
	struct response resp;
	struct http_reply reply;
	json_t *out;
	size_t i;

	(void)state;
	response_init(&resp);
	response_set_data(&resp, json_pack("{s:s}", "foo", "bar"));
	snprintf(resp.mount_type, sizeof(resp.mount_type), "kv");
	resp.warnings = json_array(); /* empty: must still be null */
	out = encode(&resp, &reply);
	assert_int_equal(reply.status, 200);
	assert_string_equal(reply.content_type, "application/json");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_non_null(json_object_get(out, keys[i]));
	assert_int_equal(json_object_size(out), 9);
	assert_string_equal(
	    json_string_value(json_object_get(out, "request_id")), RID);
	assert_string_equal(json_string_value(json_object_get(out, "lease_id")),
	                    "");
	assert_true(json_is_false(json_object_get(out, "renewable")));
	assert_int_equal(
	    json_integer_value(json_object_get(out, "lease_duration")), 0);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(out, "data"), "foo")),
	                    "bar");
	assert_true(json_is_null(json_object_get(out, "warnings")));
	assert_true(json_is_null(json_object_get(out, "wrap_info")));
	assert_true(json_is_null(json_object_get(out, "auth")));
	assert_string_equal(
	    json_string_value(json_object_get(out, "mount_type")), "kv");
	assert_null(json_object_get(out, "foo"));
	json_decref(out);
	response_release(&resp);
}

static void test_no_content_is_204(void **state)
{
	struct response resp;
	struct http_reply reply;

	(void)state;
	response_init(&resp);
	assert_null(encode(&resp, &reply));
	assert_int_equal(reply.status, 204);
	assert_null(reply.content_type);
	response_release(&resp);
}

static void test_warning_or_lease_is_200(void **state)
{
	struct response resp;
	struct http_reply reply;
	json_t *out;

	(void)state;
	response_init(&resp);
	response_warn(&resp, "ignored \"x\"");
	out = encode(&resp, &reply);
	assert_int_equal(reply.status, 200);
	assert_true(json_is_null(json_object_get(out, "data")));
	assert_string_equal(json_string_value(json_array_get(
	                        json_object_get(out, "warnings"), 0)),
	                    "ignored \"x\"");
	json_decref(out);
	response_release(&resp);

	response_init(&resp);
	resp.lease_id = strdup("database/creds/ro/abc\n");
	resp.renewable = true;
	resp.lease_duration = 3600;
	out = encode(&resp, &reply);
	assert_int_equal(reply.status, 200);
	assert_string_equal(json_string_value(json_object_get(out, "lease_id")),
	                    "database/creds/ro/abc\n");
	assert_int_equal(
	    json_integer_value(json_object_get(out, "lease_duration")), 3600);
	assert_true(json_is_true(json_object_get(out, "renewable")));
	json_decref(out);
	response_release(&resp);
}

static void test_copy_data_to_top(void **state)
{
	struct response resp;
	struct http_reply reply;
	json_t *out;

	(void)state;
	response_init(&resp);
	response_set_data(&resp, json_pack("{s:{s:s},s:s}", "approle/", "type",
	                                   "approle", "request_id", "evil"));
	resp.copy_data_to_top = true;
	out = encode(&resp, &reply);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(out, "approle/"), "type")),
	                    "approle");
	assert_non_null(
	    json_object_get(json_object_get(out, "data"), "approle/"));
	/* A data key never overrides an envelope key. */
	assert_string_equal(
	    json_string_value(json_object_get(out, "request_id")), RID);
	json_decref(out);
	response_release(&resp);
}

static void test_errors(void **state)
{
	struct response resp;
	struct http_reply reply;
	json_t *out;

	(void)state;
	response_init(&resp);
	response_error(&resp, ERR_PERMISSION, "permission denied");
	response_error(&resp, ERR_PERMISSION, "invalid token");
	out = encode(&resp, &reply);
	assert_int_equal(reply.status, 403);
	assert_string_equal(reply.content_type, "application/json");
	assert_int_equal(json_object_size(out), 1);
	assert_int_equal(json_array_size(json_object_get(out, "errors")), 2);
	json_decref(out);
	response_release(&resp);

	/* A missing object: 404 with an empty errors array. */
	response_init(&resp);
	response_error(&resp, ERR_NOT_FOUND, NULL);
	out = encode(&resp, &reply);
	assert_int_equal(reply.status, 404);
	assert_true(json_is_array(json_object_get(out, "errors")));
	assert_int_equal(json_array_size(json_object_get(out, "errors")), 0);
	json_decref(out);
	response_release(&resp);

	/* err set by hand without messages still gives "errors": []. */
	response_init(&resp);
	resp.err = ERR_SEALED;
	out = encode(&resp, &reply);
	assert_int_equal(reply.status, 503);
	assert_int_equal(json_array_size(json_object_get(out, "errors")), 0);
	json_decref(out);
	response_release(&resp);
}

static void test_raw_and_bare(void **state)
{
	struct response resp;
	struct http_reply reply;
	struct buf body = BUF_INIT;
	json_t *out;

	(void)state;
	response_init(&resp);
	resp.raw_type = strdup("application/pem-certificate-chain");
	buf_append_str(&resp.raw_body, "-----BEGIN CERTIFICATE-----\n");
	assert_int_equal(http_envelope_encode(RID, &resp, &body, &reply),
	                 ERR_OK);
	assert_int_equal(reply.status, 200);
	assert_string_equal(reply.content_type,
	                    "application/pem-certificate-chain");
	assert_string_equal(buf_str(&body), "-----BEGIN CERTIFICATE-----\n");
	buf_release(&body);
	response_release(&resp);

	response_init(&resp);
	resp.bare = true;
	resp.status = 429;
	response_set_data(&resp, json_pack("{s:b}", "sealed", 0));
	out = encode(&resp, &reply);
	assert_int_equal(reply.status, 429);
	assert_int_equal(json_object_size(out), 1);
	assert_true(json_is_false(json_object_get(out, "sealed")));
	json_decref(out);
	response_release(&resp);
}

static void test_status_map(void **state)
{
	(void)state;
	assert_int_equal(http_status_for(ERR_INVALID), 400);
	assert_int_equal(http_status_for(ERR_CONFLICT), 400);
	assert_int_equal(http_status_for(ERR_PERMISSION), 403);
	assert_int_equal(http_status_for(ERR_NOT_FOUND), 404);
	assert_int_equal(http_status_for(ERR_UNSUPPORTED), 405);
	assert_int_equal(http_status_for(ERR_TOO_LARGE), 413);
	assert_int_equal(http_status_for(ERR_MEDIA_TYPE), 415);
	assert_int_equal(http_status_for(ERR_SEALED), 503);
	assert_int_equal(http_status_for(ERR_UNAVAILABLE), 503);
	assert_int_equal(http_status_for(ERR_NOMEM), 503);
	assert_int_equal(http_status_for(ERR_STORAGE), 500);
	assert_int_equal(http_status_for(ERR_CRYPTO), 500);
	assert_int_equal(http_status_for(ERR_INTERNAL), 500);
	assert_string_equal(http_status_reason(404), "Not Found");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_envelope),
	    cmocka_unit_test(test_no_content_is_204),
	    cmocka_unit_test(test_warning_or_lease_is_200),
	    cmocka_unit_test(test_copy_data_to_top),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_raw_and_bare),
	    cmocka_unit_test(test_status_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
