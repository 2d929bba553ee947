#include "storage/storage.h"

#include <string.h>

#include "storage/backend.h"
#include "storage/postgres.h"

typedef err_t (*storage_open_fn)(json_t *config, struct storage **out,
                                 char *errmsg, size_t errlen);

/* The one place a backend is registered under its configuration name. */
static const struct {
	const char *type;
	storage_open_fn open;
} backends[] = {
    {"inmem", inmem_open},
    {"sqlite", sqlite_open},
    {"postgresql", postgres_open},
};

err_t storage_open(const char *type, json_t *config, struct storage **out,
                   char *errmsg, size_t errlen)
{
	size_t i;

	*out = NULL;
	if (type == NULL) {
		backend_errmsg(errmsg, errlen, "no storage type given");
		return ERR_INVALID;
	}
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (strcmp(backends[i].type, type) == 0)
			return backends[i].open(config, out, errmsg, errlen);
	}
	backend_errmsg(errmsg, errlen, "unknown storage type \"%s\"", type);
	return ERR_INVALID;
}
