/*
 * The CLI against a fake server: a thread on a loopback socket that answers
 * canned Vault-shaped responses and records what it was sent. Each test
 * runs cli_main as the shell would and checks the exit code, the output
 * and the request on the wire.
 */
#include "cli_fake.h"

static const char unsealed[] =
    "{\"type\":\"shamir\",\"initialized\":true,\"sealed\":false,\"t\":3,"
    "\"n\":5,\"progress\":0,\"nonce\":\"\",\"version\":\"0.1.0\","
    "\"storage_type\":\"sqlite\",\"cluster_name\":\"coffer-1\","
    "\"cluster_id\":\"abc\"}";
static const char sealed[] =
    "{\"type\":\"shamir\",\"initialized\":true,\"sealed\":true,\"t\":3,"
    "\"n\":5,\"progress\":1,\"nonce\":\"n-1\",\"version\":\"0.1.0\","
    "\"storage_type\":\"sqlite\"}";

static void test_status_unsealed(void **state)
{
	char v[64];

	(void)state;
	route("GET /v1/sys/seal-status", 200, unsealed);
	assert_int_equal(cli("status", NULL), 0);
	assert_non_null(strstr(run.out, "Key             Value\n"
	                                "---             -----\n"
	                                "Seal Type       shamir\n"
	                                "Initialized     true\n"
	                                "Sealed          false\n"
	                                "Total Shares    5\n"
	                                "Threshold       3\n"));
	assert_non_null(strstr(run.out, "\nStorage Type    sqlite\n"));
	assert_non_null(strstr(run.out, "\nHA Enabled      false\n"));
	assert_null(strstr(run.out, "Unseal Progress"));
	assert_string_equal(last()->line, "GET /v1/sys/seal-status HTTP/1.1");
	assert_string_equal(header(last(), "X-Vault-Request", v, sizeof(v)),
	                    "true");
}

static void test_status_sealed_and_error(void **state)
{
	(void)state;
	route("GET /v1/sys/seal-status", 200, sealed);
	assert_int_equal(cli("status", NULL), 2);
	assert_non_null(strstr(run.out, "\nUnseal Progress    1/3\n"
	                                "Unseal Nonce       n-1\n"));

	assert_int_equal(cli("status", "-format=json", NULL), 2);
	json_t *j = json_loads(run.out, 0, NULL);
	assert_true(json_is_true(json_object_get(j, "sealed")));
	json_decref(j);

	srv.routes[0].status = 500;
	srv.routes[0].body = "{\"errors\":[\"internal error\"]}";
	assert_int_equal(cli("status", NULL), 1);
	assert_non_null(
	    strstr(run.err, "Code: 500. Errors:\n\n* internal error"));
}

static void test_status_unreachable(void **state)
{
	(void)state;
	assert_int_equal(cli("status", "-address=http://127.0.0.1:1", NULL), 1);
	assert_non_null(strstr(run.err, "Error checking seal status: "));
	assert_int_equal(srv.nreq, 0);
}

static void test_read_table_field_json(void **state)
{
	(void)state;
	route("GET /v1/secret/foo", 200,
	      "{\"request_id\":\"r\",\"lease_id\":\"\",\"renewable\":false,"
	      "\"lease_duration\":2764800,\"data\":{\"foo\":\"bar\","
	      "\"a_long_key\":{\"x\":1}},\"warnings\":null,\"auth\":null}");
	assert_int_equal(cli("read", "secret/foo", NULL), 0);
	assert_string_equal(run.out, "Key                 Value\n"
	                             "---                 -----\n"
	                             "refresh_interval    768h0m0s\n"
	                             "a_long_key          {\"x\":1}\n"
	                             "foo                 bar\n");

	assert_int_equal(cli("read", "-field=foo", "secret/foo", NULL), 0);
	assert_string_equal(run.out, "bar\n");
	assert_int_equal(cli("read", "-field", "nope", "secret/foo", NULL), 1);
	assert_non_null(strstr(run.err, "nope"));

	assert_int_equal(cli("read", "-format", "json", "secret/foo", NULL), 0);
	json_t *j = json_loads(run.out, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(j, "data"), "foo")),
	                    "bar");
	json_decref(j);
}

