#include "http/envelope.h"

#include <string.h>

#include "http/status.h"

static int dump_cb(const char *p, size_t n, void *arg)
{
	return buf_append(arg, p, n) == ERR_OK ? 0 : -1;
}

/* Appends v as compact JSON; NULL is written as null. */
static err_t append_json(struct buf *b, const json_t *v)
{
	if (v == NULL)
		return buf_append_str(b, "null");
	if (json_dump_callback(v, dump_cb, b, JSON_COMPACT | JSON_ENCODE_ANY))
		return ERR_INTERNAL;
	return ERR_OK;
}

err_t http_json_string(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	err_t rc = buf_append_byte(b, '"');

	for (i = 0; i < n && rc == ERR_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		rc = buf_append(b, s + run, i - run);
		if (rc == ERR_OK && (c == '"' || c == '\\'))
			rc = buf_append(b, (char[]){'\\', (char)c}, 2);
		else if (rc == ERR_OK)
			rc = buf_append(b, esc, sizeof(esc));
		run = i + 1;
	}
	if (rc == ERR_OK)
		rc = buf_append(b, s + run, n - run);
	if (rc == ERR_OK)
		rc = buf_append_byte(b, '"');
	return rc;
}

err_t http_envelope_error(const char *msg, struct buf *body)
{
	err_t rc = buf_append_str(body, "{\"errors\":[");

	if (rc == ERR_OK && msg != NULL)
		rc = http_json_string(body, msg, strlen(msg));
	if (rc == ERR_OK)
		rc = buf_append_str(body, "]}");
	return rc;
}

/* Without printf: the envelope is written for every request. */
static err_t append_int(struct buf *b, int64_t v)
{
	char digits[24];
	size_t i = sizeof(digits);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		digits[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		digits[--i] = '-';
	return buf_append(b, digits + i, sizeof(digits) - i);
}

static bool has_content(const struct response *resp)
{
	return resp->data != NULL || resp->auth != NULL ||
	       resp->wrap_info != NULL || json_array_size(resp->warnings) > 0 ||
	       (resp->lease_id != NULL && resp->lease_id[0] != 0) ||
	       resp->lease_duration != 0 || resp->renewable;
}

static bool is_envelope_key(const char *k)
{
	static const char *const keys[] = {
	    "request_id", "lease_id", "renewable", "lease_duration", "data",
	    "wrap_info",  "warnings", "auth",      "mount_type"};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(k, keys[i]) == 0)
			return true;
	}
	return false;
}

/* The legacy sys routes also expose data's keys at the top level. */
static err_t append_top_copies(struct buf *b, json_t *data)
{
	const char *k;
	json_t *v;
	err_t rc = ERR_OK;

	json_object_foreach(data, k, v)
	{
		if (is_envelope_key(k))
			continue;
		rc = buf_append_byte(b, ',');
		if (rc == ERR_OK)
			rc = http_json_string(b, k, strlen(k));
		if (rc == ERR_OK)
			rc = buf_append_byte(b, ':');
		if (rc == ERR_OK)
			rc = append_json(b, v);
		if (rc != ERR_OK)
			break;
	}
	return rc;
}

static err_t append_envelope(struct buf *b, const char *request_id,
                             const struct response *resp)
{
	const char *lease = resp->lease_id ? resp->lease_id : "";
	json_t *data = json_is_object(resp->data) ? resp->data : NULL;
	json_t *auth = json_is_object(resp->auth) ? resp->auth : NULL;
	json_t *warn = json_array_size(resp->warnings) ? resp->warnings : NULL;
	json_t *wrap = json_is_object(resp->wrap_info) ? resp->wrap_info : NULL;
	err_t rc;

	/* A wrapped response carries no request id of its own. */
	if (wrap != NULL)
		request_id = "";
	rc = buf_append_str(b, "{\"request_id\":");
	if (rc == ERR_OK)
		rc = http_json_string(b, request_id, strlen(request_id));
	if (rc == ERR_OK)
		rc = buf_append_str(b, ",\"lease_id\":");
	if (rc == ERR_OK)
		rc = http_json_string(b, lease, strlen(lease));
	if (rc == ERR_OK)
		rc =
		    buf_append_str(b, resp->renewable ? ",\"renewable\":true"
		                                      : ",\"renewable\":false");
	if (rc == ERR_OK)
		rc = buf_append_str(b, ",\"lease_duration\":");
	if (rc == ERR_OK)
		rc = append_int(b, resp->lease_duration);
	if (rc == ERR_OK)
		rc = buf_append_str(b, ",\"data\":");
	if (rc == ERR_OK)
		rc = append_json(b, data);
	if (rc == ERR_OK)
		rc = buf_append_str(b, ",\"wrap_info\":");
	if (rc == ERR_OK)
		rc = append_json(b, wrap);
	if (rc == ERR_OK)
		rc = buf_append_str(b, ",\"warnings\":");
	if (rc == ERR_OK)
		rc = append_json(b, warn);
	if (rc == ERR_OK)
		rc = buf_append_str(b, ",\"auth\":");
	if (rc == ERR_OK)
		rc = append_json(b, auth);
	if (rc == ERR_OK)
		rc = buf_append_str(b, ",\"mount_type\":");
	if (rc == ERR_OK)
		rc = http_json_string(
		    b, resp->mount_type,
		    strnlen(resp->mount_type, sizeof(resp->mount_type)));
	if (rc == ERR_OK && resp->copy_data_to_top && data != NULL)
		rc = append_top_copies(b, data);
	if (rc == ERR_OK)
		rc = buf_append_byte(b, '}');
	return rc;
}

static err_t append_errors(struct buf *b, const struct response *resp)
{
	if (json_is_array(resp->errors)) {
		err_t rc = buf_append_str(b, "{\"errors\":");

		if (rc == ERR_OK)
			rc = append_json(b, resp->errors);
		return rc == ERR_OK ? buf_append_byte(b, '}') : rc;
	}
	return http_envelope_error(NULL, b);
}

err_t http_envelope_encode(const char *request_id, const struct response *resp,
                           struct buf *body, struct http_reply *out)
{
	out->content_type = "application/json";

	if (resp->err != ERR_OK) {
		out->status = resp->status >= 400 ? resp->status
		                                  : http_status_for(resp->err);
		return append_errors(body, resp);
	}
	if (resp->raw_type != NULL) {
		out->status = resp->status ? resp->status : 200;
		out->content_type = resp->raw_type;
		return buf_append(body, resp->raw_body.data,
		                  resp->raw_body.len);
	}
	if (resp->bare) {
		out->status = resp->status ? resp->status : 200;
		if (resp->data == NULL)
			return buf_append_str(body, "{}");
		return append_json(body, resp->data);
	}

	out->status = resp->status;
	if (out->status == 0)
		out->status = has_content(resp) ? 200 : 204;
	if (out->status == 204) {
		out->content_type = NULL;
		return ERR_OK;
	}
	return append_envelope(body, request_id, resp);
}
