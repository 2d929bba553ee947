/*
 * jwt_role.c - role/<name> of the jwt auth method: write (a merge over
 * the stored role), read, delete.
 *
 * Role names are lower-cased, as Vault does. role_type defaults to "oidc",
 * which the login endpoint refuses (pitfall 22): a machine role must say
 * "jwt".
 */
#include "auth/jwt/jwt_backend.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/tokenutil/tokenutil.h"
#include "base/params.h"

#define ROLE_NAME_MAX 128

bool jwt_role_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= ROLE_NAME_MAX && strchr(name, '/') == NULL &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static err_t set_str(json_t *data, json_t *role, const char *key,
                     const char *def, struct response *resp)
{
	const char *s;
	err_t rc = param_str(data, key, &s);

	if (rc == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "invalid value for \"%s\"", key);
	if (rc == ERR_NOT_FOUND && json_object_get(role, key) != NULL)
		return ERR_OK;
	if (json_object_set_new(role, key, json_string(rc ? def : s)))
		return response_error(resp, ERR_NOMEM, NULL);
	return ERR_OK;
}

static err_t set_list(json_t *data, json_t *role, const char *key,
                      struct response *resp)
{
	json_t *v = NULL;
	err_t rc = param_strlist(data, key, &v);

	if (rc == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "invalid value for \"%s\"", key);
	if (rc == ERR_NOT_FOUND && json_object_get(role, key) != NULL)
		return ERR_OK;
	if (rc == ERR_NOT_FOUND)
		v = json_array();
	if (v == NULL || json_object_set_new(role, key, v))
		return response_error(resp, ERR_NOMEM, NULL);
	return ERR_OK;
}

/* A leeway: seconds (or a duration), -1 meaning none; 0 the default. */
static err_t set_leeway(json_t *data, json_t *role, const char *key,
                        int64_t def, struct response *resp)
{
	int64_t v = 0;
	err_t rc = param_int(data, key, &v);

	if (rc == ERR_INVALID)
		rc = param_duration(data, key, &v);
	if (rc == ERR_INVALID || (rc == ERR_OK && (v < -1 || v > 86400)))
		return response_error(resp, ERR_INVALID,
		                      "invalid value for \"%s\"", key);
	if (rc == ERR_NOT_FOUND && json_object_get(role, key) != NULL)
		return ERR_OK;
	if (rc == ERR_NOT_FOUND)
		v = def;
	if (json_object_set_new(role, key, json_integer(v)))
		return response_error(resp, ERR_NOMEM, NULL);
	return ERR_OK;
}

/* bound_claims: claim -> string or list of strings (or scalars). */
static err_t set_bound_claims(json_t *data, json_t *role, struct response *resp)
{
	json_t *bc = json_object_get(data, "bound_claims"), *v, *item;
	const char *name;
	size_t i;

	if (bc == NULL || json_is_null(bc))
		return json_object_get(role, "bound_claims")
		           ? ERR_OK
		           : (json_object_set_new(role, "bound_claims",
		                                  json_object())
		                  ? response_error(resp, ERR_NOMEM, NULL)
		                  : ERR_OK);
	if (!json_is_object(bc))
		return response_error(resp, ERR_INVALID,
		                      "bound_claims must be an object");
	json_object_foreach(bc, name, v)
	{
		if (json_is_string(v))
			continue;
		if (!json_is_array(v))
			return response_error(resp, ERR_INVALID,
			                      "bound_claims values must be "
			                      "strings or lists of strings");
		json_array_foreach(v, i, item)
		{
			if (!json_is_string(item))
				return response_error(
				    resp, ERR_INVALID,
				    "bound_claims values must be strings or "
				    "lists of strings");
		}
	}
	if (json_object_set(role, "bound_claims", bc))
		return response_error(resp, ERR_NOMEM, NULL);
	return ERR_OK;
}

/* claim_mappings: claim -> metadata key; "role" and duplicates refused. */
static err_t set_claim_mappings(json_t *data, json_t *role,
                                struct response *resp)
{
	json_t *map = NULL, *v, *seen = json_object();
	const char *name;
	err_t rc = param_strmap(data, "claim_mappings", &map);

	if (rc == ERR_INVALID) {
		rc = response_error(resp, ERR_INVALID,
		                    "claim_mappings must map claims to "
		                    "metadata keys");
		goto out;
	}
	if (rc == ERR_NOT_FOUND) {
		rc = json_object_get(role, "claim_mappings") ||
		             !json_object_set_new(role, "claim_mappings",
		                                  json_object())
		         ? ERR_OK
		         : response_error(resp, ERR_NOMEM, NULL);
		goto out;
	}
	json_object_foreach(map, name, v)
	{
		const char *key = json_string_value(v);
		if (strcmp(key, "role") == 0 ||
		    json_object_get(seen, key) != NULL) {
			rc =
			    response_error(resp, ERR_INVALID,
			                   "claim_mappings target \"%.64s\" is "
			                   "reserved or used twice",
			                   key);
			goto out;
		}
		json_object_set(seen, key, json_true());
	}
	rc = json_object_set(role, "claim_mappings", map)
	         ? response_error(resp, ERR_NOMEM, NULL)
	         : ERR_OK;
out:
	json_decref(map);
	json_decref(seen);
	return rc;
}

static err_t read_fields(json_t *data, json_t *role, bool create,
                         struct response *resp)
{
	bool b;
	err_t rc;

