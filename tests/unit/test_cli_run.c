/*
 * `coffer run`: the reference and env-file parsers, picking a field out of
 * an answer, and the command itself against a fake server that hands out
 * a leased secret, to see -renew renew it and revoke it at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "base/buf.h"
#include "cli/cli.h"
#include "cli/run.h"

/* ---- parsers ---- */

static err_t add(struct envref_list *l, const char *spec, struct buf *msg)
{
	buf_reset(msg);
	return envref_list_add(l, spec, strlen(spec), msg);
}

static void test_reference_forms(void **state)
{
	struct envref_list l = {0};
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(add(&l, "DB_PASSWORD=secret/data/app#password", &msg),
	                 ERR_OK);
	assert_int_equal(add(&l, " TOKEN = /kv/one ", &msg), ERR_OK);
	assert_int_equal(add(&l, "GREETING=literal:a=b#c", &msg), ERR_OK);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.items[0].name, "DB_PASSWORD");
	assert_string_equal(l.items[0].path, "secret/data/app");
	assert_string_equal(l.items[0].field, "password");
	assert_null(l.items[0].literal);
	/* Leading slashes go; no #field means "the only field". */
	assert_string_equal(l.items[1].path, "kv/one");
	assert_null(l.items[1].field);
	assert_null(l.items[2].path);
	assert_string_equal(l.items[2].literal, "a=b#c");

	/* The last definition of a name wins. */
	assert_int_equal(add(&l, "TOKEN=kv/two#t", &msg), ERR_OK);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.items[1].path, "kv/two");
	assert_string_equal(l.items[1].field, "t");
	envref_list_release(&l);
	buf_release(&msg);
}

static void test_reference_errors(void **state)
{
	static const char *const bad[] = {
	    "NOEQUALS", "=secret/x#y", "1ABC=secret/x#y", "A-B=secret/x",
	    "A=",       "A=#field",    "A=secret/x#",     "A B=secret/x",
	};
	struct envref_list l = {0};
	struct buf msg = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(add(&l, bad[i], &msg), ERR_INVALID);
		assert_true(msg.len > 0);
	}
	assert_int_equal(l.n, 0);
	/* A literal's value never appears in a message. */
	assert_int_equal(add(&l, "9X=literal:hunter2", &msg), ERR_INVALID);
	assert_null(strstr(buf_str(&msg), "hunter2"));
	envref_list_release(&l);
	buf_release(&msg);
}

static void test_env_file(void **state)
{
	static const char text[] = "# the app's settings\n"
	                           "\n"
	                           "DB_USER=secret/data/db#user\r\n"
	                           "   export DB_PASS = secret/data/db#pass\n"
	                           "MODE=literal:production\n"
	                           "  # indented comment\n"
	                           "DB_USER=secret/data/db2#user";
	struct envref_list l = {0};
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(
	    envref_parse_file(text, strlen(text), "app.env", &l, &msg), ERR_OK);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.items[0].path, "secret/data/db2");
	assert_string_equal(l.items[1].name, "DB_PASS");
	assert_string_equal(l.items[1].field, "pass");
	assert_string_equal(l.items[2].literal, "production");
	envref_list_release(&l);

	/* The message names the file and the line. */
	assert_int_equal(
	    envref_parse_file("A=x#y\n\nnonsense\n", 17, "app.env", &l, &msg),
	    ERR_INVALID);
	assert_non_null(strstr(buf_str(&msg), "app.env line 3"));
	envref_list_release(&l);
	buf_release(&msg);
}

static err_t pick(const char *answer, const char *path, const char *field,
                  struct buf *value, struct buf *msg)
{
	json_t *body = json_loads(answer, JSON_ALLOW_NUL, NULL);
	err_t rc;

	assert_non_null(body);
	buf_reset(value);
	buf_reset(msg);
	rc = envref_pick(body, path, field, value, msg);
	json_decref(body);
	return rc;
}

