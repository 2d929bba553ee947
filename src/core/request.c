#include "core/request.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"

const char *op_name(enum op op)
{
	switch (op) {
	case OP_READ:
		return "read";
	case OP_CREATE:
		return "create";
	case OP_UPDATE:
		return "update";
	case OP_PATCH:
		return "patch";
	case OP_DELETE:
		return "delete";
	case OP_LIST:
		return "list";
	case OP_HEAD:
		return "header";
	}
	return "unknown";
}

void request_init(struct request *req)
{
	memset(req, 0, sizeof(*req));
	req->ns = "";
}

void request_release(struct request *req)
{
	free(req->path);
	free(req->ns_owned);
	json_decref(req->data);
	json_decref(req->headers);
	secret_free(req->token);
	free(req->tls_peer_cert_pem);
	req->tls_peer_cert_pem = NULL;
	req->path = NULL;
	req->ns_owned = NULL;
	req->data = NULL;
	req->headers = NULL;
	req->token = NULL;
}

void response_init(struct response *resp)
{
	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->raw_body, 0);
}

void response_release(struct response *resp)
{
	json_decref(resp->data);
	json_decref(resp->auth);
	json_decref(resp->warnings);
	json_decref(resp->wrap_info);
	json_decref(resp->errors);
	free(resp->lease_id);
	free(resp->raw_type);
	buf_release(&resp->raw_body);
	memset(resp, 0, sizeof(*resp));
}

err_t response_error(struct response *resp, err_t code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	resp->err = code;
	if (resp->errors == NULL)
		resp->errors = json_array();
	if (fmt == NULL || resp->errors == NULL)
		return code;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(resp->errors, json_string(msg));
	return code;
}

void response_warn(struct response *resp, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (resp->warnings == NULL)
		resp->warnings = json_array();
	if (resp->warnings != NULL)
		json_array_append_new(resp->warnings, json_string(msg));
}

void response_set_data(struct response *resp, json_t *data)
{
	json_decref(resp->data);
	resp->data = data;
}

err_t response_list(struct response *resp, json_t *keys)
{
	if (json_array_size(keys) == 0) {
		json_decref(keys);
		return response_error(resp, ERR_NOT_FOUND, NULL);
	}
	response_set_data(resp, json_pack("{s:o}", "keys", keys));
	if (resp->data == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	return ERR_OK;
}
