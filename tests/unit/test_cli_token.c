/*
 * The token, policy, lease and namespace commands against a fake server
 * (the real endpoints are still being built): the request each sends, what
 * it prints and its exit codes.
 */
#include "cli_fake.h"

static const char created[] =
    "{\"request_id\":\"r\",\"lease_id\":\"\",\"renewable\":false,"
    "\"lease_duration\":0,\"data\":null,\"warnings\":null,\"auth\":{"
    "\"client_token\":\"s.new-token\",\"accessor\":\"acc-1\","
    "\"policies\":[\"default\",\"web\"],\"token_policies\":[\"default\","
    "\"web\"],\"metadata\":{\"team\":\"x\"},\"lease_duration\":3600,"
    "\"renewable\":true,\"entity_id\":\"\",\"token_type\":\"service\","
    "\"orphan\":false}}";
static const char created_table[] =
    "Key                  Value\n"
    "---                  -----\n"
    "token                s.new-token\n"
    "token_accessor       acc-1\n"
    "token_duration       1h0m0s\n"
    "token_renewable      true\n"
    "token_policies       [\"default\" \"web\"]\n"
    "identity_policies    []\n"
    "policies             [\"default\" \"web\"]\n"
    "token_meta_team      x\n";

static void test_token_create(void **state)
{
	(void)state;
	route("POST /v1/auth/token/create", 200, created);
	route("POST /v1/auth/token/create-orphan", 200, created);
	route("POST /v1/auth/token/create/ci", 200, created);
	assert_int_equal(cli("token", "create", "-policy=web", "-policy", "a,b",
	                     "-ttl=1h", "-explicit-max-ttl=2h", "-period=30m",
	                     "-num-uses=3", "-display-name=ci",
	                     "-metadata=team=x", "-metadata=k=a=b",
	                     "-no-default-policy", "-renewable=false",
	                     "-id=custom", "-type=service", NULL),
	                 0);
	assert_string_equal(run.out, created_table);
	assert_string_equal(last()->line,
	                    "POST /v1/auth/token/create HTTP/1.1");
	assert_true(body_is(
	    last(),
	    "{\"policies\":[\"web\",\"a\",\"b\"],\"ttl\":\"1h\","
	    "\"explicit_max_ttl\":\"2h\",\"period\":\"30m\","
	    "\"num_uses\":3,\"display_name\":\"ci\",\"meta\":{\"team\":"
	    "\"x\",\"k\":\"a=b\"},\"no_default_policy\":true,"
	    "\"renewable\":false,\"id\":\"custom\",\"type\":\"service\"}"));

	assert_int_equal(
	    cli("token", "create", "-orphan", "-field=token", NULL), 0);
	assert_string_equal(run.out, "s.new-token\n");
	assert_string_equal(last()->line,
	                    "POST /v1/auth/token/create-orphan HTTP/1.1");
	assert_true(body_is(last(), "{\"no_parent\":true}"));

	assert_int_equal(cli("token", "create", "-role=ci", NULL), 0);
	assert_string_equal(last()->line,
	                    "POST /v1/auth/token/create/ci HTTP/1.1");
	assert_true(body_is(last(), "{}"));
}

static void test_token_create_errors(void **state)
{
	json_t *j;

	(void)state;
	route("POST /v1/auth/token/create", 400,
	      "{\"errors\":[\"token policies ([root]) must be subset of the "
	      "parent token's policies ([default])\"]}");
	assert_int_equal(cli("token", "create", "-policy=root", NULL), 1);
	assert_non_null(strstr(run.err, "Error creating token: Error making "
	                                "API request."));
	assert_non_null(strstr(run.err, "must be subset"));

	forget();
	assert_int_equal(cli("token", "create", "-ttl=soon", NULL), 2);
	assert_non_null(strstr(run.err, "-ttl"));
	assert_int_equal(cli("token", "create", "-renewable=maybe", NULL), 2);
	assert_int_equal(cli("token", "create", "-metadata=novalue", NULL), 2);
	assert_int_equal(cli("token", "create", "-num-uses=-1", NULL), 2);
	assert_int_equal(cli("token", "create", "extra", NULL), 2);
	assert_int_equal(cli("token", "create", "-format=yaml", NULL), 2);
	assert_int_equal(cli("token", NULL), 2);
	assert_int_equal(srv.nreq, 0);

	/* A root token: its duration is endless; JSON keeps the envelope. */
	srv.routes[0].status = 200;
	srv.routes[0].body =
	    "{\"auth\":{\"client_token\":\"s.r\",\"accessor\":\"a\","
	    "\"policies\":[\"root\"],\"token_policies\":[\"root\"],"
	    "\"lease_duration\":0,\"renewable\":false}}";
	assert_int_equal(cli("token", "create", NULL), 0);
	assert_non_null(strstr(run.out, "token_duration       \xe2\x88\x9e\n"));
	assert_int_equal(cli("token", "create", "-format=json", NULL), 0);
	j = json_loads(run.out, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(j, "auth"), "client_token")),
	                    "s.r");
	json_decref(j);
}

