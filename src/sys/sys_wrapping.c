/*
 * sys_wrapping.c - sys/wrapping/wrap, unwrap, lookup and rewrap.
 *
 * unwrap and lookup are reached without a client token: the wrapping
 * token, given in the body or as X-Vault-Token, is the credential. unwrap
 * spends its single use atomically, so two racing unwraps cannot both get
 * the response.
 */
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/params.h"
#include "base/secret.h"
#include "engines/cubbyhole/cubbyhole.h"
#include "sys/sys_internal.h"

#define WRAP_DEFAULT_TTL 300

static const char *wrapping_token_of(struct request *req)
{
	const char *t = NULL;

	if (param_str(req->data, "token", &t) == ERR_OK && *t != 0)
		return t;
	return req->token;
}

static err_t bad_wrapping_token(struct response *resp)
{
	return response_error(resp, ERR_INVALID,
	                      "wrapping token is not valid or does not exist");
}

/* Spends the wrapping token's use and reads what it guards into out. */
static err_t take_wrapped(struct core *c, struct request *req,
                          struct token_entry **e, struct buf *out,
                          struct response *resp)
{
	const char *t = wrapping_token_of(req);
	struct mount *cubby = mounts_find(c, "", "cubbyhole/");
	bool found = false;
	err_t rc;

	if (t == NULL || cubby == NULL)
		return bad_wrapping_token(resp);
	if (token_use(c->tokens, t, e) != ERR_OK)
		return bad_wrapping_token(resp);
	if (!core_is_wrapping_token(*e)) {
		token_entry_free(*e);
		*e = NULL;
		return bad_wrapping_token(resp);
	}
	rc = cubbyhole_get(cubby, (*e)->id_hash, "response", out, &found);
	/* Single use: the token goes whatever the read gave. */
	token_revoke(c->tokens, (*e)->id_hash, false);
	if (rc != ERR_OK || !found)
		return bad_wrapping_token(resp);
	return ERR_OK;
}

static err_t wrapping_unwrap(struct core *c, struct request *req,
                             struct response *resp)
{
	struct token_entry *e = NULL;
	struct buf text = BUF_INIT;
	err_t rc = take_wrapped(c, req, &e, &text, resp);

	if (rc == ERR_OK) {
		/* The original envelope, byte for byte. */
		resp->raw_type = strdup("application/json");
		resp->raw_body = text;
		buf_init(&text, 0);
		resp->status = 200;
		if (resp->raw_type == NULL)
			rc = response_error(resp, ERR_NOMEM, NULL);
	}
	buf_release(&text);
	token_entry_free(e);
	return rc;
}

static err_t wrapping_lookup(struct core *c, struct request *req,
                             struct response *resp)
{
	const char *t = wrapping_token_of(req);
	struct token_entry *e = NULL;
	char when[40];

	if (t == NULL || token_lookup(c->tokens, t, &e) != ERR_OK)
		return bad_wrapping_token(resp);
	if (!core_is_wrapping_token(e)) {
		token_entry_free(e);
		return bad_wrapping_token(resp);
	}
	time_rfc3339(e->creation_time, 0, when);
	response_set_data(resp, json_pack("{s:s, s:s, s:I}", "creation_path",
	                                  e->path, "creation_time", when,
	                                  "creation_ttl", (json_int_t)e->ttl));
	token_entry_free(e);
	return ERR_OK;
}

static err_t wrapping_wrap(struct request *req, struct response *resp)
{
	if (json_object_size(req->data) == 0)
		return response_error(resp, ERR_INVALID,
		                      "no data provided to wrap");
	if (req->wrap_ttl <= 0)
		req->wrap_ttl = WRAP_DEFAULT_TTL;
	response_set_data(resp, json_deep_copy(req->data));
	return ERR_OK;
}

static err_t wrapping_rewrap(struct core *c, struct request *req,
                             struct response *resp)
{
	struct token_entry *e = NULL;
	struct buf text = BUF_INIT;
	json_t *info = NULL;
	err_t rc = take_wrapped(c, req, &e, &text, resp);

	if (rc == ERR_OK)
		rc = core_wrap_text(c, e->ns, e->path, buf_str(&text), e->ttl,
		                    NULL, &info);
	if (rc == ERR_OK)
		resp->wrap_info = info;
	else if (resp->err == ERR_OK)
		response_error(resp, rc, "rewrap failed: %s", err_str(rc));
	buf_release(&text);
	token_entry_free(e);
	return rc;
}

err_t sys_wrapping(struct core *c, struct request *req, struct response *resp)
{
	const char *what = req->rel + strlen("wrapping/");

	if (req->op != OP_UPDATE && req->op != OP_CREATE &&
	    !(req->op == OP_READ && strcmp(what, "lookup") == 0))
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	if (strcmp(what, "unwrap") == 0)
		return wrapping_unwrap(c, req, resp);
	if (strcmp(what, "lookup") == 0)
		return wrapping_lookup(c, req, resp);
	if (strcmp(what, "wrap") == 0)
		return wrapping_wrap(req, resp);
	if (strcmp(what, "rewrap") == 0)
		return wrapping_rewrap(c, req, resp);
	return response_error(resp, ERR_NOT_FOUND, "unsupported path \"%s\"",
	                      req->rel);
}

bool sys_unauthenticated(const char *rel, enum op op)
{
	(void)op;
	return strcmp(rel, "wrapping/unwrap") == 0 ||
	       strcmp(rel, "wrapping/lookup") == 0;
}
