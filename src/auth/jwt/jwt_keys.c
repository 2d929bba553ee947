/*
 * jwt_keys.c - where the jwt method's verification keys come from: PEM
 * keys in the configuration, a JWKS URL, or OpenID discovery, with a cache
 * of the fetched set.
 *
 * Fetches happen with st->mu held, so concurrent logins never stampede the
 * identity provider; the keys to try are taken out (with a reference) and
 * the signature is checked after the lock is released.
 */
#include "auth/jwt/jwt_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/jwt/jwt_fetch.h"
#include "base/log.h"

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

void jwt_keys_reset(struct jwt_state *st)
{
	jwks_release(&st->keys);
	free(st->issuer);
	free(st->jwks_uri);
	st->issuer = NULL;
	st->jwks_uri = NULL;
	st->fetched_at = 0;
	st->last_kid_refresh = 0;
}

static const char *cfg_str(json_t *cfg, const char *key)
{
	const char *s = json_string_value(json_object_get(cfg, key));

	return s != NULL && *s != 0 ? s : NULL;
}

/* Fetches <discovery>/.well-known/openid-configuration; lock held. */
static err_t discover(struct jwt_state *st, json_t *cfg, char *err,
                      size_t errlen)
{
	const char *base = cfg_str(cfg, "oidc_discovery_url");
	struct buf url = BUF_INIT, body = BUF_INIT;
	json_t *doc = NULL;
	const char *iss, *uri;
	err_t rc;

	rc = buf_printf(&url, "%s%s.well-known/openid-configuration", base,
	                base[strlen(base) - 1] == '/' ? "" : "/");
	if (rc == ERR_OK)
		rc = jwt_fetch(buf_str(&url),
		               cfg_str(cfg, "oidc_discovery_ca_pem"), &body,
		               err, errlen);
	if (rc == ERR_OK)
		doc = json_loadb((const char *)body.data, body.len, 0, NULL);
	iss = json_string_value(json_object_get(doc, "issuer"));
	uri = json_string_value(json_object_get(doc, "jwks_uri"));
	if (rc == ERR_OK && (iss == NULL || uri == NULL)) {
		snprintf(err, errlen,
		         "discovery document has no issuer or "
		         "jwks_uri");
		rc = ERR_UNAVAILABLE;
	}
	if (rc == ERR_OK) {
		free(st->issuer);
		free(st->jwks_uri);
		st->issuer = strdup(iss);
		st->jwks_uri = strdup(uri);
		if (st->issuer == NULL || st->jwks_uri == NULL)
			rc = ERR_NOMEM;
	}
	json_decref(doc);
	buf_release(&url);
	buf_release(&body);
	return rc;
}

/* Fetches the key set into the cache; lock held. */
static err_t fetch_keys(struct jwt_state *st, json_t *cfg, char *err,
                        size_t errlen)
{
	const char *ca = cfg_str(cfg, "jwks_url") != NULL
	                     ? cfg_str(cfg, "jwks_ca_pem")
	                     : cfg_str(cfg, "oidc_discovery_ca_pem");
	struct jwks fresh = {NULL, 0};
	struct buf body = BUF_INIT;
	err_t rc = ERR_OK;

	if (st->jwks_uri == NULL && cfg_str(cfg, "jwks_url") != NULL) {
		st->jwks_uri = strdup(cfg_str(cfg, "jwks_url"));
		if (st->jwks_uri == NULL)
			return ERR_NOMEM;
	}
	if (st->jwks_uri == NULL)
		rc = discover(st, cfg, err, errlen);
	if (rc == ERR_OK)
		rc = jwt_fetch(st->jwks_uri, ca, &body, err, errlen);
	if (rc == ERR_OK && jwks_parse((const char *)body.data, body.len,
	                               &fresh, err, errlen) != ERR_OK)
		rc = ERR_UNAVAILABLE;
	buf_release(&body);
	if (rc != ERR_OK) {
		jwks_release(&fresh);
		log_warn("auth", "jwt key set could not be refreshed: %s", err);
		return rc;
	}
	jwks_release(&st->keys);
	st->keys = fresh;
	st->fetched_at = now_s();
	log_debug("auth", "jwt key set fetched with %zu keys", fresh.len);
	return ERR_OK;
}

err_t jwt_keys_prime(struct jwt_state *st, json_t *cfg, char *err,
                     size_t errlen)
{
	err_t rc;

	pthread_mutex_lock(&st->mu);
	jwt_keys_reset(st);
	rc = fetch_keys(st, cfg, err, errlen);
	pthread_mutex_unlock(&st->mu);
	return rc;
}

