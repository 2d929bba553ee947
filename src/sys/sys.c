/*
 * sys.c - the system backend: the route table of sys/.
 *
 * A few paths (init, seal-status, unseal, health, leader) answer while the
 * server is sealed, so the core calls them before it looks at the mount
 * table; every other sys path is served through the "sys/" mount like any
 * backend, with a token.
 */
#include <string.h>

#include "sys/sys_internal.h"

struct sys_route {
	const char *path; /* exact path, or a prefix when it ends in "/" */
	sys_handler_fn fn;
};

static const struct sys_route unsealed_routes[] = {
    {"init", sys_init},     {"seal-status", sys_seal_status},
    {"unseal", sys_unseal}, {"health", sys_health},
    {"leader", sys_leader},
};

static const struct sys_route routes[] = {
    {"seal", sys_seal},
    {"step-down", sys_step_down},
    {"rotate", sys_rotate},
    {"key-status", sys_key_status},
    {"mounts", sys_mounts},
    {"mounts/", sys_mounts},
    {"auth", sys_auth},
    {"auth/", sys_auth},
    {"tools/random", sys_tools_random},
    {"tools/random/", sys_tools_random},
    {"tools/hash", sys_tools_hash},
    {"tools/hash/", sys_tools_hash},
    {"internal/ui/mounts/", sys_internal_ui_mounts},
    {"wrapping/", sys_wrapping},
    {"namespaces", sys_namespaces},
    {"namespaces/", sys_namespaces},
    {"policy", sys_policy},
    {"policy/", sys_policy},
    {"policies/acl", sys_policies_acl},
    {"policies/acl/", sys_policies_acl},
    {"capabilities", sys_capabilities},
    {"capabilities-self", sys_capabilities_self},
    {"capabilities-accessor", sys_capabilities_accessor},
    {"leases/", sys_leases},
    {"renew", sys_leases},
    {"renew/", sys_leases},
    {"revoke", sys_leases},
    {"revoke/", sys_leases},
    {"revoke-prefix/", sys_leases},
    {"revoke-force/", sys_leases},
    {"audit", sys_audit},
    {"audit/", sys_audit},
    {"audit-hash/", sys_audit_hash},
    {"config/auditing/request-headers", sys_audit_headers},
    {"config/auditing/request-headers/", sys_audit_headers},
};

static sys_handler_fn find_route(const struct sys_route *table, size_t n,
                                 const char *rel)
{
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len = strlen(table[i].path);
		if (table[i].path[len - 1] == '/') {
			if (strncmp(rel, table[i].path, len) == 0)
				return table[i].fn;
		} else if (strcmp(rel, table[i].path) == 0 ||
		           (strncmp(rel, table[i].path, len) == 0 &&
		            strcmp(rel + len, "/") == 0)) {
			return table[i].fn;
		}
	}
	return NULL;
}

bool sys_handle_unsealed_paths(struct core *c, struct request *req,
                               struct response *resp)
{
	sys_handler_fn fn;

	if (strncmp(req->path, "sys/", 4) != 0)
		return false;
	fn = find_route(unsealed_routes,
	                sizeof(unsealed_routes) / sizeof(unsealed_routes[0]),
	                req->path + 4);
	if (fn == NULL)
		return false;
	req->rel = req->path + 4;
	snprintf(resp->mount_type, sizeof(resp->mount_type), "system");
	fn(c, req, resp);
	return true;
}

bool sys_needs_write_lock(const struct request *req)
{
	const char *rel = req->path + 4;

	if (strncmp(req->path, "sys/", 4) != 0)
		return false;
	if (strcmp(rel, "seal") == 0 || strcmp(rel, "rotate") == 0)
		return true;
	if (req->op == OP_READ || req->op == OP_LIST || req->op == OP_HEAD)
		return false;
	return strncmp(rel, "mounts/", 7) == 0 ||
	       strncmp(rel, "auth/", 5) == 0 ||
	       strncmp(rel, "namespaces/", 11) == 0;
}

static err_t system_handle(struct mount *m, struct request *req,
                           struct response *resp)
{
	sys_handler_fn fn =
	    find_route(routes, sizeof(routes) / sizeof(routes[0]), req->rel);

	if (fn == NULL)
		return response_error(resp, ERR_NOT_FOUND,
		                      "unsupported path \"sys/%s\"", req->rel);
	return fn(m->core, req, resp);
}

const struct mount_backend system_backend = {
    .type = "system",
    .kind = MOUNT_SECRET,
    .handle = system_handle,
    .unauthenticated = sys_unauthenticated,
};
