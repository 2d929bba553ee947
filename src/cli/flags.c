#include "cli/flags.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/params.h"

static const struct flag_def *flags_find(const struct flag_def *defs,
                                         const char *name, size_t len)
{
	for (; defs->name != NULL; defs++) {
		if (strlen(defs->name) == len &&
		    strncmp(defs->name, name, len) == 0)
			return defs;
	}
	return NULL;
}

static err_t flags_list_add(struct flag_list *l, const char *value)
{
	const char **items;

	if (l->n >= SIZE_MAX / sizeof(*items) - 1)
		return ERR_NOMEM;
	items = realloc(l->items, (l->n + 1) * sizeof(*items));
	if (items == NULL)
		return ERR_NOMEM;
	items[l->n++] = value;
	l->items = items;
	return ERR_OK;
}

static err_t flags_set(const struct flag_def *def, const char *value,
                       struct buf *msg)
{
	long long n;
	char *end;

	switch (def->kind) {
	case FLAG_BOOL:
		if (!parse_bool(value, def->target))
			goto bad;
		return ERR_OK;
	case FLAG_STRING:
		*(const char **)def->target = value;
		return ERR_OK;
	case FLAG_INT:
		errno = 0;
		n = strtoll(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0')
			goto bad;
		*(int64_t *)def->target = n;
		return ERR_OK;
	case FLAG_LIST:
		return flags_list_add(def->target, value);
	}
bad:
	buf_printf(msg, "invalid value \"%s\" for flag -%s", value, def->name);
	return ERR_INVALID;
}

err_t flags_parse(const struct flag_def *defs, int argc, char **argv,
                  int *first, struct buf *msg)
{
	const struct flag_def *def;
	const char *arg, *eq;
	int i;
	err_t rc;

	for (i = 0; i < argc; i++) {
		arg = argv[i];
		if (arg[0] != '-' || arg[1] == '\0')
			break;
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}

		/* One or two dashes, then the name, then maybe "=value". */
		arg += arg[1] == '-' ? 2 : 1;
		eq = strchr(arg, '=');
		def = flags_find(defs, arg,
		                 eq ? (size_t)(eq - arg) : strlen(arg));
		if (def == NULL || arg[0] == '\0' || arg[0] == '-') {
			buf_printf(msg, "flag provided but not defined: %s",
			           argv[i]);
			return ERR_INVALID;
		}
		if (eq != NULL)
			rc = flags_set(def, eq + 1, msg);
		else if (def->kind == FLAG_BOOL)
			rc = flags_set(def, "true", msg);
		else if (i + 1 < argc)
			rc = flags_set(def, argv[++i], msg);
		else {
			buf_printf(msg, "flag needs an argument: -%s",
			           def->name);
			rc = ERR_INVALID;
		}
		if (rc != ERR_OK)
			return rc;
	}
	*first = i;
	return ERR_OK;
}

void flags_list_release(struct flag_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	l->items = NULL;
	l->n = 0;
}