static void test_read_not_found_and_denied(void **state)
{
	char expect[512];

	(void)state;
	assert_int_equal(cli("read", "secret/missing", NULL), 2);
	assert_string_equal(run.err, "No value found at secret/missing\n");
	assert_string_equal(run.out, "");

	route("GET /v1/secret/foo", 403,
	      "{\"errors\":[\"permission denied\"]}");
	assert_int_equal(cli("read", "secret/foo", NULL), 1);
	snprintf(expect, sizeof(expect),
	         "Error reading secret/foo: Error making API request.\n\n"
	         "URL: GET http://127.0.0.1:%d/v1/secret/foo\n"
	         "Code: 403. Errors:\n\n"
	         "* permission denied\n",
	         srv.port);
	assert_string_equal(run.err, expect);
	/* The token is a secret: no message may show it. */
	assert_null(strstr(run.err, "s.test-token"));
}

static void test_read_encodes_path_and_query(void **state)
{
	(void)state;
	assert_int_equal(
	    cli("read", "secret/a b/ü", "version=2", "x=a&b", NULL), 2);
	assert_string_equal(last()->line,
	                    "GET /v1/secret/a%20b/%C3%BC?version=2&x=a%26b "
	                    "HTTP/1.1");
}

static void test_write_sends_json_with_token(void **state)
{
	char v[128];
	json_t *body;

	(void)state;
	route("PUT /v1/secret/foo", 204, NULL);
	assert_int_equal(
	    cli("write", "secret/foo", "user=alice", "eq=a=b", NULL), 0);
	assert_string_equal(run.out, "Success! Data written to: secret/foo\n");
	assert_string_equal(last()->line, "PUT /v1/secret/foo HTTP/1.1");
	assert_string_equal(header(last(), "X-Vault-Token", v, sizeof(v)),
	                    "s.test-token");
	assert_string_equal(header(last(), "Content-Type", v, sizeof(v)),
	                    "application/json");
	body = json_loads(last()->body, 0, NULL);
	assert_non_null(body);
	assert_int_equal(json_object_size(body), 2);
	assert_string_equal(json_string_value(json_object_get(body, "user")),
	                    "alice");
	assert_string_equal(json_string_value(json_object_get(body, "eq")),
	                    "a=b");
	json_decref(body);

	/* No data is a usage error unless forced. */
	assert_int_equal(cli("write", "secret/foo", NULL), 2);
	assert_int_equal(cli("write", "-f", "secret/foo", NULL), 0);
	assert_string_equal(last()->body, "");
	assert_int_equal(cli("write", "secret/foo", "novalue", NULL), 2);
}

static void test_write_prints_answer(void **state)
{
	(void)state;
	route("PUT /v1/transit/encrypt/k", 200,
	      "{\"lease_id\":\"\",\"lease_duration\":0,\"data\":"
	      "{\"ciphertext\":\"vault:v1:abc\"},\"warnings\":null}");
	assert_int_equal(
	    cli("write", "transit/encrypt/k", "plaintext=aGk=", NULL), 0);
	assert_string_equal(run.out, "Key           Value\n"
	                             "---           -----\n"
	                             "ciphertext    vault:v1:abc\n");
	route("PUT /v1/secret/bad", 400, "{\"errors\":[\"missing data\"]}");
	assert_int_equal(cli("write", "secret/bad", "a=b", NULL), 1);
	assert_non_null(strstr(run.err, "Error writing data to secret/bad: "));
}

static void test_token_sources(void **state)
{
	char dir[] = "/tmp/test_cli_home_XXXXXX", path[64], v[64];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.vault-token", dir);
	f = fopen(path, "w");
	fputs("  s.from-file\n", f);
	fclose(f);

	unsetenv("VAULT_TOKEN");
	setenv("HOME", dir, 1);
	cli("read", "secret/x", NULL);
	assert_string_equal(header(last(), "X-Vault-Token", v, sizeof(v)),
	                    "s.from-file");

	setenv("COFFER_TOKEN", "s.coffer", 1);
	setenv("VAULT_TOKEN", "s.vault", 1);
	cli("read", "secret/x", NULL);
	assert_string_equal(header(last(), "X-Vault-Token", v, sizeof(v)),
	                    "s.coffer");

	unsetenv("COFFER_TOKEN");
	unsetenv("VAULT_TOKEN");
	unlink(path);
	cli("read", "-namespace=team-a/", "secret/x", NULL);
	assert_null(header(last(), "X-Vault-Token", v, sizeof(v)));
	assert_string_equal(header(last(), "X-Vault-Namespace", v, sizeof(v)),
	                    "team-a/");
	rmdir(dir);

	/* A token with a line break would forge headers: refused. */
	setenv("VAULT_TOKEN", "s.x\r\nX-Evil: 1", 1);
	assert_int_equal(cli("read", "secret/x", NULL), 1);
	assert_null(strstr(run.err, "s.x"));
}

