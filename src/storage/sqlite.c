#include "storage/storage.h"

#include "storage/backend.h"

/* Placeholder until the SQLite backend lands in the next commit. */
err_t sqlite_open(json_t *config, struct storage **out, char *errmsg,
                  size_t errlen)
{
	(void)config;
	*out = NULL;
	backend_errmsg(errmsg, errlen, "sqlite storage is not built yet");
	return ERR_UNSUPPORTED;
}
