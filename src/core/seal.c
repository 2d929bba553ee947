#include "core/seal.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/secret.h"
#include "core/aead.h"
#include "core/shamir.h"

#define SEAL_ROOT_VERSION 1
/* A share is at most the key plus its x byte; anything longer is refused
 * before it is copied. */
#define SEAL_SHARE_CAP (SEAL_KEY_LEN + 1)

struct seal {
	struct storage *phys;
	struct barrier *barrier;
	pthread_mutex_t lock;
	/* The current round: nshares shares, the first got nonce. */
	struct buf shares[SEAL_MAX_SHARES];
	size_t nshares;
	char nonce[37];
};

struct seal_cfg {
	bool initialized;
	int shares;
	int threshold;
};

static err_t seal_fail(err_t rc, char *errmsg, size_t errlen, const char *msg)
{
	if (errmsg != NULL && errlen > 0)
		snprintf(errmsg, errlen, "%s", msg);
	return rc;
}

/* Returns the reason numbers are unusable, or NULL when they are fine. */
static const char *seal_check_numbers(int shares, int threshold)
{
	if (shares < 1)
		return "secret_shares must be at least 1";
	if (threshold < 1)
		return "secret_threshold must be at least 1";
	if (shares > SEAL_MAX_SHARES)
		return "secret_shares must not exceed 255";
	if (threshold > shares)
		return "secret_threshold must not exceed secret_shares";
	if (threshold == 1 && shares > 1)
		return "threshold must be greater than one for multiple shares";
	return NULL;
}

/* Caller holds the lock (or is the only user). */
static void seal_reset_locked(struct seal *s)
{
	for (size_t i = 0; i < s->nshares; i++)
		buf_release(&s->shares[i]);
	s->nshares = 0;
	s->nonce[0] = 0;
}

err_t seal_new(struct storage *phys, struct barrier *b, struct seal **out)
{
	struct seal *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return ERR_NOMEM;
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		return ERR_INTERNAL;
	}
	s->phys = phys;
	s->barrier = b;
	for (size_t i = 0; i < SEAL_MAX_SHARES; i++)
		buf_init(&s->shares[i], SEAL_SHARE_CAP);
	*out = s;
	return ERR_OK;
}

