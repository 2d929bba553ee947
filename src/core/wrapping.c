/*
 * wrapping.c - response wrapping.
 *
 * A request with X-Vault-Wrap-TTL gets, instead of its response, a
 * single-use wrapping token; the response itself waits in that token's
 * cubbyhole until sys/wrapping/unwrap hands it over, once, exactly as it
 * would have been sent. The wrapping token carries only the policy
 * "response-wrapping", which the core lets reach the sys/wrapping paths
 * and nothing else.
 */
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/secret.h"
#include "core/core_internal.h"
#include "engines/cubbyhole/cubbyhole.h"

#define WRAP_POLICY "response-wrapping"

bool core_is_wrapping_token(const struct token_entry *e)
{
	json_t *p;
	size_t i;

	json_array_foreach(e->policies, i, p)
	{
		if (strcmp(json_string_value(p), WRAP_POLICY) == 0)
			return true;
	}
	return false;
}

/* The response as the client would have received it. */
static json_t *envelope_of(const struct request *req,
                           const struct response *resp)
{
	return json_pack(
	    "{s:s, s:s, s:b, s:I, s:O, s:n, s:O, s:O, s:s}", "request_id",
	    req->id, "lease_id", resp->lease_id ? resp->lease_id : "",
	    "renewable", resp->renewable, "lease_duration",
	    (json_int_t)resp->lease_duration, "data",
	    resp->data ? resp->data : json_null(), "wrap_info", "warnings",
	    json_array_size(resp->warnings) ? resp->warnings : json_null(),
	    "auth", resp->auth ? resp->auth : json_null(), "mount_type",
	    resp->mount_type);
}

err_t core_wrap_text(struct core *c, const char *ns, const char *path,
                     const char *text, int64_t ttl,
                     const char *wrapped_accessor, json_t **wrap_info)
{
	struct token_params p;
	struct token_entry *e = NULL;
	struct mount *cubby = mounts_find(c, "", "cubbyhole/");
	char *value = NULL, errmsg[256], when[40];
	err_t rc;

	if (cubby == NULL)
		return ERR_INTERNAL;
	memset(&p, 0, sizeof(p));
	p.ns = ns;
	p.policies = json_pack("[s]", WRAP_POLICY);
	p.no_default_policy = true;
	p.orphan = true;
	p.display_name = "response-wrapping";
	p.path = path;
	p.ttl = p.default_ttl = p.max_ttl = p.explicit_max_ttl = ttl;
	p.num_uses = 1;
	rc = p.policies ? token_create(c->tokens, &p, NULL, &value, &e, errmsg,
	                               sizeof(errmsg))
	                : ERR_NOMEM;
	if (rc == ERR_OK)
		rc = cubbyhole_put(cubby, e->id_hash, "response", text);
	if (rc != ERR_OK) {
		if (e != NULL)
			token_revoke(c->tokens, e->id_hash, false);
		log_error("wrapping", "cannot wrap a response: %s",
		          err_str(rc));
		goto out;
	}

	time_rfc3339(e->creation_time, 0, when);
	*wrap_info = json_pack("{s:s, s:s, s:I, s:s, s:s}", "token", value,
	                       "accessor", e->accessor, "ttl", (json_int_t)ttl,
	                       "creation_time", when, "creation_path", path);
	if (*wrap_info == NULL)
		rc = ERR_NOMEM;
	else if (wrapped_accessor != NULL)
		json_object_set_new(*wrap_info, "wrapped_accessor",
		                    json_string(wrapped_accessor));
out:
	json_decref(p.policies);
	secret_free(value);
	token_entry_free(e);
	return rc;
}

err_t core_wrap_response(struct core *c, struct request *req,
                         struct response *resp)
{
	const char *acc = NULL;
	json_t *env, *info = NULL;
	char *text;
	err_t rc;

	if (req->wrap_ttl <= 0 || resp->err != ERR_OK || resp->bare ||
	    resp->raw_type != NULL ||
	    (resp->data == NULL && resp->auth == NULL))
		return ERR_OK;

	env = envelope_of(req, resp);
	text = env ? json_dumps(env, JSON_COMPACT) : NULL;
	json_decref(env);
	if (text == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	if (resp->auth != NULL)
		acc =
		    json_string_value(json_object_get(resp->auth, "accessor"));

	rc = core_wrap_text(c, req->ns, req->path, text, req->wrap_ttl, acc,
	                    &info);
	secret_wipe(text, strlen(text));
	free(text);
	if (rc != ERR_OK) {
		/* Never hand out what was meant to go wrapped. */
		json_decref(resp->data);
		json_decref(resp->auth);
		resp->data = resp->auth = NULL;
		return response_error(resp, rc, "response wrapping failed");
	}

	json_decref(resp->data);
	json_decref(resp->auth);
	json_decref(resp->warnings);
	free(resp->lease_id);
	resp->data = resp->auth = resp->warnings = NULL;
	resp->lease_id = NULL;
	resp->renewable = false;
	resp->lease_duration = 0;
	resp->copy_data_to_top = false;
	resp->wrap_info = info;
	return ERR_OK;
}
