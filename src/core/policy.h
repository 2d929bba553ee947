/*
 * policy.h - ACL policies: the policy language, and the compiled form a
 * token's policies take for checking requests.
 *
 * A policy is a list of rules, each a path pattern with capabilities:
 *
 *   path "secret/data/app/x" { capabilities = ["read", "list"] }
 *   path "secret/+/team"      { capabilities = ["deny"] }
 *   path "auth/token/lookup-self" { policy = "read" }    (legacy shorthand)
 *
 * written in HCL or the equivalent JSON. A pattern is a literal path, may
 * end in '*' (any rest, '/' included) and may hold '+' segments (exactly
 * one non-empty segment each). Optional keys constrain the request body:
 * allowed_parameters, denied_parameters, required_parameters, and the
 * wrapping TTL bounds min_wrapping_ttl, max_wrapping_ttl.
 *
 * How a request path is decided (the whole rule lives in acl.c):
 *  1. The rules of all the token's policies are merged by pattern: the
 *     capabilities of equal patterns are unioned, and deny on any of them
 *     makes the merged rule deny-only.
 *  2. A literal rule equal to the path wins outright.
 *  3. Otherwise, among the wildcard rules that match, the most specific
 *     one decides, compared in this order: the later its first wildcard
 *     ('+' or '*') the more specific; then no trailing '*' over one; then
 *     fewer '+' segments; then the longer pattern; then the lexically
 *     greater one.
 *  4. The chosen rule alone decides: deny refuses everything, otherwise
 *     the operation's capability must be in it. There is no union across
 *     different patterns.
 * For LIST (path ending in '/'), when nothing decides the path with its
 * slash, the path without it is tried too, so "team/+/keys" grants
 * "LIST team/x/keys/" as Vault does.
 */
#ifndef COFFER_CORE_POLICY_H
#define COFFER_CORE_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "core/request.h"

struct policy;
struct acl;

enum {
	CAP_DENY = 1 << 0,
	CAP_CREATE = 1 << 1,
	CAP_READ = 1 << 2,
	CAP_UPDATE = 1 << 3,
	CAP_PATCH = 1 << 4,
	CAP_DELETE = 1 << 5,
	CAP_LIST = 1 << 6,
	CAP_SUDO = 1 << 7,
};

/* Longest policy name and pattern accepted. */
#define POLICY_NAME_MAX    256
#define POLICY_PATTERN_MAX 4096

/*
 * Normalises a policy name the one way every caller must: surrounding
 * white space removed, lower case. Rejects (ERR_INVALID) an empty name,
 * one longer than POLICY_NAME_MAX, and names holding '/' or control
 * characters. On success *out is a heap string the caller frees.
 */
err_t policy_name_normalize(const char *name, char **out);

/*
 * Parses len bytes of policy text (HCL or JSON) under name (normalised
 * with policy_name_normalize). On success *out is a new policy the caller
 * frees with policy_free. On bad input returns ERR_INVALID and writes a
 * one-line reason with the line number into errmsg ("failed to parse
 * policy: line 3: path \"x\": invalid capability \"reed\""); ERR_NOMEM
 * when memory runs out.
 */
err_t policy_parse(const char *name, const char *text, size_t len,
                   struct policy **out, char *errmsg, size_t errlen);

/* Frees a parsed policy; NULL is ok. */
void policy_free(struct policy *p);

/* The normalised name; valid while p lives. */
const char *policy_name(const struct policy *p);

/* The source text exactly as given to policy_parse. */
const char *policy_text(const struct policy *p);

/*
 * Compiles n policies (not owned; they may be freed afterwards) into one
 * ACL. Rules with identity templates ("{{identity.entity.id}}") are left
 * out: templating is not implemented, and a template taken literally
 * would grant a path nobody meant. On success *out holds one reference,
 * dropped with acl_free or acl_release. ERR_NOMEM on failure.
 */
err_t acl_new(struct policy *const *policies, size_t n, struct acl **out);

/* Drops the reference acl_new gave; same as acl_release. NULL is ok. */
void acl_free(struct acl *a);

/*
 * Takes one more reference to a; for sharing a compiled ACL between a
 * cache and requests. Thread safe.
 */
struct acl *acl_ref(struct acl *a);

/* Drops one reference; the last frees the ACL. Thread safe; NULL is ok. */
void acl_release(struct acl *a);

/* An ACL that allows everything, sudo included: the root policy. */
err_t acl_new_root(struct acl **out);

/* True for the ACL of the root policy. */
bool acl_is_root(const struct acl *a);

struct acl_result {
	bool allowed;
	bool sudo;     /* the deciding rule grants sudo */
	uint32_t caps; /* of the deciding rule; CAP_DENY alone if none */
	int64_t min_wrapping_ttl, max_wrapping_ttl; /* 0: no bound */
	char denied_reason[128];
};

/*
 * Decides op on path (the full path inside the namespace, such as
 * "secret/data/x"; for OP_LIST it ends in "/") with the request's
 * parameters data (an object, or NULL for none). Checks the capability
 * and, for read, create, update and patch, the parameter constraints of
 * the deciding rule. Fills res: allowed=false with a reason when refused.
 * The wrapping TTL bounds are reported, not enforced: the core knows the
 * request's wrap TTL. sudo is reported for the core to require on
 * root-protected paths. Returns ERR_OK whenever res is filled.
 */
err_t acl_check(const struct acl *a, const char *path, enum op op, json_t *data,
                struct acl_result *res);

/*
 * The capabilities a grants on path, for sys/capabilities: the deciding
 * rule's bits, or CAP_DENY alone when it denies or no rule matches.
 */
uint32_t acl_capabilities(const struct acl *a, const char *path);

/*
 * Whether a grants anything at all inside the mount at mount_path ("secret/",
 * namespace-relative): a rule under it, or a wildcard rule reaching into
 * it, that is not a deny. This is the test for sys/internal/ui/mounts/, which
 * clients (the Vault CLI's kv commands, agents) call to learn a mount's
 * type with a token that may only read a few paths inside it. Walks every
 * rule: only for that endpoint, never on the hot path.
 */
bool acl_has_mount_access(const struct acl *a, const char *mount_path);

/*
 * The names of caps as a new JSON array, sorted: ["list", "read"];
 * ["deny"] when caps holds deny or nothing. Never "root": the caller
 * answers that for a root ACL itself. NULL when memory runs out.
 */
json_t *acl_capability_names(uint32_t caps);

#endif
