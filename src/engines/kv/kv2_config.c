/*
 * kv2_config.c - the mount-wide "config" path: max_versions, cas_required
 * and delete_version_after, which apply to every secret without a setting
 * of its own.
 */
#include "engines/kv/kv2.h"

#include <stdlib.h>
#include <string.h>

#include "base/params.h"

err_t kv2_param_settings(json_t *data, struct kv2_settings *out,
                         struct response *resp)
{
	err_t rc;

	memset(out, 0, sizeof(*out));

	rc = param_int(data, "max_versions", &out->max_versions);
	if (rc == ERR_INVALID || (rc == ERR_OK && out->max_versions < 0))
		return response_error(
		    resp, ERR_INVALID,
		    "max_versions must be a non-negative integer");
	out->has_max = rc == ERR_OK;

	rc = param_bool(data, "cas_required", &out->cas_required);
	if (rc == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "cas_required must be a boolean");
	out->has_cas = rc == ERR_OK;

	rc = param_duration(data, "delete_version_after", &out->delete_after);
	if (rc == ERR_INVALID)
		return response_error(
		    resp, ERR_INVALID,
		    "delete_version_after must be a non-negative duration");
	out->has_dva = rc == ERR_OK;
	return ERR_OK;
}

err_t kv2_config_read(struct mount *m, struct request *req,
                      struct response *resp, const char *path)
{
	struct kv2_config cfg;
	char dva[64];
	json_t *data;
	err_t rc;

	(void)req;
	(void)path;
	if ((rc = kv2_config_load(kv_store(m), &cfg)) != ERR_OK)
		return response_error(resp, rc, "reading the config failed");
	format_duration(cfg.delete_after, dva, sizeof(dva));
	data = json_pack("{sb ss sI}", "cas_required", cfg.cas_required,
	                 "delete_version_after", dva, "max_versions",
	                 (json_int_t)cfg.max_versions);
	if (data == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	response_set_data(resp, data);
	return ERR_OK;
}

err_t kv2_config_write(struct mount *m, struct request *req,
                       struct response *resp, const char *path)
{
	struct kv2_settings set;
	struct kv2_config cfg;
	json_t *rec = NULL;
	char *text = NULL;
	size_t len;
	err_t rc;

	(void)path;
	if ((rc = kv2_param_settings(req->data, &set, resp)) != ERR_OK)
		return rc;

	/* Two config writers may race; the last one wins, as in Vault. */
	if ((rc = kv2_config_load(kv_store(m), &cfg)) != ERR_OK)
		goto out;
	if (set.has_max)
		cfg.max_versions = set.max_versions;
	if (set.has_cas)
		cfg.cas_required = set.cas_required;
	if (set.has_dva)
		cfg.delete_after = set.delete_after;

	rec = json_pack("{sI sb sI}", "max_versions",
	                (json_int_t)cfg.max_versions, "cas_required",
	                cfg.cas_required, "delete_version_after",
	                (json_int_t)cfg.delete_after);
	rc = rec ? kv_dump_json(rec, &text, &len) : ERR_NOMEM;
	if (rc == ERR_OK)
		rc = storage_put(kv_store(m), "config", (const uint8_t *)text,
		                 len);

out:
	free(text);
	json_decref(rec);
	if (rc != ERR_OK)
		return response_error(resp, rc, "storing the config failed");
	return ERR_OK;
}
