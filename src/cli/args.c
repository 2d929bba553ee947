#include "cli/args.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "base/secret.h"

err_t args_read_stream(FILE *f, struct buf *out)
{
	char chunk[4096];
	size_t n;
	err_t rc = ERR_OK;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > ARGS_VALUE_MAX) {
			rc = ERR_TOO_LARGE;
			break;
		}
		rc = buf_append(out, chunk, n);
		if (rc != ERR_OK)
			break;
	}
	if (rc == ERR_OK && ferror(f))
		rc = ERR_IO;
	secret_wipe(chunk, sizeof(chunk));
	return rc;
}

/* Fills out with the value an argument stands for: a file, stdin, or text. */
static err_t args_value(const char *key, const char *v, FILE *in,
                        bool *stdin_used, struct buf *out, struct buf *msg)
{
	FILE *f;
	err_t rc;

	if (strcmp(v, "-") == 0) {
		if (*stdin_used) {
			buf_printf(msg, "standard input can only be read once");
			return ERR_INVALID;
		}
		*stdin_used = true;
		rc = args_read_stream(in, out);
		if (rc != ERR_OK)
			buf_printf(msg, "error reading %s from stdin: %s", key,
			           err_str(rc));
		return rc;
	}
	if (v[0] != '@')
		return buf_append_str(out, v);

	f = fopen(v + 1, "rb");
	if (f == NULL) {
		buf_printf(msg, "error opening file %s: %s", v + 1,
		           strerror(errno));
		return ERR_IO;
	}
	rc = args_read_stream(f, out);
	fclose(f);
	if (rc != ERR_OK)
		buf_printf(msg, "error reading file %s: %s", v + 1,
		           err_str(rc));
	return rc;
}

/* Sets key in obj, turning a repeated key into an array of its values. */
static err_t args_put(json_t *obj, const char *key, json_t *val)
{
	json_t *old = json_object_get(obj, key), *arr;

	if (old == NULL)
		return json_object_set_new(obj, key, val) ? ERR_NOMEM : ERR_OK;
	if (json_is_array(old))
		return json_array_append_new(old, val) ? ERR_NOMEM : ERR_OK;
	arr = json_array();
	if (arr == NULL || json_array_append(arr, old) ||
	    json_array_append_new(arr, val)) {
		json_decref(arr);
		return ERR_NOMEM;
	}
	return json_object_set_new(obj, key, arr) ? ERR_NOMEM : ERR_OK;
}

static err_t args_stdin_json(json_t *obj, FILE *in, bool *stdin_used,
                             struct buf *msg)
{
	struct buf text = BUF_INIT;
	json_t *parsed = NULL;
	json_error_t jerr;
	err_t rc;

	rc = args_value("-", "-", in, stdin_used, &text, msg);
	if (rc != ERR_OK)
		goto out;
	parsed = json_loadb((const char *)text.data, text.len, 0, &jerr);
	if (!json_is_object(parsed)) {
		buf_printf(msg, "standard input does not hold a JSON object");
		rc = ERR_INVALID;
		goto out;
	}
	rc = json_object_update(obj, parsed) ? ERR_NOMEM : ERR_OK;
out:
	json_decref(parsed);
	buf_release(&text);
	return rc;
}

static err_t args_one(json_t *obj, const char *arg, FILE *in, bool *stdin_used,
                      struct buf *msg)
{
	struct buf key = BUF_INIT, val = BUF_INIT;
	const char *eq = strchr(arg, '=');
	json_t *s;
	err_t rc;

	if (eq == NULL || eq == arg) {
		buf_printf(msg, "invalid key/value pair \"%s\": expected K=V",
		           arg);
		return ERR_INVALID;
	}
	rc = buf_append(&key, arg, (size_t)(eq - arg));
	if (rc == ERR_OK)
		rc = args_value(buf_str(&key), eq + 1, in, stdin_used, &val,
		                msg);
	if (rc != ERR_OK)
		goto out;

	s = json_stringn(buf_str(&val), val.len);
	if (s == NULL) {
		buf_printf(msg, "value of %s is not valid UTF-8 text",
		           buf_str(&key));
		rc = ERR_INVALID;
		goto out;
	}
	rc = args_put(obj, buf_str(&key), s);
out:
	buf_release(&key);
	buf_release(&val);
	return rc;
}

err_t args_parse_kv(int argc, char **argv, FILE *in, json_t **out,
                    struct buf *msg)
{
	bool stdin_used = false;
	json_t *obj;
	err_t rc = ERR_OK;
	int i;

	*out = NULL;
	obj = json_object();
	if (obj == NULL)
		return ERR_NOMEM;

	for (i = 0; i < argc && rc == ERR_OK; i++) {
		if (strcmp(argv[i], "-") == 0)
			rc = args_stdin_json(obj, in, &stdin_used, msg);
		else
			rc = args_one(obj, argv[i], in, &stdin_used, msg);
	}
	if (rc != ERR_OK) {
		json_decref(obj);
		return rc;
	}
	*out = obj;
	return ERR_OK;
}
