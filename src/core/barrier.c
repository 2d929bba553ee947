/*
 * The encryption barrier. Invariants:
 *
 * 1. sealed == true  <=>  keys == NULL, nkeys == 0, root_key all zeros.
 * 2. While unsealed, keys[] holds nkeys >= 1 entries in strictly ascending
 *    term order; keys[nkeys - 1] is the active key.
 * 3. keys, nkeys, root_key and sealed change only under the write lock;
 *    every reader of them holds the read lock.
 * 4. Nothing leaves the barrier towards physical storage unencrypted,
 *    except what callers hand to barrier_initialize_with as extra ops.
 */

/* For pthread_rwlockattr_setkind_np; see barrier_new. */
#define _GNU_SOURCE

#include "core/barrier.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/secret.h"
#include "core/aead.h"

#define KEYRING_ENTRY_LEN (4 + 8 + BARRIER_KEY_LEN)
/* A keyring far beyond any real rotation schedule still fits. */
#define KEYRING_MAX_KEYS ((size_t)1 << 20)

struct barrier_key {
	uint32_t term;
	int64_t install_time;
	uint8_t key[BARRIER_KEY_LEN];
};

struct barrier {
	struct storage view; /* first, so the view's ops can cast back */
	struct storage *phys;
	pthread_rwlock_t lock;
	bool sealed;
	uint8_t root_key[BARRIER_KEY_LEN];
	struct barrier_key *keys;
	size_t nkeys;
	atomic_uint_fast64_t encryptions;
};

static const char *const barrier_reserved_keys[] = {
    BARRIER_KEYRING_PATH,
    BARRIER_ROOT_KEY_PATH,
    BARRIER_SEAL_CONFIG_PATH,
};

static void be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void be64_put(uint8_t *p, uint64_t v)
{
	be32_put(p, (uint32_t)(v >> 32));
	be32_put(p + 4, (uint32_t)v);
}

static uint64_t be64_get(const uint8_t *p)
{
	return (uint64_t)be32_get(p) << 32 | be32_get(p + 4);
}

static void keys_free(struct barrier_key *keys, size_t n)
{
	secret_free_n(keys, n * sizeof(*keys));
}

/* ---------------------------------------------------------- keyring -- */

/* Appends the keyring plaintext layout described in barrier.h to out. */
static err_t keyring_encode(const struct barrier_key *keys, size_t n,
                            struct buf *out)
{
	uint8_t entry[KEYRING_ENTRY_LEN];
	size_t i;
	err_t rc;

	be32_put(entry, (uint32_t)n);
	rc = buf_append(out, entry, 4);
	for (i = 0; i < n && rc == ERR_OK; i++) {
		be32_put(entry, keys[i].term);
		be64_put(entry + 4, (uint64_t)keys[i].install_time);
		memcpy(entry + 12, keys[i].key, BARRIER_KEY_LEN);
		rc = buf_append(out, entry, sizeof(entry));
	}
	secret_wipe(entry, sizeof(entry));
	return rc;
}

/* Parses the keyring plaintext; *out is a new array on success. */
static err_t keyring_decode(const uint8_t *p, size_t len,
                            struct barrier_key **out, size_t *nout)
{
	struct barrier_key *keys;
	size_t n, i;

	if (len < 4)
		return ERR_CRYPTO;
	n = be32_get(p);
	if (n == 0 || n > KEYRING_MAX_KEYS || len - 4 != n * KEYRING_ENTRY_LEN)
		return ERR_CRYPTO;
	keys = calloc(n, sizeof(*keys));
	if (keys == NULL)
		return ERR_NOMEM;

	p += 4;
	for (i = 0; i < n; i++, p += KEYRING_ENTRY_LEN) {
		keys[i].term = be32_get(p);
		keys[i].install_time = (int64_t)be64_get(p + 4);
		memcpy(keys[i].key, p + 12, BARRIER_KEY_LEN);
		if (keys[i].term == 0 ||
		    (i > 0 && keys[i].term <= keys[i - 1].term)) {
			keys_free(keys, n);
			return ERR_CRYPTO;
		}
	}
	*out = keys;
	*nout = n;
	return ERR_OK;
}

/* The keyring sealed under root_key, ready for physical storage. */
static err_t keyring_seal(const uint8_t *root_key,
                          const struct barrier_key *keys, size_t n,
                          struct buf *blob)
{
	struct buf plain = BUF_INIT;
	err_t rc;