static const char lookup_answer[] =
    "{\"data\":{\"accessor\":\"acc-1\",\"creation_ttl\":2764800,"
    "\"display_name\":\"token\",\"expire_time\":null,\"id\":\"s.abc\","
    "\"policies\":[\"default\"],\"ttl\":2764795,\"num_uses\":0}}";

static void test_token_lookup(void **state)
{
	(void)state;
	route("GET /v1/auth/token/lookup-self", 200, lookup_answer);
	route("POST /v1/auth/token/lookup", 200, lookup_answer);
	route("POST /v1/auth/token/lookup-accessor", 403,
	      "{\"errors\":[\"permission denied\"]}");
	assert_int_equal(cli("token", "lookup", NULL), 0);
	assert_string_equal(run.out, "Key             Value\n"
	                             "---             -----\n"
	                             "accessor        acc-1\n"
	                             "creation_ttl    768h0m0s\n"
	                             "display_name    token\n"
	                             "expire_time     <nil>\n"
	                             "id              s.abc\n"
	                             "num_uses        0\n"
	                             "policies        [\"default\"]\n"
	                             "ttl             767h59m55s\n");
	assert_string_equal(last()->body, "");

	assert_int_equal(cli("token", "lookup", "s.other", NULL), 0);
	assert_string_equal(last()->line,
	                    "POST /v1/auth/token/lookup HTTP/1.1");
	assert_true(body_is(last(), "{\"token\":\"s.other\"}"));

	assert_int_equal(cli("token", "lookup", "-accessor", "acc-2", NULL), 1);
	assert_true(body_is(last(), "{\"accessor\":\"acc-2\"}"));
	assert_non_null(strstr(run.err, "Error looking up token: "));

	forget();
	assert_int_equal(cli("token", "lookup", "-accessor", NULL), 2);
	assert_int_equal(cli("token", "lookup", "a", "b", NULL), 2);
	assert_int_equal(srv.nreq, 0);
}

static void test_token_renew(void **state)
{
	(void)state;
	route("PUT /v1/auth/token/renew-self", 200, created);
	route("PUT /v1/auth/token/renew", 200, created);
	route("PUT /v1/auth/token/renew-accessor", 200, created);
	assert_int_equal(cli("token", "renew", NULL), 0);
	assert_string_equal(run.out, created_table);
	assert_true(body_is(last(), "{}"));
	assert_int_equal(cli("token", "renew", "-increment=1h", "s.x", NULL),
	                 0);
	assert_string_equal(last()->line, "PUT /v1/auth/token/renew HTTP/1.1");
	assert_true(body_is(last(), "{\"token\":\"s.x\",\"increment\":3600}"));
	assert_int_equal(
	    cli("token", "renew", "-accessor", "-i", "90s", "acc", NULL), 0);
	assert_string_equal(last()->line,
	                    "PUT /v1/auth/token/renew-accessor HTTP/1.1");
	assert_true(body_is(last(), "{\"accessor\":\"acc\",\"increment\":90}"));

	forget();
	assert_int_equal(cli("token", "renew", "-increment=later", NULL), 2);
	assert_int_equal(cli("token", "renew", "a", "b", NULL), 2);
	assert_int_equal(srv.nreq, 0);
}