void seal_free(struct seal *s)
{
	if (s == NULL)
		return;
	seal_reset_locked(s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Parses the stored configuration text into cfg. */
static err_t seal_parse_config(const struct buf *raw, struct seal_cfg *cfg)
{
	json_t *root, *jshares, *jthreshold;
	err_t rc = ERR_INTERNAL;

	root = json_loadb((const char *)raw->data, raw->len, 0, NULL);
	jshares = json_object_get(root, "secret_shares");
	jthreshold = json_object_get(root, "secret_threshold");
	if (json_is_integer(jshares) && json_is_integer(jthreshold) &&
	    json_integer_value(jshares) <= SEAL_MAX_SHARES &&
	    json_integer_value(jthreshold) <= SEAL_MAX_SHARES) {
		cfg->shares = (int)json_integer_value(jshares);
		cfg->threshold = (int)json_integer_value(jthreshold);
		if (seal_check_numbers(cfg->shares, cfg->threshold) == NULL) {
			cfg->initialized = true;
			rc = ERR_OK;
		}
	}
	json_decref(root);
	if (rc != ERR_OK)
		log_error("seal", "stored seal configuration is malformed");
	return rc;
}

static err_t seal_load_config(struct seal *s, struct seal_cfg *cfg)
{
	struct buf raw = BUF_INIT;
	bool found = false;
	err_t rc;

	cfg->initialized = false;
	cfg->shares = 0;
	cfg->threshold = 0;
	rc = storage_get(s->phys, BARRIER_SEAL_CONFIG_PATH, &raw, &found);
	if (rc == ERR_OK && found)
		rc = seal_parse_config(&raw, cfg);
	buf_release(&raw);
	return rc;
}

err_t seal_config(struct seal *s, bool *initialized, int *shares,
                  int *threshold)
{
	struct seal_cfg cfg;
	err_t rc = seal_load_config(s, &cfg);

	if (rc != ERR_OK)
		return rc;
	if (initialized != NULL)
		*initialized = cfg.initialized;
	if (shares != NULL)
		*shares = cfg.shares;
	if (threshold != NULL)
		*threshold = cfg.threshold;
	return ERR_OK;
}

/* Hands out the unseal key: split, or as itself for a single share. */
static err_t seal_make_shares(const uint8_t *unseal_key, int shares,
                              int threshold, struct buf *keys_out)
{
	err_t rc;

	if (shares > 1)
		return shamir_split(unseal_key, SEAL_KEY_LEN, shares, threshold,
		                    keys_out);
	rc = buf_append(&keys_out[0], unseal_key, SEAL_KEY_LEN);
	if (rc != ERR_OK)
		buf_release(&keys_out[0]);
	return rc;
}

/* Writes the sealed root key, the config and the keyring in one commit. */
static err_t seal_store(struct seal *s, const uint8_t *unseal_key,
                        const uint8_t *root_key, int shares, int threshold)
{
	struct buf blob = BUF_INIT, config = BUF_INIT;
	struct storage_op ops[2];
	err_t rc;

	rc = buf_append_byte(&blob, SEAL_ROOT_VERSION);
	if (rc == ERR_OK)
		rc = aead_seal(unseal_key, BARRIER_ROOT_KEY_PATH,
		               strlen(BARRIER_ROOT_KEY_PATH), root_key,
		               SEAL_KEY_LEN, &blob);
	if (rc == ERR_OK)
		rc = buf_printf(
		    &config, "{\"secret_shares\":%d,\"secret_threshold\":%d}",
		    shares, threshold);
	if (rc != ERR_OK)
		goto out;

	ops[0] = (struct storage_op){STORAGE_PUT, BARRIER_ROOT_KEY_PATH,
	                             blob.data, blob.len};
	ops[1] = (struct storage_op){STORAGE_PUT, BARRIER_SEAL_CONFIG_PATH,
	                             config.data, config.len};
	rc =
	    barrier_initialize_with(s->barrier, root_key, SEAL_KEY_LEN, ops, 2);
out:
	buf_release(&blob);
	buf_release(&config);
	return rc;
}

static err_t seal_initialized_locked(struct seal *s, bool *out)
{
	struct seal_cfg cfg;
	err_t rc;

	rc = seal_load_config(s, &cfg);
	if (rc == ERR_OK && !cfg.initialized)
		rc = barrier_initialized(s->barrier, &cfg.initialized);
	*out = cfg.initialized;
	return rc;
}

err_t seal_initialize(struct seal *s, int shares, int threshold,
                      struct buf *keys_out, char *errmsg, size_t errlen)
{
	uint8_t unseal_key[SEAL_KEY_LEN], root_key[SEAL_KEY_LEN];
	const char *why = seal_check_numbers(shares, threshold);
	bool initialized = false;
	err_t rc;

	seal_fail(ERR_OK, errmsg, errlen, "");
	if (why != NULL)
		return seal_fail(ERR_INVALID, errmsg, errlen, why);
	pthread_mutex_lock(&s->lock);

	rc = seal_initialized_locked(s, &initialized);
	if (rc != ERR_OK) {
		seal_fail(rc, errmsg, errlen, "could not read the seal state");
		goto out;
	}
	if (initialized) {
		rc = seal_fail(ERR_CONFLICT, errmsg, errlen,
		               "Vault is already initialized");
		goto out;
	}

	rc = rand_bytes(unseal_key, sizeof(unseal_key));
	if (rc == ERR_OK)
		rc = rand_bytes(root_key, sizeof(root_key));
	/* Split before storing: a vault must never exist without its keys. */
	if (rc == ERR_OK)
		rc = seal_make_shares(unseal_key, shares, threshold, keys_out);
	if (rc != ERR_OK) {
		seal_fail(rc, errmsg, errlen, "could not create the keys");
		goto out;
	}
	rc = seal_store(s, unseal_key, root_key, shares, threshold);
	if (rc != ERR_OK) {
		for (int i = 0; i < shares; i++)
			buf_release(&keys_out[i]);
		seal_fail(rc, errmsg, errlen,
		          rc == ERR_CONFLICT ? "Vault is already initialized"
		                             : "could not store the new keys");
		goto out;
	}
	seal_reset_locked(s);
	log_info("seal", "initialized with %d shares, threshold %d", shares,
	         threshold);
out:
	pthread_mutex_unlock(&s->lock);
	secret_wipe(unseal_key, sizeof(unseal_key));
	secret_wipe(root_key, sizeof(root_key));
	return rc;
}

/* Opens the stored root key with the unseal key into root. */
static err_t seal_open_root(struct seal *s, const struct buf *unseal_key,
                            struct buf *root)
{
	struct buf blob = BUF_INIT;
	bool found = false;
	err_t rc;

	rc = storage_get(s->phys, BARRIER_ROOT_KEY_PATH, &blob, &found);
	if (rc != ERR_OK)
		goto out;
	rc = ERR_INTERNAL;
	if (!found || blob.len < 1 || blob.data[0] != SEAL_ROOT_VERSION) {
		log_error("seal", "stored root key is missing or malformed");
		goto out;
	}
	rc = ERR_INVALID;
	if (unseal_key->len != SEAL_KEY_LEN)
		goto out;
	if (aead_open(unseal_key->data, BARRIER_ROOT_KEY_PATH,
	              strlen(BARRIER_ROOT_KEY_PATH), blob.data + 1,
	              blob.len - 1, root) != ERR_OK)
		goto out;
	rc = ERR_OK;
	if (root->len != SEAL_KEY_LEN) {
		log_error("seal", "stored root key has the wrong length");
		rc = ERR_INTERNAL;
	}
out:
	buf_release(&blob);
	return rc;
}

/* The round is complete: rebuild the unseal key and unseal the barrier. */
static err_t seal_finish(struct seal *s, char *errmsg, size_t errlen)
{
	struct buf unseal_key = BUF_INIT, root = BUF_INIT;
	err_t rc;

	if (s->nshares == 1)
		rc = buf_append(&unseal_key, s->shares[0].data,
		                s->shares[0].len);
	else
		rc = shamir_combine(s->shares, s->nshares, &unseal_key);
	if (rc == ERR_OK)
		rc = seal_open_root(s, &unseal_key, &root);
	if (rc != ERR_OK) {
		seal_fail(rc, errmsg, errlen,
		          rc == ERR_INVALID
		              ? "invalid key: could not decrypt the root key"
		              : "could not read the root key");
		goto out;
	}

	rc = barrier_unseal(s->barrier, root.data, root.len);
	if (rc != ERR_OK) {
		log_error("seal", "root key opened but the keyring did not: %s",
		          err_str(rc));
		seal_fail(rc, errmsg, errlen, "could not open the keyring");
		goto out;
	}
	log_info("seal", "unsealed");
out:
	buf_release(&unseal_key);
	buf_release(&root);
	return rc;
}

/*
 * Whether key is already in this round (*dup) or reuses a collected
 * share's x coordinate (*clash). The x byte is public; the comparison of
 * the whole share is constant time.
 */
static void seal_match(const struct seal *s, const uint8_t *key, size_t len,
                       bool split, bool *dup, bool *clash)
{
	*dup = false;
	*clash = false;
	for (size_t i = 0; i < s->nshares; i++) {
		if (secret_equal(s->shares[i].data, s->shares[i].len, key, len))
			*dup = true;
		else if (split && s->shares[i].data[len - 1] == key[len - 1])
			*clash = true;
	}
}

/* Adds key to the round; *complete when threshold shares are in. */
static err_t seal_add(struct seal *s, const struct seal_cfg *cfg,
                      const uint8_t *key, size_t len, bool *complete,
                      char *errmsg, size_t errlen)
{
	size_t want = cfg->shares > 1 ? SEAL_KEY_LEN + 1 : SEAL_KEY_LEN;
	bool dup, clash;
	err_t rc;

	*complete = false;
	if (key == NULL || len != want)
		return seal_fail(ERR_INVALID, errmsg, errlen,
		                 "invalid key: wrong length for an unseal key");
	seal_match(s, key, len, cfg->shares > 1, &dup, &clash);
	if (dup)
		return ERR_OK;
	if (clash)
		return seal_fail(ERR_INVALID, errmsg, errlen,
		                 "invalid key: conflicts with a key already "
		                 "given in this round");

	if (s->nshares == 0) {
		rc = uuid_new(s->nonce);
		if (rc != ERR_OK)
			return seal_fail(rc, errmsg, errlen,
			                 "out of randomness");
	}
	rc = buf_append(&s->shares[s->nshares], key, len);
	if (rc != ERR_OK)
		return seal_fail(rc, errmsg, errlen, "could not keep the key");
	s->nshares++;
	*complete = s->nshares >= (size_t)cfg->threshold;
	return ERR_OK;
}

err_t seal_submit(struct seal *s, const uint8_t *key, size_t len,
                  bool *unsealed, char *errmsg, size_t errlen)
{
	struct seal_cfg cfg;
	bool complete = false;
	err_t rc;

	seal_fail(ERR_OK, errmsg, errlen, "");
	*unsealed = false;
	pthread_mutex_lock(&s->lock);
	if (!barrier_sealed(s->barrier)) {
		*unsealed = true;
		rc = ERR_OK;
		goto out;
	}

	rc = seal_load_config(s, &cfg);
	if (rc != ERR_OK) {
		seal_fail(rc, errmsg, errlen, "could not read the seal state");
		goto out;
	}
	if (!cfg.initialized) {
		rc = seal_fail(ERR_CONFLICT, errmsg, errlen,
		               "Vault is not initialized");
		goto out;
	}

	rc = seal_add(s, &cfg, key, len, &complete, errmsg, errlen);
	if (rc != ERR_OK || !complete)
		goto out;
	/* Right or wrong, a complete round is over. */
	rc = seal_finish(s, errmsg, errlen);
	seal_reset_locked(s);
	*unsealed = rc == ERR_OK;
out:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void seal_progress(struct seal *s, int *progress, char nonce[37])
{
	pthread_mutex_lock(&s->lock);
	*progress = (int)s->nshares;
	memcpy(nonce, s->nonce, sizeof(s->nonce));
	pthread_mutex_unlock(&s->lock);
}

void seal_reset(struct seal *s)
{
	pthread_mutex_lock(&s->lock);
	seal_reset_locked(s);
	pthread_mutex_unlock(&s->lock);
}

void seal_seal(struct seal *s)
{
	pthread_mutex_lock(&s->lock);
	barrier_seal(s->barrier);
	seal_reset_locked(s);
	pthread_mutex_unlock(&s->lock);
	log_info("seal", "sealed");
}
