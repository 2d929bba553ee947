/*
 * cmd_token.c - `coffer token create|lookup|renew|revoke|capabilities`:
 * the token store under auth/token/ and what a token may do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/params.h"
#include "cli/command.h"

static const char create_usage[] =
    "Usage: coffer token create [options]\n"
    "\n"
    "  Creates a token, a child of the one in use unless -orphan.\n"
    "\n"
    "  -policy=NAME            a policy of the token; may be repeated or\n"
    "                          comma-separated (default: the parent's)\n"
    "  -ttl=D                  its time to live (\"1h\")\n"
    "  -explicit-max-ttl=D     the most it may live, renewals included\n"
    "  -period=D               renewable forever, by D at a time\n"
    "  -num-uses=N             how many requests it may make (0: any)\n"
    "  -orphan                 no parent: outlives the token in use\n"
    "  -display-name=NAME      a name shown in lookups and audit logs\n"
    "  -metadata=K=V           metadata; may be repeated\n"
    "  -no-default-policy      leave out the \"default\" policy\n"
    "  -role=NAME              create it through this token role\n"
    "  -renewable=true|false   whether it may be renewed\n"
    "  -id=VALUE               the token's value (root only)\n"
    "  -type=service|batch     the kind of token\n"
    "  -field=NAME             print only this field (\"token\")\n"
    "  -format=table|json      how to print the answer\n";

static const char lookup_usage[] =
    "Usage: coffer token lookup [options] [TOKEN]\n"
    "\n"
    "  Shows the properties of TOKEN, or of the token in use.\n"
    "\n"
    "  -accessor            TOKEN is an accessor\n"
    "  -format=table|json   how to print the answer\n";

static const char renew_usage[] =
    "Usage: coffer token renew [options] [TOKEN]\n"
    "\n"
    "  Extends the life of TOKEN, or of the token in use.\n"
    "\n"
    "  -increment=D         ask for this much more time (\"30m\")\n"
    "  -accessor            TOKEN is an accessor\n"
    "  -format=table|json   how to print the answer\n";

static const char revoke_usage[] =
    "Usage: coffer token revoke [options] [TOKEN | PATH]\n"
    "\n"
    "  Revokes TOKEN with its children and their leases.\n"
    "\n"
    "  -self                revoke the token in use (no argument)\n"
    "  -accessor            TOKEN is an accessor\n"
    "  -mode=orphan         revoke TOKEN alone; its children live on\n"
    "  -mode=path           revoke every token created under the\n"
    "                       PATH given instead of a token\n";

static const char capabilities_usage[] =
    "Usage: coffer token capabilities [options] [TOKEN] PATH\n"
    "\n"
    "  Shows what TOKEN (or the token in use) may do at PATH.\n"
    "\n"
    "  -accessor            TOKEN is an accessor\n"
    "  -format=table|json   how to print the answer\n";

/* Sets key to a duration flag's text after checking that it parses. */
static err_t token_duration(json_t *body, const char *key, const char *flag,
                            const char *value, struct buf *msg)
{
	int64_t secs;

	if (value == NULL)
		return ERR_OK;
	if (parse_duration(value, &secs) != ERR_OK) {
		buf_printf(msg, "invalid duration \"%s\" for -%s", value, flag);
		return ERR_INVALID;
	}
	/* The server parses durations; "1h" goes as typed. */
	return json_object_set_new(body, key, json_string(value)) ? ERR_NOMEM
	                                                          : ERR_OK;
}

struct token_create_opts {
	struct command_opts o;
	struct flag_list policies, metadata;
	const char *ttl, *max_ttl, *period, *display_name, *role;
	const char *renewable, *id, *type, *field;
	int64_t num_uses;
	bool orphan, no_default_policy;
};

