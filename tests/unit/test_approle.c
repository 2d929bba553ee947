/*
 * test_approle.c - AppRole through the core: login, one-use secret IDs
 * replayed and raced, accessors bound to their role, CIDR checks on the
 * peer address, a tampered secret record; and the CIDR helpers.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth_core.h"
#include "core/cidr.h"
#include "core/core_internal.h"

static void test_cidr(void **state)
{
	struct cidr c;
	json_t *outer = json_pack("[s]", "10.0.0.0/8");
	json_t *inner = json_pack("[s, s]", "10.1.0.0/16", "10.2.3.4");
	json_t *wide = json_pack("[s]", "0.0.0.0/0");

	(void)state;
	assert_true(cidr_parse("127.0.0.1/32", &c));
	assert_true(cidr_contains(&c, "127.0.0.1"));
	assert_false(cidr_contains(&c, "127.0.0.2"));
	/* The mapped form of an IPv4 address is that address. */
	assert_true(cidr_contains(&c, "::ffff:127.0.0.1"));
	assert_false(cidr_contains(&c, "::ffff:127.0.0.2"));
	assert_false(cidr_contains(&c, "::1"));
	assert_false(cidr_contains(&c, "garbage"));
	assert_false(cidr_contains(&c, NULL));
	assert_true(cidr_parse("10.0.0.0/8", &c));
	assert_true(cidr_contains(&c, "10.255.1.2"));
	assert_false(cidr_contains(&c, "11.0.0.1"));
	assert_true(cidr_parse("fd00::/8", &c));
	assert_true(cidr_contains(&c, "fd12::1"));
	assert_false(cidr_contains(&c, "fe80::1"));
	assert_true(cidr_parse("2001:db8::1", &c));
	assert_int_equal(c.bits, 128);

	assert_false(cidr_parse("10.0.0.0/33", &c));
	assert_false(cidr_parse("10.0.0.0/", &c));
	assert_false(cidr_parse("10.0.0/8", &c));
	assert_false(cidr_parse("::/129", &c));
	assert_false(cidr_parse("", &c));
	assert_false(cidr_parse("1.2.3.4/8x", &c));

	assert_true(cidr_list_allows(NULL, "1.2.3.4"));
	assert_true(cidr_list_allows(outer, "10.9.9.9"));
	assert_false(cidr_list_allows(outer, "192.168.0.1"));
	assert_false(cidr_list_allows(outer, NULL));
	assert_true(cidr_list_within(inner, outer));
	assert_false(cidr_list_within(wide, outer));
	assert_true(cidr_list_within(wide, NULL));
	json_decref(outer);
	json_decref(inner);
	json_decref(wide);
}

static void test_secret_equal(void **state)
{
	(void)state;
	assert_true(secret_equal("abcd", 4, "abcd", 4));
	assert_false(secret_equal("abcd", 4, "abce", 4));
	assert_false(secret_equal("abcd", 4, "abc", 3));
	assert_true(secret_streq("x", "x"));
	assert_false(secret_streq("x", NULL));
	assert_false(secret_streq(NULL, NULL));
}

/* Enables approle, a role "web" with extra settings; fills its role ID. */
static void setup_role(struct core *c, const char *settings, char *rid)
{
	struct call k;
	char path[128];

	must(c, OP_UPDATE, "sys/auth/approle", "{\"type\": \"approle\"}");
	must(c, OP_UPDATE, "auth/approle/role/web", settings);
	snprintf(path, sizeof(path), "auth/approle/role/web/role-id");
	call(c, &k, OP_READ, path, "root", NULL);
	data_str(&k, "role_id", rid, 64);
	call_done(&k);
}

static void new_secret(struct core *c, const char *role, char *sid, char *acc)
{
	struct call k;
	char path[128];

	snprintf(path, sizeof(path), "auth/approle/role/%s/secret-id", role);
	call(c, &k, OP_UPDATE, path, "root", "{\"metadata\": null}");
	assert_int_equal(k.resp.err, ERR_OK);
	data_str(&k, "secret_id", sid, 64);
	if (acc != NULL)
		data_str(&k, "secret_id_accessor", acc, 64);
	call_done(&k);
}

