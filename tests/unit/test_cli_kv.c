/*
 * The `kv` commands against a fake server: finding the mount and its
 * version, the API paths and bodies they send, what they print and their
 * exit codes.
 */
#include "cli_fake.h"

#define UI_SECRET_FOO "GET /v1/sys/internal/ui/mounts/secret/foo"
static const char ui_v2[] = "{\"data\":{\"path\":\"secret/\",\"type\":\"kv\","
                            "\"options\":{\"version\":\"2\"}}}";
/* What sys/mounts says when sys/internal/ui/mounts is not there. */
static const char mounts[] =
    "{\"data\":{\"secret/\":{\"type\":\"kv\",\"options\":{\"version\":"
    "\"2\"}},\"secret/deep/\":{\"type\":\"kv\",\"options\":null},"
    "\"kv1/\":{\"type\":\"kv\",\"options\":{\"version\":\"1\"}},"
    "\"sys/\":{\"type\":\"system\"}}}";
static const char read_v2[] =
    "{\"request_id\":\"r\",\"lease_id\":\"\",\"renewable\":false,"
    "\"lease_duration\":0,\"data\":{\"data\":{\"user\":\"app\","
    "\"password\":\"s3cr3t\"},\"metadata\":{\"created_time\":"
    "\"2018-03-22T02:24:06.945319214Z\",\"custom_metadata\":null,"
    "\"deletion_time\":\"\",\"destroyed\":false,\"version\":2}},"
    "\"warnings\":null,\"auth\":null}";
static const char written_v2[] =
    "{\"data\":{\"created_time\":\"2018-03-22T02:36:43.986212308Z\","
    "\"custom_metadata\":null,\"deletion_time\":\"\",\"destroyed\":false,"
    "\"version\":3}}";
static const char written_table[] =
    "= Secret Path =\n"
    "secret/data/foo\n"
    "\n"
    "======= Metadata =======\n"
    "Key                Value\n"
    "---                -----\n"
    "created_time       2018-03-22T02:36:43.986212308Z\n"
    "custom_metadata    <nil>\n"
    "deletion_time      n/a\n"
    "destroyed          false\n"
    "version            3\n";

static void test_kv_get_v2(void **state)
{
	json_t *j;

	(void)state;
	route(UI_SECRET_FOO, 200, ui_v2);
	route("GET /v1/secret/data/foo", 200, read_v2);
	route("GET /v1/secret/data/foo?version=1", 200, read_v2);
	assert_int_equal(cli("kv", "get", "secret/foo", NULL), 0);
	assert_string_equal(
	    run.out, "= Secret Path =\n"
	             "secret/data/foo\n"
	             "\n"
	             "======= Metadata =======\n"
	             "Key                Value\n"
	             "---                -----\n"
	             "created_time       2018-03-22T02:24:06.945319214Z\n"
	             "custom_metadata    <nil>\n"
	             "deletion_time      n/a\n"
	             "destroyed          false\n"
	             "version            2\n"
	             "\n"
	             "====== Data ======\n"
	             "Key         Value\n"
	             "---         -----\n"
	             "password    s3cr3t\n"
	             "user        app\n");
	assert_int_equal(srv.nreq, 2);
	assert_string_equal(srv.req[0].line, UI_SECRET_FOO " HTTP/1.1");
	assert_string_equal(srv.req[1].line,
	                    "GET /v1/secret/data/foo HTTP/1.1");

	assert_int_equal(cli("kv", "get", "-version=1", "-field=password",
	                     "secret/foo", NULL),
	                 0);
	assert_string_equal(run.out, "s3cr3t\n");
	assert_string_equal(last()->line,
	                    "GET /v1/secret/data/foo?version=1 HTTP/1.1");
	assert_int_equal(cli("kv", "get", "-field=nope", "secret/foo", NULL),
	                 1);
	assert_non_null(strstr(run.err, "\"nope\" not present"));

	assert_int_equal(cli("kv", "get", "-format=json", "/secret/foo/", NULL),
	                 0);
	j = json_loads(run.out, 0, NULL);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(j, "data"), "data"), "user")),
	    "app");
	json_decref(j);
}