/* "a,b" and repeated -policy flags make one list. */
static err_t token_policies(const struct flag_list *l, json_t *body)
{
	const char *p, *comma;
	json_t *list;
	size_t i, n;

	if (l->n == 0)
		return ERR_OK;
	list = json_array();
	if (list == NULL || json_object_set_new(body, "policies", list))
		return ERR_NOMEM;
	for (i = 0; i < l->n; i++) {
		for (p = l->items[i]; *p != '\0'; p = comma ? comma + 1 : "") {
			comma = strchr(p, ',');
			n = comma ? (size_t)(comma - p) : strlen(p);
			if (n > 0 &&
			    json_array_append_new(list, json_stringn(p, n)))
				return ERR_INVALID;
		}
	}
	return ERR_OK;
}

static err_t token_metadata(const struct flag_list *l, json_t *body,
                            struct buf *msg)
{
	const char *eq;
	json_t *meta;
	size_t i;

	if (l->n == 0)
		return ERR_OK;
	meta = json_object();
	if (meta == NULL || json_object_set_new(body, "meta", meta))
		return ERR_NOMEM;
	for (i = 0; i < l->n; i++) {
		eq = strchr(l->items[i], '=');
		if (eq == NULL || eq == l->items[i] ||
		    json_object_setn_new(meta, l->items[i],
		                         (size_t)(eq - l->items[i]),
		                         json_string(eq + 1))) {
			buf_printf(msg,
			           "invalid -metadata \"%s\": expected K=V",
			           l->items[i]);
			return ERR_INVALID;
		}
	}
	return ERR_OK;
}

/* Adds key: value when value was given; a bad UTF-8 string is invalid. */
static err_t token_set_str(json_t *body, const char *key, const char *value)
{
	if (value == NULL)
		return ERR_OK;
	return json_object_set_new(body, key, json_string(value)) ? ERR_INVALID
	                                                          : ERR_OK;
}

/* The create request: only what was asked for, so the server decides. */
static err_t token_create_body(const struct token_create_opts *t, json_t *body,
                               struct buf *msg)
{
	bool renewable;
	err_t rc;

	rc = token_policies(&t->policies, body);
	if (rc == ERR_OK)
		rc = token_metadata(&t->metadata, body, msg);
	if (rc == ERR_OK)
		rc = token_duration(body, "ttl", "ttl", t->ttl, msg);
	if (rc == ERR_OK)
		rc = token_duration(body, "explicit_max_ttl",
		                    "explicit-max-ttl", t->max_ttl, msg);
	if (rc == ERR_OK)
		rc = token_duration(body, "period", "period", t->period, msg);
	if (rc == ERR_OK)
		rc = token_set_str(body, "display_name", t->display_name);
	if (rc == ERR_OK)
		rc = token_set_str(body, "id", t->id);
	if (rc == ERR_OK)
		rc = token_set_str(body, "type", t->type);
	if (rc != ERR_OK)
		return rc;
	if (t->num_uses > 0 &&
	    json_object_set_new(body, "num_uses", json_integer(t->num_uses)))
		return ERR_NOMEM;
	if (t->orphan && json_object_set_new(body, "no_parent", json_true()))
		return ERR_NOMEM;
	if (t->no_default_policy &&
	    json_object_set_new(body, "no_default_policy", json_true()))
		return ERR_NOMEM;
	if (t->renewable != NULL) {
		if (!parse_bool(t->renewable, &renewable)) {
			buf_printf(msg, "invalid value \"%s\" for -renewable",
			           t->renewable);
			return ERR_INVALID;
		}
		if (json_object_set_new(body, "renewable",
		                        json_boolean(renewable)))
			return ERR_NOMEM;
	}
	return ERR_OK;
}

/* create/<role> with a role, create-orphan for an orphan, else create. */
static int token_create_send(struct token_create_opts *t, json_t *body)
{
	struct buf path = BUF_INIT;
	int code;

	if (t->role != NULL)
		buf_printf(&path, "auth/token/create/%s", t->role);
	else
		buf_append_str(&path, t->orphan ? "auth/token/create-orphan"
		                                : "auth/token/create");
	code = command_call_print(&t->o, "POST", buf_str(&path), body,
	                          "creating token", t->field);
	buf_release(&path);
	return code;
}

