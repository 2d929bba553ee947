#include "base/secret.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void secret_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

void secret_free(char *s)
{
	if (s == NULL)
		return;
	secret_wipe(s, strlen(s));
	free(s);
}

void secret_free_n(void *p, size_t n)
{
	if (p == NULL)
		return;
	secret_wipe(p, n);
	free(p);
}

bool secret_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (a == NULL || b == NULL || alen != blen)
		return false;
	if (alen == 0)
		return true;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

bool secret_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return false;
	return secret_equal(a, strlen(a), b, strlen(b));
}

err_t secret_lock_memory(void)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
		return ERR_IO;
	return ERR_OK;
}