static err_t login_from(struct core *c, const char *rid, const char *sid,
                        const char *addr, char *err, size_t errlen)
{
	struct call k;
	char body[256];
	err_t rc;

	snprintf(body, sizeof(body),
	         "{\"role_id\": \"%s\", \"secret_id\": \"%s\"}", rid, sid);
	/* A stale token must not matter to a login. */
	call_from(c, &k, OP_UPDATE, "auth/approle/login", "hvs.stale", addr,
	          body);
	rc = k.resp.err;
	if (rc == ERR_OK)
		assert_non_null(k.resp.auth);
	else
		assert_null(k.resp.auth);
	if (err != NULL)
		snprintf(err, errlen, "%s", first_error(&k));
	call_done(&k);
	return rc;
}

static void test_login_and_replay(void **state)
{
	struct core *c = auth_core_new();
	char rid[64], sid[64], err[256];

	(void)state;
	setup_role(
	    c, "{\"token_policies\": \"web\", \"secret_id_num_uses\": 1}", rid);
	new_secret(c, "web", sid, NULL);
	assert_int_equal(login_from(c, rid, sid, "127.0.0.1", NULL, 0), ERR_OK);
	assert_int_equal(login_from(c, rid, sid, "127.0.0.1", err, sizeof(err)),
	                 ERR_INVALID);
	assert_string_equal(err, "invalid role or secret ID");
	assert_int_equal(
	    login_from(c, "nope", "nope", "127.0.0.1", err, sizeof(err)),
	    ERR_INVALID);
	assert_string_equal(err, "invalid role or secret ID");
	core_free(c);
}

struct race {
	struct core *c;
	const char *rid, *sid;
	int ok;
	pthread_mutex_t mu;
};

