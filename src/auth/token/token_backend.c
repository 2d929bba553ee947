/*
 * token_backend.c - the token auth method at auth/token/.
 *
 * For now it answers lookup-self, which clients call to check that their
 * token works (hvac's is_authenticated). Creating, renewing and revoking
 * tokens is the token work of issue 3; those paths answer 404 until then.
 */
#include <string.h>

#include "core/core_internal.h"

static err_t lookup_self(struct request *req, struct response *resp)
{
	json_t *data;

	if (req->auth == NULL)
		return response_error(resp, ERR_PERMISSION,
		                      "permission denied");
	data = token_entry_describe(req->auth);
	if (data == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	/* The caller already holds the value; it is never read back. */
	json_object_set_new(data, "id", json_string(req->token));
	response_set_data(resp, data);
	return ERR_OK;
}

static err_t token_handle(struct mount *m, struct request *req,
                          struct response *resp)
{
	(void)m;
	if (strcmp(req->rel, "lookup-self") == 0) {
		if (req->op != OP_READ && req->op != OP_UPDATE &&
		    req->op != OP_CREATE)
			return response_error(resp, ERR_UNSUPPORTED,
			                      "unsupported operation");
		return lookup_self(req, resp);
	}
	return response_error(resp, ERR_NOT_FOUND,
	                      "unsupported path \"auth/token/%s\"", req->rel);
}

const struct mount_backend token_backend = {
    .type = "token",
    .kind = MOUNT_AUTH,
    .handle = token_handle,
};
