/*
 * test_tokenutil.c - the token fields all five auth methods share: what a
 * role write accepts and refuses, what a read shows back, and what a
 * login hands the core.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "auth/tokenutil/tokenutil.h"

/* Parses body into a fresh record with defaults; returns the error. */
static err_t parse_new(const char *body, json_t **rec)
{
	struct response resp;
	json_t *data = json_loads(body, 0, NULL);
	err_t rc;

	assert_non_null(data);
	*rec = json_object();
	assert_int_equal(tokenutil_defaults(*rec), ERR_OK);
	response_init(&resp);
	rc = tokenutil_parse(data, *rec, &resp);
	if (rc != ERR_OK)
		assert_true(json_array_size(resp.errors) > 0);
	response_release(&resp);
	json_decref(data);
	return rc;
}

static void test_refused(void **state)
{
	const char *bad[] = {
	    "{\"token_type\": \"batch\"}",
	    "{\"token_type\": \"default-batch\"}",
	    "{\"token_type\": \"weird\"}",
	    "{\"token_policies\": [\"web\", \" Root\"]}",
	    "{\"policies\": \"root\"}",
	    "{\"token_bound_cidrs\": [\"300.1.1.1/8\"]}",
	    "{\"bound_cidrs\": \"10.0.0.0/33\"}",
	    "{\"token_num_uses\": -1}",
	    "{\"token_ttl\": \"2h\", \"token_max_ttl\": \"1h\"}",
	    "{\"ttl\": {}}",
	};
	json_t *rec;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_new(bad[i], &rec), ERR_INVALID);
		json_decref(rec);
	}
}

static void test_read_back(void **state)
{
	json_t *rec, *out = json_object();

	(void)state;
	assert_int_equal(parse_new("{\"policies\": \"Web,db\", \"ttl\": \"1m\","
	                           " \"token_type\": \"default-service\"}",
	                           &rec),
	                 ERR_OK);
	assert_int_equal(tokenutil_describe(rec, out), ERR_OK);
	assert_int_equal(json_integer_value(json_object_get(out, "token_ttl")),
	                 60);
	assert_int_equal(json_integer_value(json_object_get(out, "ttl")), 60);
	assert_int_equal(json_array_size(json_object_get(out, "policies")), 2);
	/* Lower-cased and sorted, as Vault keeps policy names. */
	assert_string_equal(json_string_value(json_array_get(
	                        json_object_get(out, "token_policies"), 1)),
	                    "web");
	assert_string_equal(
	    json_string_value(json_object_get(out, "token_type")), "default");
	/* Never written through its old name: not shown under it. */
	assert_null(json_object_get(out, "max_ttl"));
	assert_non_null(json_object_get(out, "token_max_ttl"));
	json_decref(out);
	json_decref(rec);
}

/* A write through the new name drops the old one, as Vault does. */
static void test_new_name_replaces_old(void **state)
{
	struct response resp;
	json_t *rec, *data = json_pack("{s:[s]}", "token_policies", "ops");
	json_t *out = json_object();

	(void)state;
	assert_int_equal(parse_new("{\"policies\": [\"web\"]}", &rec), ERR_OK);
	response_init(&resp);
	assert_int_equal(tokenutil_parse(data, rec, &resp), ERR_OK);
	response_release(&resp);
	assert_int_equal(tokenutil_describe(rec, out), ERR_OK);
	assert_null(json_object_get(out, "policies"));
	json_decref(out);
	json_decref(data);
	json_decref(rec);
}

/* A role stored by the former roletok helper reads back unchanged. */
static void test_legacy_record(void **state)
{
	json_t *rec = json_pack("{s:[s], s:I, s:[s]}", "token_policies", "web",
	                        "token_period", (json_int_t)30, "legacy_names",
	                        "policies");
	json_t *out = json_deep_copy(rec);

	(void)state;
	assert_int_equal(tokenutil_describe(rec, out), ERR_OK);
	assert_null(json_object_get(out, "legacy_names"));
	assert_int_equal(json_array_size(json_object_get(out, "policies")), 1);
	assert_null(json_object_get(out, "period"));
	/* A missing field reads as its default, not as absent. */
	assert_int_equal(
	    json_integer_value(json_object_get(out, "token_num_uses")), 0);
	json_decref(out);
	json_decref(rec);
}

static void test_login(void **state)
{
	struct login_result lr;
	json_t *rec;

	(void)state;
	assert_int_equal(parse_new("{\"token_bound_cidrs\": \"10.0.0.0/8\","
	                           " \"token_period\": \"1h\","
	                           " \"token_num_uses\": 3}",
	                           &rec),
	                 ERR_OK);
	memset(&lr, 0, sizeof(lr));
	tokenutil_login(rec, &lr);
	assert_int_equal(lr.period, 3600);
	assert_int_equal(lr.num_uses, 3);
	assert_true(lr.renewable);
	/* The token itself is tied to the role's blocks. */
	assert_int_equal(json_array_size(lr.bound_cidrs), 1);
	assert_true(tokenutil_cidr_allowed(rec, "10.9.8.7"));
	assert_true(tokenutil_cidr_allowed(rec, "::ffff:10.9.8.7"));
	assert_false(tokenutil_cidr_allowed(rec, "127.0.0.1"));
	assert_false(tokenutil_cidr_allowed(rec, NULL));
	json_decref(rec);
	assert_int_equal(parse_new("{}", &rec), ERR_OK);
	assert_true(tokenutil_cidr_allowed(rec, "127.0.0.1"));
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_read_back),
	    cmocka_unit_test(test_new_name_replaces_old),
	    cmocka_unit_test(test_legacy_record),
	    cmocka_unit_test(test_login),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
