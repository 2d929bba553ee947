#include "cli/command.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/params.h"
#include "base/secret.h"

/* The options of COMMAND_COMMON_FLAGS, listed under every usage text. */
static const char command_common_help[] =
    "\nServer options (all commands):\n"
    "  -address=URL         the server (COFFER_ADDR, VAULT_ADDR;\n"
    "                       https://127.0.0.1:8200 by default)\n"
    "  -namespace=NS        the namespace (VAULT_NAMESPACE)\n"
    "  -ca-cert=FILE        CA certificates to trust (VAULT_CACERT)\n"
    "  -ca-path=DIR         a directory of them (VAULT_CAPATH)\n"
    "  -client-cert=FILE    a TLS client certificate (VAULT_CLIENT_CERT)\n"
    "  -client-key=FILE     its key (VAULT_CLIENT_KEY)\n"
    "  -tls-skip-verify     do not check the server's certificate\n"
    "                       (VAULT_SKIP_VERIFY); for tests only\n";

int command_usage_error(const char *usage, const char *msg)
{
	fprintf(stderr, "%s\n\n%s%s", msg, usage, command_common_help);
	return COMMAND_EXIT_USAGE;
}

int command_parse(const char *usage, const struct flag_def *defs, int argc,
                  char **argv, struct command_opts *o, int *first)
{
	struct buf msg = BUF_INIT;
	const char *env = getenv("VAULT_FORMAT");
	int code = COMMAND_RUN;
	err_t rc;

	o->format = env != NULL && *env != '\0' ? env : "table";
	rc = flags_parse(defs, argc - 1, argv + 1, first, &msg);
	*first += 1;
	if (rc != ERR_OK) {
		code = rc == ERR_INVALID
		           ? command_usage_error(usage, buf_str(&msg))
		           : command_fail("parsing flags", err_str(rc));
		goto out;
	}
	if (o->help) {
		printf("%s%s", usage, command_common_help);
		code = COMMAND_EXIT_OK;
		goto out;
	}
	if (strcmp(o->format, "table") != 0 && strcmp(o->format, "json") != 0) {
		buf_reset(&msg);
		buf_printf(&msg, "invalid output format: %s (table or json)",
		           o->format);
		code = command_usage_error(usage, buf_str(&msg));
	}
out:
	buf_release(&msg);
	return code;
}

int command_fail(const char *what, const char *detail)
{
	fprintf(stderr, "Error %s: %s\n", what, detail);
	return COMMAND_EXIT_ERROR;
}

int command_client(const struct command_opts *o, struct client **out)
{
	struct buf msg = BUF_INIT;
	int code = COMMAND_EXIT_OK;
	err_t rc;

	rc = client_new(&o->http, out, &msg);
	if (rc != ERR_OK)
		code = command_fail("creating the API client",
		                    msg.len ? buf_str(&msg) : err_str(rc));
	buf_release(&msg);
	return code;
}

int command_send(struct client *c, const char *method, const char *path,
                 const char *query, json_t *body, const char *what,
                 struct client_response *resp)
{
	struct buf msg = BUF_INIT;
	int code = COMMAND_EXIT_OK;
	err_t rc;

	rc = client_request(c, method, path, query, body, resp, &msg);
	if (rc != ERR_OK)
		code =
		    command_fail(what, msg.len ? buf_str(&msg) : err_str(rc));
	buf_release(&msg);
	return code;
}

int command_check(const struct client_response *resp, const char *what)
{
	struct buf msg = BUF_INIT;
	int code;

	if (resp->status < 400)
		return COMMAND_EXIT_OK;
	if (client_response_error(resp, &msg) == ERR_OK)
		code = command_fail(what, buf_str(&msg));
	else
		code = command_fail(what, "the server refused the request");
	buf_release(&msg);
	return code;
}

int command_call(struct client *c, const char *method, const char *path,
                 const char *query, json_t *body, const char *what,
                 struct client_response *resp)
{
	int code;

	code = command_send(c, method, path, query, body, what, resp);
	if (code == COMMAND_EXIT_OK)
		code = command_check(resp, what);
	return code;
}

int command_print_json(json_t *v)
{
	char *text;

	text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (text == NULL) {
		fputs("Error printing JSON: out of memory\n", stderr);
		return COMMAND_EXIT_ERROR;
	}
	/* The answer may carry secrets; they are why it was asked for. */
	printf("%s\n", text);
	secret_free(text);
	return COMMAND_EXIT_OK;
}

int command_print_table(const struct table *t)
{
	struct buf out = BUF_INIT;
	err_t rc;

	rc = table_render(t, &out);
	if (rc == ERR_OK)
		fwrite(out.data ? out.data : (uint8_t *)"", 1, out.len, stdout);
	buf_release(&out);
	if (rc != ERR_OK)
		return command_fail("printing the table", err_str(rc));
	return COMMAND_EXIT_OK;
}

err_t command_format_value(json_t *v, struct buf *out)
{
	char *text;
	err_t rc;

	if (json_is_string(v))
		return buf_append(out, json_string_value(v),
		                  json_string_length(v));
	if (v == NULL || json_is_null(v))
		return buf_append_str(out, "<nil>");
	text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (text == NULL)
		return ERR_NOMEM;
	rc = buf_append_str(out, text);
	secret_free(text);
	return rc;
}

