/*
 * error.h - the one error type of the whole program.
 *
 * Every fallible function returns an err_t: 0 (ERR_OK) for success, one of
 * the codes below otherwise. The HTTP layer maps codes to statuses in one
 * place (http/status.c); nothing else decides a status.
 */
#ifndef COFFER_BASE_ERROR_H
#define COFFER_BASE_ERROR_H

typedef enum err {
	ERR_OK = 0,
	ERR_INTERNAL,    /* a bug or an unexpected library failure: 500 */
	ERR_NOMEM,       /* allocation failed: 503 */
	ERR_INVALID,     /* bad input from the caller: 400 */
	ERR_NOT_FOUND,   /* no such object or route: 404 */
	ERR_PERMISSION,  /* missing or bad token, ACL denial: 403 */
	ERR_UNSUPPORTED, /* operation not supported on this path: 405 */
	ERR_TOO_LARGE,   /* request body over the limit: 413 */
	ERR_MEDIA_TYPE,  /* wrong Content-Type (PATCH): 415 */
	ERR_SEALED,      /* the barrier is sealed: 503 */
	ERR_UNAVAILABLE, /* a dependency is down, try again: 503 */
	ERR_STORAGE,     /* the physical storage failed: 500 */
	ERR_CRYPTO,      /* decryption or integrity check failed: 500 */
	ERR_CONFLICT,    /* state does not allow it (already init): 400 */
	ERR_IO,          /* file or socket I/O failed */
	ERR__COUNT
} err_t;

/* Returns a short lower-case description of code; never NULL. */
const char *err_str(err_t code);

#endif
