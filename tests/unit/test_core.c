/*
 * test_core.c - the core pipeline without HTTP: init, unseal, routing,
 * tokens, mounts, seal, and that a restart over the same storage keeps
 * everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/encoding.h"
#include "base/secret.h"
#include "core/core.h"
#include "storage/storage.h"

struct call {
	struct request req;
	struct response resp;
};

static struct core *new_core(struct storage **phys)
{
	struct core_options opts = {3600, 7200, NULL};
	struct core *c = NULL;
	char err[128];

	assert_int_equal(storage_open("inmem", NULL, phys, err, sizeof(err)),
	                 ERR_OK);
	assert_int_equal(core_new(*phys, &opts, &c), ERR_OK);
	return c;
}

/* Runs one request; the caller releases call with call_done. */
static void call(struct core *c, struct call *k, enum op op, const char *path,
                 const char *token, const char *body)
{
	request_init(&k->req);
	response_init(&k->resp);
	k->req.op = op;
	k->req.path = strdup(path);
	k->req.token = token ? strdup(token) : NULL;
	k->req.data = body ? json_loads(body, 0, NULL) : json_object();
	assert_non_null(k->req.data);
	uuid_new(k->req.id);
	core_handle(c, &k->req, &k->resp);
}

static void call_done(struct call *k)
{
	request_release(&k->req);
	response_release(&k->resp);
}

static const char *data_str(struct call *k, const char *key)
{
	return json_string_value(json_object_get(k->resp.data, key));
}

/* Initialises with 3 shares, threshold 2; returns root token and keys. */
static void init(struct core *c, char **root, char keys[3][80])
{
	struct call k;
	size_t i;

	call(c, &k, OP_UPDATE, "sys/init", NULL,
	     "{\"secret_shares\": 3, \"secret_threshold\": 2}");
	assert_int_equal(k.resp.err, ERR_OK);
	assert_true(k.resp.bare);
	*root = strdup(data_str(&k, "root_token"));
	for (i = 0; i < 3; i++)
		snprintf(keys[i], 80, "%s",
		         json_string_value(json_array_get(
		             json_object_get(k.resp.data, "keys"), i)));
	call_done(&k);
}

static void unseal(struct core *c, const char *key, bool expect_sealed)
{
	struct call k;
	char body[128];

	snprintf(body, sizeof(body), "{\"key\": \"%s\"}", key);
	call(c, &k, OP_UPDATE, "sys/unseal", NULL, body);
	assert_int_equal(k.resp.err, ERR_OK);
	assert_int_equal(json_is_true(json_object_get(k.resp.data, "sealed")),
	                 expect_sealed);
	call_done(&k);
}

static void test_sealed_until_threshold(void **state)
{
	struct storage *phys;
	struct core *c = new_core(&phys);
	char *root, keys[3][80];
	struct call k;

	(void)state;
	call(c, &k, OP_READ, "sys/mounts", "whatever", NULL);
	assert_int_equal(k.resp.err, ERR_SEALED);
	call_done(&k);

	init(c, &root, keys);
	call(c, &k, OP_READ, "sys/mounts", root, NULL);
	assert_int_equal(k.resp.err, ERR_SEALED);
	call_done(&k);

	unseal(c, keys[2], true);
	unseal(c, keys[0], false);
	call(c, &k, OP_READ, "sys/mounts", root, NULL);
	assert_int_equal(k.resp.err, ERR_OK);
	assert_non_null(json_object_get(k.resp.data, "sys/"));
	assert_true(k.resp.copy_data_to_top);
	call_done(&k);

	secret_free(root);
	core_free(c);
}

static void test_tokens_and_routes(void **state)
{
	struct storage *phys;
	struct core *c = new_core(&phys);
	char *root, keys[3][80];
	struct call k;

	(void)state;
	init(c, &root, keys);
	unseal(c, keys[0], true);
	unseal(c, keys[1], false);

	/* No token, a wrong token: 403 and nothing else happens. */
	call(c, &k, OP_UPDATE, "sys/mounts/kv", NULL, "{\"type\": \"kv\"}");
	assert_int_equal(k.resp.err, ERR_PERMISSION);
	call_done(&k);
	call(c, &k, OP_UPDATE, "sys/mounts/kv", "hvs.nottoken",
	     "{\"type\": \"kv\"}");
	assert_int_equal(k.resp.err, ERR_PERMISSION);
	assert_int_equal(json_array_size(k.resp.errors), 2);
	call_done(&k);
	call(c, &k, OP_READ, "kv/x", root, NULL);
	assert_int_equal(k.resp.err, ERR_NOT_FOUND);
	call_done(&k);

	/* With the root token the mount works end to end. */
	call(c, &k, OP_UPDATE, "sys/mounts/kv", root, "{\"type\": \"kv\"}");
	assert_int_equal(k.resp.err, ERR_OK);
	call_done(&k);
	call(c, &k, OP_UPDATE, "kv/x", root, "{\"v\": \"1\"}");
	assert_int_equal(k.resp.err, ERR_OK);
	call_done(&k);
	call(c, &k, OP_READ, "kv/x", root, NULL);
	assert_int_equal(k.resp.err, ERR_OK);
	assert_string_equal(data_str(&k, "v"), "1");
	assert_string_equal(k.resp.mount_type, "kv");
	call_done(&k);

	call(c, &k, OP_READ, "auth/token/lookup-self", root, NULL);
	assert_int_equal(k.resp.err, ERR_OK);
	assert_string_equal(data_str(&k, "id"), root);
	call_done(&k);

	/* Seal: the key and the mounts are gone until the next unseal. */
	call(c, &k, OP_UPDATE, "sys/seal", root, NULL);
	assert_int_equal(k.resp.err, ERR_OK);
	call_done(&k);
	call(c, &k, OP_READ, "kv/x", root, NULL);
	assert_int_equal(k.resp.err, ERR_SEALED);
	call_done(&k);
	unseal(c, keys[1], true);
	unseal(c, keys[2], false);
	call(c, &k, OP_READ, "kv/x", root, NULL);
	assert_string_equal(data_str(&k, "v"), "1");
	call_done(&k);

	secret_free(root);
	core_free(c);
}

static void test_dev_init(void **state)
{
	struct storage *phys;
	struct core *c = new_core(&phys);
	char *key = NULL, *root = NULL;
	struct call k;

	(void)state;
	assert_int_equal(core_dev_init(c, "my-root", &key, &root), ERR_OK);
	assert_string_equal(root, "my-root");
	call(c, &k, OP_UPDATE, "secret/data/app", "my-root",
	     "{\"data\": {\"a\": \"b\"}}");
	assert_int_equal(k.resp.err, ERR_OK);
	call_done(&k);
	call(c, &k, OP_READ, "secret/data/app", "my-root", NULL);
	assert_int_equal(k.resp.err, ERR_OK);
	call_done(&k);
	secret_free(key);
	secret_free(root);
	core_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sealed_until_threshold),
	    cmocka_unit_test(test_tokens_and_routes),
	    cmocka_unit_test(test_dev_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
