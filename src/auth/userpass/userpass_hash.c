/*
 * userpass_hash.c - Argon2id password hashes through libargon2.
 *
 * Parameters: 2 passes over 19 MiB with one lane, a 16-byte random salt
 * and a 32-byte tag, the lower of the settings RFC 9106 and OWASP name for
 * interactive logins. Each verification holds that memory while it runs,
 * so a gate lets only USERPASS_PARALLEL of them run at a time: a flood of
 * logins queues instead of exhausting memory.
 */
#include <argon2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth/userpass/userpass.h"
#include "base/encoding.h"
#include "base/secret.h"

#define ARGON_T_COST      2
#define ARGON_M_COST      19456 /* KiB */
#define ARGON_PARALLELISM 1
#define ARGON_SALT_LEN    16
#define ARGON_HASH_LEN    32
#define USERPASS_PARALLEL 4

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_busy;

static void gate_enter(void)
{
	pthread_mutex_lock(&gate_lock);
	while (gate_busy >= USERPASS_PARALLEL)
		pthread_cond_wait(&gate_cond, &gate_lock);
	gate_busy++;
	pthread_mutex_unlock(&gate_lock);
}

static void gate_leave(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_busy--;
	pthread_cond_signal(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

err_t userpass_hash_password(const char *password, char **encoded)
{
	uint8_t salt[ARGON_SALT_LEN];
	size_t plen = strlen(password), elen;
	char *out;
	int rc;

	if (plen > USERPASS_MAX_PASSWORD)
		return ERR_INVALID;
	elen = argon2_encodedlen(ARGON_T_COST, ARGON_M_COST, ARGON_PARALLELISM,
	                         ARGON_SALT_LEN, ARGON_HASH_LEN, Argon2_id);
	out = calloc(1, elen);
	if (out == NULL)
		return ERR_NOMEM;
	if (rand_bytes(salt, sizeof(salt)) != ERR_OK) {
		free(out);
		return ERR_CRYPTO;
	}
	gate_enter();
	rc = argon2id_hash_encoded(ARGON_T_COST, ARGON_M_COST,
	                           ARGON_PARALLELISM, password, plen, salt,
	                           sizeof(salt), ARGON_HASH_LEN, out, elen);
	gate_leave();
	if (rc != ARGON2_OK) {
		free(out);
		return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? ERR_NOMEM
		                                            : ERR_CRYPTO;
	}
	*encoded = out;
	return ERR_OK;
}

bool userpass_verify_password(const char *encoded, const char *password)
{
	size_t plen = strlen(password);
	int rc;

	if (encoded == NULL || plen > USERPASS_MAX_PASSWORD)
		return false;
	gate_enter();
	rc = argon2id_verify(encoded, password, plen);
	gate_leave();
	return rc == ARGON2_OK;
}
