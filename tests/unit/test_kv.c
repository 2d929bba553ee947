/*
 * test_kv.c - the KV engine as a client sees it: status, data shapes and
 * error messages of every v1 and v2 operation, over an in-memory store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mount.h"
#include "core/request.h"
#include "kv_memstore.h"

static struct mount *mount_new(json_t *options)
{
	struct mount *m = calloc(1, sizeof(*m));
	struct response resp;

	assert_non_null(m);
	m->view = &memstore_new()->base;
	m->options = options;
	m->backend = &kv_backend;
	response_init(&resp);
	assert_int_equal(kv_backend.setup(m, &resp), ERR_OK);
	response_release(&resp);
	return m;
}

static struct mount *mount_v2(void)
{
	return mount_new(json_pack("{ss}", "version", "2"));
}

static void mount_free(struct mount *m)
{
	kv_backend.teardown(m);
	storage_free(m->view);
	json_decref(m->options);
	free(m);
}

static struct memstore *store_of(struct mount *m)
{
	return (struct memstore *)m->view;
}

static json_t *J(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	assert_non_null(v);
	return v;
}

/* One request; resp must be released by the caller. body is taken. */
static err_t call(struct mount *m, enum op op, const char *rel, json_t *body,
                  struct response *resp)
{
	struct request req;
	err_t rc;

	request_init(&req);
	req.op = op;
	req.path = strdup(rel);
	req.rel = req.path;
	req.data = body != NULL ? body : json_object();
	response_init(resp);
	rc = m->backend->handle(m, &req, resp);
	request_release(&req);
	return rc;
}

static err_t callj(struct mount *m, enum op op, const char *rel,
                   const char *body, struct response *resp)
{
	return call(m, op, rel, body ? J(body) : NULL, resp);
}

/* Asserts the call failed with code and exactly msg (NULL: no message). */
static void expect_error(struct mount *m, enum op op, const char *rel,
                         const char *body, err_t code, const char *msg)
{
	struct response resp;

	assert_int_equal(callj(m, op, rel, body, &resp), code);
	assert_int_equal(resp.err, code);
	assert_non_null(resp.errors);
	if (msg == NULL) {
		assert_int_equal(json_array_size(resp.errors), 0);
	} else {
		assert_int_equal(json_array_size(resp.errors), 1);
		assert_string_equal(
		    json_string_value(json_array_get(resp.errors, 0)), msg);
	}
	response_release(&resp);
}

static void expect_invalid(struct mount *m, enum op op, const char *rel,
                           const char *body)
{
	struct response resp;

	assert_int_equal(callj(m, op, rel, body, &resp), ERR_INVALID);
	assert_int_equal(json_array_size(resp.errors), 1);
	response_release(&resp);
}

/* A successful call with no content: a 204 on the wire. */
static void expect_204(struct mount *m, enum op op, const char *rel,
                       const char *body)
{
	struct response resp;

	assert_int_equal(callj(m, op, rel, body, &resp), ERR_OK);
	assert_int_equal(resp.status, 0);
	assert_null(resp.data);
	response_release(&resp);
}

/* A successful call answering data; returns a new reference to it. */
static json_t *expect_data(struct mount *m, enum op op, const char *rel,
                           const char *body)
{
	struct response resp;
	json_t *data;

	assert_int_equal(callj(m, op, rel, body, &resp), ERR_OK);
	assert_int_equal(resp.err, ERR_OK);
	assert_int_equal(resp.status, 0);
	assert_non_null(resp.data);
	data = json_incref(resp.data);
	response_release(&resp);
	return data;
}

static void expect_json(json_t *got, const char *want)
{
	json_t *w = J(want);

	if (!json_equal(got, w)) {
		char *s = json_dumps(got, JSON_SORT_KEYS);
		fail_msg("got %s, want %s", s, want);
	}
	json_decref(w);
}

/* Writes data at path and returns the new version number. */
static int64_t put(struct mount *m, const char *path, const char *data)
{
	struct buf rel = BUF_INIT, body = BUF_INIT;
	json_t *out;
	int64_t v;

	assert_int_equal(buf_printf(&rel, "data/%s", path), ERR_OK);
	assert_int_equal(
	    buf_printf(&body, "{\"data\": %s, \"options\": {}}", data), ERR_OK);
	out = expect_data(m, OP_UPDATE, buf_str(&rel), buf_str(&body));
	v = json_integer_value(json_object_get(out, "version"));
	json_decref(out);
	buf_release(&rel);
	buf_release(&body);
	return v;
}

static bool is_rfc3339_nanos(const char *s)
{
	int y, mo, d, h, mi, sec;
	char frac[16];

	return s != NULL && strlen(s) == 30 &&
	       sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%9[0-9]Z", &y, &mo, &d, &h,
	              &mi, &sec, frac) == 7 &&
	       strlen(frac) == 9;
}

static const char *str_at(json_t *obj, const char *k1, const char *k2)
{
	json_t *v = json_object_get(obj, k1);

	if (k2 != NULL)
		v = json_object_get(v, k2);
	return json_string_value(v);
}