static void *race_one(void *arg)
{
	struct race *r = arg;

	if (login_from(r->c, r->rid, r->sid, "127.0.0.1", NULL, 0) == ERR_OK) {
		pthread_mutex_lock(&r->mu);
		r->ok++;
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

static void test_one_use_race(void **state)
{
	struct core *c = auth_core_new();
	char rid[64], sid[64];
	pthread_t th[8];
	struct race r;
	int round, i;

	(void)state;
	setup_role(c, "{\"secret_id_num_uses\": 1}", rid);
	for (round = 0; round < 5; round++) {
		new_secret(c, "web", sid, NULL);
		memset(&r, 0, sizeof(r));
		r.c = c;
		r.rid = rid;
		r.sid = sid;
		pthread_mutex_init(&r.mu, NULL);
		for (i = 0; i < 8; i++)
			pthread_create(&th[i], NULL, race_one, &r);
		for (i = 0; i < 8; i++)
			pthread_join(th[i], NULL);
		pthread_mutex_destroy(&r.mu);
		assert_int_equal(r.ok, 1);
	}
	core_free(c);
}

static void test_accessor_bound_to_role(void **state)
{
	struct core *c = auth_core_new();
	char rid[64], sid[64], acc[64], body[128];
	struct call k;

	(void)state;
	setup_role(c, "{}", rid);
	must(c, OP_UPDATE, "auth/approle/role/other", "{}");
	new_secret(c, "web", sid, acc);
	snprintf(body, sizeof(body), "{\"secret_id_accessor\": \"%s\"}", acc);
	call(c, &k, OP_UPDATE,
	     "auth/approle/role/other/secret-id-accessor/destroy", "root",
	     body);
	assert_int_equal(k.resp.err, ERR_INVALID);
	call_done(&k);
	call(c, &k, OP_UPDATE,
	     "auth/approle/role/web/secret-id-accessor/lookup", "root", body);
	assert_int_equal(k.resp.err, ERR_OK);
	call_done(&k);
	assert_int_equal(login_from(c, rid, sid, "127.0.0.1", NULL, 0), ERR_OK);
	core_free(c);
}

static void test_cidrs(void **state)
{
	struct core *c = auth_core_new();
	char rid[64], sid[64], err[256];
	struct call k;

	(void)state;
	setup_role(c,
	           "{\"secret_id_bound_cidrs\": \"127.0.0.1/32\","
	           " \"token_bound_cidrs\": [\"127.0.0.0/24\"]}",
	           rid);
	new_secret(c, "web", sid, NULL);
	assert_int_equal(login_from(c, rid, sid, "127.0.0.2", err, sizeof(err)),
	                 ERR_INVALID);
	assert_non_null(strstr(err, "CIDR"));
	assert_int_equal(login_from(c, rid, sid, "::ffff:127.0.0.1", NULL, 0),
	                 ERR_OK);
	assert_int_equal(login_from(c, rid, sid, NULL, NULL, 0), ERR_INVALID);

	/* A CIDR list that is not one, on the role and on a secret ID. */
	call(c, &k, OP_UPDATE, "auth/approle/role/bad", "root",
	     "{\"secret_id_bound_cidrs\": \"10.0.0.0/40\"}");
	assert_int_equal(k.resp.err, ERR_INVALID);
	call_done(&k);
	call(c, &k, OP_UPDATE, "auth/approle/role/web/secret-id", "root",
	     "{\"cidr_list\": \"10.0.0.0/8\"}");
	assert_int_equal(k.resp.err, ERR_INVALID);
	call_done(&k);
	core_free(c);
}

/* A record whose stored hash was changed is refused (secret_equal). */
static void test_tampered_record(void **state)
{
	struct core *c = auth_core_new();
	char rid[64], sid[64];
	struct mount *m;
	json_t *roles = NULL, *ids = NULL, *dirs = NULL;
	struct buf key = BUF_INIT, val = BUF_INIT;
	bool found = false;
	char *text;
	json_t *rec;

	(void)state;
	setup_role(c, "{}", rid);
	new_secret(c, "web", sid, NULL);
	m = mounts_find(c, "", "auth/approle/");
	assert_non_null(m);
	assert_int_equal(storage_list(m->view, "secret-id/", &dirs), ERR_OK);
	assert_int_equal(json_array_size(dirs), 1);
	buf_printf(&key, "secret-id/%s",
	           json_string_value(json_array_get(dirs, 0)));
	assert_int_equal(storage_list(m->view, buf_str(&key), &ids), ERR_OK);
	buf_printf(&key, "%s", json_string_value(json_array_get(ids, 0)));
	/* The value is never stored, only its keyed hash. */
	assert_null(strstr(buf_str(&key), sid));
	assert_int_equal(storage_get(m->view, buf_str(&key), &val, &found),
	                 ERR_OK);
	assert_true(found);
	assert_null(strstr(buf_str(&val), sid));
	rec = json_loads(buf_str(&val), 0, NULL);
	json_object_set_new(rec, "secret_id_hmac", json_string("00"));
	text = json_dumps(rec, 0);
	storage_put(m->view, buf_str(&key), (const uint8_t *)text,
	            strlen(text));
	assert_int_equal(login_from(c, rid, sid, "127.0.0.1", NULL, 0),
	                 ERR_INVALID);
	free(text);
	json_decref(rec);
	json_decref(roles);
	json_decref(ids);
	json_decref(dirs);
	buf_release(&key);
	buf_release(&val);
	core_free(c);
}

static void test_role_rules(void **state)
{
	struct core *c = auth_core_new();
	const char *bad[] = {
	    "{\"token_type\": \"batch\"}",
	    "{\"bind_secret_id\": false}",
	    "{\"token_policies\": [\" ROOT\"]}",
	    "{\"secret_id_num_uses\": -1}",
	    "{\"token_ttl\": {}}",
	    "{\"token_ttl\": \"2h\", \"token_max_ttl\": \"1h\"}",
	};
	struct call k;
	size_t i;

	(void)state;
	must(c, OP_UPDATE, "sys/auth/approle", "{\"type\": \"approle\"}");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		call(c, &k, OP_UPDATE, "auth/approle/role/r", "root", bad[i]);
		assert_int_equal(k.resp.err, ERR_INVALID);
		call_done(&k);
	}
	call(c, &k, OP_UPDATE, "auth/approle/role/a%2Fb", "root", "{}");
	assert_int_equal(k.resp.err, ERR_INVALID);
	call_done(&k);
	call(c, &k, OP_LIST, "auth/approle/role", "root", NULL);
	assert_int_equal(k.resp.err, ERR_NOT_FOUND);
	call_done(&k);
	core_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cidr),
	    cmocka_unit_test(test_secret_equal),
	    cmocka_unit_test(test_login_and_replay),
	    cmocka_unit_test(test_one_use_race),
	    cmocka_unit_test(test_accessor_bound_to_role),
	    cmocka_unit_test(test_cidrs),
	    cmocka_unit_test(test_tampered_record),
	    cmocka_unit_test(test_role_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
