/*
 * test_identity.c - policy name normalisation (never "root"), entities
 * made at login and found again, group policies (direct and inherited)
 * read at request time, and a "root" smuggled into storage dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth_core.h"
#include "core/core_internal.h"
#include "identity/identity.h"

static void test_normalise(void **state)
{
	json_t *in = json_pack("[s, s, s, s]", " Web", "db", "web", "");
	json_t *out;
	const char *roots[] = {"root", "Root", " root", "ROOT\n", "\troot "};
	bool root;
	size_t i;

	(void)state;
	out = identity_normalise_policies(in, &root);
	assert_false(root);
	assert_int_equal(json_array_size(out), 2);
	assert_string_equal(json_string_value(json_array_get(out, 0)), "db");
	assert_string_equal(json_string_value(json_array_get(out, 1)), "web");
	json_decref(out);
	json_decref(in);
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		in = json_pack("[s, s]", "web", roots[i]);
		assert_null(identity_normalise_policies(in, &root));
		assert_true(root);
		json_decref(in);
	}
}

/* Logs alice in; fills her token and entity id. */
static void login(struct core *c, char *token, char *entity)
{
	struct call k;

	call(c, &k, OP_UPDATE, "auth/userpass/login/alice", NULL,
	     "{\"password\": \"pw\"}");
	assert_int_equal(k.resp.err, ERR_OK);
	snprintf(
	    token, 64, "%s",
	    json_string_value(json_object_get(k.resp.auth, "client_token")));
	snprintf(entity, 64, "%s",
	         json_string_value(json_object_get(k.resp.auth, "entity_id")));
	call_done(&k);
}

static err_t read_as(struct core *c, const char *token, const char *path)
{
	struct call k;
	err_t rc;

	call(c, &k, OP_READ, path, token, NULL);
	rc = k.resp.err;
	call_done(&k);
	return rc;
}

static void test_groups(void **state)
{
	struct core *c = auth_core_new();
	char tok[64], eid[64], eid2[64], gid[64], body[512];
	struct call k;

	(void)state;
	must(c, OP_UPDATE, "sys/auth/userpass", "{\"type\": \"userpass\"}");
	must(c, OP_UPDATE, "auth/userpass/users/alice",
	     "{\"password\": \"pw\"}");
	must(c, OP_UPDATE, "sys/policies/acl/grp",
	     "{\"policy\": \"path \\\"secret/data/g\\\" "
	     "{ capabilities = [\\\"read\\\"] }\"}");
	must(c, OP_UPDATE, "secret/data/g", "{\"data\": {\"a\": \"b\"}}");
	login(c, tok, eid);
	login(c, tok, eid2);
	assert_string_equal(eid, eid2);
	assert_int_equal(read_as(c, tok, "secret/data/g"), ERR_PERMISSION);

	snprintf(body, sizeof(body),
	         "{\"name\": \"team\", \"member_entity_ids\": [\"%s\"]}", eid);
	call(c, &k, OP_UPDATE, "identity/group", "root", body);
	assert_int_equal(k.resp.err, ERR_OK);
	data_str(&k, "id", gid, sizeof(gid));
	call_done(&k);
	snprintf(body, sizeof(body),
	         "{\"name\": \"top\", \"policies\": [\"GRP\"],"
	         " \"member_group_ids\": [\"%s\"]}",
	         gid);
	must(c, OP_UPDATE, "identity/group", body);
	assert_int_equal(read_as(c, tok, "secret/data/g"), ERR_OK);

	/* A cycle is refused. */
	call(c, &k, OP_UPDATE, "identity/group/name/top", "root", NULL);
	call_done(&k);
	call(c, &k, OP_READ, "identity/group/name/top", "root", NULL);
	data_str(&k, "id", body, sizeof(body));
	call_done(&k);
	{
		char b2[700];
		snprintf(b2, sizeof(b2), "{\"member_group_ids\": [\"%s\"]}",
		         body);
		call(c, &k, OP_UPDATE, "identity/group/name/team", "root", b2);
		assert_int_equal(k.resp.err, ERR_INVALID);
		call_done(&k);
	}

	must(c, OP_DELETE, "identity/group/name/top", NULL);
	assert_int_equal(read_as(c, tok, "secret/data/g"), ERR_PERMISSION);
	core_free(c);
}

static void test_root_in_storage_dropped(void **state)
{
	struct core *c = auth_core_new();
	char tok[64], eid[64], key[256];
	struct mount *idm;
	json_t *pol = NULL, *rec;
	struct buf val = BUF_INIT;
	bool found = false, disabled;
	char *text;

	(void)state;
	must(c, OP_UPDATE, "sys/auth/userpass", "{\"type\": \"userpass\"}");
	must(c, OP_UPDATE, "auth/userpass/users/alice",
	     "{\"password\": \"pw\"}");
	login(c, tok, eid);
	idm = mounts_find(c, "", "identity/");
	assert_non_null(idm);
	snprintf(key, sizeof(key), "root/entity/id/%s", eid);
	assert_int_equal(storage_get(idm->view, key, &val, &found), ERR_OK);
	assert_true(found);
	rec = json_loads(buf_str(&val), 0, NULL);
	json_object_set_new(rec, "policies", json_pack("[s, s]", "Root", "x"));
	text = json_dumps(rec, 0);
	storage_put(idm->view, key, (const uint8_t *)text, strlen(text));
	assert_int_equal(identity_policies(idm, "", eid, &pol, &disabled),
	                 ERR_OK);
	assert_int_equal(json_array_size(pol), 1);
	assert_string_equal(json_string_value(json_array_get(pol, 0)), "x");
	/* sys/mounts needs root: the token is still not root. */
	assert_int_equal(read_as(c, tok, "sys/mounts"), ERR_PERMISSION);
	json_decref(pol);
	json_decref(rec);
	free(text);
	buf_release(&val);
	core_free(c);
}

static void test_entity_crud(void **state)
{
	struct core *c = auth_core_new();
	char id[64];
	struct call k;

	(void)state;
	call(c, &k, OP_UPDATE, "identity/entity", "root",
	     "{\"name\": \"svc\", \"policies\": \"a,B\"}");
	assert_int_equal(k.resp.err, ERR_OK);
	data_str(&k, "id", id, sizeof(id));
	call_done(&k);
	call(c, &k, OP_READ, "identity/entity/name/svc", "root", NULL);
	assert_int_equal(k.resp.err, ERR_OK);
	assert_int_equal(
	    json_array_size(json_object_get(k.resp.data, "policies")), 2);
	call_done(&k);
	call(c, &k, OP_UPDATE, "identity/entity", "root",
	     "{\"name\": \"a/b\"}");
	assert_int_equal(k.resp.err, ERR_INVALID);
	call_done(&k);
	call(c, &k, OP_UPDATE, "identity/lookup/entity", "root",
	     "{\"name\": \"nobody\"}");
	assert_int_equal(k.resp.err, ERR_OK);
	assert_null(k.resp.data);
	call_done(&k);
	call(c, &k, OP_READ, "identity/entity/id/../x", "root", NULL);
	assert_int_equal(k.resp.err, ERR_NOT_FOUND);
	call_done(&k);
	must(c, OP_DELETE, "identity/entity/name/svc", NULL);
	call(c, &k, OP_LIST, "identity/entity/id", "root", NULL);
	assert_int_equal(k.resp.err, ERR_NOT_FOUND);
	call_done(&k);
	core_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalise),
	    cmocka_unit_test(test_groups),
	    cmocka_unit_test(test_root_in_storage_dropped),
	    cmocka_unit_test(test_entity_crud),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
