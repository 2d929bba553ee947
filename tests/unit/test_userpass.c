/*
 * test_userpass.c - user name normalisation, Argon2id hashing and
 * verification, and logins through the core: the same answer for a
 * wrong password and a missing user, one user whatever the spelling,
 * over-long passwords refused, the hash never shown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth/userpass/userpass.h"
#include "auth_core.h"

static void norm_is(const char *in, const char *want)
{
	struct buf b = BUF_INIT;

	assert_int_equal(userpass_normalise_name(in, &b), ERR_OK);
	assert_string_equal(buf_str(&b), want);
	buf_release(&b);
}

static void norm_bad(const char *in)
{
	struct buf b = BUF_INIT;

	assert_int_equal(userpass_normalise_name(in, &b), ERR_INVALID);
	buf_release(&b);
}

static void test_normalise(void **state)
{
	char longname[200];

	(void)state;
	norm_is("alice", "alice");
	norm_is("  Alice\t", "alice");
	norm_is("ALICE", "alice");
	norm_is("b\xc3\xa9"
	        "B",
	        "b\xc3\xa9"
	        "b");
	norm_bad("");
	norm_bad("   ");
	norm_bad("a/b");
	norm_bad("a\nb");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	norm_bad(longname);
}

static void test_hash_verify(void **state)
{
	char *h1 = NULL, *h2 = NULL, big[USERPASS_MAX_PASSWORD + 2];

	(void)state;
	assert_int_equal(userpass_hash_password("pw", &h1), ERR_OK);
	assert_int_equal(userpass_hash_password("pw", &h2), ERR_OK);
	assert_non_null(strstr(h1, "$argon2id$"));
	/* A fresh salt each time. */
	assert_string_not_equal(h1, h2);
	assert_true(userpass_verify_password(h1, "pw"));
	assert_false(userpass_verify_password(h1, "pW"));
	assert_false(userpass_verify_password(h1, ""));
	assert_false(userpass_verify_password("$argon2id$garbage", "pw"));
	assert_false(userpass_verify_password(NULL, "pw"));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(userpass_hash_password(big, &h1 /* unchanged */),
	                 ERR_INVALID);
	assert_false(userpass_verify_password(h2, big));
	free(h1);
	free(h2);
}

static err_t login(struct core *c, const char *name, const char *pw, char *err,
                   size_t n)
{
	struct call k;
	char path[256], body[256];
	err_t rc;

	snprintf(path, sizeof(path), "auth/userpass/login/%s", name);
	snprintf(body, sizeof(body), "{\"password\": \"%s\"}", pw);
	call(c, &k, OP_UPDATE, path, NULL, body);
	rc = k.resp.err;
	if (rc == ERR_OK) {
		assert_string_equal(
		    json_string_value(json_object_get(
		        json_object_get(k.resp.auth, "metadata"), "username")),
		    "alice");
	}
	snprintf(err, n, "%s", first_error(&k));
	call_done(&k);
	return rc;
}

static void test_logins(void **state)
{
	struct core *c = auth_core_new();
	char err1[128], err2[128];
	struct call k;

	(void)state;
	must(c, OP_UPDATE, "sys/auth/userpass", "{\"type\": \"userpass\"}");
	must(c, OP_UPDATE, "auth/userpass/users/Alice",
	     "{\"password\": \"right\", \"policies\": \"web,db\"}");
	assert_int_equal(login(c, "alice", "right", err1, 128), ERR_OK);
	assert_int_equal(login(c, "%20ALICE", "right", err1, 128), ERR_INVALID);
	assert_int_equal(login(c, " ALICE ", "right", err1, 128), ERR_OK);

	assert_int_equal(login(c, "alice", "wrong", err1, 128), ERR_INVALID);
	assert_int_equal(login(c, "nobody", "wrong", err2, 128), ERR_INVALID);
	assert_string_equal(err1, "invalid username or password");
	assert_string_equal(err1, err2);

	call(c, &k, OP_READ, "auth/userpass/users/ALICE", "root", NULL);
	assert_int_equal(k.resp.err, ERR_OK);
	assert_null(json_object_get(k.resp.data, "password_hash"));
	assert_int_equal(
	    json_array_size(json_object_get(k.resp.data, "token_policies")), 2);
	call_done(&k);

	/* Create needs a password; a change keeps the other settings. */
	call(c, &k, OP_UPDATE, "auth/userpass/users/bob", "root", "{}");
	assert_int_equal(k.resp.err, ERR_INVALID);
	call_done(&k);
	must(c, OP_UPDATE, "auth/userpass/users/alice/password",
	     "{\"password\": \"new\"}");
	assert_int_equal(login(c, "alice", "right", err1, 128), ERR_INVALID);
	assert_int_equal(login(c, "alice", "new", err1, 128), ERR_OK);
	call(c, &k, OP_UPDATE, "auth/userpass/users/nobody/password", "root",
	     "{\"password\": \"x\"}");
	assert_int_equal(k.resp.err, ERR_INVALID);
	call_done(&k);
	core_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalise),
	    cmocka_unit_test(test_hash_verify),
	    cmocka_unit_test(test_logins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