static json_int_t int_at(json_t *obj, const char *k1, const char *k2)
{
	json_t *v = json_object_get(obj, k1);

	if (k2 != NULL)
		v = json_object_get(v, k2);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/* ---- KV v2 ---- */

static void test_v2_write_read(void **state)
{
	struct mount *m = mount_v2();
	json_t *out;

	(void)state;
	out = expect_data(m, OP_CREATE, "data/app/db",
	                  "{\"data\": {\"user\": \"app\", \"pw\": \"s3\"}, "
	                  "\"options\": {}}");
	assert_int_equal(json_object_size(out), 5);
	assert_int_equal(int_at(out, "version", NULL), 1);
	assert_true(is_rfc3339_nanos(str_at(out, "created_time", NULL)));
	assert_string_equal(str_at(out, "deletion_time", NULL), "");
	assert_true(json_is_false(json_object_get(out, "destroyed")));
	assert_true(json_is_null(json_object_get(out, "custom_metadata")));
	json_decref(out);

	out = expect_data(m, OP_READ, "data/app/db", NULL);
	expect_json(json_object_get(out, "data"),
	            "{\"user\": \"app\", \"pw\": \"s3\"}");
	assert_int_equal(int_at(out, "metadata", "version"), 1);
	assert_string_equal(str_at(out, "metadata", "deletion_time"), "");
	assert_int_equal(json_object_size(json_object_get(out, "metadata")), 5);
	json_decref(out);

	/* Older versions stay readable, the number as int or string. */
	assert_int_equal(put(m, "app/db", "{\"user\": \"v2\"}"), 2);
	out = expect_data(m, OP_READ, "data/app/db", "{\"version\": \"1\"}");
	assert_string_equal(str_at(out, "data", "user"), "app");
	json_decref(out);
	out = expect_data(m, OP_READ, "data/app/db", "{\"version\": 2}");
	assert_string_equal(str_at(out, "data", "user"), "v2");
	json_decref(out);
	out = expect_data(m, OP_READ, "data/app/db", "{\"version\": null}");
	assert_int_equal(int_at(out, "metadata", "version"), 2);
	json_decref(out);

	expect_error(m, OP_READ, "data/app/db", "{\"version\": 7}",
	             ERR_NOT_FOUND, NULL);
	expect_invalid(m, OP_READ, "data/app/db", "{\"version\": \"abc\"}");
	expect_invalid(m, OP_READ, "data/app/db", "{\"version\": -1}");
	expect_error(m, OP_READ, "data/nothing", NULL, ERR_NOT_FOUND, NULL);
	mount_free(m);
}

static void test_v2_cas(void **state)
{
	struct mount *m = mount_v2();
	const char *mismatch =
	    "check-and-set parameter did not match the current version";
	const char *required = "check-and-set parameter required for this call";
	json_t *out;

	(void)state;
	/* cas 0 creates only. */
	out = expect_data(m, OP_UPDATE, "data/c",
	                  "{\"data\": {\"a\": 1}, \"options\": {\"cas\": 0}}");
	json_decref(out);
	expect_error(m, OP_UPDATE, "data/c",
	             "{\"data\": {\"a\": 2}, \"options\": {\"cas\": 0}}",
	             ERR_INVALID, mismatch);
	expect_error(m, OP_UPDATE, "data/c",
	             "{\"data\": {\"a\": 2}, \"options\": {\"cas\": 5}}",
	             ERR_INVALID, mismatch);
	expect_invalid(m, OP_UPDATE, "data/c",
	               "{\"data\": {\"a\": 2}, \"options\": {\"cas\": \"x\"}}");
	out = expect_data(
	    m, OP_UPDATE, "data/c",
	    "{\"data\": {\"a\": 2}, \"options\": {\"cas\": \"1\"}}");
	assert_int_equal(int_at(out, "version", NULL), 2);
	json_decref(out);

	/* Mount-wide cas_required. */
	expect_204(m, OP_UPDATE, "config", "{\"cas_required\": true}");
	expect_error(m, OP_UPDATE, "data/c", "{\"data\": {\"a\": 3}}",
	             ERR_INVALID, required);
	out = expect_data(m, OP_UPDATE, "data/c",
	                  "{\"data\": {\"a\": 3}, \"options\": {\"cas\": 2}}");
	json_decref(out);
	expect_204(m, OP_UPDATE, "config", "{\"cas_required\": false}");

	/* Per-secret cas_required, given as a string. */
	expect_204(m, OP_UPDATE, "metadata/d", "{\"cas_required\": \"true\"}");
	expect_error(m, OP_UPDATE, "data/d", "{\"data\": {\"a\": 1}}",
	             ERR_INVALID, required);
	assert_int_equal(put(m, "c", "{\"a\": 4}"), 4);
	mount_free(m);
}

static void test_v2_bad_inputs(void **state)
{
	struct mount *m = mount_v2();
	struct buf body = BUF_INIT;
	int i;

	(void)state;
	expect_error(m, OP_UPDATE, "data/x", "{}", ERR_INVALID,
	             "no data provided");
	expect_error(m, OP_UPDATE, "data/x", "{\"data\": null}", ERR_INVALID,
	             "no data provided");
	expect_invalid(m, OP_UPDATE, "data/x", "{\"data\": \"secret\"}");
	expect_invalid(m, OP_UPDATE, "data/x", "{\"data\": [1]}");
	expect_invalid(m, OP_UPDATE, "data/x",
	               "{\"data\": {}, \"options\": \"cas\"}");
	expect_invalid(m, OP_UPDATE, "data/a//b", "{\"data\": {}}");
	expect_invalid(m, OP_UPDATE, "data/../b", "{\"data\": {}}");
	expect_invalid(m, OP_UPDATE, "data/a/", "{\"data\": {}}");

	put(m, "x", "{\"k\": 1}");
	expect_error(m, OP_UPDATE, "delete/x", "{}", ERR_INVALID,
	             "no version number provided");
	expect_invalid(m, OP_UPDATE, "delete/x", "{\"versions\": [\"a\"]}");
	expect_invalid(m, OP_UPDATE, "delete/x", "{\"versions\": [1.5]}");
	expect_invalid(m, OP_UPDATE, "destroy/x", "{\"versions\": {}}");
	expect_invalid(m, OP_UPDATE, "undelete/x", "{\"versions\": [-1]}");

	expect_invalid(m, OP_UPDATE, "metadata/x", "{\"max_versions\": -1}");
	expect_invalid(m, OP_UPDATE, "metadata/x",
	               "{\"max_versions\": \"many\"}");
	expect_invalid(m, OP_UPDATE, "metadata/x",
	               "{\"delete_version_after\": \"soon\"}");
	expect_invalid(m, OP_UPDATE, "metadata/x",
	               "{\"custom_metadata\": \"owner=me\"}");
	expect_invalid(m, OP_UPDATE, "config", "{\"max_versions\": -1}");
	expect_invalid(m, OP_UPDATE, "config", "{\"cas_required\": \"maybe\"}");

	/* custom_metadata limits: 64 keys, 128-byte keys, 512-byte values. */
	buf_append_str(&body, "{\"custom_metadata\": {");
	for (i = 0; i < 65; i++)
		buf_printf(&body, "%s\"k%d\": \"v\"", i ? ", " : "", i);
	buf_append_str(&body, "}}");
	expect_invalid(m, OP_UPDATE, "metadata/x", buf_str(&body));
	buf_reset(&body);
	buf_printf(&body, "{\"custom_metadata\": {\"%0129d\": \"v\"}}", 0);
	expect_invalid(m, OP_UPDATE, "metadata/x", buf_str(&body));
	buf_reset(&body);
	buf_printf(&body, "{\"custom_metadata\": {\"%0128d\": \"%0512d\"}}", 0,
	           0);
	expect_204(m, OP_UPDATE, "metadata/x", buf_str(&body));
	buf_reset(&body);
	buf_printf(&body, "{\"custom_metadata\": {\"k\": \"%0513d\"}}", 0);
	expect_invalid(m, OP_UPDATE, "metadata/x", buf_str(&body));
	buf_release(&body);
	mount_free(m);
}

static void test_v2_prune(void **state)
{
	struct mount *m = mount_v2();
	struct memstore *ms = store_of(m);
	json_t *out;
	int i;

	(void)state;
	expect_204(m, OP_UPDATE, "metadata/p", "{\"max_versions\": 3}");
	for (i = 1; i <= 5; i++)
		assert_int_equal(put(m, "p", "{\"n\": 1}"), i);

	out = expect_data(m, OP_READ, "metadata/p", NULL);
	assert_int_equal(int_at(out, "current_version", NULL), 5);
	assert_int_equal(int_at(out, "oldest_version", NULL), 3);
	assert_int_equal(int_at(out, "max_versions", NULL), 3);
	assert_int_equal(json_object_size(json_object_get(out, "versions")), 3);
	assert_non_null(json_object_get(json_object_get(out, "versions"), "3"));
	assert_non_null(json_object_get(json_object_get(out, "versions"), "5"));
	json_decref(out);

	expect_error(m, OP_READ, "data/p", "{\"version\": 2}", ERR_NOT_FOUND,
	             NULL);
	json_decref(expect_data(m, OP_READ, "data/p", "{\"version\": 3}"));
	assert_false(memstore_has(ms, "ver/p/1"));
	assert_false(memstore_has(ms, "ver/p/2"));
	assert_true(memstore_has(ms, "ver/p/3"));

	/* The mount setting applies to secrets without their own. */
	expect_204(m, OP_UPDATE, "config", "{\"max_versions\": 2}");
	for (i = 1; i <= 4; i++)
		put(m, "q", "{\"n\": 1}");
	out = expect_data(m, OP_READ, "metadata/q", NULL);
	expect_json(json_object_get(out, "oldest_version"), "3");
	assert_int_equal(json_object_size(json_object_get(out, "versions")), 2);
	json_decref(out);

	/* A secret's own setting wins over the mount's. */
	expect_204(m, OP_UPDATE, "metadata/r", "{\"max_versions\": 4}");
	for (i = 1; i <= 5; i++)
		put(m, "r", "{\"n\": 1}");
	out = expect_data(m, OP_READ, "metadata/r", NULL);
	assert_int_equal(json_object_size(json_object_get(out, "versions")), 4);
	json_decref(out);
	mount_free(m);
}

/* A read of a deleted or destroyed version: 404, no error, full data. */
static json_t *expect_gone(struct mount *m, const char *rel, const char *body)
{
	struct response resp;
	json_t *md;

	assert_int_equal(callj(m, OP_READ, rel, body, &resp), ERR_OK);
	assert_int_equal(resp.err, ERR_OK);
	assert_int_equal(resp.status, 404);
	assert_null(resp.errors);
	assert_non_null(resp.data);
	assert_int_equal(json_object_size(resp.data), 2);
	md = json_incref(json_object_get(resp.data, "metadata"));
	assert_int_equal(json_object_size(md), 5);
	response_release(&resp);
	return md;
}

static void test_v2_delete_undelete_destroy(void **state)
{
	struct mount *m = mount_v2();
	json_t *md, *out;
	struct response resp;

	(void)state;
	put(m, "x", "{\"v\": 1}");
	put(m, "x", "{\"v\": 2}");

	expect_204(m, OP_DELETE, "data/x", NULL);
	callj(m, OP_READ, "data/x", NULL, &resp);
	assert_true(json_is_null(json_object_get(resp.data, "data")));
	response_release(&resp);
	md = expect_gone(m, "data/x", NULL);
	assert_int_equal(int_at(md, "version", NULL), 2);
	assert_true(is_rfc3339_nanos(str_at(md, "deletion_time", NULL)));
	assert_true(json_is_false(json_object_get(md, "destroyed")));
	json_decref(md);
	json_decref(expect_data(m, OP_READ, "data/x", "{\"version\": 1}"));

	expect_204(m, OP_UPDATE, "undelete/x", "{\"versions\": [2]}");
	out = expect_data(m, OP_READ, "data/x", NULL);
	assert_int_equal(int_at(out, "data", "v"), 2);
	assert_string_equal(str_at(out, "metadata", "deletion_time"), "");
	json_decref(out);

	/* A comma string works too; unknown versions are skipped. */
	expect_204(m, OP_UPDATE, "delete/x", "{\"versions\": \"1, 2\"}");
	json_decref(expect_gone(m, "data/x", "{\"version\": 1}"));
	json_decref(expect_gone(m, "data/x", NULL));
	expect_204(m, OP_UPDATE, "undelete/x",
	           "{\"versions\": [1, \"2\", 99]}");
	json_decref(expect_data(m, OP_READ, "data/x", "{\"version\": 1}"));

	expect_204(m, OP_UPDATE, "destroy/x", "{\"versions\": [1]}");
	md = expect_gone(m, "data/x", "{\"version\": 1}");
	assert_true(json_is_true(json_object_get(md, "destroyed")));
	assert_string_equal(str_at(md, "deletion_time", NULL), "");
	json_decref(md);
	assert_false(memstore_has(store_of(m), "ver/x/1"));
	expect_204(m, OP_UPDATE, "undelete/x", "{\"versions\": [1]}");
	json_decref(expect_gone(m, "data/x", "{\"version\": 1}"));

	out = expect_data(m, OP_READ, "metadata/x", NULL);
	md = json_object_get(json_object_get(out, "versions"), "1");
	assert_int_equal(json_object_size(md), 3);
	assert_true(json_is_true(json_object_get(md, "destroyed")));
	assert_string_equal(str_at(md, "deletion_time", NULL), "");
	assert_true(is_rfc3339_nanos(str_at(md, "created_time", NULL)));
	json_decref(out);

	/* Actions on a secret that does not exist change nothing. */
	expect_204(m, OP_UPDATE, "delete/none", "{\"versions\": [1]}");
	expect_204(m, OP_UPDATE, "destroy/none", "{\"versions\": [1]}");
	expect_204(m, OP_DELETE, "data/none", NULL);
	expect_error(m, OP_READ, "metadata/none", NULL, ERR_NOT_FOUND, NULL);
	mount_free(m);
}

static void test_v2_metadata(void **state)
{
	struct mount *m = mount_v2();
	json_t *out, *v1;

	(void)state;
	expect_204(m, OP_UPDATE, "metadata/s",
	           "{\"custom_metadata\": {\"owner\": \"jdoe\", \"n\": 5}, "
	           "\"delete_version_after\": \"0s\", \"max_versions\": null}");
	put(m, "s", "{\"k\": \"v\"}");

	out = expect_data(m, OP_READ, "metadata/s", NULL);
	assert_int_equal(json_object_size(out), 9);
	assert_true(json_is_false(json_object_get(out, "cas_required")));
	assert_true(is_rfc3339_nanos(str_at(out, "created_time", NULL)));
	assert_true(is_rfc3339_nanos(str_at(out, "updated_time", NULL)));
	assert_int_equal(int_at(out, "current_version", NULL), 1);
	assert_int_equal(int_at(out, "oldest_version", NULL), 0);
	assert_int_equal(int_at(out, "max_versions", NULL), 0);
	assert_string_equal(str_at(out, "delete_version_after", NULL), "0s");
	expect_json(json_object_get(out, "custom_metadata"),
	            "{\"owner\": \"jdoe\", \"n\": \"5\"}");
	v1 = json_object_get(json_object_get(out, "versions"), "1");
	assert_int_equal(json_object_size(v1), 3);
	assert_string_equal(str_at(v1, "deletion_time", NULL), "");
	assert_true(json_is_false(json_object_get(v1, "destroyed")));
	json_decref(out);

	/* Data reads carry the custom metadata too. */
	out = expect_data(m, OP_READ, "data/s", NULL);
	expect_json(json_object_get(json_object_get(out, "metadata"),
	                            "custom_metadata"),
	            "{\"owner\": \"jdoe\", \"n\": \"5\"}");
	json_decref(out);

	/* A patch merges custom_metadata and keeps unnamed settings. */
	expect_204(m, OP_UPDATE, "metadata/s",
	           "{\"cas_required\": true, "
	           "\"delete_version_after\": \"1h30m\"}");
	expect_204(m, OP_PATCH, "metadata/s",
	           "{\"custom_metadata\": {\"owner\": null, \"team\": \"x\"}, "
	           "\"max_versions\": 4}");
	out = expect_data(m, OP_READ, "metadata/s", NULL);
	expect_json(json_object_get(out, "custom_metadata"),
	            "{\"n\": \"5\", \"team\": \"x\"}");
	assert_int_equal(int_at(out, "max_versions", NULL), 4);
	assert_true(json_is_true(json_object_get(out, "cas_required")));
	assert_string_equal(str_at(out, "delete_version_after", NULL),
	                    "1h30m0s");
	json_decref(out);
	expect_error(m, OP_PATCH, "metadata/none", "{\"max_versions\": 1}",
	             ERR_NOT_FOUND, NULL);

	/* Metadata may exist without versions. */
	expect_204(m, OP_UPDATE, "metadata/empty", "{}");
	out = expect_data(m, OP_READ, "metadata/empty", NULL);
	assert_int_equal(int_at(out, "current_version", NULL), 0);
	assert_true(json_is_null(json_object_get(out, "custom_metadata")));
	expect_json(json_object_get(out, "versions"), "{}");
	json_decref(out);
	expect_error(m, OP_READ, "data/empty", NULL, ERR_NOT_FOUND, NULL);
	mount_free(m);
}

static void test_v2_list_and_delete_all(void **state)
{
	struct mount *m = mount_v2();
	struct memstore *ms = store_of(m);
	json_t *out;

	(void)state;
	put(m, "a/b", "{\"k\": 1}");
	put(m, "a/b", "{\"k\": 2}");
	put(m, "a/c/d", "{\"k\": 1}");
	put(m, "e", "{\"k\": 1}");

	out = expect_data(m, OP_LIST, "metadata/", NULL);
	expect_json(out, "{\"keys\": [\"a/\", \"e\"]}");
	json_decref(out);
	out = expect_data(m, OP_LIST, "metadata", NULL);
	expect_json(out, "{\"keys\": [\"a/\", \"e\"]}");
	json_decref(out);
	out = expect_data(m, OP_LIST, "metadata/a", NULL);
	expect_json(out, "{\"keys\": [\"b\", \"c/\"]}");
	json_decref(out);
	out = expect_data(m, OP_LIST, "metadata/a/", NULL);
	expect_json(out, "{\"keys\": [\"b\", \"c/\"]}");
	json_decref(out);
	expect_error(m, OP_LIST, "metadata/zzz", NULL, ERR_NOT_FOUND, NULL);
	expect_invalid(m, OP_LIST, "metadata/a/../", NULL);
	expect_invalid(m, OP_LIST, "metadata//a", NULL);

	expect_204(m, OP_DELETE, "metadata/a/b", NULL);
	expect_error(m, OP_READ, "data/a/b", NULL, ERR_NOT_FOUND, NULL);
	expect_error(m, OP_READ, "metadata/a/b", NULL, ERR_NOT_FOUND, NULL);
	assert_false(memstore_has(ms, "meta/a/b"));
	assert_false(memstore_has(ms, "ver/a/b/1"));
	assert_false(memstore_has(ms, "ver/a/b/2"));
	out = expect_data(m, OP_LIST, "metadata/a", NULL);
	expect_json(out, "{\"keys\": [\"c/\"]}");
	json_decref(out);
	expect_204(m, OP_DELETE, "metadata/a/b", NULL);

	/* Writing again starts from version 1. */
	assert_int_equal(put(m, "a/b", "{\"k\": 3}"), 1);
	mount_free(m);
}

static void test_v2_patch(void **state)
{
	struct mount *m = mount_v2();
	json_t *out;

	(void)state;
	put(m, "p", "{\"a\": 1, \"b\": 2, \"c\": {\"d\": 1}}");
	out = expect_data(m, OP_PATCH, "data/p",
	                  "{\"data\": {\"b\": null, \"c\": {\"e\": 2}, "
	                  "\"f\": [3]}}");
	assert_int_equal(int_at(out, "version", NULL), 2);
	json_decref(out);
	out = expect_data(m, OP_READ, "data/p", NULL);
	expect_json(json_object_get(out, "data"),
	            "{\"a\": 1, \"c\": {\"d\": 1, \"e\": 2}, \"f\": [3]}");
	json_decref(out);

	expect_error(
	    m, OP_PATCH, "data/p",
	    "{\"data\": {\"a\": 5}, \"options\": {\"cas\": 1}}", ERR_INVALID,
	    "check-and-set parameter did not match the current version");
	json_decref(expect_data(m, OP_PATCH, "data/p",
	                        "{\"data\": {\"a\": 5}, "
	                        "\"options\": {\"cas\": 2}}"));
	expect_error(m, OP_PATCH, "data/none", "{\"data\": {\"a\": 1}}",
	             ERR_NOT_FOUND, NULL);
	expect_error(m, OP_PATCH, "data/p", "{}", ERR_INVALID,
	             "no data provided");

	/* No patching a deleted current version. */
	expect_204(m, OP_DELETE, "data/p", NULL);
	expect_error(m, OP_PATCH, "data/p", "{\"data\": {\"a\": 1}}",
	             ERR_NOT_FOUND, NULL);
	mount_free(m);
}

static void test_v2_subkeys(void **state)
{
	struct mount *m = mount_v2();
	struct response resp;
	json_t *out;

	(void)state;
	put(m, "s",
	    "{\"foo\": \"x\", \"bar\": {\"baz\": 1, \"q\": {\"r\": 2}}}");
	out = expect_data(m, OP_READ, "subkeys/s", NULL);
	expect_json(json_object_get(out, "subkeys"),
	            "{\"foo\": null, \"bar\": {\"baz\": null, "
	            "\"q\": {\"r\": null}}}");
	assert_int_equal(int_at(out, "metadata", "version"), 1);
	json_decref(out);

	out = expect_data(m, OP_READ, "subkeys/s", "{\"depth\": 1}");
	expect_json(json_object_get(out, "subkeys"),
	            "{\"foo\": null, \"bar\": null}");
	json_decref(out);
	out = expect_data(m, OP_READ, "subkeys/s",
	                  "{\"depth\": \"2\", \"version\": \"1\"}");
	expect_json(json_object_get(out, "subkeys"),
	            "{\"foo\": null, \"bar\": {\"baz\": null, \"q\": null}}");
	json_decref(out);

	expect_invalid(m, OP_READ, "subkeys/s", "{\"depth\": -1}");
	expect_error(m, OP_READ, "subkeys/none", NULL, ERR_NOT_FOUND, NULL);

	expect_204(m, OP_DELETE, "data/s", NULL);
	assert_int_equal(callj(m, OP_READ, "subkeys/s", NULL, &resp), ERR_OK);
	assert_int_equal(resp.status, 404);
	assert_true(json_is_null(json_object_get(resp.data, "subkeys")));
	assert_int_equal(int_at(resp.data, "metadata", "version"), 1);
	response_release(&resp);
	mount_free(m);
}

static void test_v2_routes_and_config(void **state)
{
	struct mount *m = mount_v2();
	json_t *out;

	(void)state;
	expect_error(m, OP_READ, "foo", NULL, ERR_NOT_FOUND,
	             "unsupported path");
	expect_error(m, OP_READ, "", NULL, ERR_NOT_FOUND, "unsupported path");
	expect_error(m, OP_READ, "config/x", NULL, ERR_NOT_FOUND,
	             "unsupported path");
	expect_error(m, OP_READ, "data", NULL, ERR_NOT_FOUND,
	             "no secret path given");
	expect_error(m, OP_READ, "data/", NULL, ERR_NOT_FOUND,
	             "no secret path given");
	expect_error(m, OP_LIST, "data/", NULL, ERR_UNSUPPORTED,
	             "unsupported operation");
	expect_error(m, OP_UPDATE, "subkeys/x", "{}", ERR_UNSUPPORTED,
	             "unsupported operation");
	expect_error(m, OP_DELETE, "config", NULL, ERR_UNSUPPORTED,
	             "unsupported operation");

	out = expect_data(m, OP_READ, "config", NULL);
	expect_json(out, "{\"cas_required\": false, "
	                 "\"delete_version_after\": \"0s\", "
	                 "\"max_versions\": 0}");
	json_decref(out);
	expect_204(m, OP_UPDATE, "config",
	           "{\"max_versions\": \"5\", \"delete_version_after\": 3600}");
	out = expect_data(m, OP_READ, "config", NULL);
	expect_json(out, "{\"cas_required\": false, "
	                 "\"delete_version_after\": \"1h0m0s\", "
	                 "\"max_versions\": 5}");
	json_decref(out);
	mount_free(m);
}

static bool exists(struct mount *m, const char *rel)
{
	struct request req;
	bool found = true;

	request_init(&req);
	req.rel = rel;
	assert_int_equal(kv_backend.exists(m, &req, &found), ERR_OK);
	return found;
}

static void test_v2_exists(void **state)
{
	struct mount *m = mount_v2();

	(void)state;
	assert_false(exists(m, "data/e"));
	assert_false(exists(m, "metadata/e"));
	assert_true(exists(m, "config"));
	put(m, "e", "{\"k\": 1}");
	assert_true(exists(m, "data/e"));
	assert_true(exists(m, "metadata/e"));
	expect_204(m, OP_UPDATE, "metadata/only", "{}");
	assert_false(exists(m, "data/only"));
	assert_true(exists(m, "metadata/only"));
	mount_free(m);
}

static void test_v2_delete_version_after(void **state)
{
	struct mount *m = mount_v2();
	struct timespec ts = {1, 200000000};
	json_t *out, *md;

	(void)state;
	expect_204(m, OP_UPDATE, "metadata/t",
	           "{\"delete_version_after\": \"1s\"}");
	out = expect_data(m, OP_UPDATE, "data/t", "{\"data\": {\"k\": 1}}");
	/* The deletion time is set ahead, at write time. */
	assert_true(is_rfc3339_nanos(str_at(out, "deletion_time", NULL)));
	assert_true(strcmp(str_at(out, "deletion_time", NULL),
	                   str_at(out, "created_time", NULL)) > 0);
	json_decref(out);
	json_decref(expect_data(m, OP_READ, "data/t", NULL));

	nanosleep(&ts, NULL);
	md = expect_gone(m, "data/t", NULL);
	assert_int_equal(int_at(md, "version", NULL), 1);
	json_decref(md);

	/* The mount's setting applies to a secret without one. */
	expect_204(m, OP_UPDATE, "config",
	           "{\"delete_version_after\": \"1h\"}");
	out = expect_data(m, OP_UPDATE, "data/u", "{\"data\": {\"k\": 1}}");
	assert_string_not_equal(str_at(out, "deletion_time", NULL), "");
	json_decref(out);
	json_decref(expect_data(m, OP_READ, "data/u", NULL));
	mount_free(m);
}

static void test_v2_commit_failure_writes_nothing(void **state)
{
	struct mount *m = mount_v2();
	struct memstore *ms = store_of(m);
	struct response resp;
	json_t *out;

	(void)state;
	put(m, "f", "{\"k\": 1}");
	ms->fail_commit = true;
	assert_int_equal(
	    callj(m, OP_UPDATE, "data/f", "{\"data\": {\"k\": 2}}", &resp),
	    ERR_STORAGE);
	assert_int_equal(json_array_size(resp.errors), 1);
	response_release(&resp);
	ms->fail_commit = false;

	assert_false(memstore_has(ms, "ver/f/2"));
	out = expect_data(m, OP_READ, "data/f", NULL);
	assert_int_equal(int_at(out, "data", "k"), 1);
	assert_int_equal(int_at(out, "metadata", "version"), 1);
	json_decref(out);
	assert_int_equal(put(m, "f", "{\"k\": 3}"), 2);
	mount_free(m);
}

#define RACERS 50

struct racer {
	struct mount *m;
	err_t rc;
	char msg[128];
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct response resp;

	r->rc =
	    call(r->m, OP_UPDATE, "data/race",
	         json_pack("{s{si}s{si}}", "data", "n", 1, "options", "cas", 1),
	         &resp);
	if (resp.errors != NULL && json_array_size(resp.errors) == 1)
		snprintf(r->msg, sizeof(r->msg), "%s",
		         json_string_value(json_array_get(resp.errors, 0)));
	response_release(&resp);
	return NULL;
}

static void test_v2_cas_race(void **state)
{
	struct mount *m = mount_v2();
	struct racer r[RACERS];
	pthread_t t[RACERS];
	int i, wins = 0;
	json_t *out;

	(void)state;
	put(m, "race", "{\"n\": 0}");
	for (i = 0; i < RACERS; i++) {
		r[i].m = m;
		r[i].msg[0] = 0;
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < RACERS; i++) {
		if (r[i].rc == ERR_OK) {
			wins++;
			continue;
		}
		assert_int_equal(r[i].rc, ERR_INVALID);
		assert_string_equal(
		    r[i].msg,
		    "check-and-set parameter did not match the current version");
	}
	assert_int_equal(wins, 1);
	out = expect_data(m, OP_READ, "metadata/race", NULL);
	assert_int_equal(int_at(out, "current_version", NULL), 2);
	json_decref(out);
	mount_free(m);
}

/* ---- KV v1 ---- */

static void test_v1_read_write_list_delete(void **state)
{
	struct mount *m = mount_new(NULL);
	struct response resp;
	json_t *out;

	(void)state;
	expect_204(m, OP_UPDATE, "app/x", "{\"value\": \"world\", \"n\": [1]}");
	assert_int_equal(callj(m, OP_READ, "app/x", NULL, &resp), ERR_OK);
	expect_json(resp.data, "{\"value\": \"world\", \"n\": [1]}");
	assert_int_equal(resp.lease_duration, 2764800);
	assert_false(resp.renewable);
	assert_null(resp.lease_id);
	response_release(&resp);

	expect_204(m, OP_CREATE, "app/y", "{\"k\": \"v\"}");
	expect_204(m, OP_UPDATE, "top", "{\"k\": \"v\"}");
	out = expect_data(m, OP_LIST, "", NULL);
	expect_json(out, "{\"keys\": [\"app/\", \"top\"]}");
	json_decref(out);
	out = expect_data(m, OP_LIST, "app", NULL);
	expect_json(out, "{\"keys\": [\"x\", \"y\"]}");
	json_decref(out);
	out = expect_data(m, OP_LIST, "app/", NULL);
	expect_json(out, "{\"keys\": [\"x\", \"y\"]}");
	json_decref(out);
	expect_error(m, OP_LIST, "nothing/", NULL, ERR_NOT_FOUND, NULL);
	expect_error(m, OP_LIST, "app/x", NULL, ERR_NOT_FOUND, NULL);
	expect_invalid(m, OP_LIST, "../", NULL);

	expect_204(m, OP_DELETE, "app/x", NULL);
	expect_error(m, OP_READ, "app/x", NULL, ERR_NOT_FOUND, NULL);
	expect_204(m, OP_DELETE, "app/x", NULL);
	expect_error(m, OP_UPDATE, "app/z", "{}", ERR_INVALID,
	             "missing data fields");
	expect_invalid(m, OP_UPDATE, "a//b", "{\"k\": 1}");
	expect_error(m, OP_PATCH, "app/y", "{\"k\": 1}", ERR_UNSUPPORTED,
	             "unsupported operation");

	assert_true(exists(m, "app/y"));
	assert_false(exists(m, "app/x"));
	mount_free(m);
}

static int64_t v1_lease(struct mount *m, const char *body)
{
	struct response resp;
	int64_t lease;

	expect_204(m, OP_UPDATE, "l", body);
	assert_int_equal(callj(m, OP_READ, "l", NULL, &resp), ERR_OK);
	lease = resp.lease_duration;
	response_release(&resp);
	return lease;
}

static void test_v1_lease_duration(void **state)
{
	struct mount *m = mount_new(json_pack("{ss}", "version", "1"));

	(void)state;
	assert_int_equal(v1_lease(m, "{\"ttl\": \"1h\"}"), 3600);
	assert_int_equal(v1_lease(m, "{\"lease\": \"1s\"}"), 1);
	assert_int_equal(v1_lease(m, "{\"ttl\": 90}"), 90);
	assert_int_equal(v1_lease(m, "{\"ttl\": \"soon\"}"), 2764800);
	m->default_lease_ttl = 60;
	assert_int_equal(v1_lease(m, "{\"k\": \"v\"}"), 60);
	m->max_lease_ttl = 120;
	assert_int_equal(v1_lease(m, "{\"ttl\": \"1h\"}"), 120);
	mount_free(m);
}

static void test_setup_options(void **state)
{
	struct mount m;
	struct response resp;
	struct mount *v2;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.options = json_pack("{ss}", "version", "3");
	response_init(&resp);
	assert_int_equal(kv_backend.setup(&m, &resp), ERR_INVALID);
	assert_int_equal(json_array_size(resp.errors), 1);
	assert_null(m.state);
	response_release(&resp);
	json_decref(m.options);

	/* An integer version works like its string. */
	v2 = mount_new(json_pack("{si}", "version", 2));
	json_decref(expect_data(v2, OP_READ, "config", NULL));
	mount_free(v2);

	/* An empty version is version 1: paths are plain keys. */
	v2 = mount_new(json_pack("{ss}", "version", ""));
	expect_204(v2, OP_UPDATE, "config", "{\"k\": 1}");
	mount_free(v2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_v2_write_read),
	    cmocka_unit_test(test_v2_cas),
	    cmocka_unit_test(test_v2_bad_inputs),
	    cmocka_unit_test(test_v2_prune),
	    cmocka_unit_test(test_v2_delete_undelete_destroy),
	    cmocka_unit_test(test_v2_metadata),
	    cmocka_unit_test(test_v2_list_and_delete_all),
	    cmocka_unit_test(test_v2_patch),
	    cmocka_unit_test(test_v2_subkeys),
	    cmocka_unit_test(test_v2_routes_and_config),
	    cmocka_unit_test(test_v2_exists),
	    cmocka_unit_test(test_v2_delete_version_after),
	    cmocka_unit_test(test_v2_commit_failure_writes_nothing),
	    cmocka_unit_test(test_v2_cas_race),
	    cmocka_unit_test(test_v1_read_write_list_delete),
	    cmocka_unit_test(test_v1_lease_duration),
	    cmocka_unit_test(test_setup_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
