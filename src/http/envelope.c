#include "http/envelope.h"

#include <string.h>

#include "base/json_write.h"
#include "http/status.h"

err_t http_json_string(struct buf *b, const char *s, size_t n)
{
	return json_write_string(b, s, n);
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
			rc = json_write(b, v);
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
		rc = json_write_int(b, resp->lease_duration);
	if (rc == ERR_OK)
		rc = buf_append_str(b, ",\"data\":");
	if (rc == ERR_OK)
		rc = json_write(b, data);
	if (rc == ERR_OK)
		rc = buf_append_str(b, ",\"wrap_info\":");
	if (rc == ERR_OK)
		rc = json_write(b, wrap);
	if (rc == ERR_OK)
		rc = buf_append_str(b, ",\"warnings\":");
	if (rc == ERR_OK)
		rc = json_write(b, warn);
	if (rc == ERR_OK)
		rc = buf_append_str(b, ",\"auth\":");
	if (rc == ERR_OK)
		rc = json_write(b, auth);
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
			rc = json_write(b, resp->errors);
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
		return json_write(body, resp->data);
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
