/*
 * test_audit_format.c - the audit record: its shape, what is hashed and
 * what is not, escaping, and the broker's fan-out, filters, persistence
 * and fail-closed answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit/audit.h"
#include "base/encoding.h"

#define CANARY "s3cr3t"

struct fixture {
	struct audit_device dev;
	struct request req;
	struct response resp;
	struct token_entry tok;
	struct audit_input in;
};

static void fixture_init(struct fixture *f)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < AUDIT_SALT_LEN; i++)
		f->dev.salt[i] = (uint8_t)i;
	f->dev.hmac_accessor = true;
	request_init(&f->req);
	response_init(&f->resp);
	memcpy(f->req.id, "11111111-2222-3333-4444-555555555555", 37);
	f->req.path = strdup("secret/data/app");
	f->req.op = OP_UPDATE;
	f->req.token = strdup("hvs.TOKENVALUE");
	f->req.remote_addr = "10.0.0.7";
	f->req.data =
	    json_pack("{s:{s:s, s:i, s:b, s:[s, {s:s}]}, s:s}", "data",
	              "password", CANARY, "port", 5432, "on", 1, "list", CANARY,
	              "deep", CANARY, "keep_me", CANARY);
	memcpy(f->tok.accessor, "ACCESSORVALUE", 14);
	f->tok.ns = "";
	f->tok.policies = json_pack("[s]", "root");
	f->tok.display_name = "root";
	f->tok.entity_id = "";
	f->in.req = &f->req;
	f->in.auth = &f->tok;
	f->in.ns_id = "root";
	f->in.mount_type = "kv";
	f->in.mount_accessor = "kv_abcd";
	f->in.mount_point = "secret/";
}

static void fixture_release(struct fixture *f)
{
	request_release(&f->req);
	response_release(&f->resp);
	json_decref(f->tok.policies);
	json_decref(f->in.non_hmac_request_keys);
}

static const char *at(json_t *rec, const char *path)
{
	char key[64];
	const char *dot;
	json_t *v = rec;

	while ((dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		v = json_object_get(v, key);
		path = dot + 1;
	}
	return json_string_value(json_object_get(v, path));
}

static char *hash_of(const struct audit_device *d, const char *s)
{
	struct buf b = BUF_INIT;

	assert_int_equal(audit_hmac(d->salt, s, strlen(s), &b), ERR_OK);
	return buf_detach(&b);
}

static void test_hmac_known_value(void **state)
{
	struct fixture f;
	char *h;

	(void)state;
	fixture_init(&f);
	h = hash_of(&f.dev, CANARY);
	assert_string_equal(h, "hmac-sha256:5cc935b01a05052448b89e0dfc39f87c"
	                       "1427571750db69fe45203a8c505b7b1c");
	free(h);
	fixture_release(&f);
}

static void test_request_record_hashes_every_secret(void **state)
{
	struct fixture f;
	json_t *rec, *data;
	char *line, *h;

	(void)state;
	fixture_init(&f);
	rec = audit_format(&f.dev, &f.in);
	assert_non_null(rec);
	line = audit_format_line(rec);
	assert_non_null(line);
	h = hash_of(&f.dev, CANARY);

	/* Shape. */
	assert_string_equal(at(rec, "type"), "request");
	assert_string_equal(at(rec, "request.path"), "secret/data/app");
	assert_string_equal(at(rec, "request.operation"), "update");
	assert_string_equal(at(rec, "request.mount_type"), "kv");
	assert_string_equal(at(rec, "request.mount_accessor"), "kv_abcd");
	assert_string_equal(at(rec, "request.namespace.id"), "root");
	assert_string_equal(at(rec, "request.remote_address"), "10.0.0.7");
	assert_string_equal(at(rec, "auth.display_name"), "root");
	assert_string_equal(at(rec, "error"), "");

	/* No plaintext secret anywhere, and the hashes where they belong. */
	assert_null(strstr(line, CANARY));
	assert_null(strstr(line, "TOKENVALUE"));
	assert_null(strstr(line, "ACCESSORVALUE"));
	data = json_object_get(json_object_get(rec, "request"), "data");
	assert_string_equal(at(data, "data.password"), h);
	assert_string_equal(at(data, "keep_me"), h);
	assert_string_equal(
	    json_string_value(json_array_get(
	        json_object_get(json_object_get(data, "data"), "list"), 0)),
	    h);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(data, "data"), "port")),
	                 5432);
	assert_true(
	    json_is_true(json_object_get(json_object_get(data, "data"), "on")));
	assert_int_equal(
	    strncmp(at(rec, "auth.client_token"), "hmac-sha256:", 12), 0);
	assert_int_equal(strncmp(at(rec, "auth.accessor"), "hmac-sha256:", 12),
	                 0);

	free(h);
	free(line);
	json_decref(rec);
	fixture_release(&f);
}

