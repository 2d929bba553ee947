#include "cli/command.h"

#include <assert.h>
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

int command_parse_args(const char *usage, const struct flag_def *defs, int argc,
                       char **argv, struct command_opts *o, int nargs,
                       const char *names, int *first)
{
	static const char *const counts[] = {"", "one argument",
	                                     "two arguments"};
	struct buf msg = BUF_INIT;
	int code;

	assert(nargs >= 0 && nargs <= 2);
	code = command_parse(usage, defs, argc, argv, o, first);
	if (code != COMMAND_RUN || argc - *first == nargs)
		return code;
	if (nargs == 0)
		return command_usage_error(usage, "Too many arguments");
	if (buf_printf(&msg, "Expected exactly %s: %s", counts[nargs], names) ==
	    ERR_OK)
		code = command_usage_error(usage, buf_str(&msg));
	else
		code = command_fail("parsing the arguments", "out of memory");
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

int command_fetch(struct client *c, const char *method, const char *path,
                  const char *query, const char *what,
                  struct client_response *resp)
{
	json_t *keys;
	int code;

	code = command_send(c, method, path, query, NULL, what, resp);
	if (code != COMMAND_EXIT_OK)
		return code;
	keys = json_object_get(json_object_get(resp->body, "data"), "keys");
	if (resp->status == 404 ||
	    (strcmp(method, "LIST") == 0 && resp->status < 400 &&
	     json_array_size(keys) == 0))
		return COMMAND_ABSENT;
	return command_check(resp, what);
}

int command_call_once(const struct command_opts *o, const char *method,
                      const char *path, const char *query, json_t *body,
                      const char *what, struct client_response *resp)
{
	struct client *c = NULL;
	int code;

	code = command_client(o, &c);
	if (code == COMMAND_EXIT_OK)
		code = command_call(c, method, path, query, body, what, resp);
	client_free(c);
	return code;
}

int command_fetch_once(const struct command_opts *o, const char *method,
                       const char *path, const char *query, const char *what,
                       struct client_response *resp)
{
	struct client *c = NULL;
	int code;

	code = command_client(o, &c);
	if (code == COMMAND_EXIT_OK)
		code = command_fetch(c, method, path, query, what, resp);
	client_free(c);
	return code;
}

int command_call_print(const struct command_opts *o, const char *method,
                       const char *path, json_t *body, const char *what,
                       const char *field)
{
	struct client_response resp = {0};
	int code;

	code = command_call_once(o, method, path, NULL, body, what, &resp);
	if (code == COMMAND_EXIT_OK)
		code = command_print_secret(resp.body, o->format, field);
	client_response_release(&resp);
	return code;
}

int command_no_value(const char *path)
{
	fprintf(stderr, "No value found at %s\n", path);
	return COMMAND_EXIT_USAGE;
}

int command_call_typed(struct client *c, const char *method, const char *path,
                       json_t *body, const char *content_type, const char *what,
                       struct client_response *resp)
{
	struct buf msg = BUF_INIT;
	int code = COMMAND_EXIT_OK;
	err_t rc;

	rc = client_request_typed(c, method, path, NULL, body, content_type,
	                          resp, &msg);
	if (rc != ERR_OK)
		code =
		    command_fail(what, msg.len ? buf_str(&msg) : err_str(rc));
	buf_release(&msg);
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

static bool command_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool command_is_duration_key(const char *key)
{
	return strcmp(key, "period") == 0 || strcmp(key, "ttl") == 0 ||
	       strcmp(key, "duration") == 0 || strcmp(key, "lease_max") == 0 ||
	       strcmp(key, "ttl_max") == 0 ||
	       command_ends_with(key, "_period") ||
	       command_ends_with(key, "_ttl") ||
	       command_ends_with(key, "_duration");
}

/*
 * The table form of the value of key: a whole number of seconds under a
 * key that names a duration reads better as one ("768h0m0s").
 */
static err_t command_format_cell(const char *key, json_t *v, struct buf *out)
{
	char text[64];

	if (json_is_integer(v) && command_is_duration_key(key)) {
		format_duration(json_integer_value(v), text, sizeof(text));
		return buf_append_str(out, text);
	}
	return command_format_value(v, out);
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

const char **command_sorted_keys(json_t *obj, size_t *n)
{
	const char **keys, *k;
	json_t *v;

	*n = 0;
	keys = calloc(json_object_size(obj) + 1, sizeof(*keys));
	if (keys == NULL)
		return NULL;
	json_object_foreach(obj, k, v)
	{
		keys[(*n)++] = k;
	}
	qsort(keys, *n, sizeof(*keys), command_strcmp);
	return keys;
}

const char **command_sorted_strings(json_t *array, size_t *n)
{
	const char **names;
	json_t *item;
	size_t i;

	*n = 0;
	names = calloc(json_array_size(array) + 1, sizeof(*names));
	if (names == NULL)
		return NULL;
	json_array_foreach(array, i, item)
	{
		if (json_is_string(item))
			names[(*n)++] = json_string_value(item);
	}
	qsort(names, *n, sizeof(*names), command_strcmp);
	return names;
}

/* Adds the row key = the cell form of v, durations spelled out. */
static err_t command_cell_row(struct table *t, const char *key, json_t *v,
                              bool empty_na)
{
	struct buf text = BUF_INIT;
	err_t rc;

	rc = command_format_cell(key, v, &text);
	/* Vault's tables show an empty cell as "n/a". */
	if (rc == ERR_OK && empty_na && text.len == 0)
		rc = buf_append_str(&text, "n/a");
	if (rc == ERR_OK)
		rc = table_add_kv(t, key, buf_str(&text));
	buf_release(&text);
	return rc;
}

/*
 * One row per key of obj, sorted, each key behind prefix. With human set,
 * durations are spelled out; without it (for -field) values stay raw.
 */
static err_t command_object_rows(struct table *t, json_t *obj,
                                 const char *prefix, bool human)
{
	struct buf key = BUF_INIT;
	const char **keys;
	size_t n, i;
	err_t rc = ERR_OK;

	if (!json_is_object(obj) || json_object_size(obj) == 0)
		return ERR_OK;
	keys = command_sorted_keys(obj, &n);
	if (keys == NULL)
		return ERR_NOMEM;

	for (i = 0; i < n && rc == ERR_OK; i++) {
		buf_reset(&key);
		rc = buf_printf(&key, "%s%s", prefix, keys[i]);
		if (rc == ERR_OK && human)
			rc = command_cell_row(t, buf_str(&key),
			                      json_object_get(obj, keys[i]),
			                      false);
		else if (rc == ERR_OK)
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

/*
 * A list of policies the way Vault's CLI shows one: each name quoted,
 * separated by spaces, ["default" "web"]; nothing at all is [].
 */
static err_t command_quoted_list(json_t *list, struct buf *out)
{
	json_t *item;
	size_t i;
	err_t rc = buf_append_byte(out, '[');

	json_array_foreach(list, i, item)
	{
		if (rc == ERR_OK && i > 0)
			rc = buf_append_byte(out, ' ');
		if (rc == ERR_OK && json_is_string(item))
			rc = buf_printf(out, "\"%s\"", json_string_value(item));
	}
	if (rc == ERR_OK)
		rc = buf_append_byte(out, ']');
	return rc;
}

static err_t command_list_row(struct table *t, const char *key, json_t *list)
{
	struct buf text = BUF_INIT;
	err_t rc;

	rc = command_quoted_list(list, &text);
	if (rc == ERR_OK)
		rc = table_add_kv(t, key, buf_str(&text));
	buf_release(&text);
	return rc;
}

/* A token without a lease (root) never expires. */
static err_t command_token_duration_row(struct table *t, json_t *auth)
{
	json_t *ttl = json_object_get(auth, "lease_duration");

	if (json_integer_value(ttl) <= 0)
		return table_add_kv(t, "token_duration",
		                    "\xe2\x88\x9e" /* the infinity sign */);
	return command_duration_row(t, "token_duration", ttl);
}

/* A login's token: showing it is the point of the command. */
static err_t command_auth_rows(struct table *t, json_t *auth, bool human)
{
	static const char *const lists[][2] = {
	    {"token_policies", "token_policies"},
	    {"identity_policies", "identity_policies"},
	    {"policies", "policies"},
	};
	size_t i;
	err_t rc;

	if (!json_is_object(auth))
		return ERR_OK;
	rc = command_row(t, "token", json_object_get(auth, "client_token"));
	if (rc == ERR_OK)
		rc = command_row(t, "token_accessor",
		                 json_object_get(auth, "accessor"));
	if (rc == ERR_OK)
		rc = command_token_duration_row(t, auth);
	if (rc == ERR_OK)
		rc = command_row(t, "token_renewable",
		                 json_object_get(auth, "renewable"));
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]) && !rc; i++)
		rc = command_list_row(t, lists[i][0],
		                      json_object_get(auth, lists[i][1]));
	if (rc == ERR_OK)
		rc = command_object_rows(t, json_object_get(auth, "metadata"),
		                         "token_meta_", human);
	return rc;
}

void command_print_warnings(json_t *env)
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
		rc = command_auth_rows(&t, json_object_get(envelope, "auth"),
		                       field == NULL);
	if (rc == ERR_OK)
		rc = command_object_rows(&t, json_object_get(envelope, "data"),
		                         "", field == NULL);
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

void command_print_banner(const char *title, size_t width)
{
	size_t title_len = strlen(title), signs = 4, i;

	/* A title and its two spaces; at least two signs on either side. */
	if (width > title_len + 2)
		signs = width - title_len - 2;
	if (signs % 2 != 0)
		signs++;
	for (i = 0; i < signs / 2; i++)
		putchar('=');
	printf(" %s ", title);
	for (i = 0; i < signs / 2; i++)
		putchar('=');
	putchar('\n');
}

void command_print_map_banner(const char *title, json_t *obj)
{
	const char *k;
	size_t longest = 0;
	json_t *v;

	json_object_foreach(obj, k, v)
	{
		if (strlen(k) > longest)
			longest = strlen(k);
	}
	/* The widest key, the column gap and the word "Value". */
	command_print_banner(title, longest + 4 + 5);
}

int command_print_map(json_t *obj)
{
	static const char *const headers[] = {"Key", "Value"};
	const char **keys;
	size_t n, i;
	struct table t;
	err_t rc;
	int code;

	if (!json_is_object(obj) || json_object_size(obj) == 0)
		return COMMAND_EXIT_OK;
	rc = table_init(&t, 2, headers);
	keys = command_sorted_keys(obj, &n);
	if (keys == NULL)
		rc = ERR_NOMEM;
	for (i = 0; i < n && rc == ERR_OK; i++)
		rc = command_cell_row(&t, keys[i],
		                      json_object_get(obj, keys[i]), true);

	code = rc == ERR_OK ? command_print_table(&t)
	                    : command_fail("printing the answer", err_str(rc));
	table_release(&t);
	free(keys);
	return code;
}

int command_print_field_of(json_t *obj, const char *field)
{
	struct buf text = BUF_INIT;
	json_t *v = json_object_get(obj, field);
	err_t rc;

	if (v == NULL) {
		fprintf(stderr, "Field \"%s\" not present in secret\n", field);
		return COMMAND_EXIT_ERROR;
	}
	rc = command_format_value(v, &text);
	if (rc == ERR_OK)
		printf("%s\n", buf_str(&text));
	buf_release(&text);
	return rc == ERR_OK ? COMMAND_EXIT_OK
	                    : command_fail("printing the field", err_str(rc));
}

int command_print_keys(json_t *body, const char *format)
{
	static const char *const headers[] = {"Keys"};
	json_t *keys = json_object_get(json_object_get(body, "data"), "keys");
	const char **names;
	size_t n, i;
	struct table t;
	err_t rc;
	int code;

	if (strcmp(format, "json") == 0)
		return command_print_json(keys ? keys : json_null());
	rc = table_init(&t, 1, headers);
	/* Sorted, as Vault's CLI prints a listing. */
	names = command_sorted_strings(keys, &n);
	if (names == NULL)
		rc = ERR_NOMEM;
	for (i = 0; i < n && rc == ERR_OK; i++)
		rc = table_add_row(&t, &names[i]);

	code = rc == ERR_OK ? command_print_table(&t)
	                    : command_fail("printing the keys", err_str(rc));
	table_release(&t);
	free(names);
	return code;
}

json_t *command_answer_data(json_t *body)
{
	json_t *data = json_object_get(body, "data");

	return json_is_object(data) ? data : body;
}

int command_list_map(const struct command_opts *o, const char *path,
                     const char *what, int (*print)(json_t *, const void *),
                     const void *arg)
{
	struct client_response resp = {0};
	json_t *map;
	int code;

	code = command_call_once(o, "GET", path, NULL, NULL, what, &resp);
	if (code == COMMAND_EXIT_OK) {
		map = command_answer_data(resp.body);
		code = strcmp(o->format, "json") == 0 ? command_print_json(map)
		                                      : print(map, arg);
	}
	client_response_release(&resp);
	return code;
}

int command_print_rows(json_t *map, size_t ncols, const char *const *headers,
                       command_row_fn row, const void *arg, const char *what)
{
	const char **keys;
	struct table t;
	size_t n, i;
	json_t *v;
	err_t rc;
	int code;

	rc = table_init(&t, ncols, headers);
	keys = command_sorted_keys(map, &n);
	if (keys == NULL)
		rc = ERR_NOMEM;
	for (i = 0; i < n && rc == ERR_OK; i++) {
		v = json_object_get(map, keys[i]);
		if (json_is_object(v))
			rc = row(&t, keys[i], v, arg);
	}

	code = rc == ERR_OK ? command_print_table(&t)
	                    : command_fail(what, err_str(rc));
	table_release(&t);
	free(keys);
	return code;
}

err_t command_mount_path(const char *kind, const char *path, struct buf *shown,
                         struct buf *api)
{
	err_t rc;

	while (*path == '/')
		path++;
	rc = buf_append_str(shown, path);
	while (rc == ERR_OK && shown->len > 0 &&
	       shown->data[shown->len - 1] == '/')
		shown->data[--shown->len] = '\0';
	if (rc == ERR_OK)
		rc = buf_printf(api, "sys/%s/%s", kind, buf_str(shown));
	if (rc == ERR_OK)
		rc = buf_append_byte(shown, '/');
	return rc;
}

int command_mount_request(const struct command_opts *o, const char *kind,
                          const char *method, const char *path, json_t *body,
                          const char *what, struct buf *shown)
{
	struct client_response resp = {0};
	struct buf api = BUF_INIT;
	int code;

	if (command_mount_path(kind, path, shown, &api) != ERR_OK)
		code = command_fail(what, "out of memory");
	else
		code = command_call_once(o, method, buf_str(&api), NULL, body,
		                         what, &resp);
	client_response_release(&resp);
	buf_release(&api);
	return code;
}