	rc = keyring_encode(keys, n, &plain);
	if (rc == ERR_OK)
		rc = buf_append_byte(blob, BARRIER_VERSION);
	if (rc == ERR_OK)
		rc = aead_seal(root_key, BARRIER_KEYRING_PATH,
		               strlen(BARRIER_KEYRING_PATH), plain.data,
		               plain.len, blob);
	buf_release(&plain);
	return rc;
}

/* Reads and opens the keyring with root_key. */
static err_t keyring_load(struct storage *phys, const uint8_t *root_key,
                          struct barrier_key **keys, size_t *n)
{
	struct buf blob = BUF_INIT, plain = BUF_INIT;
	bool found = false;
	err_t rc;

	rc = storage_get(phys, BARRIER_KEYRING_PATH, &blob, &found);
	if (rc != ERR_OK)
		goto out;
	rc = ERR_NOT_FOUND;
	if (!found)
		goto out;

	rc = ERR_CRYPTO;
	if (blob.len < 1 || blob.data[0] != BARRIER_VERSION)
		goto out;
	rc = aead_open(root_key, BARRIER_KEYRING_PATH,
	               strlen(BARRIER_KEYRING_PATH), blob.data + 1,
	               blob.len - 1, &plain);
	if (rc != ERR_OK)
		goto out;
	rc = keyring_decode(plain.data, plain.len, keys, n);
out:
	buf_release(&blob);
	buf_release(&plain);
	return rc;
}

/* ------------------------------------------------------ value crypto -- */

/* Caller holds the read lock and has checked the barrier is unsealed. */
static const struct barrier_key *barrier_find(const struct barrier *b,
                                              uint32_t term)
{
	size_t lo = 0, hi = b->nkeys;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->keys[mid].term == term)
			return &b->keys[mid];
		if (b->keys[mid].term < term)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Appends the stored form of value to out. Caller holds the read lock. */
static err_t barrier_encrypt(struct barrier *b, const char *key,
                             const uint8_t *value, size_t len, struct buf *out)
{
	const struct barrier_key *k = &b->keys[b->nkeys - 1];
	uint8_t header[BARRIER_HEADER_LEN];
	err_t rc;

	if (len > STORAGE_MAX_VALUE - BARRIER_HEADER_LEN - AEAD_OVERHEAD)
		return ERR_TOO_LARGE;
	header[0] = BARRIER_VERSION;
	be32_put(header + 1, k->term);
	rc = buf_append(out, header, sizeof(header));
	if (rc != ERR_OK)
		return rc;
	rc = aead_seal(k->key, key, strlen(key), value, len, out);
	if (rc == ERR_OK)
		atomic_fetch_add_explicit(&b->encryptions, 1,
		                          memory_order_relaxed);
	return rc;
}

/* Appends the plaintext of a stored value to out. Caller holds the lock. */
static err_t barrier_decrypt(struct barrier *b, const char *key,
                             const uint8_t *blob, size_t len, struct buf *out)
{
	const struct barrier_key *k;

	if (len < BARRIER_HEADER_LEN || blob[0] != BARRIER_VERSION)
		return ERR_CRYPTO;
	k = barrier_find(b, be32_get(blob + 1));
	if (k == NULL)
		return ERR_CRYPTO;
	return aead_open(k->key, key, strlen(key), blob + BARRIER_HEADER_LEN,
	                 len - BARRIER_HEADER_LEN, out);
}

static bool barrier_reserved(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(barrier_reserved_keys) /
	                    sizeof(barrier_reserved_keys[0]);
	     i++)
		if (strcmp(key, barrier_reserved_keys[i]) == 0)
			return true;
	return false;
}

/* -------------------------------------------------- the storage view -- */

/* Takes the read lock; on ERR_SEALED the lock is not held. */
static err_t barrier_enter(struct barrier *b)
{
	if (pthread_rwlock_rdlock(&b->lock) != 0)
		return ERR_INTERNAL;
	if (b->sealed) {
		pthread_rwlock_unlock(&b->lock);
		return ERR_SEALED;
	}
	return ERR_OK;
}

static err_t view_get(struct storage *s, const char *key, struct buf *out,
                      bool *found)
{
	struct barrier *b = (struct barrier *)s;
	struct buf blob = BUF_INIT;
	err_t rc;

	*found = false;
	rc = barrier_enter(b);
	if (rc != ERR_OK)
		return rc;

	rc = storage_get(b->phys, key, &blob, found);
	if (rc == ERR_OK && *found)
		rc = barrier_decrypt(b, key, blob.data, blob.len, out);
	if (rc != ERR_OK)
		*found = false;

	pthread_rwlock_unlock(&b->lock);
	buf_release(&blob);
	return rc;
}