static void test_kv_mount_fallback(void **state)
{
	(void)state;
	/* No sys/internal/ui/mounts: the longest match in sys/mounts wins. */
	route("GET /v1/sys/mounts", 200, mounts);
	route("GET /v1/secret/deep/x", 200,
	      "{\"data\":{\"k\":\"v1-value\"},\"lease_duration\":2764800}");
	route("GET /v1/secret/data/x", 200, read_v2);
	assert_int_equal(cli("kv", "get", "secret/deep/x", NULL), 0);
	assert_string_equal(run.out, "== Data ==\n"
	                             "Key    Value\n"
	                             "---    -----\n"
	                             "k      v1-value\n");
	assert_int_equal(srv.nreq, 3);
	assert_string_equal(srv.req[0].line,
	                    "GET /v1/sys/internal/ui/mounts/secret/deep/x "
	                    "HTTP/1.1");
	assert_string_equal(srv.req[1].line, "GET /v1/sys/mounts HTTP/1.1");
	assert_string_equal(srv.req[2].line, "GET /v1/secret/deep/x HTTP/1.1");

	assert_int_equal(cli("kv", "get", "-field=user", "secret/x", NULL), 0);
	assert_string_equal(run.out, "app\n");
	assert_string_equal(last()->line, "GET /v1/secret/data/x HTTP/1.1");

	/* Under no mount: the path goes as typed and the server answers. */
	assert_int_equal(cli("kv", "get", "other/x", NULL), 2);
	assert_string_equal(last()->line, "GET /v1/other/x HTTP/1.1");

	/* sys/mounts refused: said so, nothing else sent. */
	srv.routes[0].status = 403;
	srv.routes[0].body = "{\"errors\":[\"permission denied\"]}";
	forget();
	assert_int_equal(cli("kv", "get", "secret/x", NULL), 1);
	assert_non_null(strstr(run.err,
	                       "Error determining the KV version: Error making "
	                       "API request."));
	assert_non_null(strstr(run.err, "* permission denied"));
	assert_int_equal(srv.nreq, 2);
}

static void test_kv_get_missing_and_deleted(void **state)
{
	(void)state;
	route(UI_SECRET_FOO, 200, ui_v2);
	assert_int_equal(cli("kv", "get", "secret/foo", NULL), 2);
	assert_string_equal(run.err, "No value found at secret/data/foo\n");
	assert_string_equal(run.out, "");

	/* A deleted version: 404 with the metadata, which is shown. */
	route("GET /v1/secret/data/foo", 404,
	      "{\"data\":{\"data\":null,\"metadata\":{\"created_time\":\"t1\","
	      "\"custom_metadata\":null,\"deletion_time\":\"t2\","
	      "\"destroyed\":false,\"version\":1}}}");
	assert_int_equal(cli("kv", "get", "secret/foo", NULL), 0);
	assert_non_null(strstr(run.out, "deletion_time      t2\n"));
	assert_null(strstr(run.out, "Data ="));
	assert_int_equal(cli("kv", "get", "-field=x", "secret/foo", NULL), 2);
	assert_string_equal(run.err, "No data found at secret/data/foo\n");

	srv.routes[1].status = 403;
	srv.routes[1].body = "{\"errors\":[\"permission denied\"]}";
	assert_int_equal(cli("kv", "get", "secret/foo", NULL), 1);
	assert_non_null(strstr(run.err, "Error reading secret/data/foo: "));
}

static void test_kv_put_v2(void **state)
{
	char v[64];

	(void)state;
	route(UI_SECRET_FOO, 200, ui_v2);
	route("PUT /v1/secret/data/foo", 200, written_v2);
	assert_int_equal(
	    cli("kv", "put", "secret/foo", "user=app", "pw=a=b", NULL), 0);
	assert_string_equal(run.out, written_table);
	assert_true(
	    body_is(last(), "{\"data\":{\"user\":\"app\",\"pw\":\"a=b\"}}"));
	assert_string_equal(header(last(), "Content-Type", v, sizeof(v)),
	                    "application/json");

	assert_int_equal(cli("kv", "put", "-cas=0", "-mount=secret", "foo",
	                     "user=app", NULL),
	                 0);
	assert_true(body_is(last(), "{\"data\":{\"user\":\"app\"},"
	                            "\"options\":{\"cas\":0}}"));
	assert_non_null(find(UI_SECRET_FOO));

	assert_int_equal(
	    cli("kv", "put", "-field=version", "secret/foo", "a=b", NULL), 0);
	assert_string_equal(run.out, "3\n");

	/* A lost check-and-set race is the server's error, exit 1. */
	srv.routes[1].status = 400;
	srv.routes[1].body = "{\"errors\":[\"check-and-set parameter did not "
	                     "match the current version\"]}";
	assert_int_equal(cli("kv", "put", "-cas=1", "secret/foo", "a=b", NULL),
	                 1);
	assert_non_null(strstr(run.err, "Error writing data to "
	                                "secret/data/foo: Error making API"));
	assert_non_null(strstr(run.err, "* check-and-set parameter did not "
	                                "match the current version\n"));
	assert_string_equal(run.out, "");
}