static void test_list(void **state)
{
	(void)state;
	route("LIST /v1/secret/", 200,
	      "{\"data\":{\"keys\":[\"a\",\"dir/\"]},\"lease_id\":\"\"}");
	assert_int_equal(cli("list", "secret", NULL), 0);
	assert_string_equal(run.out, "Keys\n----\na\ndir/\n");
	assert_string_equal(last()->line, "LIST /v1/secret/ HTTP/1.1");

	assert_int_equal(cli("list", "empty/", NULL), 2);
	assert_string_equal(run.err, "No value found at empty/\n");
	assert_int_equal(cli("list", NULL), 2);
}

static void test_delete(void **state)
{
	(void)state;
	route("DELETE /v1/secret/foo", 204, NULL);
	assert_int_equal(cli("delete", "secret/foo", NULL), 0);
	assert_string_equal(run.out,
	                    "Success! Data deleted (if it existed) at: "
	                    "secret/foo\n");
	assert_string_equal(last()->line, "DELETE /v1/secret/foo HTTP/1.1");
}

static void test_operator_init(void **state)
{
	json_t *body;

	(void)state;
	route("PUT /v1/sys/init", 200,
	      "{\"keys\":[\"0a\",\"0b\",\"0c\"],\"keys_base64\":[\"Cg==\","
	      "\"Cw==\",\"DA==\"],\"root_token\":\"s.root-token\"}");
	assert_int_equal(cli("operator", "init", "-key-shares=3",
	                     "-key-threshold", "2", NULL),
	                 0);
	assert_non_null(strstr(run.out, "Unseal Key 1: Cg==\n"
	                                "Unseal Key 2: Cw==\n"
	                                "Unseal Key 3: DA==\n\n"
	                                "Initial Root Token: s.root-token\n"));
	body = json_loads(last()->body, 0, NULL);
	assert_int_equal(
	    json_integer_value(json_object_get(body, "secret_shares")), 3);
	assert_int_equal(
	    json_integer_value(json_object_get(body, "secret_threshold")), 2);
	json_decref(body);

	assert_int_equal(cli("operator", "init", "-format=json", NULL), 0);
	body = json_loads(run.out, 0, NULL);
	assert_string_equal(
	    json_string_value(json_object_get(body, "root_token")),
	    "s.root-token");
	json_decref(body);

	assert_int_equal(cli("operator", "init", "-key-shares=x", NULL), 2);
	assert_int_equal(cli("operator", "init", "extra", NULL), 2);
}

static void test_operator_unseal_seal(void **state)
{
	FILE *in = tmpfile();
	char v[64];
	int saved;

	(void)state;
	route("PUT /v1/sys/unseal", 200, unsealed);
	route("PUT /v1/sys/seal", 204, NULL);
	assert_int_equal(cli("operator", "unseal", "abcd", NULL), 0);
	assert_string_equal(last()->body, "{\"key\":\"abcd\"}");
	assert_non_null(strstr(run.out, "Sealed          false\n"));

	/* Not a terminal: the share is one line of standard input. */
	fputs("from-stdin\r\nignored\n", in);
	rewind(in);
	saved = dup(STDIN_FILENO);
	dup2(fileno(in), STDIN_FILENO);
	assert_int_equal(cli("operator", "unseal", NULL), 0);
	dup2(saved, STDIN_FILENO);
	close(saved);
	fclose(in);
	assert_string_equal(last()->body, "{\"key\":\"from-stdin\"}");

	assert_int_equal(cli("operator", "unseal", "-reset", NULL), 0);
	assert_string_equal(last()->body, "{\"reset\":true}");

	assert_int_equal(cli("operator", "seal", NULL), 0);
	assert_string_equal(run.out, "Success! Vault is sealed.\n");
	assert_string_equal(last()->line, "PUT /v1/sys/seal HTTP/1.1");
	/* No body, so no form type either (libcurl's default for PUT data). */
	assert_null(header(last(), "Content-Type", v, sizeof(v)));
	assert_string_equal(header(last(), "Content-Length", v, sizeof(v)),
	                    "0");
}

static void test_operator_rotate(void **state)
{
	(void)state;
	route("PUT /v1/sys/rotate", 204, NULL);
	route("GET /v1/sys/key-status", 200,
	      "{\"data\":{\"term\":2,\"install_time\":"
	      "\"2024-05-06T10:11:12.5Z\",\"encryptions\":7}}");
	assert_int_equal(cli("operator", "rotate", NULL), 0);
	assert_string_equal(run.out, "Success! Rotated key\n\n"
	                             "Key Term            2\n"
	                             "Install Time        06 May 24 10:11 UTC\n"
	                             "Encryption Count    7\n");
	assert_int_equal(srv.nreq, 2);
	assert_string_equal(srv.req[0].line, "PUT /v1/sys/rotate HTTP/1.1");
}

