/*
 * cli_fake.h - a fake Vault server for tests of the CLI: a thread on a
 * loopback socket that answers canned Vault-shaped responses and records
 * what it was sent, and cli(), which runs cli_main as the shell would and
 * captures its exit code, standard output and standard error.
 *
 * Header-only (static inline), included by one test program at a time.
 * setup/teardown start and stop the server around each test; a request
 * that matches no route gets 404 {"errors":[]}.
 */
#ifndef COFFER_TESTS_CLI_FAKE_H
#define COFFER_TESTS_CLI_FAKE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "base/buf.h"
#include "cli/cli.h"

#define MAX_ROUTES   24
#define MAX_RECORDED 32

struct route {
	const char *line; /* "GET /v1/sys/seal-status" */
	int status;
	const char *body; /* NULL: no body */
};

struct recorded {
	char line[512];     /* "GET /v1/x HTTP/1.1" */
	char headers[4096]; /* the header block, as sent */
	char body[4096];
};

static struct {
	int fd;
	int port;
	pthread_t thread;
	pthread_mutex_t lock;
	struct route routes[MAX_ROUTES];
	size_t nroutes;
	struct recorded req[MAX_RECORDED];
	size_t nreq;
} srv;

static struct {
	int code;
	char out[16384];
	char err[16384];
} run;

static inline void route(const char *line, int status, const char *body)
{
	assert_true(srv.nroutes < MAX_ROUTES);
	srv.routes[srv.nroutes++] = (struct route){line, status, body};
}

/* The value of header name in a recorded request, or NULL. */
static inline const char *header(const struct recorded *r, const char *name,
                                 char *out, size_t len)
{
	const char *p = r->headers;
	size_t n = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *end;

			while (*v == ' ')
				v++;
			end = strstr(v, "\r\n");
			snprintf(out, len, "%.*s", (int)(end - v), v);
			return out;
		}
	}
	return NULL;
}

/* Reads one request from fd into r; false on a broken request. */
static inline bool read_request(int fd, struct recorded *r)
{
	char data[8192];
	size_t have = 0, head, clen = 0;
	const char *end, *cl;
	ssize_t n;

	data[0] = '\0';
	while ((end = strstr(data, "\r\n\r\n")) == NULL) {
		n = read(fd, data + have, sizeof(data) - 1 - have);
		if (n <= 0)
			return false;
		have += (size_t)n;
		data[have] = '\0';
	}
	head = (size_t)(end - data) + 4;
	data[have] = '\0';
	snprintf(r->line, sizeof(r->line), "%.*s",
	         (int)(strstr(data, "\r\n") - data), data);
	snprintf(r->headers, sizeof(r->headers), "%.*s", (int)head, data);
	if (header(r, "Content-Length", r->body, sizeof(r->body)) != NULL)
		clen = strtoul(r->body, NULL, 10);
	cl = data + head;
	while (have - head < clen && have < sizeof(data) - 1) {
		n = read(fd, data + have, sizeof(data) - 1 - have);
		if (n <= 0)
			return false;
		have += (size_t)n;
	}
	snprintf(r->body, sizeof(r->body), "%.*s", (int)clen, cl);
	return true;
}

static inline void answer(int fd, const struct recorded *r)
{
	const struct route *hit = NULL;
	struct buf out = BUF_INIT;
	size_t i, n;
	const char *body;
	int status;

	for (i = 0; i < srv.nroutes && hit == NULL; i++) {
		n = strlen(srv.routes[i].line);
		if (strncmp(r->line, srv.routes[i].line, n) == 0 &&
		    r->line[n] == ' ')
			hit = &srv.routes[i];
	}
	status = hit ? hit->status : 404;
	body = hit ? hit->body : "{\"errors\":[]}";
	buf_printf(&out, "HTTP/1.1 %d Canned\r\nConnection: close\r\n", status);
	if (body != NULL)
		buf_printf(&out,
		           "Content-Type: application/json\r\n"
		           "Content-Length: %zu\r\n\r\n%s",
		           strlen(body), body);
	else
		buf_printf(&out, "Content-Length: 0\r\n\r\n");
	assert_true(write(fd, out.data, out.len) == (ssize_t)out.len);
	buf_release(&out);
}