static err_t view_put(struct storage *s, const char *key, const uint8_t *value,
                      size_t len)
{
	struct barrier *b = (struct barrier *)s;
	struct buf blob = BUF_INIT;
	err_t rc;

	if (barrier_reserved(key))
		return ERR_INVALID;
	rc = barrier_enter(b);
	if (rc != ERR_OK)
		return rc;

	rc = barrier_encrypt(b, key, value, len, &blob);
	if (rc == ERR_OK)
		rc = storage_put(b->phys, key, blob.data, blob.len);

	pthread_rwlock_unlock(&b->lock);
	buf_release(&blob);
	return rc;
}

static err_t view_delete(struct storage *s, const char *key)
{
	struct barrier *b = (struct barrier *)s;
	err_t rc;

	if (barrier_reserved(key))
		return ERR_INVALID;
	rc = barrier_enter(b);
	if (rc != ERR_OK)
		return rc;
	rc = storage_delete(b->phys, key);
	pthread_rwlock_unlock(&b->lock);
	return rc;
}

static err_t view_list(struct storage *s, const char *prefix, json_t **keys)
{
	struct barrier *b = (struct barrier *)s;
	err_t rc;

	rc = barrier_enter(b);
	if (rc != ERR_OK)
		return rc;
	rc = storage_list(b->phys, prefix, keys);
	pthread_rwlock_unlock(&b->lock);
	return rc;
}

/* Encrypts every put of ops into blobs[i] and points enc[i] at it. */
static err_t view_encrypt_ops(struct barrier *b, const struct storage_op *ops,
                              size_t n, struct storage_op *enc,
                              struct buf *blobs)
{
	size_t i;
	err_t rc;

	for (i = 0; i < n; i++) {
		if (barrier_reserved(ops[i].key))
			return ERR_INVALID;
		enc[i] = ops[i];
		if (ops[i].kind != STORAGE_PUT)
			continue;
		rc = barrier_encrypt(b, ops[i].key, ops[i].value, ops[i].len,
		                     &blobs[i]);
		if (rc != ERR_OK)
			return rc;
		enc[i].value = blobs[i].data;
		enc[i].len = blobs[i].len;
	}
	return ERR_OK;
}

static err_t view_commit(struct storage *s, const struct storage_op *ops,
                         size_t n)
{
	struct barrier *b = (struct barrier *)s;
	struct storage_op *enc = NULL;
	struct buf *blobs = NULL;
	size_t i;
	err_t rc;

	if (n == 0)
		return barrier_sealed(b) ? ERR_SEALED : ERR_OK;
	enc = calloc(n, sizeof(*enc));
	blobs = calloc(n, sizeof(*blobs));
	if (enc == NULL || blobs == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}

	rc = barrier_enter(b);
	if (rc != ERR_OK)
		goto out;
	rc = view_encrypt_ops(b, ops, n, enc, blobs);
	if (rc == ERR_OK)
		rc = storage_commit(b->phys, enc, n);
	pthread_rwlock_unlock(&b->lock);
out:
	for (i = 0; blobs != NULL && i < n; i++)
		buf_release(&blobs[i]);
	free(blobs);
	free(enc);
	return rc;
}

/* The view is part of the barrier; barrier_free releases it. */
static void view_free(struct storage *s)
{
	(void)s;
}

static const struct storage_ops barrier_view_ops = {
    .get = view_get,
    .put = view_put,
    .delete = view_delete,
    .list = view_list,
    .commit = view_commit,
    .free = view_free,
};

/* --------------------------------------------------------- lifecycle -- */

