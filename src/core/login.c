/*
 * login.c - the token of a successful login.
 */
#include "core/login.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/secret.h"
#include "core/core_internal.h"

static int64_t pick(int64_t wanted, int64_t mount, int64_t system)
{
	if (wanted > 0)
		return wanted;
	return mount > 0 ? mount : system;
}

err_t core_login(struct mount *m, struct request *req,
                 const struct login_result *lr, struct response *resp)
{
	struct core *c = m->core;
	struct token_params p;
	struct token_entry *e = NULL;
	char *value = NULL, errmsg[256] = "", path[300];
	err_t rc;

	memset(&p, 0, sizeof(p));
	snprintf(path, sizeof(path), "%slogin", m->path);
	p.ns = req->ns;
	p.policies = lr->policies;
	p.no_default_policy = lr->no_default_policy;
	p.meta = lr->metadata;
	p.display_name = lr->display_name;
	p.path = path;
	p.orphan = true;
	p.renewable = lr->renewable;
	p.default_ttl =
	    pick(0, m->default_lease_ttl, c->opts.default_lease_ttl);
	p.max_ttl = pick(lr->max_ttl, m->max_lease_ttl, c->opts.max_lease_ttl);
	p.ttl = lr->ttl > 0 ? lr->ttl : p.default_ttl;
	if (p.max_ttl > 0 && p.ttl > p.max_ttl)
		p.ttl = p.max_ttl;
	p.explicit_max_ttl = lr->explicit_max_ttl;
	p.period = lr->period;
	p.num_uses = lr->num_uses;

	rc = token_create(c->tokens, &p, NULL, &value, &e, errmsg,
	                  sizeof(errmsg));
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s",
		                      errmsg[0] ? errmsg : err_str(rc));
	resp->auth = token_entry_auth(e, value);
	if (resp->auth == NULL)
		rc = response_error(resp, ERR_NOMEM, NULL);
	else
		log_debug("auth", "login at %s issued token with accessor %s",
		          m->path, e->accessor);
	secret_free(value);
	token_entry_free(e);
	return rc;
}
