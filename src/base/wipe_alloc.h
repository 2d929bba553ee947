/*
 * wipe_alloc.h - make the libraries that hold our secrets wipe their
 * memory when they free it.
 *
 * jansson (every request and response body, every stored value we parse),
 * libevent (the socket buffers a request arrives in) and libcurl (the
 * requests the CLI and the audit forwarder send) allocate and free on
 * their own. Left alone they free tokens and secret values without
 * wiping them, and the bytes stay in the heap until reused. Each lets a
 * program replace its allocator before first use; ours wipes a block's
 * whole usable size before giving it back.
 */
#ifndef COFFER_BASE_WIPE_ALLOC_H
#define COFFER_BASE_WIPE_ALLOC_H

#include <stddef.h>

/*
 * Installs the wiping allocator into jansson, libevent and libcurl. Call
 * once, first thing in main, before any of them allocates: memory they
 * allocated before would be freed through the wrong hooks otherwise.
 */
void wipe_alloc_install(void);

/* The hooks themselves, exported for the unit test. */
void wipe_free(void *p);
void *wipe_realloc(void *p, size_t n);
char *wipe_strdup(const char *s);

#endif