static void test_token_revoke(void **state)
{
	char v[32];

	(void)state;
	route("PUT /v1/auth/token/revoke", 204, NULL);
	route("PUT /v1/auth/token/revoke-self", 204, NULL);
	route("PUT /v1/auth/token/revoke-accessor", 204, NULL);
	route("PUT /v1/auth/token/revoke-orphan", 204, NULL);
	route("PUT /v1/sys/leases/revoke-prefix/auth/github/", 204, NULL);

	assert_int_equal(cli("token", "revoke", "s.x", NULL), 0);
	assert_string_equal(run.out,
	                    "Success! Revoked token (if it existed)\n");
	assert_string_equal(last()->line, "PUT /v1/auth/token/revoke HTTP/1.1");
	assert_true(body_is(last(), "{\"token\":\"s.x\"}"));

	assert_int_equal(cli("token", "revoke", "-self", NULL), 0);
	assert_string_equal(last()->line,
	                    "PUT /v1/auth/token/revoke-self HTTP/1.1");
	assert_string_equal(header(last(), "Content-Length", v, sizeof(v)),
	                    "0");

	assert_int_equal(cli("token", "revoke", "-accessor", "acc", NULL), 0);
	assert_true(body_is(last(), "{\"accessor\":\"acc\"}"));
	assert_int_equal(cli("token", "revoke", "-mode=orphan", "s.y", NULL),
	                 0);
	assert_string_equal(last()->line,
	                    "PUT /v1/auth/token/revoke-orphan HTTP/1.1");
	assert_true(body_is(last(), "{\"token\":\"s.y\"}"));
	assert_int_equal(
	    cli("token", "revoke", "-mode=path", "auth/github/", NULL), 0);
	assert_string_equal(last()->line,
	                    "PUT /v1/sys/leases/revoke-prefix/auth/github/ "
	                    "HTTP/1.1");

	forget();
	assert_int_equal(cli("token", "revoke", NULL), 2);
	assert_int_equal(cli("token", "revoke", "-self", "s.x", NULL), 2);
	assert_int_equal(cli("token", "revoke", "-mode=all", "s.x", NULL), 2);
	assert_int_equal(
	    cli("token", "revoke", "-accessor", "-mode=orphan", "a", NULL), 2);
	assert_int_equal(cli("token", "revoke", "-self", "-accessor", NULL), 2);
	assert_int_equal(srv.nreq, 0);
}

static void test_token_capabilities(void **state)
{
	json_t *j;

	(void)state;
	route("POST /v1/sys/capabilities-self", 200,
	      "{\"capabilities\":[\"update\",\"read\"],\"secret/foo\":"
	      "[\"update\",\"read\"],\"data\":{\"capabilities\":[\"update\","
	      "\"read\"],\"secret/foo\":[\"update\",\"read\"]}}");
	route("POST /v1/sys/capabilities", 200,
	      "{\"data\":{\"secret/foo\":[\"deny\"]}}");
	route("POST /v1/sys/capabilities-accessor", 200,
	      "{\"data\":{\"capabilities\":[\"root\"]}}");
	assert_int_equal(cli("token", "capabilities", "secret/foo", NULL), 0);
	assert_string_equal(run.out, "read, update\n");
	assert_true(body_is(last(), "{\"paths\":[\"secret/foo\"]}"));

	assert_int_equal(
	    cli("token", "capabilities", "s.x", "secret/foo", NULL), 0);
	assert_string_equal(run.out, "deny\n");
	assert_true(body_is(last(), "{\"token\":\"s.x\",\"paths\":"
	                            "[\"secret/foo\"]}"));
	assert_int_equal(cli("token", "capabilities", "-accessor", "acc",
	                     "-format=json", "secret/foo", NULL),
	                 2);
	assert_int_equal(cli("token", "capabilities", "-format=json",
	                     "-accessor", "acc", "secret/foo", NULL),
	                 0);
	j = json_loads(run.out, 0, NULL);
	assert_string_equal(json_string_value(json_array_get(j, 0)), "root");
	json_decref(j);
	assert_true(body_is(last(), "{\"accessor\":\"acc\",\"paths\":"
	                            "[\"secret/foo\"]}"));

	assert_int_equal(cli("token", "capabilities", NULL), 2);
	assert_int_equal(cli("token", "capabilities", "a", "b", "c", NULL), 2);
	assert_int_equal(
	    cli("token", "capabilities", "-accessor", "secret/foo", NULL), 2);
}