static void test_secrets_enable_list(void **state)
{
	json_t *body;

	(void)state;
	route("POST /v1/sys/mounts/kv2", 204, NULL);
	route("GET /v1/sys/mounts", 200,
	      "{\"data\":{\"sys/\":{\"type\":\"system\",\"accessor\":"
	      "\"system_1\",\"description\":\"system endpoints\"},"
	      "\"kv2/\":{\"type\":\"kv\",\"accessor\":\"kv_2\","
	      "\"description\":\"\",\"options\":{\"version\":\"2\"}},"
	      "\"cubbyhole/\":{\"type\":\"cubbyhole\",\"accessor\":"
	      "\"cubbyhole_3\",\"description\":\"per-token storage\"}},"
	      "\"request_id\":\"r\"}");
	assert_int_equal(cli("secrets", "enable", "-path=kv2/", "-version=2",
	                     "-description", "team data", "kv", NULL),
	                 0);
	assert_string_equal(
	    run.out, "Success! Enabled the kv secrets engine at: kv2/\n");
	assert_string_equal(last()->line, "POST /v1/sys/mounts/kv2 HTTP/1.1");
	body = json_loads(last()->body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(body, "type")),
	                    "kv");
	assert_string_equal(
	    json_string_value(json_object_get(body, "description")),
	    "team data");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(body, "options"), "version")),
	                    "2");
	json_decref(body);

	assert_int_equal(cli("secrets", "list", NULL), 0);
	assert_string_equal(
	    run.out, "Path          Type         Accessor       Description\n"
	             "----          ----         --------       -----------\n"
	             "cubbyhole/    cubbyhole    cubbyhole_3    per-token "
	             "storage\n"
	             "kv2/          kv           kv_2           \n"
	             "sys/          system       system_1       system "
	             "endpoints\n");
	assert_int_equal(cli("secrets", "enable", NULL), 2);
	assert_int_equal(cli("secrets", "enable", "-options=bad", "kv", NULL),
	                 2);
}

static void test_secrets_tune_disable(void **state)
{
	json_t *body;

	(void)state;
	route("POST /v1/sys/mounts/kv2/tune", 204, NULL);
	route("DELETE /v1/sys/mounts/kv2", 204, NULL);
	assert_int_equal(
	    cli("secrets", "tune", "-max-lease-ttl=1h", "kv2", NULL), 0);
	body = json_loads(last()->body, 0, NULL);
	assert_string_equal(
	    json_string_value(json_object_get(body, "max_lease_ttl")), "1h");
	json_decref(body);
	assert_int_equal(cli("secrets", "disable", "kv2/", NULL), 0);
	assert_string_equal(last()->line, "DELETE /v1/sys/mounts/kv2 HTTP/1.1");
}

static void test_usage_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(cli(NULL), 2);
	assert_int_equal(cli("help", NULL), 0);
	assert_non_null(strstr(run.out, "operator unseal"));
	assert_int_equal(cli("-h", NULL), 0);
	assert_int_equal(cli("frobnicate", NULL), 2);
	assert_non_null(strstr(run.err, "Unknown command: frobnicate"));
	assert_int_equal(cli("operator", "frob", NULL), 2);
	assert_int_equal(cli("read", NULL), 2);
	assert_int_equal(cli("read", "-nope", "x", NULL), 2);
	assert_non_null(strstr(run.err, "flag provided but not defined"));
	assert_int_equal(cli("read", "-format=xml", "x", NULL), 2);
	assert_int_equal(cli("read", "-h", NULL), 0);
	assert_non_null(strstr(run.out, "Usage: coffer read"));
	assert_int_equal(cli("status", "extra", NULL), 2);
	assert_int_equal(srv.nreq, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_status_unsealed),
	    T(test_status_sealed_and_error),
	    T(test_status_unreachable),
	    T(test_read_table_field_json),
	    T(test_read_not_found_and_denied),
	    T(test_read_encodes_path_and_query),
	    T(test_write_sends_json_with_token),
	    T(test_write_prints_answer),
	    T(test_token_sources),
	    T(test_list),
	    T(test_delete),
	    T(test_operator_init),
	    T(test_operator_unseal_seal),
	    T(test_operator_rotate),
	    T(test_secrets_enable_list),
	    T(test_secrets_tune_disable),
	    T(test_usage_exit_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
