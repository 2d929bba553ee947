/*
 * token_describe.c - the JSON shapes clients read: lookup data (vault-api
 * 3.3) and the auth block (3.1).
 */
#include <stdbool.h>
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

/*
 * Field setters for the lookup answer, which every lookup-self builds:
 * json_pack parses its format on each call and cost more than the rest of
 * the lookup. Each returns false when out of memory.
 */
static bool put(json_t *o, const char *k, json_t *v)
{
	return v != NULL && json_object_set_new_nocheck(o, k, v) == 0;
}

static bool put_str(json_t *o, const char *k, const char *v)
{
	return put(o, k, json_string(v ? v : ""));
}

static bool put_int(json_t *o, const char *k, int64_t v)
{
	return put(o, k, json_integer((json_int_t)v));
}

static bool put_ref(json_t *o, const char *k, json_t *v)
{
	return put(o, k, v != NULL ? json_incref(v) : json_null());
}

json_t *token_entry_describe(const struct token_entry *e)
{
	int64_t now = lease_now(), ttl = 0;
	json_t *o = json_object();
	bool ok;

	if (e->expire_time != 0)
		ttl = e->expire_time > now ? e->expire_time - now : 0;
	ok = o != NULL && put_str(o, "accessor", e->accessor) &&
	     put_int(o, "creation_time", e->creation_time) &&
	     put_int(o, "creation_ttl", e->ttl) &&
	     put_str(o, "display_name", e->display_name) &&
	     put_str(o, "entity_id", e->entity_id) &&
	     put(o, "expire_time",
	         e->expire_time ? time_string(e->expire_time) : json_null()) &&
	     put_int(o, "explicit_max_ttl", e->explicit_max_ttl) &&
	     put_str(o, "id", "") &&
	     put(o, "orphan", json_boolean(e->orphan)) &&
	     put_str(o, "path", e->path) &&
	     put_ref(o, "policies", e->policies) && put_int(o, "ttl", ttl) &&
	     put_ref(o, "meta", e->meta) && put_str(o, "type", "service") &&
	     put_int(o, "num_uses", e->num_uses) &&
	     put_str(o, "namespace_path", e->ns);
	if (ok && e->role && e->role[0])
		ok = put_str(o, "role", e->role);
	if (ok && json_array_size(e->bound_cidrs) > 0)
		ok = put_ref(o, "bound_cidrs", e->bound_cidrs);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
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
