/*
 * sys_seal.c - initialisation and the seal: sys/init, sys/seal-status,
 * sys/unseal, sys/seal, sys/health, sys/leader, sys/rotate,
 * sys/key-status.
 *
 * init, seal-status, unseal, health and leader run without a token and
 * while sealed; they take the core lock themselves.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/params.h"
#include "base/secret.h"
#include "base/version.h"
#include "core/ha.h"
#include "sys/sys_internal.h"

#define MAX_SHARES 255

json_t *sys_seal_status_object(struct core *c)
{
	bool initialized = false;
	int shares = 0, threshold = 0, progress = 0;
	char nonce[37] = "";
	json_t *o;

	if (seal_config(c->seal, &initialized, &shares, &threshold) != ERR_OK)
		initialized = false;
	seal_progress(c->seal, &progress, nonce);
	o = json_pack("{s:s, s:b, s:b, s:i, s:i, s:i, s:s, s:s, s:s, s:b, s:b,"
	              " s:s}",
	              "type", "shamir", "initialized", initialized, "sealed",
	              !c->unsealed, "t", threshold, "n", shares, "progress",
	              progress, "nonce", nonce, "version", COFFER_API_VERSION,
	              "build_date", COFFER_BUILD_DATE, "migration", 0,
	              "recovery_seal", 0, "storage_type", c->phys->type);
	/* A standby is unsealed: its barrier holds the keys (core/ha.h). */
	if (o != NULL && c->standby)
		json_object_set_new(o, "sealed", json_false());
	if (o != NULL && (c->unsealed || c->standby)) {
		char name[48];
		snprintf(name, sizeof(name), "coffer-cluster-%.8s",
		         c->cluster_id);
		json_object_set_new(o, "cluster_name", json_string(name));
		json_object_set_new(o, "cluster_id",
		                    json_string(c->cluster_id));
	}
	return o;
}