static void test_non_hmac_keys_raw_and_accessor(void **state)
{
	struct fixture f;
	json_t *rec;
	char *line;

	(void)state;
	fixture_init(&f);
	f.in.non_hmac_request_keys = json_pack("[s]", "keep_me");
	f.dev.hmac_accessor = false;
	rec = audit_format(&f.dev, &f.in);
	assert_string_equal(at(rec, "request.data.keep_me"), CANARY);
	/* Only the top level is exempt; the nested value stays hashed. */
	assert_int_equal(
	    strncmp(at(rec, "request.data.data.password"), "hmac-sha256:", 12),
	    0);
	assert_string_equal(at(rec, "auth.accessor"), "ACCESSORVALUE");
	line = audit_format_line(rec);
	assert_null(strstr(line, "TOKENVALUE"));
	free(line);
	json_decref(rec);

	f.dev.log_raw = true;
	rec = audit_format(&f.dev, &f.in);
	assert_string_equal(at(rec, "request.data.data.password"), CANARY);
	json_decref(rec);
	fixture_release(&f);
}

static void test_response_record(void **state)
{
	struct fixture f;
	json_t *rec;
	char *line, *h;

	(void)state;
	fixture_init(&f);
	f.resp.data = json_pack("{s:s}", "password", CANARY);
	f.resp.auth =
	    json_pack("{s:s, s:s, s:[s]}", "client_token", "hvs.NEWTOKEN",
	              "accessor", "NEWACCESSOR", "policies", "default");
	f.resp.lease_id = strdup("secret/creds/x/abc");
	f.resp.raw_type = strdup("text/plain");
	buf_append_str(&f.resp.raw_body, "RAWBODY");
	f.in.resp = &f.resp;
	rec = audit_format(&f.dev, &f.in);
	line = audit_format_line(rec);
	h = hash_of(&f.dev, "RAWBODY");
	assert_string_equal(at(rec, "type"), "response");
	assert_string_equal(at(rec, "response.secret.lease_id"),
	                    "secret/creds/x/abc");
	assert_string_equal(at(rec, "response.data.http_raw_body"), h);
	assert_null(strstr(line, CANARY));
	assert_null(strstr(line, "NEWTOKEN"));
	assert_null(strstr(line, "NEWACCESSOR"));
	assert_null(strstr(line, "RAWBODY"));
	assert_non_null(strstr(line, "\"default\""));
	free(h);
	free(line);
	json_decref(rec);

	/* A failure carries its message. */
	response_release(&f.resp);
	response_init(&f.resp);
	response_error(&f.resp, ERR_INVALID, "bad thing");
	rec = audit_format(&f.dev, &f.in);
	assert_string_equal(at(rec, "error"), "bad thing");
	json_decref(rec);
	fixture_release(&f);
}

static void test_line_escapes_control_characters(void **state)
{
	json_t *rec = json_pack("{s:s}", "k\n\x1b[31m", "a\r\nb\xe2\x80\xa8");
	char *line = audit_format_line(rec);
	size_t i;

	(void)state;
	for (i = 0; line[i] != 0; i++) {
		assert_true((unsigned char)line[i] >= 0x20);
		assert_true((unsigned char)line[i] < 0x7f);
	}
	assert_non_null(strstr(line, "\\n"));
	assert_true(strstr(line, "\\u001b") || strstr(line, "\\u001B"));
	assert_non_null(strstr(line, "\\u2028"));
	free(line);
	json_decref(rec);
}

