/*
 * policy_store.h - ACL policies kept behind the barrier, per namespace,
 * and a cache of the ACLs compiled from them.
 *
 * Layout: the policy <name> of namespace <ns> ("" for the root, else
 * "team-a/") is stored under "sys/policy/<ns><name>" as a JSON object
 * {"name", "policy"}. Names never hold '/', so the keys of one namespace
 * and those of the namespaces below it never collide.
 *
 * Two policies are built in. "root" grants everything and cannot be
 * written or deleted. "default" exists in every namespace: written to the
 * root namespace when the store first opens, and in other namespaces
 * served from the built-in text until someone writes their own; it can be
 * changed but not deleted.
 *
 * Every put and delete empties the ACL cache before it returns, so a
 * change applies to the next request of every live token.
 *
 * All functions are thread safe: the cache sits under a reader/writer lock
 * and the storage is safe for concurrent use.
 */
#ifndef COFFER_CORE_POLICY_STORE_H
#define COFFER_CORE_POLICY_STORE_H

#include <jansson.h>

#include "base/error.h"
#include "core/policy.h"
#include "storage/storage.h"

struct policy_store;

/*
 * Opens the store over enc (the barrier's view; not owned, must outlive
 * the store) and writes the built-in "default" policy of the root
 * namespace if it is missing. ERR_NOMEM, or the storage's error.
 */
err_t policy_store_new(struct storage *enc, struct policy_store **out);

/* Frees the store and drops its cached ACLs; NULL is ok. */
void policy_store_free(struct policy_store *ps);

/*
 * Parses and stores policy name (normalised: trimmed, lower case) of
 * namespace ns. ERR_INVALID with a reason in errmsg for a bad name, the
 * name "root" ("cannot update root policy"), or text that does not parse
 * (the parser's message, with the line).
 */
err_t policy_store_put(struct policy_store *ps, const char *ns,
                       const char *name, const char *text, char *errmsg,
                       size_t errlen);

/*
 * The source text of a policy: *text is a heap string the caller frees.
 * "root" reads as "" (it has no rules to show). ERR_NOT_FOUND when there
 * is no such policy, ERR_INVALID for a bad name.
 */
err_t policy_store_get_text(struct policy_store *ps, const char *ns,
                            const char *name, char **text);

/*
 * Deletes a policy; deleting a missing one succeeds. ERR_INVALID for
 * "root", "default" and bad names.
 */
err_t policy_store_delete(struct policy_store *ps, const char *ns,
                          const char *name);

/*
 * The names of the namespace's policies as a new sorted JSON array, with
 * "default" always and "root" in the root namespace, as Vault lists them.
 */
err_t policy_store_list(struct policy_store *ps, const char *ns,
                        json_t **names);

/*
 * The ACL for a token's policy names (a JSON array of strings) in ns,
 * compiled once and then served from the cache. "root" among the names
 * gives the root ACL; names of missing policies are ignored, so a token
 * whose policies are all gone is denied everything. *out is a reference
 * the caller drops with acl_release. ERR_NOMEM, or the storage's error
 * (a stored policy that no longer parses is an ERR_STORAGE: it was
 * checked when written).
 */
err_t policy_store_acl(struct policy_store *ps, const char *ns, json_t *names,
                       struct acl **out);

/*
 * As policy_store_acl, for a names array that is shared and never
 * modified (a cached token entry's): the answer is also remembered by
 * the array's address, which skips normalising and sorting the names on
 * the next request of the same token. The store keeps a reference to
 * names while it remembers it, so the address cannot be reused.
 */
err_t policy_store_acl_shared(struct policy_store *ps, const char *ns,
                              json_t *names, struct acl **out);

/* The built-in text of the default policy. */
const char *policy_store_default_text(void);

#endif