static void test_kv_put_v1_and_usage(void **state)
{
	int saved;

	(void)state;
	route("GET /v1/sys/mounts", 200, mounts);
	route("PUT /v1/kv1/app", 204, NULL);
	saved = stdin_push("{\"from\":\"stdin\",\"n\":1}");
	assert_int_equal(cli("kv", "put", "kv1/app", "-", NULL), 0);
	stdin_pop(saved);
	assert_string_equal(run.out, "Success! Data written to: kv1/app\n");
	assert_true(body_is(last(), "{\"from\":\"stdin\",\"n\":1}"));

	forget();
	assert_int_equal(cli("kv", "put", "kv1/app", NULL), 2);
	assert_non_null(strstr(run.err, "Must supply data"));
	assert_int_equal(cli("kv", "put", NULL), 2);
	assert_int_equal(cli("kv", "put", "kv1/app", "novalue", NULL), 2);
	assert_int_equal(cli("kv", "put", "-cas=-5", "kv1/app", "a=b", NULL),
	                 2);
	assert_int_equal(cli("kv", "get", NULL), 2);
	assert_int_equal(cli("kv", "get", "a", "b", NULL), 2);
	assert_int_equal(cli("kv", "get", "-version=x", "a", NULL), 2);
	assert_int_equal(cli("kv", "get", "-version=-1", "a", NULL), 2);
	assert_int_equal(cli("kv", "list", NULL), 2);
	assert_int_equal(cli("kv", "frob", NULL), 2);
	assert_int_equal(cli("kv", "get", "-h", NULL), 0);
	assert_non_null(strstr(run.out, "Usage: coffer kv get"));
	/* Only the put of "novalue" asked about its mount; nothing written. */
	assert_null(find("PUT"));
}

static void test_kv_patch(void **state)
{
	char v[64];

	(void)state;
	route(UI_SECRET_FOO, 200, ui_v2);
	route("PATCH /v1/secret/data/foo", 200, written_v2);
	assert_int_equal(
	    cli("kv", "patch", "-cas=2", "secret/foo", "user=new", NULL), 0);
	assert_string_equal(run.out, written_table);
	assert_string_equal(last()->line, "PATCH /v1/secret/data/foo HTTP/1.1");
	assert_string_equal(header(last(), "Content-Type", v, sizeof(v)),
	                    "application/merge-patch+json");
	assert_true(body_is(last(), "{\"data\":{\"user\":\"new\"},"
	                            "\"options\":{\"cas\":2}}"));

	/* Patching needs version 2: nothing is sent to a v1 mount. */
	route("GET /v1/sys/mounts", 200, mounts);
	forget();
	assert_int_equal(cli("kv", "patch", "kv1/app", "a=b", NULL), 1);
	assert_non_null(strstr(run.err, "version 2"));
	assert_null(find("PATCH"));
}

static void test_kv_list(void **state)
{
	json_t *j;

	(void)state;
	route("GET /v1/sys/mounts", 200, mounts);
	route("LIST /v1/secret/metadata/dir/", 200,
	      "{\"data\":{\"keys\":[\"zeta\",\"alpha/\",\"beta\"]}}");
	route("LIST /v1/secret/metadata/", 200,
	      "{\"data\":{\"keys\":[\"dir/\"]}}");
	route("LIST /v1/kv1/", 200, "{\"data\":{\"keys\":[\"app\"]}}");
	assert_int_equal(cli("kv", "list", "secret/dir", NULL), 0);
	assert_string_equal(run.out, "Keys\n----\nalpha/\nbeta\nzeta\n");
	assert_int_equal(cli("kv", "list", "secret", NULL), 0);
	assert_string_equal(run.out, "Keys\n----\ndir/\n");
	assert_int_equal(cli("kv", "list", "-format=json", "kv1/", NULL), 0);
	j = json_loads(run.out, 0, NULL);
	assert_string_equal(json_string_value(json_array_get(j, 0)), "app");
	json_decref(j);
	assert_int_equal(cli("kv", "list", "secret/none", NULL), 2);
	assert_string_equal(run.err,
	                    "No value found at secret/metadata/none/\n");
}

