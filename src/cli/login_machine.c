/*
 * login_machine.c - request bodies and the call of the jwt, kubernetes
 * and cert logins for `coffer login` (see login_machine.h).
 */
#include "cli/login_machine.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/secret.h"
#include "cli/command.h"

bool login_machine_handles(const char *method)
{
	return method != NULL &&
	       (strcmp(method, "jwt") == 0 || strcmp(method, "oidc") == 0 ||
	        strcmp(method, "kubernetes") == 0 ||
	        strcmp(method, "cert") == 0);
}

/* Reads a whole file of at most LOGIN_JWT_MAX bytes into out. */
static err_t read_file(const char *path, struct buf *out, struct buf *msg)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;
	err_t rc = ERR_OK;

	if (f == NULL) {
		buf_printf(msg, "cannot open %s: %s", path, strerror(errno));
		return ERR_INVALID;
	}
	while (rc == ERR_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_append(out, chunk, n);
	if (rc == ERR_OK && ferror(f))
		rc = ERR_IO;
	fclose(f);
	secret_wipe(chunk, sizeof(chunk));
	if (rc != ERR_OK)
		buf_printf(msg, "cannot read %s: %s", path,
		           rc == ERR_TOO_LARGE ? "file is too large"
		                               : "read error");
	return rc == ERR_OK ? ERR_OK : ERR_INVALID;
}

/* The JWT of "jwt=VALUE" or "jwt=@FILE", trimmed, into out. */
static err_t jwt_value(const char *v, struct buf *out, struct buf *msg)
{
	err_t rc;

	buf_init(out, LOGIN_JWT_MAX);
	rc = v[0] == '@' ? read_file(v + 1, out, msg) : buf_append_str(out, v);
	if (rc == ERR_TOO_LARGE)
		buf_printf(msg, "jwt is longer than %zu bytes", LOGIN_JWT_MAX);
	if (rc != ERR_OK)
		return ERR_INVALID;
	while (out->len > 0 && isspace(out->data[out->len - 1]))
		out->data[--out->len] = 0;
	if (out->len == 0 || memchr(out->data, 0, out->len) != NULL) {
		buf_printf(msg, "jwt is empty or not text");
		return ERR_INVALID;
	}
	return ERR_OK;
}

/* Adds one key=value argument to body; keys allowed by method. */
static err_t add_arg(const char *method, const char *arg, json_t *body,
                     struct buf *msg)
{
	bool cert = strcmp(method, "cert") == 0;
	const char *eq = strchr(arg, '=');
	struct buf jwt = BUF_INIT;
	size_t klen;
	err_t rc;

	if (eq == NULL || eq == arg) {
		buf_printf(msg, "expected key=value, got \"%s\"", arg);
		return ERR_INVALID;
	}
	klen = (size_t)(eq - arg);
	if (cert && klen == 4 && strncmp(arg, "name", 4) == 0)
		return json_object_set_new(body, "name", json_string(eq + 1))
		           ? ERR_NOMEM
		           : ERR_OK;
	if (!cert && klen == 4 && strncmp(arg, "role", 4) == 0)
		return json_object_set_new(body, "role", json_string(eq + 1))
		           ? ERR_NOMEM
		           : ERR_OK;
	if (cert || klen != 3 || strncmp(arg, "jwt", 3) != 0) {
		buf_printf(msg, "unknown key \"%.*s\" for -method=%s",
		           (int)klen, arg, method);
		return ERR_INVALID;
	}
	rc = jwt_value(eq + 1, &jwt, msg);
	if (rc == ERR_OK &&
	    json_object_set_new(body, "jwt", json_string(buf_str(&jwt))))
		rc = ERR_NOMEM;
	buf_release(&jwt);
	return rc;
}

err_t login_machine_body(const char *method, int nargs, char **args,
                         json_t **body, struct buf *msg)
{
	json_t *b;
	err_t rc = ERR_OK;
	int i;

	*body = NULL;
	if (!login_machine_handles(method)) {
		buf_printf(msg, "unknown method \"%s\"", method ? method : "");
		return ERR_INVALID;
	}
	b = json_object();
	if (b == NULL)
		return ERR_NOMEM;
	for (i = 0; rc == ERR_OK && i < nargs; i++)
		rc = add_arg(method, args[i], b, msg);
	if (rc == ERR_OK && strcmp(method, "cert") != 0 &&
	    json_object_get(b, "jwt") == NULL) {
		buf_printf(msg, "jwt=... is required for -method=%s", method);
		rc = ERR_INVALID;
	}
	if (rc != ERR_OK) {
		json_decref(b);
		return rc;
	}
	*body = b;
	return ERR_OK;
}

int login_machine(struct client *c, const char *method, const char *mount,
                  int nargs, char **args, struct client_response *resp)
{
	struct buf msg = BUF_INIT, path = BUF_INIT;
	json_t *body = NULL;
	int code;

	if (login_machine_body(method, nargs, args, &body, &msg) != ERR_OK) {
		fprintf(stderr, "Error logging in: %s\n",
		        msg.len ? buf_str(&msg) : "out of memory");
		buf_release(&msg);
		return COMMAND_EXIT_USAGE;
	}
	if (mount == NULL || *mount == 0)
		mount = method;
	if (buf_printf(&path, "auth/%s/login", mount) != ERR_OK) {
		json_decref(body);
		return command_fail("logging in", "out of memory");
	}
	code = command_call(c, "POST", buf_str(&path), NULL, body, "logging in",
	                    resp);
	json_decref(body);
	buf_release(&path);
	buf_release(&msg);
	return code;
}
