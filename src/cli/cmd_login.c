/*
 * cmd_login.c - `coffer login`: log in with an auth method and keep the
 * token in ~/.vault-token (mode 0600), where every later command (and
 * Vault's own CLI) finds it.
 *
 *   coffer login TOKEN                      (-method=token, the default)
 *   coffer login -method=approle role_id=R secret_id=S
 *   coffer login -method=userpass username=U [password=P]
 *   coffer login -method=jwt role=R jwt=@token-file
 *   coffer login -method=cert -client-cert=C -client-key=K [name=N]
 *
 * Adding a method: a method whose login is one POST of its K=V pairs to
 * auth/<path>/login (or login/<value of one pair>) needs one line in
 * login_methods below, e.g. {"jwt", "jwt", NULL, NULL} (role=, jwt=) or
 * {"cert", "cert", NULL, NULL} (the certificate comes from -client-cert
 * and -client-key). secret_key names a pair asked for on the terminal,
 * without echo, when it is not given.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "base/params.h"
#include "base/secret.h"
#include "cli/cmd_auth.h"
#include "cli/command.h"
#include "cli/login_machine.h"

struct login_method {
	const char *name;         /* -method=NAME */
	const char *default_path; /* its usual mount, under auth/ */
	const char *path_key;     /* pair whose value ends the login path */
	const char *secret_key;   /* pair prompted for without echo */
};

/* One line a method; see the top of the file. */
static const struct login_method login_methods[] = {
    {"approle", "approle", NULL, NULL},
    {"userpass", "userpass", "username", "password"},
    {"jwt", "jwt", NULL, NULL},
    {"kubernetes", "kubernetes", NULL, NULL},
    {"cert", "cert", NULL, NULL},
};

static const char login_usage[] =
    "Usage: coffer login [options] [TOKEN | K=V...]\n"
    "\n"
    "  Logs in with an auth method and stores the token in ~/.vault-token\n"
    "  (mode 0600) for later commands.\n"
    "\n"
    "    $ coffer login s.mytoken\n"
    "    $ coffer login -method=approle role_id=R secret_id=S\n"
    "    $ coffer login -method=userpass username=alice\n"
    "\n"
    "  -method=NAME            token (default), approle, userpass, jwt,\n"
    "                          kubernetes, cert\n"
    "  -path=PATH              where the method is mounted (default: NAME)\n"
    "  -no-store               print the token but do not store it\n"
    "  -token-only             print only the token\n"
    "  -format=table|json      how to print the answer\n";

static const struct login_method *find_method(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(login_methods) / sizeof(login_methods[0]); i++)
		if (strcmp(login_methods[i].name, name) == 0)
			return &login_methods[i];
	return NULL;
}