	rc = set_str(data, role, "role_type", "oidc", resp);
	if (!rc)
		rc = set_str(data, role, "user_claim", "", resp);
	if (!rc)
		rc = set_str(data, role, "groups_claim", "", resp);
	if (!rc)
		rc = set_str(data, role, "bound_subject", "", resp);
	if (!rc)
		rc = set_str(data, role, "bound_claims_type", "string", resp);
	if (!rc)
		rc = set_list(data, role, "bound_audiences", resp);
	if (!rc)
		rc = set_list(data, role, "allowed_redirect_uris", resp);
	if (!rc)
		rc = set_list(data, role, "oidc_scopes", resp);
	if (!rc)
		rc = set_leeway(data, role, "clock_skew_leeway", 60, resp);
	if (!rc)
		rc = set_leeway(data, role, "expiration_leeway", 150, resp);
	if (!rc)
		rc = set_leeway(data, role, "not_before_leeway", 150, resp);
	if (!rc)
		rc = set_bound_claims(data, role, resp);
	if (!rc)
		rc = set_claim_mappings(data, role, resp);
	if (!rc && param_bool(data, "verbose_oidc_logging", &b) == ERR_OK)
		json_object_set_new(role, "verbose_oidc_logging",
		                    json_boolean(b));
	if (!rc && create && tokenutil_defaults(role) != ERR_OK)
		rc = response_error(resp, ERR_NOMEM, NULL);
	if (!rc)
		rc = tokenutil_parse(data, role, resp);
	return rc;
}

static const char *str_of(json_t *role, const char *key)
{
	const char *s = json_string_value(json_object_get(role, key));

	return s ? s : "";
}

static err_t check_role(json_t *role, struct response *resp)
{
	const char *type = str_of(role, "role_type");
	const char *ct = str_of(role, "bound_claims_type");

	if (strcmp(type, "jwt") != 0 && strcmp(type, "oidc") != 0)
		return response_error(resp, ERR_INVALID,
		                      "invalid 'role_type': %.16s", type);
	if (strcmp(ct, "string") != 0 && strcmp(ct, "glob") != 0)
		return response_error(resp, ERR_INVALID,
		                      "invalid 'bound_claims_type': %.16s", ct);
	if (*str_of(role, "user_claim") == 0)
		return response_error(resp, ERR_INVALID,
		                      "a user claim must be defined on the "
		                      "role");
	if (strcmp(type, "oidc") == 0 &&
	    json_array_size(json_object_get(role, "allowed_redirect_uris")) ==
	        0)
		return response_error(resp, ERR_INVALID,
		                      "'allowed_redirect_uris' must be set if "
		                      "'role_type' is 'oidc' or unspecified.");
	/* A jwt role bound to nothing would take any token of the issuer. */
	if (strcmp(type, "jwt") == 0 &&
	    json_array_size(json_object_get(role, "bound_audiences")) == 0 &&
	    *str_of(role, "bound_subject") == 0 &&
	    json_object_size(json_object_get(role, "bound_claims")) == 0 &&
	    json_array_size(json_object_get(role, "token_bound_cidrs")) == 0)
		return response_error(resp, ERR_INVALID,
		                      "must have at least one bound constraint "
		                      "when creating/updating a role");
	return ERR_OK;
}

static err_t role_write(struct mount *m, struct request *req,
                        struct response *resp, const char *key)
{
	json_t *role = NULL;
	bool create;
	err_t rc;

	rc = jwt_load(m, key, &role);
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	create = role == NULL;
	if (create && (role = json_object()) == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	rc = read_fields(req->data, role, create, resp);
	if (rc == ERR_OK)
		rc = check_role(role, resp);
	if (rc == ERR_OK && (rc = jwt_store(m, key, role)) != ERR_OK)
		response_error(resp, rc, "storing the role failed");
	json_decref(role);
	return rc;
}

static err_t role_read(struct mount *m, struct response *resp, const char *key)
{
	json_t *role = NULL, *out;
	err_t rc;

	rc = jwt_load(m, key, &role);
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	if (role == NULL)
		return response_error(resp, ERR_NOT_FOUND, NULL);
	out = json_deep_copy(role);
	if (out == NULL || tokenutil_describe(role, out) != ERR_OK) {
		json_decref(out);
		json_decref(role);
		return response_error(resp, ERR_NOMEM, NULL);
	}
	json_decref(role);
	response_set_data(resp, out);
	return ERR_OK;
}

err_t jwt_role_handle(struct mount *m, struct request *req,
                      struct response *resp, const char *name)
{
	struct buf key = BUF_INIT;
	const char *p;
	err_t rc;

	if (!jwt_role_name_ok(name))
		return response_error(resp, ERR_INVALID, "invalid role name");
	rc = buf_append_str(&key, "role/");
	for (p = name; rc == ERR_OK && *p; p++)
		rc = buf_append_byte(&key, (uint8_t)tolower((unsigned char)*p));
	if (rc != ERR_OK)
		return response_error(resp, ERR_NOMEM, NULL);

	switch (req->op) {
	case OP_READ:
		rc = role_read(m, resp, buf_str(&key));
		break;
	case OP_CREATE:
	case OP_UPDATE:
		rc = role_write(m, req, resp, buf_str(&key));
		break;
	case OP_DELETE:
		rc = storage_delete(m->view, buf_str(&key));
		if (rc != ERR_OK)
			response_error(resp, rc, "deleting the role failed");
		break;
	default:
		rc = response_error(resp, ERR_UNSUPPORTED, NULL);
	}
	buf_release(&key);
	return rc;
}
