/*
 * token.h - the token store.
 *
 * A token's value is never stored: entries live under the HMAC-SHA256 of
 * the value, keyed with a random key kept behind the barrier, so a copy of
 * the database yields no usable token. That hash (id_hash, 64 hex digits)
 * is the token's stable internal name: parent links, lease ids, the
 * revocation hook and logs use it or the accessor, never the value. Each
 * token also has an accessor, a second random name that can be shown in
 * its place.
 *
 * Storage (all behind the barrier):
 *   sys/token/id/<hash>                  the entry (JSON)
 *   sys/token/accessor/<accessor>        {"id_key", "namespace"}
 *   sys/token/parent/<parent>/<child>    the revocation tree
 *   sys/expire/id/<path>/<hash>          the token's lease (lease.h)
 * Every change that touches several keys is one storage_commit.
 *
 * Concurrency: a reader/writer lock orders the token tree. Creating a child,
 * renewing and spending a use hold it for reading (a use also holds one of
 * a few striped mutexes, so the decrement of num_uses is atomic); revoking
 * holds it for writing, so that no child can be created under a parent
 * while the parent's tree is being revoked. Plain lookups take no lock.
 */
#ifndef COFFER_CORE_TOKEN_H
#define COFFER_CORE_TOKEN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "storage/storage.h"

#define TOKEN_PREFIX     "hvs."
#define TOKEN_HASH_LEN   64
#define TOKEN_MOUNT_PATH "auth/token/"

struct token_store;
struct lease_mgr;

struct token_entry {
	char accessor[32];
	char id_hash[TOKEN_HASH_LEN + 1]; /* see above; not the value */
	char *ns;                         /* namespace the token belongs to */
	json_t *policies;                 /* array of policy names, sorted */
	char *display_name;               /* "root", "token", "token-ci" */
	char *path;      /* creation path: "auth/token/create" */
	json_t *meta;    /* string map or null */
	char *parent;    /* the parent's id_hash; "" for an orphan */
	char *role;      /* the role it was made with, or "" */
	char *entity_id; /* the identity entity, or "" */
	json_t
	    *bound_cidrs; /* CIDR blocks the token may be used from, or NULL */
	int64_t creation_time;
	int64_t ttl;               /* seconds at creation; 0 = never expires */
	int64_t expire_time;       /* unix seconds, 0 = never */
	int64_t explicit_max_ttl;  /* hard cap from creation; 0 = none */
	int64_t max_ttl;           /* the mount's cap from creation; 0 = none */
	int64_t period;            /* periodic tokens: the TTL of a renewal */
	int64_t last_renewal_time; /* 0 = never renewed */
	int64_t num_uses;          /* uses left; 0 = unlimited */
	bool orphan;
	bool renewable;
	bool used_up; /* token_use spent the last use: see token_used_up */
};

/*
 * Opens the store over the encrypted storage enc (not owned), creating the
 * HMAC key on first use. Called after unseal.
 */
err_t token_store_new(struct storage *enc, struct token_store **out);

/* Wipes the HMAC key and frees; ts may be NULL. */
void token_store_free(struct token_store *ts);

/*
 * Connects the lease manager that tracks token expiry (not owned; NULL
 * detaches). Tokens with a TTL get a lease only while one is connected.
 */
void token_store_set_leases(struct token_store *ts, struct lease_mgr *lm);

/*
 * Installs fn, called with ctx and a token's id_hash after the token is
 * revoked (the cubbyhole deletes its data). Called with the store's tree
 * lock held: fn must not call back into the token store.
 */
void token_set_revoke_hook(struct token_store *ts,
                           void (*fn)(void *ctx, const char *token_hash_hex),
                           void *ctx);

/*
 * Creates a root token (policy "root", no expiry). id is the token value
 * to use (dev mode's -dev-root-token-id) or NULL for a random one. On
 * success *token is the value (heap; the caller frees it with secret_free).
 */
err_t token_create_root(struct token_store *ts, const char *id, char **token);

/* What a create request asks for, as the auth/token backend parsed it. */
struct token_params {
	const char *ns;   /* the new token's namespace */
	const char *id;   /* custom value (root only) or NULL */
	json_t *policies; /* requested names or NULL: inherited */
	bool no_default_policy;
	json_t *meta;             /* string map or NULL */
	const char *display_name; /* NULL: "token" */
	const char *path;         /* NULL: "auth/token/create" */
	bool orphan;
	bool renewable;
	int64_t ttl;              /* 0: default_ttl */
	int64_t explicit_max_ttl; /* 0: none */
	int64_t period;           /* 0: not periodic */
	int64_t num_uses;         /* 0: unlimited */
	int64_t default_ttl;      /* the mount's or the system's */
	int64_t max_ttl;          /* the mount's or the system's; 0 none */
	const char *entity_id;    /* NULL or "": no entity */
	json_t *bound_cidrs;      /* CIDR blocks (checked valid), or NULL */

