/*
 * sys_leases.c - the sys/leases paths and the legacy sys/renew, sys/revoke,
 * sys/revoke-prefix, sys/revoke-force (vault-api.md 2.11, pitfall 24).
 *
 * A caller reaches one lease by id when it lives in the caller's namespace
 * or below; list and the prefix revocations act on the caller's namespace
 * only (lease.h). A lease of another tenant is answered like an unknown
 * one (GHSA-c36x, CVE-2026-45808).
 */
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/params.h"
#include "core/lease.h"
#include "sys/sys_internal.h"

static bool is_write(const struct request *req)
{
	return req->op == OP_UPDATE || req->op == OP_CREATE;
}

/* The lease id from the path rest, else from the body's lease_id. */
static const char *lease_id_of(struct request *req, const char *rest)
{
	const char *id = NULL;

	if (rest != NULL && *rest)
		return rest;
	if (param_str(req->data, "lease_id", &id) != ERR_OK || id == NULL ||
	    *id == 0)
		return NULL;
	return id;
}

static json_t *time_or_null(int64_t t)
{
	char s[40];

	if (t == 0)
		return json_null();
	time_rfc3339(t, 0, s);
	return json_string(s);
}

static err_t lookup(struct core *c, struct request *req, struct response *resp)
{
	const char *id = lease_id_of(req, NULL);
	struct lease_info *li = NULL;
	int64_t now = lease_now();
	err_t rc;

	if (id == NULL)
		return response_error(resp, ERR_INVALID, "missing lease_id");
	rc = lease_lookup(c->leases, req->ns, id, &li);
	if (rc == ERR_NOT_FOUND)
		return response_error(resp, ERR_INVALID, "invalid lease");
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	response_set_data(
	    resp,
	    json_pack("{s:s, s:o, s:o, s:o, s:b, s:I}", "id", li->id,
	              "issue_time", time_or_null(li->issue_time), "expire_time",
	              time_or_null(li->expire_time), "last_renewal",
	              time_or_null(li->last_renewal_time), "renewable",
	              li->renewable && !li->irrevocable, "ttl",
	              (json_int_t)(li->expire_time > now ? li->expire_time - now
	                                                 : 0)));
	lease_info_free(li);
	return ERR_OK;
}

static err_t list(struct core *c, struct request *req, struct response *resp,
                  const char *prefix)
{
	struct buf dir = BUF_INIT;
	json_t *keys = NULL;
	err_t rc;

	/* A LIST names a directory, with or without its trailing slash. */
	rc = buf_append_str(&dir, prefix);
	if (rc == ERR_OK && dir.len > 0 && prefix[dir.len - 1] != '/')
		rc = buf_append_byte(&dir, '/');
	if (rc == ERR_OK)
		rc = lease_list(c->leases, req->ns, buf_str(&dir), &keys);
	buf_release(&dir);

	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	return response_list(resp, keys);
}

static err_t renew(struct core *c, struct request *req, struct response *resp,
                   const char *rest)
{
	const char *id = lease_id_of(req, rest);
	int64_t inc = -1, ttl = 0;
	struct lease_info *li = NULL;
	err_t rc;

	if (id == NULL)
		return response_error(resp, ERR_INVALID, "missing lease_id");
	if (param_duration(req->data, "increment", &inc) == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "invalid value for \"increment\"");
	rc = lease_renew(c->leases, req->ns, id, inc, &ttl);
	if (rc == ERR_NOT_FOUND)
		return response_error(resp, ERR_INVALID, "invalid lease");
	if (rc == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "lease is not renewable or has expired");
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	if (lease_lookup(c->leases, req->ns, id, &li) == ERR_OK)
		resp->renewable = li->renewable;
	lease_info_free(li);
	resp->lease_id = strdup(id);
	resp->lease_duration = ttl;
	if (inc > 0 && ttl < inc)
		response_warn(resp,
		              "TTL of %lld s was capped by the lease's "
		              "max TTL",
		              (long long)ttl);
	return resp->lease_id ? ERR_OK : response_error(resp, ERR_NOMEM, NULL);
}

static err_t revoke(struct core *c, struct request *req, struct response *resp,
                    const char *rest)
{
	const char *id = lease_id_of(req, rest);
	err_t rc;

	if (id == NULL)
		return response_error(resp, ERR_INVALID, "missing lease_id");
	rc = lease_revoke(c->leases, req->ns, id, false);
	/* An unknown lease is revoked already. */
	if (rc == ERR_OK || rc == ERR_NOT_FOUND)
		return ERR_OK;
	return response_error(resp, rc, "failed to revoke lease: %s",
	                      err_str(rc));
}

static err_t revoke_prefix(struct core *c, struct request *req,
                           struct response *resp, const char *prefix,
                           bool force)
{
	err_t rc;

	if (prefix == NULL || *prefix == 0)
		return response_error(resp, ERR_INVALID, "missing prefix");
	rc = lease_revoke_prefix(c->leases, req->ns, prefix, force);
	if (rc != ERR_OK)
		return response_error(resp, rc, "failed to revoke prefix: %s",
		                      err_str(rc));
	return ERR_OK;
}

/* The rest after name ("" or after "name/"), or NULL. */
static const char *match(const char *rel, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(rel, name, n) != 0)
		return NULL;
	if (rel[n] == 0)
		return "";
	return rel[n] == '/' ? rel + n + 1 : NULL;
}

static err_t route(struct core *c, struct request *req, struct response *resp,
                   const char *rel)
{
	const char *r;

	if ((r = match(rel, "lookup")) != NULL) {
		if (req->op == OP_LIST)
			return list(c, req, resp, r);
		if (is_write(req) && *r == 0)
			return lookup(c, req, resp);
	} else if (!is_write(req)) {
		/* the other paths are PUT only */
	} else if ((r = match(rel, "renew")) != NULL) {
		return renew(c, req, resp, r);
	} else if ((r = match(rel, "revoke")) != NULL) {
		return revoke(c, req, resp, r);
	} else if ((r = match(rel, "revoke-prefix")) != NULL) {
		return revoke_prefix(c, req, resp, r, false);
	} else if ((r = match(rel, "revoke-force")) != NULL) {
		return revoke_prefix(c, req, resp, r, true);
	} else if (strcmp(rel, "tidy") == 0) {
		size_t n = 0;
		err_t rc = token_tidy(c->tokens, &n);
		return rc ? response_error(resp, rc, "tidy failed: %s",
		                           err_str(rc))
		          : ERR_OK;
	}
	return response_error(resp, ERR_NOT_FOUND,
	                      "unsupported path \"sys/%s\"", req->rel);
}

err_t sys_leases(struct core *c, struct request *req, struct response *resp)
{
	const char *rel = req->rel;

	if (c->leases == NULL)
		return response_error(resp, ERR_SEALED, "Vault is sealed");
	if (strncmp(rel, "leases/", 7) == 0)
		return route(c, req, resp, rel + 7);
	/* Legacy sys/renew, sys/revoke, sys/revoke-prefix, revoke-force. */
	if (strncmp(rel, "lookup", 6) == 0 || strncmp(rel, "tidy", 4) == 0)
		return response_error(resp, ERR_NOT_FOUND,
		                      "unsupported path \"sys/%s\"", rel);
	return route(c, req, resp, rel);
}