static void test_pick(void **state)
{
	static const char kv2[] =
	    "{\"data\":{\"data\":{\"password\":\"s3\",\"port\":5432,"
	    "\"opt\":null},\"metadata\":{\"version\":3}}}";
	static const char kv1[] = "{\"data\":{\"data\":\"d\",\"x\":true}}";
	static const char one[] = "{\"data\":{\"token\":\"t0k\"}}";
	struct buf v = BUF_INIT, msg = BUF_INIT;

	(void)state;
	assert_int_equal(pick(kv2, "secret/data/app", "password", &v, &msg),
	                 ERR_OK);
	assert_string_equal(buf_str(&v), "s3");
	assert_int_equal(pick(kv2, "secret/data/app", "port", &v, &msg),
	                 ERR_OK);
	assert_string_equal(buf_str(&v), "5432");
	assert_int_equal(pick(kv2, "secret/data/app", "opt", &v, &msg), ERR_OK);
	assert_string_equal(buf_str(&v), "");
	assert_int_equal(pick(kv2, "secret/data/app", "nope", &v, &msg),
	                 ERR_NOT_FOUND);
	assert_non_null(strstr(buf_str(&msg), "nope"));
	/* Three fields and none named: an error that lists them. */
	assert_int_equal(pick(kv2, "secret/data/app", NULL, &v, &msg),
	                 ERR_INVALID);
	assert_non_null(strstr(buf_str(&msg), "password"));
	assert_null(strstr(buf_str(&msg), "s3"));

	/* A KV v1 secret that happens to hold a "data" field. */
	assert_int_equal(pick(kv1, "kv/app", "data", &v, &msg), ERR_OK);
	assert_string_equal(buf_str(&v), "d");
	assert_int_equal(pick(kv1, "kv/app", "x", &v, &msg), ERR_OK);
	assert_string_equal(buf_str(&v), "true");
	assert_int_equal(pick(one, "kv/one", NULL, &v, &msg), ERR_OK);
	assert_string_equal(buf_str(&v), "t0k");
	assert_int_equal(pick("{\"data\":null}", "kv/x", "a", &v, &msg),
	                 ERR_NOT_FOUND);
	assert_int_equal(
	    pick("{\"data\":{\"a\":\"x\\u0000y\"}}", "kv/x", "a", &v, &msg),
	    ERR_INVALID);
	buf_release(&v);
	buf_release(&msg);
}

/* ---- the command against a fake server ---- */

#define MAX_RECORDED 16

static struct {
	int fd;
	pthread_t thread;
	pthread_mutex_t lock;
	char line[MAX_RECORDED][256];
	char body[MAX_RECORDED][1024];
	size_t n;
} srv;

static const char leased[] =
    "{\"lease_id\":\"database/creds/app/abc\",\"lease_duration\":2,"
    "\"renewable\":true,\"data\":{\"username\":\"v-app\","
    "\"password\":\"hunter2\"}}";
static const char renewed[] =
    "{\"lease_id\":\"database/creds/app/abc\",\"lease_duration\":2,"
    "\"renewable\":true,\"data\":null}";

static const char *fake_answer(const char *line, int *status)
{
	*status = 200;
	if (strncmp(line, "GET /v1/database/creds/app ", 27) == 0)
		return leased;
	if (strncmp(line, "PUT /v1/sys/leases/renew ", 25) == 0)
		return renewed;
	if (strncmp(line, "PUT /v1/sys/leases/revoke ", 26) == 0) {
		*status = 204;
		return NULL;
	}
	*status = 404;
	return "{\"errors\":[]}";
}

/* Reads one request (head and body) and records its line and body. */
static void fake_serve_one(int fd)
{
	char data[8192], *end, *cl;
	size_t have = 0, clen = 0, head;
	struct buf out = BUF_INIT;
	const char *body;
	ssize_t r;
	int status;

	data[0] = '\0';
	while ((end = strstr(data, "\r\n\r\n")) == NULL) {
		r = read(fd, data + have, sizeof(data) - 1 - have);
		if (r <= 0)
			return;
		have += (size_t)r;
		data[have] = '\0';
	}
	head = (size_t)(end - data) + 4;
	cl = strstr(data, "Content-Length:");
	if (cl != NULL && cl < end)
		clen = strtoul(cl + 15, NULL, 10);
	while (have - head < clen && have < sizeof(data) - 1) {
		r = read(fd, data + have, sizeof(data) - 1 - have);
		if (r <= 0)
			return;
		have += (size_t)r;
	}
	data[have] = '\0';
	pthread_mutex_lock(&srv.lock);
	if (srv.n < MAX_RECORDED) {
		snprintf(srv.line[srv.n], sizeof(srv.line[0]), "%.*s",
		         (int)(strstr(data, "\r\n") - data), data);
		snprintf(srv.body[srv.n], sizeof(srv.body[0]), "%s",
		         data + head);
		srv.n++;
	}
	pthread_mutex_unlock(&srv.lock);

	body = fake_answer(data, &status);
	buf_printf(&out,
	           "HTTP/1.1 %d Canned\r\nConnection: close\r\n"
	           "Content-Type: application/json\r\n"
	           "Content-Length: %zu\r\n\r\n%s",
	           status, body ? strlen(body) : 0, body ? body : "");
	assert_true(write(fd, out.data, out.len) == (ssize_t)out.len);
	buf_release(&out);
}