static void test_policy_list_read(void **state)
{
	json_t *j;

	(void)state;
	route("LIST /v1/sys/policies/acl", 200,
	      "{\"data\":{\"keys\":[\"default\",\"web\"]}}");
	route(
	    "GET /v1/sys/policies/acl/web", 200,
	    "{\"data\":{\"name\":\"web\",\"policy\":\"\\npath \\\"secret/*\\\" "
	    "{\\n  capabilities = [\\\"read\\\"]\\n}\\n\\n\"}}");
	assert_int_equal(cli("policy", "list", NULL), 0);
	assert_string_equal(run.out, "default\nweb\n");
	assert_int_equal(cli("policy", "list", "-format=json", NULL), 0);
	j = json_loads(run.out, 0, NULL);
	assert_int_equal(json_array_size(j), 2);
	json_decref(j);

	assert_int_equal(cli("policy", "read", "Web", NULL), 0);
	assert_string_equal(run.out, "path \"secret/*\" {\n"
	                             "  capabilities = [\"read\"]\n"
	                             "}\n");
	assert_string_equal(last()->line,
	                    "GET /v1/sys/policies/acl/web HTTP/1.1");
	assert_int_equal(cli("policy", "read", "-format=json", "web", NULL), 0);
	j = json_loads(run.out, 0, NULL);
	assert_non_null(strstr(json_string_value(json_object_get(j, "policy")),
	                       "capabilities"));
	json_decref(j);

	assert_int_equal(cli("policy", "read", "nope", NULL), 2);
	assert_string_equal(run.err, "No policy named: nope\n");
	assert_int_equal(cli("policy", "read", NULL), 2);
	assert_int_equal(cli("policy", "list", "extra", NULL), 2);

	srv.routes[0].status = 403;
	srv.routes[0].body = "{\"errors\":[\"permission denied\"]}";
	assert_int_equal(cli("policy", "list", NULL), 1);
	assert_non_null(strstr(run.err, "Error listing policies: "));
}

static void test_policy_write_delete(void **state)
{
	char path[] = "/tmp/test_cli_policy_XXXXXX";
	const char *text;
	int fd, saved;

	(void)state;
	route("PUT /v1/sys/policies/acl/app", 204, NULL);
	route("DELETE /v1/sys/policies/acl/app", 204, NULL);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	text = "path \"a/*\" { capabilities = [\"read\"] }\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(cli("policy", "write", "APP", path, NULL), 0);
	assert_string_equal(run.out, "Success! Uploaded policy: app\n");
	assert_true(body_is(last(), "{\"policy\":\"path \\\"a/*\\\" { "
	                            "capabilities = [\\\"read\\\"] }\\n\"}"));
	unlink(path);

	saved = stdin_push("path \"b\" { capabilities = [\"list\"] }");
	assert_int_equal(cli("policy", "write", "app", "-", NULL), 0);
	stdin_pop(saved);
	assert_true(body_is(last(), "{\"policy\":\"path \\\"b\\\" { "
	                            "capabilities = [\\\"list\\\"] }\"}"));

	forget();
	assert_int_equal(cli("policy", "write", "app", path, NULL), 1);
	assert_non_null(strstr(run.err, path));
	assert_int_equal(cli("policy", "write", "app", NULL), 2);
	assert_int_equal(srv.nreq, 0);

	assert_int_equal(cli("policy", "delete", "app", NULL), 0);
	assert_string_equal(run.out, "Success! Deleted policy: app\n");
	assert_string_equal(last()->line,
	                    "DELETE /v1/sys/policies/acl/app HTTP/1.1");
	srv.routes[1].status = 400;
	srv.routes[1].body = "{\"errors\":[\"cannot delete default policy\"]}";
	assert_int_equal(cli("policy", "delete", "app", NULL), 1);
	assert_non_null(strstr(run.err, "* cannot delete default policy"));
}