/* Reads one line into out, from the terminal with echo off. */
static err_t prompt_secret(const char *what, struct buf *out)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	err_t rc = ERR_OK;
	int ch;

	if (tty) {
		fprintf(stderr, "%s (will be hidden): ", what);
		fflush(stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	while (rc == ERR_OK && (ch = getchar()) != EOF && ch != '\n')
		rc = buf_append_byte(out, (uint8_t)ch);
	if (rc == ERR_OK && out->len > 0 && out->data[out->len - 1] == '\r')
		out->data[--out->len] = '\0';
	if (tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	return rc;
}

/* Writes token to ~/.vault-token, readable by its owner only. */
static err_t store_token(const char *token)
{
	struct buf path = BUF_INIT;
	const char *home = getenv("HOME");
	size_t n = strlen(token);
	err_t rc = ERR_IO;
	int fd;

	if (home == NULL || *home == 0 ||
	    buf_printf(&path, "%s/.vault-token", home) != ERR_OK)
		goto out;
	fd = open(buf_str(&path), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
	          0600);
	if (fd < 0)
		goto out;
	/* An older file may have had looser bits: O_CREAT keeps them. */
	if (fchmod(fd, 0600) == 0 && write(fd, token, n) == (ssize_t)n)
		rc = ERR_OK;
	if (close(fd) != 0)
		rc = ERR_IO;
out:
	buf_release(&path);
	return rc;
}

/* The K=V pairs as a JSON body; the path key's value into *path_value. */
static int login_body(char **kv, int n, const struct login_method *lm,
                      json_t **out, struct buf *secret)
{
	json_t *body;
	int i;

	/* jwt=@file, cert's optional name: the machine methods' own rules. */
	if (login_machine_handles(lm->name)) {
		struct buf msg = BUF_INIT;
		err_t rc = login_machine_body(lm->name, n, kv, out, &msg);
		int code = rc == ERR_OK ? COMMAND_EXIT_OK
		                        : command_usage_error(login_usage,
		                                              buf_str(&msg));
		buf_release(&msg);
		return code;
	}
	body = json_object();
	*out = body;
	if (body == NULL)
		return command_fail("building the request", "out of memory");
	for (i = 0; i < n; i++) {
		const char *eq = strchr(kv[i], '=');
		if (eq == NULL || eq == kv[i])
			return command_usage_error(
			    login_usage, "Arguments must be given as K=V");
		if (json_object_setn_new(body, kv[i], (size_t)(eq - kv[i]),
		                         json_string(eq + 1)))
			return command_fail("building the request",
			                    "a value is not valid UTF-8 text");
	}
	if (lm->path_key != NULL &&
	    !json_is_string(json_object_get(body, lm->path_key))) {
		fprintf(stderr, "Error: %s=... is required\n", lm->path_key);
		return COMMAND_EXIT_USAGE;
	}
	if (lm->secret_key == NULL || json_object_get(body, lm->secret_key))
		return COMMAND_EXIT_OK;
	if (prompt_secret(lm->secret_key, secret) != ERR_OK ||
	    json_object_set_new(body, lm->secret_key,
	                        json_string(buf_str(secret))))
		return command_fail("reading the secret", "bad input");
	return COMMAND_EXIT_OK;
}

/* POSTs the login of method lm and leaves the answer in resp. */
static int method_login(struct client *c, const struct login_method *lm,
                        const char *mount, char **kv, int n,
                        struct client_response *resp)
{
	struct buf api = BUF_INIT, secret = BUF_INIT;
	json_t *body = NULL;
	int code = login_body(kv, n, lm, &body, &secret);

	if (code == COMMAND_EXIT_OK &&
	    buf_printf(&api, "auth/%s/login", mount ? mount : lm->default_path))
		code = command_fail("logging in", "out of memory");
	if (code == COMMAND_EXIT_OK && lm->path_key != NULL) {
		const char *v =
		    json_string_value(json_object_get(body, lm->path_key));
		if (buf_printf(&api, "/%s", v) != ERR_OK)
			code = command_fail("logging in", "out of memory");
		json_object_del(body, lm->path_key);
	}
	if (code == COMMAND_EXIT_OK)
		code = command_call(c, "POST", buf_str(&api), NULL, body,
		                    "logging in", resp);
	json_decref(body);
	buf_release(&api);
	buf_release(&secret);
	return code;
}

/* -method=token: checks the token with lookup-self. */
static int token_login(struct command_opts *o, char **args, int n,
                       struct client_response *resp, struct buf *token)
{
	const char *given = n == 1 ? args[0] : NULL;

	if (n > 1)
		return command_usage_error(login_usage, "Too many arguments");
	if (given != NULL && strncmp(given, "token=", 6) == 0)
		given = given + 6;
	if (given != NULL ? buf_append_str(token, given) != ERR_OK
	                  : prompt_secret("Token", token) != ERR_OK)
		return command_fail("reading the token", "bad input");
	if (token->len == 0)
		return command_usage_error(login_usage, "No token given");
	o->http.token = buf_str(token);
	return command_call_once(o, "GET", "auth/token/lookup-self", NULL, NULL,
	                         "logging in", resp);
}

/* Key/Value lines of the auth block, as Vault's CLI shows a login. */
static int print_auth(json_t *auth)
{
	struct table t;
	struct buf v = BUF_INIT;
	const char *k;
	json_t *x;
	err_t rc = table_init(&t, 2, (const char *const[]){"Key", "Value"});
	int code;

	static const char *const rows[][2] = {
	    {"token", "client_token"},
	    {"token_accessor", "accessor"},
	    {"token_duration", "lease_duration"},
	    {"token_renewable", "renewable"},
	    {"token_policies", "token_policies"},
	    {"identity_policies", "identity_policies"},
	    {"policies", "policies"},
	};
	for (size_t i = 0; rc == ERR_OK && i < 7; i++) {
		buf_reset(&v);
		x = json_object_get(auth, rows[i][1]);
		if (json_is_integer(x)) {
			char d[32];
			format_duration(json_integer_value(x), d, sizeof(d));
			rc = buf_append_str(&v, d);
		} else {
			rc = x ? command_format_value(x, &v)
			       : buf_append_str(&v, "[]");
		}
		if (rc == ERR_OK)
			rc = table_add_kv(&t, rows[i][0], buf_str(&v));
	}
	json_object_foreach(json_object_get(auth, "metadata"), k, x)
	{
		buf_reset(&v);
		if (rc == ERR_OK)
			rc = buf_printf(&v, "token_meta_%s", k);
		if (rc == ERR_OK)
			rc =
			    table_add_kv(&t, buf_str(&v), json_string_value(x));
	}
	code = rc ? command_fail("printing", err_str(rc))
	          : command_print_table(&t);
	table_release(&t);
	buf_release(&v);
	return code;
}

/* Stores and prints the token of a successful login answer. */
static int finish(json_t *env, const char *token, bool no_store,
                  bool token_only, const char *format)
{
	if (token == NULL || *token == 0)
		return command_fail("logging in", "the answer held no token");
	if (!no_store && store_token(token) != ERR_OK)
		return command_fail("storing the token in ~/.vault-token",
		                    "cannot write the file");
	if (token_only) {
		printf("%s\n", token);
		return COMMAND_EXIT_OK;
	}
	if (strcmp(format, "json") == 0)
		return command_print_json(env);
	printf(no_store ? "Success! You are now authenticated. The token "
	                  "was not stored (-no-store).\n\n"
	                : "Success! You are now authenticated. The token "
	                  "is stored in ~/.vault-token; you do not need to "
	                  "run \"coffer login\" again.\n\n");
	return print_auth(json_object_get(env, "auth"));
}

int cmd_login(int argc, char **argv)
{
	struct command_opts o = {0};
	const char *method = "token", *mount = NULL;
	bool no_store = false, token_only = false;
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o),
	                          {"method", FLAG_STRING, &method},
	                          {"path", FLAG_STRING, &mount},
	                          {"no-store", FLAG_BOOL, &no_store},
	                          {"token-only", FLAG_BOOL, &token_only},
	                          {0}};
	struct client_response resp = {0};
	const struct login_method *lm = NULL;
	struct buf token = BUF_INIT;
	struct client *c = NULL;
	json_t *auth;
	int first, code;

	code = command_parse(login_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (strcmp(method, "token") != 0 && (lm = find_method(method)) == NULL)
		return command_usage_error(login_usage, "Unknown -method");
	if (lm == NULL) {
		code =
		    token_login(&o, argv + first, argc - first, &resp, &token);
		if (code == COMMAND_EXIT_OK)
			code = finish(resp.body, buf_str(&token), no_store,
			              token_only, o.format);
		goto out;
	}
	code = command_client(&o, &c);
	if (code == COMMAND_EXIT_OK)
		code = method_login(c, lm, mount, argv + first, argc - first,
		                    &resp);
	auth = json_object_get(resp.body, "auth");
	if (code == COMMAND_EXIT_OK)
		code = finish(
		    resp.body,
		    json_string_value(json_object_get(auth, "client_token")),
		    no_store, token_only, o.format);
out:
	client_response_release(&resp);
	client_free(c);
	buf_release(&token);
	return code;
}