int cmd_token_create(int argc, char **argv)
{
	struct token_create_opts t = {.num_uses = 0};
	struct flag_def defs[] = {
	    COMMAND_COMMON_FLAGS(&t.o),
	    {"policy", FLAG_LIST, &t.policies},
	    {"metadata", FLAG_LIST, &t.metadata},
	    {"ttl", FLAG_STRING, &t.ttl},
	    {"explicit-max-ttl", FLAG_STRING, &t.max_ttl},
	    {"period", FLAG_STRING, &t.period},
	    {"num-uses", FLAG_INT, &t.num_uses},
	    {"orphan", FLAG_BOOL, &t.orphan},
	    {"display-name", FLAG_STRING, &t.display_name},
	    {"no-default-policy", FLAG_BOOL, &t.no_default_policy},
	    {"role", FLAG_STRING, &t.role},
	    {"renewable", FLAG_STRING, &t.renewable},
	    {"id", FLAG_STRING, &t.id},
	    {"type", FLAG_STRING, &t.type},
	    {"field", FLAG_STRING, &t.field},
	    {0}};
	struct buf msg = BUF_INIT;
	json_t *body = NULL;
	int first, code;
	err_t rc;

	code = command_parse_args(create_usage, defs, argc, argv, &t.o, 0, NULL,
	                          &first);
	if (code != COMMAND_RUN)
		goto out;
	body = json_object();
	rc = body ? token_create_body(&t, body, &msg) : ERR_NOMEM;
	if (rc == ERR_OK && t.num_uses < 0) {
		buf_printf(&msg, "-num-uses must not be negative");
		rc = ERR_INVALID;
	}
	if (rc != ERR_OK) {
		code = rc == ERR_INVALID
		           ? command_usage_error(create_usage,
		                                 msg.len ? buf_str(&msg)
		                                         : "invalid text")
		           : command_fail("creating token", err_str(rc));
		goto out;
	}
	code = token_create_send(&t, body);
out:
	flags_list_release(&t.policies);
	flags_list_release(&t.metadata);
	json_decref(body);
	buf_release(&msg);
	return code;
}

/*
 * The path and body that name the token a lookup or renew is about:
 * <verb>-self for the token in use, <verb> with {"token"} for one given,
 * <verb>-accessor with {"accessor"} for an accessor.
 */
static err_t token_target(const char *verb, const char *arg, bool accessor,
                          struct buf *path, json_t *body)
{
	const char *key = accessor ? "accessor" : "token";

	if (arg == NULL)
		return buf_printf(path, "auth/token/%s-self", verb);
	if (json_object_set_new(body, key, json_string(arg)))
		return ERR_INVALID;
	return buf_printf(path, "auth/token/%s%s", verb,
	                  accessor ? "-accessor" : "");
}

/* Checks [TOKEN]: at most one, and one is needed with -accessor. */
static int token_one_arg(const char *usage, int argc, int first, bool accessor)
{
	if (argc - first > 1)
		return command_usage_error(usage, "Too many arguments "
		                                  "(expected at most 1)");
	if (accessor && argc - first != 1)
		return command_usage_error(usage, "-accessor needs the "
		                                  "accessor as argument");
	return COMMAND_RUN;
}

int cmd_token_lookup(int argc, char **argv)
{
	struct command_opts o = {0};
	bool accessor = false;
	struct flag_def defs[] = {
	    COMMAND_COMMON_FLAGS(&o), {"accessor", FLAG_BOOL, &accessor}, {0}};
	struct buf path = BUF_INIT;
	json_t *body = NULL;
	const char *arg;
	int first, code;

	code = command_parse(lookup_usage, defs, argc, argv, &o, &first);
	if (code == COMMAND_RUN)
		code = token_one_arg(lookup_usage, argc, first, accessor);
	if (code != COMMAND_RUN)
		return code;
	arg = first < argc ? argv[first] : NULL;
	body = json_object();
	if (body == NULL || token_target("lookup", arg, accessor, &path, body))
		code = command_fail("looking up token", "invalid argument");
	else if (arg == NULL)
		code = command_call_print(&o, "GET", buf_str(&path), NULL,
		                          "looking up token", NULL);
	else
		code = command_call_print(&o, "POST", buf_str(&path), body,
		                          "looking up token", NULL);
	json_decref(body);
	buf_release(&path);
	return code;
}