static void test_lease(void **state)
{
	(void)state;
	route("PUT /v1/sys/leases/lookup", 200,
	      "{\"data\":{\"id\":\"db/creds/ro/abc\",\"issue_time\":\"t1\","
	      "\"expire_time\":\"t2\",\"last_renewal\":null,\"renewable\":true,"
	      "\"ttl\":3599}}");
	route("PUT /v1/sys/leases/renew", 200,
	      "{\"lease_id\":\"db/creds/ro/abc\",\"renewable\":true,"
	      "\"lease_duration\":3600,\"data\":null}");
	assert_int_equal(cli("lease", "lookup", "db/creds/ro/abc", NULL), 0);
	assert_string_equal(run.out, "Key             Value\n"
	                             "---             -----\n"
	                             "expire_time     t2\n"
	                             "id              db/creds/ro/abc\n"
	                             "issue_time      t1\n"
	                             "last_renewal    <nil>\n"
	                             "renewable       true\n"
	                             "ttl             59m59s\n");
	assert_true(body_is(last(), "{\"lease_id\":\"db/creds/ro/abc\"}"));

	assert_int_equal(
	    cli("lease", "renew", "-increment=1h", "db/creds/ro/abc", NULL), 0);
	assert_string_equal(run.out, "Key                Value\n"
	                             "---                -----\n"
	                             "lease_id           db/creds/ro/abc\n"
	                             "lease_duration     1h0m0s\n"
	                             "lease_renewable    true\n");
	assert_true(body_is(last(), "{\"lease_id\":\"db/creds/ro/abc\","
	                            "\"increment\":3600}"));
	assert_int_equal(cli("lease", "renew", "db/creds/ro/abc", NULL), 0);
	assert_true(body_is(last(), "{\"lease_id\":\"db/creds/ro/abc\"}"));

	forget();
	assert_int_equal(cli("lease", "renew", "-increment=x", "id", NULL), 2);
	assert_int_equal(cli("lease", "lookup", NULL), 2);
	assert_int_equal(cli("lease", "lookup", "a", "b", NULL), 2);
	assert_int_equal(srv.nreq, 0);
	srv.routes[0].status = 400;
	srv.routes[0].body = "{\"errors\":[\"invalid lease\"]}";
	assert_int_equal(cli("lease", "lookup", "unknown", NULL), 1);
	assert_non_null(strstr(run.err, "Error looking up lease: "));
}

static void test_lease_revoke(void **state)
{
	(void)state;
	route("PUT /v1/sys/leases/revoke", 204, NULL);
	route("PUT /v1/sys/leases/revoke-prefix/db/creds/", 204, NULL);
	route("PUT /v1/sys/leases/revoke-force/db/creds/", 204, NULL);
	assert_int_equal(cli("lease", "revoke", "db/creds/ro/abc", NULL), 0);
	assert_string_equal(run.out,
	                    "Success! Revoked lease: db/creds/ro/abc\n");
	assert_true(body_is(last(), "{\"lease_id\":\"db/creds/ro/abc\","
	                            "\"sync\":true}"));
	assert_int_equal(cli("lease", "revoke", "-sync=false", "x", NULL), 0);
	assert_string_equal(run.out,
	                    "All revocation operations queued successfully!\n");
	assert_true(body_is(last(), "{\"lease_id\":\"x\",\"sync\":false}"));

	assert_int_equal(cli("lease", "revoke", "-prefix", "db/creds/", NULL),
	                 0);
	assert_string_equal(
	    run.out, "Success! Revoked any leases with prefix: db/creds/\n");
	assert_true(body_is(last(), "{\"sync\":true}"));
	assert_int_equal(
	    cli("lease", "revoke", "-prefix", "-force", "db/creds/", NULL), 0);
	assert_string_equal(last()->line,
	                    "PUT /v1/sys/leases/revoke-force/db/creds/ "
	                    "HTTP/1.1");
	assert_string_equal(last()->body, "");
	assert_string_equal(
	    run.out,
	    "Success! Force revoked any leases with prefix: db/creds/\n");

	forget();
	assert_int_equal(cli("lease", "revoke", "-force", "db/creds/", NULL),
	                 2);
	assert_int_equal(cli("lease", "revoke", NULL), 2);
	assert_int_equal(srv.nreq, 0);

	srv.routes[0].status = 400;
	srv.routes[0].body = "{\"errors\":[\"invalid lease\"]}";
	assert_int_equal(cli("lease", "revoke", "nope", NULL), 1);
	assert_non_null(strstr(run.err, "* invalid lease"));
}