static inline void *serve(void *arg)
{
	struct recorded r;
	int fd;

	(void)arg;
	while ((fd = accept(srv.fd, NULL, NULL)) >= 0) {
		memset(&r, 0, sizeof(r));
		if (read_request(fd, &r)) {
			pthread_mutex_lock(&srv.lock);
			if (srv.nreq < MAX_RECORDED)
				srv.req[srv.nreq++] = r;
			pthread_mutex_unlock(&srv.lock);
			answer(fd, &r);
		}
		close(fd);
	}
	return NULL;
}

static inline int setup(void **state)
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
	srv.port = ntohs(a.sin_port);
	snprintf(addr, sizeof(addr), "http://127.0.0.1:%d", srv.port);

	/* Only what each test sets may steer the client. */
	setenv("VAULT_ADDR", addr, 1);
	setenv("VAULT_TOKEN", "s.test-token", 1);
	setenv("HOME", "/nonexistent", 1);
	unsetenv("COFFER_ADDR");
	unsetenv("COFFER_TOKEN");
	unsetenv("VAULT_FORMAT");
	unsetenv("VAULT_NAMESPACE");
	return pthread_create(&srv.thread, NULL, serve, NULL) ? -1 : 0;
}

static inline int teardown(void **state)
{
	(void)state;
	shutdown(srv.fd, SHUT_RDWR);
	pthread_join(srv.thread, NULL);
	close(srv.fd);
	pthread_mutex_destroy(&srv.lock);
	return 0;
}

static inline void slurp(FILE *f, char *out, size_t len)
{
	size_t n;

	fflush(f);
	rewind(f);
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
}

/* Runs `coffer args...` with stdout and stderr captured into run. */
static inline int cli(const char *first, ...)
{
	char *argv[32] = {"coffer"};
	int argc = 1, saved_out, saved_err;
	FILE *out = tmpfile(), *err = tmpfile();
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);

	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	dup2(fileno(out), STDOUT_FILENO);
	dup2(fileno(err), STDERR_FILENO);
	run.code = cli_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);

	slurp(out, run.out, sizeof(run.out));
	slurp(err, run.err, sizeof(run.err));
	return run.code;
}

static inline const struct recorded *last(void)
{
	assert_true(srv.nreq > 0);
	return &srv.req[srv.nreq - 1];
}

/* The latest recorded request whose line starts with prefix, or NULL. */
static inline const struct recorded *find(const char *prefix)
{
	size_t i;

	for (i = srv.nreq; i > 0; i--)
		if (strncmp(srv.req[i - 1].line, prefix, strlen(prefix)) == 0)
			return &srv.req[i - 1];
	return NULL;
}

/* Whether the body of r is JSON equal to expect. */
static inline bool body_is(const struct recorded *r, const char *expect)
{
	json_t *a = json_loads(r->body, 0, NULL);
	json_t *b = json_loads(expect, 0, NULL);
	bool same = a != NULL && b != NULL && json_equal(a, b);

	if (!same)
		fprintf(stderr, "body %s\nwanted %s\n", r->body, expect);
	json_decref(a);
	json_decref(b);
	return same;
}

/* Makes text the standard input; returns the old one for stdin_pop. */
static inline int stdin_push(const char *text)
{
	FILE *in = tmpfile();
	int saved = dup(STDIN_FILENO);

	fputs(text, in);
	rewind(in);
	dup2(fileno(in), STDIN_FILENO);
	fclose(in);
	clearerr(stdin);
	return saved;
}

static inline void stdin_pop(int saved)
{
	dup2(saved, STDIN_FILENO);
	close(saved);
	clearerr(stdin);
}

/* Forgets the recorded requests (the routes stay). */
static inline void forget(void)
{
	pthread_mutex_lock(&srv.lock);
	srv.nreq = 0;
	pthread_mutex_unlock(&srv.lock);
}

#endif