static void test_kv_delete_versions(void **state)
{
	(void)state;
	route(UI_SECRET_FOO, 200, ui_v2);
	route("DELETE /v1/secret/data/foo", 204, NULL);
	route("PUT /v1/secret/delete/foo", 204, NULL);
	route("PUT /v1/secret/undelete/foo", 204, NULL);
	route("PUT /v1/secret/destroy/foo", 204, NULL);

	assert_int_equal(cli("kv", "delete", "secret/foo", NULL), 0);
	assert_string_equal(run.out, "Success! Data deleted (if it existed) "
	                             "at: secret/data/foo\n");
	assert_string_equal(last()->line,
	                    "DELETE /v1/secret/data/foo HTTP/1.1");

	assert_int_equal(cli("kv", "delete", "-versions=1,2", "-versions", "7",
	                     "secret/foo", NULL),
	                 0);
	assert_true(body_is(last(), "{\"versions\":[1,2,7]}"));
	assert_string_equal(run.out, "Success! Data deleted (if it existed) "
	                             "at: secret/delete/foo\n");

	assert_int_equal(
	    cli("kv", "undelete", "-versions=2", "secret/foo", NULL), 0);
	assert_string_equal(last()->line,
	                    "PUT /v1/secret/undelete/foo HTTP/1.1");
	assert_true(body_is(last(), "{\"versions\":[2]}"));
	assert_string_equal(run.out,
	                    "Success! Data written to: secret/undelete/foo\n");

	assert_int_equal(
	    cli("kv", "destroy", "-versions", "3", "secret/foo", NULL), 0);
	assert_string_equal(last()->line,
	                    "PUT /v1/secret/destroy/foo HTTP/1.1");
	assert_true(body_is(last(), "{\"versions\":[3]}"));

	forget();
	assert_int_equal(cli("kv", "undelete", "secret/foo", NULL), 2);
	assert_non_null(strstr(run.err, "No versions given"));
	assert_int_equal(
	    cli("kv", "destroy", "-versions=x", "secret/foo", NULL), 2);
	assert_int_equal(
	    cli("kv", "destroy", "-versions=1,-2", "secret/foo", NULL), 2);
	assert_int_equal(cli("kv", "delete", NULL), 2);
	assert_int_equal(srv.nreq, 0);
}

static void test_kv_delete_v1(void **state)
{
	(void)state;
	route("GET /v1/sys/mounts", 200, mounts);
	route("DELETE /v1/kv1/app", 204, NULL);
	assert_int_equal(cli("kv", "delete", "kv1/app", NULL), 0);
	assert_string_equal(run.out, "Success! Data deleted (if it existed) "
	                             "at: kv1/app\n");
	assert_int_equal(cli("kv", "undelete", "-versions=1", "kv1/app", NULL),
	                 1);
	assert_int_equal(cli("kv", "delete", "-versions=1", "kv1/app", NULL),
	                 1);
	assert_null(find("PUT"));
}

static void test_kv_metadata_get(void **state)
{
	(void)state;
	route(UI_SECRET_FOO, 200, ui_v2);
	route("GET /v1/secret/metadata/foo", 200,
	      "{\"data\":{\"cas_required\":false,\"created_time\":\"t1\","
	      "\"current_version\":10,\"custom_metadata\":{\"owner\":\"jdoe\"},"
	      "\"delete_version_after\":\"0s\",\"max_versions\":0,"
	      "\"oldest_version\":0,\"updated_time\":\"t10\",\"versions\":{"
	      "\"10\":{\"created_time\":\"t10\",\"deletion_time\":\"\","
	      "\"destroyed\":false},\"9\":{\"created_time\":\"t9\","
	      "\"deletion_time\":\"t9d\",\"destroyed\":true}}}}");
	assert_int_equal(cli("kv", "metadata", "get", "secret/foo", NULL), 0);
	assert_string_equal(run.out,
	                    "== Metadata Path ==\n"
	                    "secret/metadata/foo\n"
	                    "\n"
	                    "========== Metadata ==========\n"
	                    "Key                     Value\n"
	                    "---                     -----\n"
	                    "cas_required            false\n"
	                    "created_time            t1\n"
	                    "current_version         10\n"
	                    "custom_metadata         {\"owner\":\"jdoe\"}\n"
	                    "delete_version_after    0s\n"
	                    "max_versions            0\n"
	                    "oldest_version          0\n"
	                    "updated_time            t10\n"
	                    "\n"
	                    "====== Version 9 ======\n"
	                    "Key              Value\n"
	                    "---              -----\n"
	                    "created_time     t9\n"
	                    "deletion_time    t9d\n"
	                    "destroyed        true\n"
	                    "\n"
	                    "===== Version 10 =====\n"
	                    "Key              Value\n"
	                    "---              -----\n"
	                    "created_time     t10\n"
	                    "deletion_time    n/a\n"
	                    "destroyed        false\n");
	route("GET /v1/sys/mounts", 200, mounts);
	assert_int_equal(
	    cli("kv", "metadata", "get", "-mount=secret", "bar", NULL), 2);
	assert_string_equal(run.err, "No value found at secret/metadata/bar\n");
	assert_int_equal(cli("kv", "metadata", NULL), 2);
	assert_int_equal(cli("kv", "metadata", "frob", "x", NULL), 2);
	assert_int_equal(cli("kv", "metadata", "get", NULL), 2);
}