/* -increment as whole seconds; a bad duration is a usage error. */
static int token_increment(const char *usage, const char *value, json_t *body)
{
	struct buf msg = BUF_INIT;
	int64_t secs;
	int code = COMMAND_RUN;

	if (value == NULL)
		return COMMAND_RUN;
	if (parse_duration(value, &secs) != ERR_OK) {
		buf_printf(&msg, "invalid duration \"%s\" for -increment",
		           value);
		code = command_usage_error(usage, buf_str(&msg));
	} else if (json_object_set_new(body, "increment", json_integer(secs)))
		code = command_fail("renewing", "out of memory");
	buf_release(&msg);
	return code;
}

int cmd_token_renew(int argc, char **argv)
{
	struct command_opts o = {0};
	const char *increment = NULL;
	bool accessor = false;
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o),
	                          {"increment", FLAG_STRING, &increment},
	                          {"i", FLAG_STRING, &increment},
	                          {"accessor", FLAG_BOOL, &accessor},
	                          {0}};
	struct buf path = BUF_INIT;
	json_t *body = json_object();
	const char *arg;
	int first, code;

	code = command_parse(renew_usage, defs, argc, argv, &o, &first);
	if (code == COMMAND_RUN)
		code = token_one_arg(renew_usage, argc, first, accessor);
	if (code == COMMAND_RUN && body == NULL)
		code = command_fail("renewing token", "out of memory");
	if (code == COMMAND_RUN)
		code = token_increment(renew_usage, increment, body);
	if (code != COMMAND_RUN)
		goto out;
	arg = first < argc ? argv[first] : NULL;
	if (token_target("renew", arg, accessor, &path, body))
		code = command_fail("renewing token", "invalid argument");
	else
		code = command_call_print(&o, "PUT", buf_str(&path), body,
		                          "renewing token", NULL);
out:
	json_decref(body);
	buf_release(&path);
	return code;
}

struct token_revoke_opts {
	struct command_opts o;
	const char *mode;
	bool self, accessor;
};

/* The combinations of -self, -accessor and -mode that make sense. */
static int token_revoke_check(const struct token_revoke_opts *r, int nargs)
{
	const char *mode = r->mode;

	if (mode != NULL && strcmp(mode, "orphan") != 0 &&
	    strcmp(mode, "path") != 0)
		return command_usage_error(revoke_usage,
		                           "-mode must be orphan or path");
	if (r->self && (r->accessor || mode != NULL))
		return command_usage_error(
		    revoke_usage, "-self cannot go with -accessor or -mode");
	if (r->accessor && mode != NULL)
		return command_usage_error(revoke_usage,
		                           "-accessor cannot go with -mode");
	if (r->self && nargs != 0)
		return command_usage_error(revoke_usage,
		                           "-self takes no argument");
	if (!r->self && nargs != 1)
		return command_usage_error(
		    revoke_usage, "Expected exactly one argument: TOKEN");
	return COMMAND_RUN;
}

/* Picks the endpoint and body for the revoke asked for. */
static err_t token_revoke_request(const struct token_revoke_opts *r,
                                  const char *arg, struct buf *path,
                                  json_t *body)
{
	const char *key = r->accessor ? "accessor" : "token";

	if (r->self)
		return buf_append_str(path, "auth/token/revoke-self");
	if (r->mode != NULL && strcmp(r->mode, "path") == 0)
		return buf_printf(path, "sys/leases/revoke-prefix/%s", arg);
	if (json_object_set_new(body, key, json_string(arg)))
		return ERR_INVALID;
	if (r->accessor)
		return buf_append_str(path, "auth/token/revoke-accessor");
	if (r->mode != NULL)
		return buf_append_str(path, "auth/token/revoke-orphan");
	return buf_append_str(path, "auth/token/revoke");
}

