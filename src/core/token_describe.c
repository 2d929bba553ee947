/*
 * token_describe.c - the JSON shapes clients read: lookup data (vault-api
 * 3.3) and the auth block (3.1).
 */
#include <string.h>

#include "base/encoding.h"
#include "core/lease.h"
#include "core/token.h"

static json_t *time_string(int64_t t)
{
	char s[40];

	time_rfc3339(t, 0, s);
	return json_string(s);
}

/* The fields Vault shows only for tokens that expire or were renewed. */
static void describe_lease(json_t *o, const struct token_entry *e, int64_t now)
{
	if (e->expire_time == 0)
		return;
	json_object_set_new(o, "issue_time", time_string(e->creation_time));
	json_object_set_new(o, "renewable", json_boolean(e->renewable));
	if (e->period > 0)
		json_object_set_new(o, "period", json_integer(e->period));
	if (e->last_renewal_time > 0) {
		json_object_set_new(o, "last_renewal_time",
		                    json_integer(e->last_renewal_time));
		json_object_set_new(o, "last_renewal",
		                    time_string(e->last_renewal_time));
	}
	(void)now;
}

json_t *token_entry_describe(const struct token_entry *e)
{
	int64_t now = lease_now(), ttl = 0;
	json_t *o;

	if (e->expire_time != 0)
		ttl = e->expire_time > now ? e->expire_time - now : 0;
	o = json_pack(
	    "{s:s, s:I, s:I, s:s, s:s, s:o, s:I, s:s, s:b, s:s, s:O, s:I,"
	    " s:O, s:s, s:I, s:b}",
	    "accessor", e->accessor, "creation_time",
	    (json_int_t)e->creation_time, "creation_ttl", (json_int_t)e->ttl,
	    "display_name", e->display_name, "entity_id", e->entity_id,
	    "expire_time",
	    e->expire_time ? time_string(e->expire_time) : json_null(),
	    "explicit_max_ttl", (json_int_t)e->explicit_max_ttl, "id", "",
	    "orphan", e->orphan, "path", e->path, "policies", e->policies,
	    "ttl", (json_int_t)ttl, "meta", e->meta ? e->meta : json_null(),
	    "type", "service", "num_uses", (json_int_t)e->num_uses, "renewable",
	    0);
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "namespace_path", json_string(e->ns));
	if (e->role && e->role[0])
		json_object_set_new(o, "role", json_string(e->role));
	if (json_array_size(e->bound_cidrs) > 0)
		json_object_set(o, "bound_cidrs", e->bound_cidrs);
	if (e->expire_time == 0)
		json_object_del(o, "renewable");
	describe_lease(o, e, now);
	return o;
}

json_t *token_entry_auth(const struct token_entry *e, const char *client_token)
{
	int64_t now = lease_now(), ttl = 0;
	json_t *o;

	if (e->expire_time != 0)
		ttl = e->expire_time > now ? e->expire_time - now : 0;
	o = json_pack(
	    "{s:s, s:s, s:O, s:O, s:I, s:b, s:s, s:s, s:b, s:n, s:I}",
	    "client_token", client_token, "accessor", e->accessor, "policies",
	    e->policies, "metadata", e->meta ? e->meta : json_null(),
	    "lease_duration", (json_int_t)ttl, "renewable", e->renewable,
	    "entity_id", e->entity_id, "token_type", "service", "orphan",
	    e->orphan, "mfa_requirement", "num_uses", (json_int_t)e->num_uses);
	if (o != NULL && json_array_size(e->policies) > 0)
		json_object_set(o, "token_policies", e->policies);
	return o;
}
