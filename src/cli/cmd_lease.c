/*
 * cmd_lease.c - `coffer lease lookup|renew|revoke`: the leases of dynamic
 * secrets, under sys/leases/.
 */
#include <stdio.h>
#include <string.h>

#include "base/params.h"
#include "cli/command.h"

static const char lookup_usage[] =
    "Usage: coffer lease lookup [options] ID\n"
    "\n"
    "  Shows the lease ID: when it was issued, when it expires, whether\n"
    "  it may be renewed.\n"
    "\n"
    "  -format=table|json   how to print the answer\n";

static const char renew_usage[] =
    "Usage: coffer lease renew [options] ID\n"
    "\n"
    "  Extends the lease ID.\n"
    "\n"
    "  -increment=D         ask for this much more time (\"1h\")\n"
    "  -format=table|json   how to print the answer\n";

static const char revoke_usage[] =
    "Usage: coffer lease revoke [options] ID | PREFIX\n"
    "\n"
    "  Revokes the lease ID, or with -prefix every lease under PREFIX.\n"
    "\n"
    "  -prefix              revoke all leases under the PREFIX given\n"
    "  -force               with -prefix: drop the leases even when the\n"
    "                       engine fails to revoke their secrets\n"
    "  -sync=false          return at once; revocation goes on later\n";

int cmd_lease_lookup(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	json_t *body;
	int first, code;

	code = command_parse_args(lookup_usage, defs, argc, argv, &o, 1, "ID",
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	body = json_pack("{s:s}", "lease_id", argv[first]);
	if (body == NULL)
		return command_usage_error(lookup_usage,
		                           "the lease ID is not UTF-8 text");
	code = command_call_print(&o, "PUT", "sys/leases/lookup", body,
	                          "looking up lease", NULL);
	json_decref(body);
	return code;
}

int cmd_lease_renew(int argc, char **argv)
{
	struct command_opts o = {0};
	const char *increment = NULL;
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o),
	                          {"increment", FLAG_STRING, &increment},
	                          {"i", FLAG_STRING, &increment},
	                          {0}};
	json_t *body;
	int64_t secs = 0;
	int first, code;

	code = command_parse_args(renew_usage, defs, argc, argv, &o, 1, "ID",
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	if (increment != NULL && parse_duration(increment, &secs) != ERR_OK)
		return command_usage_error(renew_usage,
		                           "invalid duration for -increment");
	body = json_pack("{s:s}", "lease_id", argv[first]);
	if (body == NULL)
		return command_usage_error(renew_usage,
		                           "the lease ID is not UTF-8 text");
	/* Without -increment the server picks the lease's own TTL. */
	if (increment != NULL &&
	    json_object_set_new(body, "increment", json_integer(secs)))
		code = command_fail("renewing lease", "out of memory");
	else
		code = command_call_print(&o, "PUT", "sys/leases/renew", body,
		                          "renewing lease", NULL);
	json_decref(body);
	return code;
}

struct lease_revoke_opts {
	struct command_opts o;
	bool prefix, force, sync;
};

/* The path, body and news of the revoke asked for. */
static err_t lease_revoke_request(const struct lease_revoke_opts *r,
                                  const char *arg, struct buf *path,
                                  json_t **body, struct buf *news)
{
	*body = NULL;
	if (r->force) {
		buf_printf(news,
		           "Success! Force revoked any leases with "
		           "prefix: %s",
		           arg);
		return buf_printf(path, "sys/leases/revoke-force/%s", arg);
	}
	if (r->prefix) {
		*body = json_pack("{s:b}", "sync", r->sync);
		buf_printf(news, "Success! Revoked any leases with prefix: %s",
		           arg);
		return buf_printf(path, "sys/leases/revoke-prefix/%s", arg);
	}
	*body = json_pack("{s:s,s:b}", "lease_id", arg, "sync", r->sync);
	buf_printf(news, "Success! Revoked lease: %s", arg);
	return buf_append_str(path, "sys/leases/revoke");
}

int cmd_lease_revoke(int argc, char **argv)
{
	struct lease_revoke_opts r = {.sync = true};
	struct flag_def defs[] = {
	    COMMAND_COMMON_FLAGS(&r.o),     {"prefix", FLAG_BOOL, &r.prefix},
	    {"force", FLAG_BOOL, &r.force}, {"f", FLAG_BOOL, &r.force},
	    {"sync", FLAG_BOOL, &r.sync},   {0}};
	struct client_response resp = {0};
	struct buf path = BUF_INIT, news = BUF_INIT;
	json_t *body = NULL;
	int first, code;

	code = command_parse_args(revoke_usage, defs, argc, argv, &r.o, 1,
	                          "ID or PREFIX", &first);
	if (code != COMMAND_RUN)
		return code;
	/* Forcing skips the engines: only for a whole prefix, on purpose. */
	if (r.force && !r.prefix)
		return command_usage_error(revoke_usage,
		                           "-force needs -prefix as well");
	if (lease_revoke_request(&r, argv[first], &path, &body, &news) ||
	    (body == NULL && !r.force)) {
		code = command_fail("revoking", "invalid argument");
		goto out;
	}
	code = command_call_once(&r.o, "PUT", buf_str(&path), NULL, body,
	                         "revoking", &resp);
	if (code != COMMAND_EXIT_OK)
		goto out;
	if (!r.sync && !r.force)
		printf("All revocation operations queued successfully!\n");
	else
		printf("%s\n", buf_str(&news));
out:
	json_decref(body);
	client_response_release(&resp);
	buf_release(&path);
	buf_release(&news);
	return code;
}
