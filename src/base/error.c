#include "base/error.h"

#include <stddef.h>

static const char *const messages[ERR__COUNT] = {
    [ERR_OK] = "success",
    [ERR_INTERNAL] = "internal error",
    [ERR_NOMEM] = "out of memory",
    [ERR_INVALID] = "invalid request",
    [ERR_NOT_FOUND] = "not found",
    [ERR_PERMISSION] = "permission denied",
    [ERR_UNSUPPORTED] = "unsupported operation",
    [ERR_TOO_LARGE] = "request too large",
    [ERR_MEDIA_TYPE] = "unsupported media type",
    [ERR_SEALED] = "Vault is sealed",
    [ERR_UNAVAILABLE] = "service unavailable",
    [ERR_STORAGE] = "storage error",
    [ERR_CRYPTO] = "cryptographic failure",
    [ERR_CONFLICT] = "conflicting state",
    [ERR_IO] = "input/output error",
};

const char *err_str(err_t code)
{
	if ((unsigned)code >= ERR__COUNT || messages[code] == NULL)
		return "unknown error";
	return messages[code];
}