int cmd_token_revoke(int argc, char **argv)
{
	struct token_revoke_opts r = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&r.o),
	                          {"self", FLAG_BOOL, &r.self},
	                          {"accessor", FLAG_BOOL, &r.accessor},
	                          {"mode", FLAG_STRING, &r.mode},
	                          {0}};
	struct client_response resp = {0};
	struct buf path = BUF_INIT;
	json_t *body = json_object();
	int first, code;

	code = command_parse(revoke_usage, defs, argc, argv, &r.o, &first);
	if (code == COMMAND_RUN)
		code = token_revoke_check(&r, argc - first);
	if (code != COMMAND_RUN)
		goto out;
	if (body == NULL ||
	    token_revoke_request(&r, first < argc ? argv[first] : NULL, &path,
	                         body)) {
		code = command_fail("revoking token", "invalid argument");
		goto out;
	}
	code = command_call_once(&r.o, "PUT", buf_str(&path), NULL,
	                         json_object_size(body) ? body : NULL,
	                         "revoking token", &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Revoked token (if it existed)\n");
out:
	json_decref(body);
	client_response_release(&resp);
	buf_release(&path);
	return code;
}

/* The list of capabilities, sorted and joined by ", " (or as JSON). */
static int token_print_caps(json_t *body, const char *path, const char *format)
{
	json_t *data = command_answer_data(body), *caps;
	const char **names;
	size_t n, i;

	caps = json_object_get(data, "capabilities");
	if (!json_is_array(caps))
		caps = json_object_get(data, path);
	if (!json_is_array(caps))
		return command_fail("checking capabilities",
		                    "the answer holds no capabilities");
	if (strcmp(format, "json") == 0)
		return command_print_json(caps);
	names = command_sorted_strings(caps, &n);
	if (names == NULL)
		return command_fail("checking capabilities", "out of memory");
	for (i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "", names[i]);
	putchar('\n');
	free(names);
	return COMMAND_EXIT_OK;
}

/* sys/capabilities-self, or sys/capabilities[-accessor] for a token. */
static int token_caps_send(struct command_opts *o, const char *token,
                           const char *path, bool accessor)
{
	struct client_response resp = {0};
	const char *api = "sys/capabilities-self";
	json_t *body;
	int code;

	body = json_pack("{s:[s]}", "paths", path);
	if (body != NULL && token != NULL) {
		api =
		    accessor ? "sys/capabilities-accessor" : "sys/capabilities";
		if (json_object_set_new(body, accessor ? "accessor" : "token",
		                        json_string(token))) {
			json_decref(body);
			body = NULL;
		}
	}
	if (body == NULL)
		return command_fail("checking capabilities", "invalid text");
	code = command_call_once(o, "POST", api, NULL, body,
	                         "checking capabilities", &resp);
	if (code == COMMAND_EXIT_OK)
		code = token_print_caps(resp.body, path, o->format);
	json_decref(body);
	client_response_release(&resp);
	return code;
}

int cmd_token_capabilities(int argc, char **argv)
{
	struct command_opts o = {0};
	bool accessor = false;
	struct flag_def defs[] = {
	    COMMAND_COMMON_FLAGS(&o), {"accessor", FLAG_BOOL, &accessor}, {0}};
	int first, code, n;

	code = command_parse(capabilities_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	n = argc - first;
	if (n < 1 || n > 2)
		return command_usage_error(capabilities_usage,
		                           "Expected [TOKEN] PATH");
	if (accessor && n != 2)
		return command_usage_error(capabilities_usage,
		                           "-accessor needs ACCESSOR PATH");
	return token_caps_send(&o, n == 2 ? argv[first] : NULL, argv[argc - 1],
	                       accessor);
}