/* ---- the broker over in-memory storage and a temporary folder ---- */

static size_t file_lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;
	int ch;

	if (fp == NULL)
		return 0;
	while ((ch = fgetc(fp)) != EOF)
		n += ch == '\n';
	fclose(fp);
	return n;
}

static void test_broker_enable_log_filter_reload(void **state)
{
	struct storage *st = NULL;
	struct audit_broker *b = NULL;
	struct response resp;
	struct buf h1 = BUF_INIT, h2 = BUF_INIT;
	struct fixture f;
	char dir[] = "/tmp/coffer-audit-unit-XXXXXX", path[128], sub[96];
	char err[64];
	json_t *params;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/audit.log", sub);
	assert_int_equal(storage_open("inmem", NULL, &st, err, sizeof(err)),
	                 ERR_OK);
	assert_int_equal(audit_broker_new(st, &b), ERR_OK);
	fixture_init(&f);

	/* No device: nothing to record, nothing refused. */
	assert_int_equal(audit_broker_log(b, &f.in), ERR_OK);

	response_init(&resp);
	params = json_pack("{s:s, s:{s:s}}", "type", "nosuch", "options",
	                   "file_path", path);
	assert_int_equal(audit_broker_enable(b, "x", params, &resp),
	                 ERR_INVALID);
	json_decref(params);
	response_release(&resp);

	response_init(&resp);
	params = json_pack("{s:s, s:{s:s, s:s}}", "type", "file", "options",
	                   "file_path", path, "filter_operation", "read");
	assert_int_equal(audit_broker_enable(b, "/main/", params, &resp),
	                 ERR_OK);
	json_decref(params);
	response_release(&resp);
	assert_int_equal(audit_broker_count(b), 1);

	/* The filter leaves updates out; a read is written. */
	assert_int_equal(audit_broker_log(b, &f.in), ERR_OK);
	assert_int_equal(file_lines(path), 0);
	f.req.op = OP_READ;
	assert_int_equal(audit_broker_log(b, &f.in), ERR_OK);
	assert_int_equal(file_lines(path), 1);

	/* The salt is stored: a new broker hashes the same way. */
	assert_int_equal(audit_broker_hash(b, "main", CANARY, 6, &h1), ERR_OK);
	audit_broker_free(b);
	assert_int_equal(audit_broker_new(st, &b), ERR_OK);
	assert_int_equal(audit_broker_hash(b, "main/", CANARY, 6, &h2), ERR_OK);
	assert_string_equal(buf_str(&h1), buf_str(&h2));
	assert_int_equal(audit_broker_hash(b, "other", CANARY, 6, &h2),
	                 ERR_NOT_FOUND);

	/* Fail closed: the folder is gone, the record cannot be written. */
	unlink(path);
	rmdir(sub);
	assert_int_equal(audit_broker_log(b, &f.in), ERR_IO);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(audit_broker_log(b, &f.in), ERR_OK);

	response_init(&resp);
	assert_int_equal(audit_broker_disable(b, "main", &resp), ERR_OK);
	response_release(&resp);
	assert_int_equal(audit_broker_count(b), 0);

	unlink(path);
	rmdir(sub);
	rmdir(dir);
	buf_release(&h1);
	buf_release(&h2);
	fixture_release(&f);
	audit_broker_free(b);
	storage_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hmac_known_value),
	    cmocka_unit_test(test_request_record_hashes_every_secret),
	    cmocka_unit_test(test_non_hmac_keys_raw_and_accessor),
	    cmocka_unit_test(test_response_record),
	    cmocka_unit_test(test_line_escapes_control_characters),
	    cmocka_unit_test(test_broker_enable_log_filter_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