err_t barrier_new(struct storage *phys, struct barrier **out)
{
	pthread_rwlockattr_t attr;
	struct barrier *b;
	int r;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return ERR_NOMEM;
	b->view.ops = &barrier_view_ops;
	b->view.type = "barrier";
	b->phys = phys;
	b->sealed = true;
	atomic_init(&b->encryptions, 0);

	/*
	 * glibc lets new readers in while a writer waits; under steady load a
	 * seal could then wait for ever. Preferring writers bounds it by the
	 * calls already in flight.
	 */
	if (pthread_rwlockattr_init(&attr) != 0) {
		free(b);
		return ERR_INTERNAL;
	}
	pthread_rwlockattr_setkind_np(
	    &attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	r = pthread_rwlock_init(&b->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	if (r != 0) {
		free(b);
		return ERR_INTERNAL;
	}
	*out = b;
	return ERR_OK;
}

void barrier_free(struct barrier *b)
{
	if (b == NULL)
		return;
	barrier_seal(b);
	pthread_rwlock_destroy(&b->lock);
	free(b);
}

struct storage *barrier_storage(struct barrier *b)
{
	return &b->view;
}

err_t barrier_initialized(struct barrier *b, bool *out)
{
	struct buf blob = BUF_INIT;
	err_t rc;

	*out = false;
	rc = storage_get(b->phys, BARRIER_KEYRING_PATH, &blob, out);
	buf_release(&blob);
	return rc;
}

/* Writes a fresh keyring and the extra ops in one commit. */
static err_t barrier_write_first(struct barrier *b, const uint8_t *root_key,
                                 const struct storage_op *extra, size_t nextra)
{
	struct barrier_key first;
	struct storage_op *ops = NULL;
	struct buf blob = BUF_INIT;
	int64_t now;
	long nsec;
	err_t rc;

	time_now(&now, &nsec);
	first.term = 1;
	first.install_time = now;
	rc = rand_bytes(first.key, sizeof(first.key));
	if (rc == ERR_OK)
		rc = keyring_seal(root_key, &first, 1, &blob);
	secret_wipe(&first, sizeof(first));
	if (rc != ERR_OK)
		goto out;

	rc = ERR_NOMEM;
	if (nextra >= SIZE_MAX / sizeof(*ops))
		goto out;
	ops = calloc(nextra + 1, sizeof(*ops));
	if (ops == NULL)
		goto out;
	ops[0].kind = STORAGE_PUT;
	ops[0].key = BARRIER_KEYRING_PATH;
	ops[0].value = blob.data;
	ops[0].len = blob.len;
	if (nextra > 0)
		memcpy(ops + 1, extra, nextra * sizeof(*ops));
	rc = storage_commit(b->phys, ops, nextra + 1);
out:
	free(ops);
	buf_release(&blob);
	return rc;
}

err_t barrier_initialize_with(struct barrier *b, const uint8_t *root_key,
                              size_t len, const struct storage_op *extra,
                              size_t nextra)
{
	bool exists = false;
	err_t rc;

	if (root_key == NULL || len != BARRIER_KEY_LEN ||
	    (extra == NULL && nextra > 0))
		return ERR_INVALID;
	/* The write lock keeps two initialisations from racing. */
	if (pthread_rwlock_wrlock(&b->lock) != 0)
		return ERR_INTERNAL;

	rc = barrier_initialized(b, &exists);
	if (rc == ERR_OK && exists)
		rc = ERR_CONFLICT;
	if (rc == ERR_OK)
		rc = barrier_write_first(b, root_key, extra, nextra);
	if (rc == ERR_OK)
		log_info("barrier", "keyring created with term 1");

	pthread_rwlock_unlock(&b->lock);
	return rc;
}

err_t barrier_initialize(struct barrier *b, const uint8_t *root_key, size_t len)
{
	return barrier_initialize_with(b, root_key, len, NULL, 0);
}

err_t barrier_unseal(struct barrier *b, const uint8_t *root_key, size_t len)
{
	struct barrier_key *keys = NULL;
	size_t n = 0;
	err_t rc;

	if (root_key == NULL || len != BARRIER_KEY_LEN)
		return ERR_INVALID;
	/* Opened before locking: a wrong key must not stall other callers. */
	rc = keyring_load(b->phys, root_key, &keys, &n);
	if (rc != ERR_OK)
		return rc;

	if (pthread_rwlock_wrlock(&b->lock) != 0) {
		keys_free(keys, n);
		return ERR_INTERNAL;
	}
	if (b->sealed) {
		b->keys = keys;
		b->nkeys = n;
		keys = NULL;
		memcpy(b->root_key, root_key, BARRIER_KEY_LEN);
		atomic_store(&b->encryptions, 0);
		b->sealed = false;
		log_info("barrier", "unsealed, active key term %u",
		         (unsigned)b->keys[n - 1].term);
	}
	pthread_rwlock_unlock(&b->lock);

	keys_free(keys, n);
	return ERR_OK;
}

err_t barrier_reload(struct barrier *b)
{
	uint8_t root[BARRIER_KEY_LEN];
	struct barrier_key *keys = NULL;
	size_t n = 0;
	err_t rc;

	if (pthread_rwlock_rdlock(&b->lock) != 0)
		return ERR_INTERNAL;
	rc = b->sealed ? ERR_SEALED : ERR_OK;
	if (rc == ERR_OK)
		memcpy(root, b->root_key, sizeof(root));
	pthread_rwlock_unlock(&b->lock);
	if (rc != ERR_OK)
		return rc;

	rc = keyring_load(b->phys, root, &keys, &n);
	secret_wipe(root, sizeof(root));
	if (rc != ERR_OK)
		return rc;
	if (pthread_rwlock_wrlock(&b->lock) != 0) {
		keys_free(keys, n);
		return ERR_INTERNAL;
	}
	/* Sealed meanwhile: keep it sealed (invariant 1). */
	if (!b->sealed) {
		keys_free(b->keys, b->nkeys);
		b->keys = keys;
		b->nkeys = n;
		keys = NULL;
		log_info("barrier", "keyring reloaded, active key term %u",
		         (unsigned)b->keys[n - 1].term);
	}
	pthread_rwlock_unlock(&b->lock);
	keys_free(keys, n);
	return ERR_OK;
}

void barrier_seal(struct barrier *b)
{
	/* Only fails if this thread already holds it; wipe regardless. */
	bool locked = pthread_rwlock_wrlock(&b->lock) == 0;

	if (!b->sealed)
		log_info("barrier", "sealed, keys wiped");
	keys_free(b->keys, b->nkeys);
	b->keys = NULL;
	b->nkeys = 0;
	secret_wipe(b->root_key, sizeof(b->root_key));
	b->sealed = true;
	if (locked)
		pthread_rwlock_unlock(&b->lock);
}

bool barrier_sealed(struct barrier *b)
{
	bool sealed;

	if (pthread_rwlock_rdlock(&b->lock) != 0)
		return true;
	sealed = b->sealed;
	pthread_rwlock_unlock(&b->lock);
	return sealed;
}

/* The current keyring plus one new key; caller holds the write lock. */
static err_t barrier_grow(const struct barrier *b, struct barrier_key **out)
{
	struct barrier_key *keys, *k;
	int64_t now;
	long nsec;

	if (b->keys[b->nkeys - 1].term == UINT32_MAX)
		return ERR_CONFLICT;
	if (b->nkeys >= KEYRING_MAX_KEYS)
		return ERR_CONFLICT;
	keys = calloc(b->nkeys + 1, sizeof(*keys));
	if (keys == NULL)
		return ERR_NOMEM;
	memcpy(keys, b->keys, b->nkeys * sizeof(*keys));

	k = &keys[b->nkeys];
	time_now(&now, &nsec);
	k->term = b->keys[b->nkeys - 1].term + 1;
	k->install_time = now;
	if (rand_bytes(k->key, sizeof(k->key)) != ERR_OK) {
		keys_free(keys, b->nkeys + 1);
		return ERR_CRYPTO;
	}
	*out = keys;
	return ERR_OK;
}

err_t barrier_rotate(struct barrier *b, uint32_t *new_term)
{
	struct barrier_key *keys = NULL;
	struct buf blob = BUF_INIT;
	size_t n = 0;
	err_t rc;

	if (pthread_rwlock_wrlock(&b->lock) != 0)
		return ERR_INTERNAL;
	rc = ERR_SEALED;
	if (b->sealed)
		goto out;

	n = b->nkeys + 1;
	rc = barrier_grow(b, &keys);
	if (rc != ERR_OK) {
		n = 0;
		goto out;
	}
	rc = keyring_seal(b->root_key, keys, n, &blob);
	if (rc == ERR_OK)
		rc = storage_put(b->phys, BARRIER_KEYRING_PATH, blob.data,
		                 blob.len);
	if (rc != ERR_OK)
		goto out;

	/* Persisted: only now may new writes use the new key. */
	keys_free(b->keys, b->nkeys);
	b->keys = keys;
	b->nkeys = n;
	keys = NULL;
	atomic_store(&b->encryptions, 0);
	if (new_term != NULL)
		*new_term = b->keys[n - 1].term;
	log_info("barrier", "key rotated, active key term %u",
	         (unsigned)b->keys[n - 1].term);
out:
	pthread_rwlock_unlock(&b->lock);
	keys_free(keys, n);
	buf_release(&blob);
	return rc;
}

err_t barrier_key_status(struct barrier *b, uint32_t *term,
                         int64_t *install_time, uint64_t *encryptions)
{
	const struct barrier_key *k;
	err_t rc;

	rc = barrier_enter(b);
	if (rc != ERR_OK)
		return rc;
	k = &b->keys[b->nkeys - 1];
	if (term != NULL)
		*term = k->term;
	if (install_time != NULL)
		*install_time = k->install_time;
	if (encryptions != NULL)
		*encryptions = atomic_load(&b->encryptions);
	pthread_rwlock_unlock(&b->lock);
	return ERR_OK;
}