static void test_namespace(void **state)
{
	char v[64];

	(void)state;
	route(
	    "LIST /v1/sys/namespaces", 200,
	    "{\"data\":{\"keys\":[\"team-b/\",\"team-a/\"],\"key_info\":{}}}");
	route("PUT /v1/sys/namespaces/team-a", 200,
	      "{\"data\":{\"id\":\"gsudj\",\"path\":\"team-a/\","
	      "\"custom_metadata\":{\"owner\":\"x\"}}}");
	route("GET /v1/sys/namespaces/team-a", 200,
	      "{\"data\":{\"id\":\"gsudj\",\"path\":\"team-a/\","
	      "\"custom_metadata\":{}}}");
	route("DELETE /v1/sys/namespaces/team-a", 204, NULL);

	assert_int_equal(cli("namespace", "list", NULL), 0);
	assert_string_equal(run.out, "Keys\n----\nteam-a/\nteam-b/\n");

	assert_int_equal(cli("namespace", "create", "-custom-metadata=owner=x",
	                     "/team-a/", NULL),
	                 0);
	assert_string_equal(run.out, "Key                Value\n"
	                             "---                -----\n"
	                             "custom_metadata    {\"owner\":\"x\"}\n"
	                             "id                 gsudj\n"
	                             "path               team-a/\n");
	assert_true(body_is(last(), "{\"custom_metadata\":{\"owner\":\"x\"}}"));
	assert_int_equal(
	    cli("namespace", "create", "-namespace=parent", "team-a", NULL), 0);
	assert_string_equal(last()->body, "");
	assert_string_equal(header(last(), "X-Vault-Namespace", v, sizeof(v)),
	                    "parent");

	assert_int_equal(cli("namespace", "lookup", "team-a", NULL), 0);
	assert_non_null(strstr(run.out, "path               team-a/\n"));
	assert_int_equal(cli("namespace", "lookup", "team-z", NULL), 2);
	assert_string_equal(run.err, "Namespace not found: team-z\n");

	assert_int_equal(cli("namespace", "delete", "team-a/", NULL), 0);
	assert_string_equal(run.out,
	                    "Success! Namespace deleted at: team-a/\n");
	assert_string_equal(last()->line,
	                    "DELETE /v1/sys/namespaces/team-a HTTP/1.1");

	forget();
	assert_int_equal(cli("namespace", "create", "/", NULL), 2);
	assert_int_equal(cli("namespace", "delete", NULL), 2);
	assert_int_equal(
	    cli("namespace", "create", "-custom-metadata=x", "a", NULL), 2);
	assert_int_equal(srv.nreq, 0);

	/* No namespaces, or a server without them: exit 2. */
	srv.routes[0].status = 404;
	srv.routes[0].body = "{\"errors\":[]}";
	assert_int_equal(cli("namespace", "list", NULL), 2);
	assert_string_equal(run.err, "No namespaces found\n");
}

static void test_help_lists_groups(void **state)
{
	(void)state;
	assert_int_equal(cli("help", NULL), 0);
	assert_non_null(strstr(run.out, "token create"));
	assert_non_null(strstr(run.out, "kv metadata"));
	assert_non_null(strstr(run.out, "namespace lookup"));
	assert_int_equal(cli("policy", "-h", NULL), 0);
	assert_non_null(strstr(run.out, "write"));
	assert_int_equal(cli("lease", "frob", NULL), 2);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_token_create),
	    T(test_token_create_errors),
	    T(test_token_lookup),
	    T(test_token_renew),
	    T(test_token_revoke),
	    T(test_token_capabilities),
	    T(test_policy_list_read),
	    T(test_policy_write_delete),
	    T(test_lease),
	    T(test_lease_revoke),
	    T(test_namespace),
	    T(test_help_lists_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