	/*
	 * Set when created through a role: the role's policy lists replace
	 * the "subset of the parent" rule (empty allowed list: the rule
	 * stays).
	 */
	const char *role;
	json_t *allowed_policies;
	json_t *disallowed_policies;
};

/*
 * Creates a token as a child of parent (the caller's entry; its tree link
 * is skipped when p->orphan). A NULL parent means the server itself makes
 * the token (an auth method's login, a wrapping token): it is an orphan and
 * gets exactly the policies asked for. Policies: the requested ones (or the
 * parent's), which must be a subset of the parent's unless the parent
 * carries "root" or a role allows them, plus "default" unless suppressed.
 * TTL: p->ttl or p->default_ttl, capped by p->max_ttl and
 * p->explicit_max_ttl; a periodic token gets p->period. A root-policy
 * token with no TTL asked for never expires.
 * On success *token is the value (secret_free it) and *out the new entry.
 * ERR_INVALID with a reason in errmsg for a request that breaks a rule;
 * ERR_PERMISSION when the parent was revoked meanwhile.
 */
err_t token_create(struct token_store *ts, const struct token_params *p,
                   const struct token_entry *parent, char **token,
                   struct token_entry **out, char *errmsg, size_t errlen);

/*
 * Looks a token value up. ERR_PERMISSION when it does not exist, has
 * expired (even before the expiry thread revoked it) or is used up. On
 * success *out is a new entry the caller frees.
 */
err_t token_lookup(struct token_store *ts, const char *token,
                   struct token_entry **out);

/* token_lookup by id_hash; ERR_NOT_FOUND when gone or expired. */
err_t token_lookup_hash(struct token_store *ts, const char *hash,
                        struct token_entry **out);

/*
 * Looks a token up by its accessor. ERR_NOT_FOUND when no live token has
 * it (also for a malformed accessor). *out is a new entry; its id_hash
 * names the token for token_revoke and token_renew.
 */
err_t token_lookup_accessor(struct token_store *ts, const char *accessor,
                            struct token_entry **out);

/*
 * The core's check of a request's token: token_lookup, then, for a token
 * with limited uses, spends one use atomically. ERR_PERMISSION when the
 * token is invalid, expired or has no use left; with 50 concurrent calls
 * on a one-use token exactly one succeeds. When this call spent the last
 * use, (*out)->used_up is true: the request may finish, and the core then
 * calls token_used_up to revoke the token. Until then the stored entry is
 * marked spent, so every other use is refused.
 */
err_t token_use(struct token_store *ts, const char *token,
                struct token_entry **out);

/* Revokes e's token (with its tree) if e->used_up; ts or e may be NULL. */
void token_used_up(struct token_store *ts, struct token_entry *e);

/*
 * Revokes the token named by hash: its leases are made due at once, its
 * descendants are revoked first (deepest first), or, with orphan_children,
 * become orphans and stay. An unknown hash is not an error. Returns the
 * first storage error; what was revoked before it stays revoked.
 */
err_t token_revoke(struct token_store *ts, const char *hash,
                   bool orphan_children);

/*
 * Renews the token named by hash. increment <= 0: the token's own TTL.
 * Periodic tokens get their period. The new expiry never passes the
 * explicit max TTL, nor (for non-periodic tokens) the mount's max TTL,
 * counted from creation. *ttl is the granted TTL, *out (may be NULL) the
 * renewed entry. ERR_NOT_FOUND for an unknown, expired or used-up token;
 * ERR_INVALID when it is not renewable or already at its max TTL.
 */
err_t token_renew(struct token_store *ts, const char *hash, int64_t increment,
                  int64_t *ttl, struct token_entry **out);

/* The accessors of tokens in namespace ns or below it, as a new array. */
err_t token_list_accessors(struct token_store *ts, const char *ns,
                           json_t **keys);

/*
 * Removes dangling accessor and parent index entries, revokes tokens whose
 * parent is gone, and tidies the token index of the leases. *cleaned
 * counts the entries fixed.
 */
err_t token_tidy(struct token_store *ts, size_t *cleaned);

/* True when the entry carries the root policy. */
bool token_is_root(const struct token_entry *e);

/* True when the token lives in namespace ns or below it. */
bool token_in_ns(const struct token_entry *e, const char *ns);

/* The lookup data Vault clients read (lookup-self). New reference. */
json_t *token_entry_describe(const struct token_entry *e);

/*
 * The auth block of a create, login or renew answer. client_token is the
 * value to echo, or "" (renew-accessor). New reference.
 */
json_t *token_entry_auth(const struct token_entry *e, const char *client_token);

/* The token's lease id: its creation path, "/", its id_hash. Heap. */
char *token_lease_id(const struct token_entry *e);

void token_entry_free(struct token_entry *e);

#endif