static err_t bare(struct response *resp, json_t *o)
{
	if (o == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	resp->bare = true;
	response_set_data(resp, o);
	return ERR_OK;
}

err_t sys_seal_status(struct core *c, struct request *req,
                      struct response *resp)
{
	json_t *o;

	if (req->op != OP_READ)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	pthread_rwlock_rdlock(&c->lock);
	o = sys_seal_status_object(c);
	pthread_rwlock_unlock(&c->lock);
	return bare(resp, o);
}

/* Rejects the PGP options, which this server does not offer. */
static bool pgp_requested(json_t *data)
{
	json_t *keys = json_object_get(data, "pgp_keys");
	const char *root = NULL;

	if (json_is_array(keys) && json_array_size(keys) > 0)
		return true;
	if (json_is_string(keys) && json_string_length(keys) > 0)
		return true;
	return param_str(data, "root_token_pgp_key", &root) == ERR_OK &&
	       *root != 0;
}

/* Appends an encoded key share, wiping the temporary text. */
static bool append_key(json_t *arr, char *text)
{
	bool ok =
	    text != NULL && json_array_append_new(arr, json_string(text)) == 0;

	secret_free(text);
	return ok;
}

static json_t *init_answer(struct buf *keys, int shares, const char *root)
{
	json_t *hex = json_array(), *b64 = json_array();
	bool ok = hex != NULL && b64 != NULL;
	int i;

	for (i = 0; i < shares && ok; i++)
		ok = append_key(hex, hex_encode(keys[i].data, keys[i].len)) &&
		     append_key(b64, b64_encode(keys[i].data, keys[i].len));
	if (!ok) {
		json_decref(hex);
		json_decref(b64);
		return NULL;
	}
	return json_pack("{s:o, s:o, s:s}", "keys", hex, "keys_base64", b64,
	                 "root_token", root);
}

static err_t init_read_params(struct request *req, struct response *resp,
                              int *shares, int *threshold)
{
	int64_t n = 0, t = 0;

	if (param_int(req->data, "secret_shares", &n) != ERR_OK ||
	    param_int(req->data, "secret_threshold", &t) != ERR_OK)
		return response_error(resp, ERR_INVALID,
		                      "secret_shares and secret_threshold "
		                      "must be given as integers");
	if (n < 1 || n > MAX_SHARES)
		return response_error(resp, ERR_INVALID,
		                      "secret_shares must be between 1 and "
		                      "255");
	if (t < 1 || t > n)
		return response_error(resp, ERR_INVALID,
		                      "secret_threshold must be between 1 and "
		                      "secret_shares");
	if (pgp_requested(req->data))
		return response_error(resp, ERR_INVALID,
		                      "PGP-encrypted key shares are not "
		                      "supported");
	*shares = (int)n;
	*threshold = (int)t;
	return ERR_OK;
}

err_t sys_init(struct core *c, struct request *req, struct response *resp)
{
	struct buf keys[MAX_SHARES];
	char *root = NULL;
	bool initialized = false;
	int shares = 0, threshold = 0, i;
	err_t rc;

	if (req->op == OP_READ) {
		pthread_rwlock_rdlock(&c->lock);
		rc = seal_config(c->seal, &initialized, &shares, &threshold);
		pthread_rwlock_unlock(&c->lock);
		if (rc != ERR_OK)
			return response_error(resp, rc, "%s", err_str(rc));
		return bare(resp,
		            json_pack("{s:b}", "initialized", initialized));
	}
	if (req->op != OP_UPDATE && req->op != OP_CREATE)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	rc = init_read_params(req, resp, &shares, &threshold);
	if (rc != ERR_OK)
		return rc;

	for (i = 0; i < shares; i++)
		buf_init(&keys[i], 0);
	pthread_rwlock_wrlock(&c->lock);
	rc = core_initialize(c, shares, threshold, NULL, keys, &root, resp);
	pthread_rwlock_unlock(&c->lock);
	if (rc == ERR_OK)
		rc = bare(resp, init_answer(keys, shares, root));
	for (i = 0; i < shares; i++)
		buf_release(&keys[i]);
	secret_free(root);
	return rc;
}

/* An unseal key share comes as hex or as base64. */
static err_t decode_key(const char *text, struct buf *out)
{
	size_t i, n = strlen(text);
	bool hex = n % 2 == 0 && n > 0;

	for (i = 0; i < n && hex; i++)
		hex = isxdigit((unsigned char)text[i]) != 0;
	if (hex)
		return hex_decode(text, out);
	return b64_decode(text, out);
}

static err_t unseal_submit(struct core *c, const char *text,
                           struct response *resp)
{
	struct buf key = BUF_INIT;
	char errmsg[256] = "";
	bool unsealed = false;
	err_t rc;

	if (decode_key(text, &key) != ERR_OK) {
		rc = response_error(resp, ERR_INVALID,
		                    "'key' must be a valid hex or base64 "
		                    "string");
		goto out;
	}
	rc = seal_submit(c->seal, key.data, key.len, &unsealed, errmsg,
	                 sizeof(errmsg));
	if (rc != ERR_OK) {
		response_error(resp, rc, "%s",
		               errmsg[0] ? errmsg : err_str(rc));
		goto out;
	}
	if (unsealed && !c->unsealed) {
		rc = core_post_unseal(c);
		if (rc != ERR_OK)
			response_error(resp, rc, "unseal failed: %s",
			               err_str(rc));
	}
out:
	buf_release(&key);
	return rc;
}

err_t sys_unseal(struct core *c, struct request *req, struct response *resp)
{
	const char *key = NULL;
	bool reset = false, initialized = false;
	int shares, threshold;
	json_t *status = NULL;
	err_t rc;

	if (req->op != OP_UPDATE && req->op != OP_CREATE)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	if (param_bool(req->data, "reset", &reset) == ERR_INVALID ||
	    param_str(req->data, "key", &key) == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "'reset' must be a boolean and 'key' a "
		                      "string");
	if (!reset && key == NULL)
		return response_error(resp, ERR_INVALID,
		                      "missing required parameter: key");

	pthread_rwlock_wrlock(&c->lock);
	rc = seal_config(c->seal, &initialized, &shares, &threshold);
	if (rc == ERR_OK && !initialized)
		rc = response_error(resp, ERR_INVALID,
		                    "Vault is not initialized");
	else if (rc != ERR_OK)
		response_error(resp, rc, "%s", err_str(rc));
	else if (reset)
		seal_reset(c->seal);
	else if (!c->unsealed && !c->standby)
		rc = unseal_submit(c, key, resp);
	if (rc == ERR_OK)
		status = sys_seal_status_object(c);
	pthread_rwlock_unlock(&c->lock);

	if (rc != ERR_OK)
		return rc;
	return bare(resp, status);
}

err_t sys_seal(struct core *c, struct request *req, struct response *resp)
{
	if (req->op != OP_UPDATE && req->op != OP_CREATE)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	/* The caller holds the write lock (sys_needs_write_lock). */
	core_seal_locked(c);
	log_info("core", "sealed by request %s", req->id);
	return ERR_OK;
}

/* A status code override from the query, as load balancers pass them. */
static int code_param(json_t *data, const char *key, int dflt)
{
	int64_t v;

	if (param_int(data, key, &v) != ERR_OK || v < 100 || v > 599)
		return dflt;
	return (int)v;
}

/* A boolean from the query; *bad when present but not a boolean. */
static bool bool_param(json_t *data, const char *key, bool *bad)
{
	bool v = false;

	if (param_bool(data, key, &v) == ERR_INVALID)
		*bad = true;
	return v;
}

err_t sys_health(struct core *c, struct request *req, struct response *resp)
{
	bool initialized = false, standby, bad = false, standbyok;
	int shares, threshold;
	int64_t now;
	long nsec;
	json_t *o;

	if (req->op != OP_READ && req->op != OP_HEAD)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	standbyok = bool_param(req->data, "standbyok", &bad);
	if (bad)
		return response_error(resp, ERR_INVALID,
		                      "standbyok must be a boolean");
	time_now(&now, &nsec);
	pthread_rwlock_rdlock(&c->lock);
	if (seal_config(c->seal, &initialized, &shares, &threshold) != ERR_OK)
		initialized = false;
	standby = c->standby;
	o = json_pack("{s:b, s:b, s:b, s:b, s:s, s:s, s:I, s:s}", "initialized",
	              initialized, "sealed", !c->unsealed && !standby,
	              "standby", standby, "performance_standby", 0,
	              "replication_performance_mode", "disabled",
	              "replication_dr_mode", "disabled", "server_time_utc",
	              (json_int_t)now, "version", COFFER_API_VERSION);
	if (o != NULL && (c->unsealed || standby))
		json_object_set_new(o, "cluster_id",
		                    json_string(c->cluster_id));

	if (!initialized)
		resp->status = code_param(req->data, "uninitcode", 501);
	else if (!c->unsealed && !standby)
		resp->status = code_param(req->data, "sealedcode", 503);
	else if (standby && !standbyok)
		resp->status = code_param(req->data, "standbycode", 429);
	else
		resp->status = code_param(req->data, "activecode", 200);
	pthread_rwlock_unlock(&c->lock);
	return bare(resp, o);
}

err_t sys_leader(struct core *c, struct request *req, struct response *resp)
{
	bool enabled = false, is_self = false;
	char *leader = NULL, since[40] = "0001-01-01T00:00:00Z";
	int64_t active_since = 0;
	json_t *o;

	if (req->op != OP_READ)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	ha_status(c, &enabled, &is_self, &leader, &active_since);
	if (active_since > 0)
		time_rfc3339(active_since, 0, since);
	o = json_pack("{s:b, s:b, s:s, s:s, s:s, s:b, s:i}", "ha_enabled",
	              enabled, "is_self", is_self, "active_time", since,
	              "leader_address", leader ? leader : "",
	              "leader_cluster_address", "", "performance_standby", 0,
	              "performance_standby_last_remote_wal", 0);
	free(leader);
	return bare(resp, o);
}

err_t sys_step_down(struct core *c, struct request *req, struct response *resp)
{
	if (req->op != OP_UPDATE && req->op != OP_CREATE)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	/* The HA loop unloads under the write lock, after this returns. */
	log_info("core", "step-down requested by request %s", req->id);
	return ha_step_down(c);
}

err_t sys_rotate(struct core *c, struct request *req, struct response *resp)
{
	uint32_t term = 0;
	err_t rc;

	if (req->op != OP_UPDATE && req->op != OP_CREATE)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	rc = barrier_rotate(c->barrier, &term);
	if (rc != ERR_OK)
		return response_error(resp, rc, "key rotation failed: %s",
		                      err_str(rc));
	log_info("core", "barrier key rotated to term %u", term);
	return ERR_OK;
}

err_t sys_key_status(struct core *c, struct request *req, struct response *resp)
{
	uint32_t term = 0;
	int64_t installed = 0;
	uint64_t encryptions = 0;
	char when[40];
	err_t rc;

	if (req->op != OP_READ)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	rc = barrier_key_status(c->barrier, &term, &installed, &encryptions);
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	time_rfc3339(installed, 0, when);
	resp->copy_data_to_top = true;
	response_set_data(resp, json_pack("{s:i, s:s, s:I}", "term", (int)term,
	                                  "install_time", when, "encryptions",
	                                  (json_int_t)encryptions));
	return ERR_OK;
}
