/*
 * wipe_alloc.c - the wiping allocator of wipe_alloc.h, over glibc malloc.
 *
 * A free hook gets no size, so it asks malloc for the block's usable size
 * (glibc's malloc_usable_size; ASan's interceptor answers it too) and
 * wipes all of it. A block from plain malloc may go to wipe_free and the
 * other way round: the hooks change what happens on free, not where
 * memory comes from.
 */
#include "base/wipe_alloc.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"

void wipe_free(void *p)
{
	if (p == NULL)
		return;
	secret_wipe(p, malloc_usable_size(p));
	free(p);
}

/* Moves to a new block so that the old one is wiped, never left behind. */
void *wipe_realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (p == NULL)
		return malloc(n);
	if (n == 0) {
		wipe_free(p);
		return NULL;
	}
	old = malloc_usable_size(p);
	if (n <= old)
		return p; /* it fits: nothing is left behind */
	q = malloc(n);
	if (q == NULL)
		return NULL;
	memcpy(q, p, old);
	wipe_free(p);
	return q;
}

char *wipe_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

void wipe_alloc_install(void)
{
	json_set_alloc_funcs(malloc, wipe_free);
	event_set_mem_functions(malloc, wipe_realloc, wipe_free);
	/* Later curl_global_init calls only count references. */
	curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, wipe_free,
	                     wipe_realloc, wipe_strdup, calloc);
}
