/*
 * core_audit.c - the core's side of auditing: turns a routed request and
 * its response into a struct audit_input, hands it to the broker, and
 * enforces fail-closed: a request that no device could record is refused,
 * and a response that no device could record is replaced by an error, so
 * that no secret leaves the server unaudited.
 */
#include <string.h>

#include "audit/audit.h"
#include "base/log.h"
#include "base/params.h"
#include "core/core_internal.h"

/* A mount's audit_non_hmac_*_keys option (comma-separated). New ref. */
static json_t *non_hmac_keys(const struct mount *m, const char *option)
{
	json_t *keys = NULL;

	if (m == NULL || m->options == NULL)
		return NULL;
	if (param_strlist(m->options, option, &keys) != ERR_OK)
		return NULL;
	return keys;
}

/* Hands one record (resp NULL: the request's) to the broker. */
static err_t audit_record(struct core *c, const struct request *req,
                          const struct response *resp)
{
	const struct mount *m = req->mount;
	const struct namespace *ns;
	struct audit_input in;
	err_t rc;

	memset(&in, 0, sizeof(in));
	ns = req->ns[0] ? namespaces_find(c, req->ns) : NULL;
	in.req = req;
	in.resp = resp;
	in.auth = req->auth;
	/* An unknown namespace (a refused request) has no id. */
	in.ns_id = req->ns[0] == 0 ? "root" : ns != NULL ? ns->id : "";
	in.mount_type = m ? m->type : "";
	in.mount_accessor = m ? m->accessor : "";
	in.mount_point = m ? m->path : "";
	in.non_hmac_request_keys =
	    non_hmac_keys(m, "audit_non_hmac_request_keys");
	in.non_hmac_response_keys =
	    non_hmac_keys(m, "audit_non_hmac_response_keys");

	rc = audit_broker_log(c->audit, &in);
	json_decref(in.non_hmac_request_keys);
	json_decref(in.non_hmac_response_keys);
	return rc;
}

err_t core_audit_log(struct core *c, const struct request *req,
                     struct response *resp, bool is_response)
{
	if (audit_broker_count(c->audit) == 0)
		return ERR_OK;
	if (audit_record(c, req, is_response ? resp : NULL) == ERR_OK)
		return ERR_OK;

	/* Whatever the handler produced must not reach the client. */
	response_release(resp);
	response_init(resp);
	response_error(resp, ERR_INTERNAL,
	               "audit failure: no audit device could record the %s",
	               is_response ? "response" : "request");
	return ERR_IO;
}

void core_audit_refused(struct core *c, const struct request *req,
                        struct response *resp)
{
	if (audit_broker_count(c->audit) == 0)
		return;
	/*
	 * A failure here needs no answer of its own: the request is refused
	 * already, and the broker has logged which device failed.
	 */
	audit_record(c, req, NULL);
	audit_record(c, req, resp);
}

void core_audit_reopen(struct core *c)
{
	pthread_rwlock_rdlock(&c->lock);
	audit_broker_reopen(c->audit);
	pthread_rwlock_unlock(&c->lock);
}

err_t core_audit_configure(struct core *c, json_t *declared, bool api_allowed,
                           struct buf *msg)
{
	err_t rc = ERR_OK;

	/* The broker outlives seals from now on: it holds the settings. */
	pthread_rwlock_wrlock(&c->lock);
	if (c->audit == NULL)
		rc = audit_broker_new(NULL, &c->audit);
	if (rc == ERR_OK)
		rc = audit_broker_configure(c->audit, declared, api_allowed,
		                            msg);
	pthread_rwlock_unlock(&c->lock);
	return rc;
}

void core_audit_listener_refused(struct core *c, const struct request *req,
                                 const struct response *resp)
{
	pthread_rwlock_rdlock(&c->lock);
	/*
	 * Sealed: no device is open and no salt is known, so nothing can be
	 * recorded; the request was answered with an error and reached
	 * nothing behind the barrier. A standby has no devices either.
	 */
	if (c->unsealed && audit_broker_count(c->audit) > 0) {
		audit_record(c, req, NULL);
		audit_record(c, req, resp);
	}
	pthread_rwlock_unlock(&c->lock);
}