err_t jwt_keys_issuer(struct jwt_state *st, json_t *cfg, struct buf *out,
                      char *err, size_t errlen)
{
	err_t rc = ERR_OK;

	if (cfg_str(cfg, "oidc_discovery_url") == NULL)
		return ERR_OK;
	pthread_mutex_lock(&st->mu);
	if (st->issuer == NULL)
		rc = discover(st, cfg, err, errlen);
	if (rc == ERR_OK)
		rc = buf_append_str(out, st->issuer);
	pthread_mutex_unlock(&st->mu);
	return rc;
}

/* Takes references to the cached keys that may have signed t. */
static size_t pick_keys(struct jwt_state *st, const struct jwt *t,
                        EVP_PKEY **out)
{
	struct jwks_key *k;
	size_t i, n = 0;

	for (i = 0; i < st->keys.len && n < JWKS_MAX_KEYS; i++) {
		k = &st->keys.keys[i];
		if (t->kid != NULL &&
		    (k->kid == NULL || strcmp(k->kid, t->kid) != 0))
			continue;
		if (k->alg != JWT_ALG_UNKNOWN && k->alg != t->alg)
			continue;
		if (!jwt_key_fits(k->pkey, t->alg))
			continue;
		EVP_PKEY_up_ref(k->pkey);
		out[n++] = k->pkey;
	}
	return n;
}

/* Whether the cache must be fetched again before picking keys for t. */
static bool want_refresh(struct jwt_state *st, const struct jwt *t, int64_t now,
                         bool picked_none)
{
	if (st->fetched_at == 0 || now - st->fetched_at >= JWT_JWKS_MAX_AGE)
		return true;
	/* A new kid may mean the provider rotated its keys. */
	return picked_none && t->kid != NULL &&
	       now - st->last_kid_refresh >= JWT_JWKS_MIN_REFRESH;
}

static size_t jwks_candidates(struct jwt_state *st, json_t *cfg,
                              const struct jwt *t, EVP_PKEY **out, char *err,
                              size_t errlen)
{
	int64_t now = now_s();
	size_t n;

	pthread_mutex_lock(&st->mu);
	n = st->fetched_at ? pick_keys(st, t, out) : 0;
	if (want_refresh(st, t, now, n == 0)) {
		if (st->fetched_at != 0 && n == 0)
			st->last_kid_refresh = now;
		while (n > 0)
			EVP_PKEY_free(out[--n]);
		if (fetch_keys(st, cfg, err, errlen) == ERR_OK)
			n = pick_keys(st, t, out);
		else if (st->fetched_at != 0)
			n = pick_keys(st, t, out); /* the stale set */
	}
	pthread_mutex_unlock(&st->mu);
	return n;
}

static size_t pem_candidates(json_t *cfg, const struct jwt *t, EVP_PKEY **out)
{
	json_t *pems = json_object_get(cfg, "jwt_validation_pubkeys"), *v;
	EVP_PKEY *key;
	size_t i, n = 0;

	json_array_foreach(pems, i, v)
	{
		if (n >= JWKS_MAX_KEYS)
			break;
		if (jwt_pem_public_key(json_string_value(v), &key) != ERR_OK)
			continue;
		if (jwt_key_fits(key, t->alg))
			out[n++] = key;
		else
			EVP_PKEY_free(key);
	}
	return n;
}

err_t jwt_keys_verify(struct jwt_state *st, json_t *cfg, const struct jwt *t,
                      char *err, size_t errlen)
{
	EVP_PKEY *keys[JWKS_MAX_KEYS];
	char why[256] = "";
	size_t n, i;
	err_t rc = ERR_INVALID;

	if (json_array_size(json_object_get(cfg, "jwt_validation_pubkeys")))
		n = pem_candidates(cfg, t, keys);
	else
		n = jwks_candidates(st, cfg, t, keys, why, sizeof(why));
	for (i = 0; i < n; i++) {
		if (rc != ERR_OK &&
		    jwt_verify(t, keys[i], err, errlen) == ERR_OK)
			rc = ERR_OK;
		EVP_PKEY_free(keys[i]);
	}
	if (n == 0 && t->kid != NULL)
		snprintf(err, errlen,
		         "no key with the token's kid fits its "
		         "algorithm%s",
		         why[0] ? " (the key set could not be fetched)" : "");
	else if (n == 0)
		snprintf(err, errlen,
		         "no configured key fits the token's "
		         "algorithm");
	return rc;
}