/* Adds the row key = the table form of v. */
static err_t command_row(struct table *t, const char *key, json_t *v)
{
	struct buf text = BUF_INIT;
	err_t rc;

	rc = command_format_value(v, &text);
	if (rc == ERR_OK)
		rc = table_add_kv(t, key, buf_str(&text));
	buf_release(&text);
	return rc;
}

static int command_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One row per key of obj, sorted, each key behind prefix. */
static err_t command_object_rows(struct table *t, json_t *obj,
                                 const char *prefix)
{
	struct buf key = BUF_INIT;
	const char **keys = NULL, *k;
	size_t n = 0, i;
	json_t *v;
	err_t rc = ERR_OK;

	if (!json_is_object(obj) || json_object_size(obj) == 0)
		return ERR_OK;
	keys = calloc(json_object_size(obj), sizeof(*keys));
	if (keys == NULL)
		return ERR_NOMEM;
	json_object_foreach(obj, k, v)
	{
		keys[n++] = k;
	}
	qsort(keys, n, sizeof(*keys), command_strcmp);

	for (i = 0; i < n && rc == ERR_OK; i++) {
		buf_reset(&key);
		rc = buf_printf(&key, "%s%s", prefix, keys[i]);
		if (rc == ERR_OK)
			rc = command_row(t, buf_str(&key),
			                 json_object_get(obj, keys[i]));
	}
	buf_release(&key);
	free(keys);
	return rc;
}

static err_t command_duration_row(struct table *t, const char *key, json_t *v)
{
	char text[64];

	format_duration(json_integer_value(v), text, sizeof(text));
	return table_add_kv(t, key, text);
}

static err_t command_lease_rows(struct table *t, json_t *env)
{
	json_t *id = json_object_get(env, "lease_id");
	json_t *ttl = json_object_get(env, "lease_duration");
	err_t rc;

	if (json_is_string(id) && json_string_length(id) > 0) {
		rc = command_row(t, "lease_id", id);
		if (rc == ERR_OK)
			rc = command_duration_row(t, "lease_duration", ttl);
		if (rc == ERR_OK)
			rc = command_row(t, "lease_renewable",
			                 json_object_get(env, "renewable"));
		return rc;
	}
	/* Without a lease, a duration says when to read the value again. */
	if (json_integer_value(ttl) > 0)
		return command_duration_row(t, "refresh_interval", ttl);
	return ERR_OK;
}

/* A login's token: showing it is the point of the command. */
static err_t command_auth_rows(struct table *t, json_t *auth)
{
	static const char *const fields[][2] = {
	    {"token", "client_token"},
	    {"token_accessor", "accessor"},
	    {"token_duration", NULL},
	    {"token_renewable", "renewable"},
	    {"token_policies", "token_policies"},
	    {"identity_policies", "identity_policies"},
	    {"policies", "policies"},
	};
	size_t i;
	err_t rc = ERR_OK;

	if (!json_is_object(auth))
		return ERR_OK;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]) && !rc; i++) {
		if (fields[i][1] == NULL)
			rc = command_duration_row(
			    t, fields[i][0],
			    json_object_get(auth, "lease_duration"));
		else
			rc = command_row(t, fields[i][0],
			                 json_object_get(auth, fields[i][1]));
	}
	if (rc == ERR_OK)
		rc = command_object_rows(t, json_object_get(auth, "metadata"),
		                         "token_meta_");
	return rc;
}

static void command_print_warnings(json_t *env)
{
	json_t *warnings = json_object_get(env, "warnings"), *w;
	size_t i;

	if (!json_is_array(warnings) || json_array_size(warnings) == 0)
		return;
	fputs("WARNING! The server sent these warnings:\n\n", stderr);
	json_array_foreach(warnings, i, w)
	{
		if (json_is_string(w))
			fprintf(stderr, "  * %s\n", json_string_value(w));
	}
	fputc('\n', stderr);
}

static int command_print_field(const struct table *t, const char *field)
{
	size_t r;

	for (r = t->header ? 1 : 0; r < t->nrows; r++) {
		if (strcmp(t->cells[r * 2], field) == 0) {
			printf("%s\n", t->cells[r * 2 + 1]);
			return COMMAND_EXIT_OK;
		}
	}
	fprintf(stderr, "Field \"%s\" not present in secret\n", field);
	return COMMAND_EXIT_ERROR;
}

int command_print_secret(json_t *envelope, const char *format,
                         const char *field)
{
	static const char *const headers[] = {"Key", "Value"};
	struct table t;
	err_t rc;
	int code;

	if (field == NULL && strcmp(format, "json") == 0)
		return command_print_json(envelope);

	rc = table_init(&t, 2, headers);
	if (rc == ERR_OK)
		rc = command_lease_rows(&t, envelope);
	if (rc == ERR_OK)
		rc = command_auth_rows(&t, json_object_get(envelope, "auth"));
	if (rc == ERR_OK)
		rc = command_object_rows(&t, json_object_get(envelope, "data"),
		                         "");
	if (rc != ERR_OK) {
		code = command_fail("printing the answer", err_str(rc));
		goto out;
	}
	if (field != NULL) {
		code = command_print_field(&t, field);
		goto out;
	}
	command_print_warnings(envelope);
	code = t.nrows > 1 ? command_print_table(&t) : COMMAND_EXIT_OK;
out:
	table_release(&t);
	return code;
}