static void *fake_serve(void *arg)
{
	int fd;

	(void)arg;
	while ((fd = accept(srv.fd, NULL, NULL)) >= 0) {
		fake_serve_one(fd);
		close(fd);
	}
	return NULL;
}

static int setup(void **state)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);
	char addr[64];

	(void)state;
	memset(&srv, 0, sizeof(srv));
	pthread_mutex_init(&srv.lock, NULL);
	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (srv.fd < 0 || bind(srv.fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(srv.fd, 8) ||
	    getsockname(srv.fd, (struct sockaddr *)&a, &len))
		return -1;
	snprintf(addr, sizeof(addr), "http://127.0.0.1:%d", ntohs(a.sin_port));
	setenv("VAULT_ADDR", addr, 1);
	setenv("VAULT_TOKEN", "s.test-token", 1);
	setenv("HOME", "/nonexistent", 1);
	unsetenv("COFFER_ADDR");
	unsetenv("COFFER_TOKEN");
	unsetenv("VAULT_FORMAT");
	return pthread_create(&srv.thread, NULL, fake_serve, NULL) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	shutdown(srv.fd, SHUT_RDWR);
	pthread_join(srv.thread, NULL);
	close(srv.fd);
	pthread_mutex_destroy(&srv.lock);
	return 0;
}

static int run(const char *child, bool renew)
{
	char *argv[] = {"coffer",
	                "run",
	                renew ? "-renew" : "-clean-env",
	                "-env",
	                "PW=database/creds/app#password",
	                "--",
	                "/bin/sh",
	                "-c",
	                (char *)child,
	                NULL};

	return cli_main(9, argv);
}

static void test_renew_and_revoke(void **state)
{
	json_t *body;

	(void)state;
	/* Renewal is due at half the 2 second lease, revocation at exit. */
	assert_int_equal(run("test \"$PW\" = hunter2 && sleep 1.6", true), 0);
	assert_int_equal(srv.n, 3);
	assert_string_equal(srv.line[0], "GET /v1/database/creds/app HTTP/1.1");
	assert_string_equal(srv.line[1], "PUT /v1/sys/leases/renew HTTP/1.1");
	body = json_loads(srv.body[1], 0, NULL);
	assert_string_equal(
	    json_string_value(json_object_get(body, "lease_id")),
	    "database/creds/app/abc");
	assert_int_equal(json_integer_value(json_object_get(body, "increment")),
	                 2);
	json_decref(body);
	assert_string_equal(srv.line[2], "PUT /v1/sys/leases/revoke HTTP/1.1");
	body = json_loads(srv.body[2], 0, NULL);
	assert_string_equal(
	    json_string_value(json_object_get(body, "lease_id")),
	    "database/creds/app/abc");
	json_decref(body);
}

static void test_no_renew_without_flag(void **state)
{
	(void)state;
	/* The child's exit status comes back; nothing but the read is sent. */
	assert_int_equal(run("test \"$PW\" = hunter2 && exit 7", false), 7);
	assert_int_equal(srv.n, 1);
	assert_int_equal(run("kill -USR1 $$", false), 128 + 10);
}

static void test_missing_secret_never_starts(void **state)
{
	char marker[] = "/tmp/coffer-run-marker-XXXXXX", cmd[128];
	char *argv[] = {"coffer", "run",     "-env", "X=database/creds/nope#p",
	                "--",     "/bin/sh", "-c",   cmd,
	                NULL};
	int fd = mkstemp(marker);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(marker);
	snprintf(cmd, sizeof(cmd), "touch %s", marker);
	assert_int_equal(cli_main(8, argv), 1);
	assert_int_equal(access(marker, F_OK), -1);
	/* No command at all is a usage error. */
	argv[4] = NULL;
	assert_int_equal(cli_main(4, argv), 2);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reference_forms),
	    cmocka_unit_test(test_reference_errors),
	    cmocka_unit_test(test_env_file),
	    cmocka_unit_test(test_pick),
	    T(test_renew_and_revoke),
	    T(test_no_renew_without_flag),
	    T(test_missing_secret_never_starts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