static void test_kv_metadata_put_delete(void **state)
{
	(void)state;
	route(UI_SECRET_FOO, 200, ui_v2);
	route("PUT /v1/secret/metadata/foo", 204, NULL);
	route("DELETE /v1/secret/metadata/foo", 204, NULL);
	assert_int_equal(cli("kv", "metadata", "put", "-max-versions=5",
	                     "-cas-required=true", "-delete-version-after=3h",
	                     "-custom-metadata=owner=jdoe", "-custom-metadata",
	                     "team=a=b", "secret/foo", NULL),
	                 0);
	assert_string_equal(run.out,
	                    "Success! Data written to: secret/metadata/foo\n");
	assert_true(body_is(last(), "{\"max_versions\":5,\"cas_required\":true,"
	                            "\"delete_version_after\":\"3h\","
	                            "\"custom_metadata\":{\"owner\":\"jdoe\","
	                            "\"team\":\"a=b\"}}"));
	assert_int_equal(cli("kv", "metadata", "put", "secret/foo", NULL), 0);
	assert_true(body_is(last(), "{}"));

	assert_int_equal(cli("kv", "metadata", "delete", "secret/foo", NULL),
	                 0);
	assert_string_equal(run.out, "Success! Data deleted (if it existed) "
	                             "at: secret/metadata/foo\n");
	assert_string_equal(last()->line,
	                    "DELETE /v1/secret/metadata/foo HTTP/1.1");

	forget();
	assert_int_equal(cli("kv", "metadata", "put", "-cas-required=maybe",
	                     "secret/foo", NULL),
	                 2);
	assert_int_equal(cli("kv", "metadata", "put",
	                     "-delete-version-after=soon", "secret/foo", NULL),
	                 2);
	assert_int_equal(cli("kv", "metadata", "put",
	                     "-custom-metadata=novalue", "secret/foo", NULL),
	                 2);
	assert_int_equal(cli("kv", "metadata", "put", "-max-versions=-3",
	                     "secret/foo", NULL),
	                 2);
	assert_int_equal(srv.nreq, 0);

	/* Metadata lives on version 2 mounts only. */
	route("GET /v1/sys/mounts", 200, mounts);
	assert_int_equal(cli("kv", "metadata", "get", "kv1/app", NULL), 1);
	assert_non_null(strstr(run.err, "version 2"));
}

static void test_kv_namespace_header(void **state)
{
	char v[64];
	size_t i;

	(void)state;
	route(UI_SECRET_FOO, 200, ui_v2);
	route("GET /v1/secret/data/foo", 200, read_v2);
	setenv("VAULT_NAMESPACE", "team-a", 1);
	assert_int_equal(cli("kv", "get", "secret/foo", NULL), 0);
	/* Both the mount look-up and the read go to the namespace. */
	assert_int_equal(srv.nreq, 2);
	for (i = 0; i < srv.nreq; i++)
		assert_string_equal(
		    header(&srv.req[i], "X-Vault-Namespace", v, sizeof(v)),
		    "team-a");
	assert_int_equal(
	    cli("kv", "get", "-namespace=team-b/x", "secret/foo", NULL), 0);
	assert_string_equal(header(last(), "X-Vault-Namespace", v, sizeof(v)),
	                    "team-b/x");
	unsetenv("VAULT_NAMESPACE");
	assert_int_equal(cli("kv", "get", "secret/foo", NULL), 0);
	assert_null(header(last(), "X-Vault-Namespace", v, sizeof(v)));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_kv_get_v2),
	    T(test_kv_mount_fallback),
	    T(test_kv_get_missing_and_deleted),
	    T(test_kv_put_v2),
	    T(test_kv_put_v1_and_usage),
	    T(test_kv_patch),
	    T(test_kv_list),
	    T(test_kv_delete_versions),
	    T(test_kv_delete_v1),
	    T(test_kv_metadata_get),
	    T(test_kv_metadata_put_delete),
	    T(test_kv_namespace_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
