/*
 * token.h - the token store.
 *
 * A token's value is never stored: entries live under the HMAC-SHA256 of
 * the value, keyed with a random key kept behind the barrier, so a copy of
 * the database yields no usable token. Each token also has an accessor, a
 * second random name that can be shown and logged in its place.
 *
 * This is the part of the store the foundation needs: the root token made
 * at init, lookups and expiry. Child tokens, roles, renewal and revocation
 * trees belong to the token work of issue 3.
 */
#ifndef COFFER_CORE_TOKEN_H
#define COFFER_CORE_TOKEN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "storage/storage.h"

#define TOKEN_PREFIX "hvs."

struct token_store;

struct token_entry {
	char accessor[32];
	char *ns;           /* namespace the token belongs to */
	json_t *policies;   /* array of policy names, sorted */
	char *display_name; /* "root", "token" */
	char *path;         /* creation path: "auth/token/root" */
	json_t *meta;       /* string map or null */
	int64_t creation_time;
	int64_t ttl;         /* seconds, 0 = never expires */
	int64_t expire_time; /* unix seconds, 0 = never */
	int64_t num_uses;
	bool orphan;
	char *entity_id; /* "" until identities exist */
};

/*
 * Opens the store over the encrypted storage enc (not owned), creating the
 * HMAC key on first use. Called after unseal.
 */
err_t token_store_new(struct storage *enc, struct token_store **out);

/* Wipes the HMAC key and frees; ts may be NULL. */
void token_store_free(struct token_store *ts);

/*
 * Creates a root token (policy "root", no expiry). id is the token value
 * to use (dev mode's -dev-root-token-id) or NULL for a random one. On
 * success *token is the value (heap; the caller frees it with secret_free).
 */
err_t token_create_root(struct token_store *ts, const char *id, char **token);

/*
 * Looks a token value up. ERR_PERMISSION when it does not exist or has
 * expired. On success *out is a new entry the caller frees.
 */
err_t token_lookup(struct token_store *ts, const char *token,
                   struct token_entry **out);

/*
 * Looks a token up by its accessor. ERR_NOT_FOUND when no live token has
 * it (also for a malformed accessor). On success *out is a new entry the
 * caller frees.
 */
err_t token_lookup_accessor(struct token_store *ts, const char *accessor,
                            struct token_entry **out);

/* True when the entry carries the root policy. */
bool token_is_root(const struct token_entry *e);

/* The lookup data Vault clients read (lookup-self). New reference. */
json_t *token_entry_describe(const struct token_entry *e);

void token_entry_free(struct token_entry *e);

#endif
