/*
 * sys_internal.h - the handlers of the system backend (sys/), one file per
 * group of paths. Each takes the core, the request (req->rel is the path
 * below "sys/") and the response, and returns an err_t.
 */
#ifndef COFFER_SYS_SYS_INTERNAL_H
#define COFFER_SYS_SYS_INTERNAL_H

#include "core/core_internal.h"

typedef err_t (*sys_handler_fn)(struct core *c, struct request *req,
                                struct response *resp);

/* sys_seal.c: init, seal status, unseal, seal, health, leader, keys. */
err_t sys_init(struct core *c, struct request *req, struct response *resp);
err_t sys_seal_status(struct core *c, struct request *req,
                      struct response *resp);
err_t sys_unseal(struct core *c, struct request *req, struct response *resp);
err_t sys_seal(struct core *c, struct request *req, struct response *resp);
err_t sys_health(struct core *c, struct request *req, struct response *resp);
err_t sys_leader(struct core *c, struct request *req, struct response *resp);
err_t sys_step_down(struct core *c, struct request *req, struct response *resp);
err_t sys_rotate(struct core *c, struct request *req, struct response *resp);
err_t sys_key_status(struct core *c, struct request *req,
                     struct response *resp);

/* sys_mounts.c: sys/mounts and sys/auth. */
err_t sys_mounts(struct core *c, struct request *req, struct response *resp);
err_t sys_auth(struct core *c, struct request *req, struct response *resp);

/* sys_internal_ui.c: sys/internal/ui/mounts/<path>. */
err_t sys_internal_ui_mounts(struct core *c, struct request *req,
                             struct response *resp);

/* sys_wrapping.c: sys/wrapping/{wrap,unwrap,lookup,rewrap}. */
err_t sys_wrapping(struct core *c, struct request *req, struct response *resp);

/* The sys paths reached without a client token (the wrapping paths). */
bool sys_unauthenticated(const char *rel, enum op op);

/* sys_namespaces.c: sys/namespaces. */
err_t sys_namespaces(struct core *c, struct request *req,
                     struct response *resp);

/* sys_tools.c: sys/tools/random and sys/tools/hash. */
err_t sys_tools_random(struct core *c, struct request *req,
                       struct response *resp);
err_t sys_tools_hash(struct core *c, struct request *req,
                     struct response *resp);

/* sys_policy.c: ACL policies and capabilities. */
err_t sys_policy(struct core *c, struct request *req, struct response *resp);
err_t sys_policies_acl(struct core *c, struct request *req,
                       struct response *resp);
err_t sys_capabilities(struct core *c, struct request *req,
                       struct response *resp);
err_t sys_capabilities_self(struct core *c, struct request *req,
                            struct response *resp);
err_t sys_capabilities_accessor(struct core *c, struct request *req,
                                struct response *resp);
/* sys_leases.c: sys/leases/... and the legacy renew/revoke paths. */
err_t sys_leases(struct core *c, struct request *req, struct response *resp);
/* sys_audit.c: sys/audit and sys/audit-hash (issue 6). */
err_t sys_audit(struct core *c, struct request *req, struct response *resp);
err_t sys_audit_hash(struct core *c, struct request *req,
                     struct response *resp);
/* sys/config/auditing/request-headers[/<name>]: list, read, set, delete. */
err_t sys_audit_headers(struct core *c, struct request *req,
                        struct response *resp);

/* The seal-status object, shared by sys/seal-status and sys/unseal. */
json_t *sys_seal_status_object(struct core *c);

#endif
