/*
 * params.h - request parameters decoded the lenient way Vault clients need.
 *
 * Vault accepts integers as numbers or numeric strings, booleans as true,
 * "true" or 1, durations as seconds or Go duration strings ("1h30m"), lists
 * as a JSON array or one comma-separated string, and treats a JSON null as
 * an absent parameter. These getters implement exactly that.
 *
 * Every getter returns ERR_OK and sets *out when the key is present and
 * valid, ERR_NOT_FOUND when it is absent or null (leaving *out alone), and
 * ERR_INVALID when it holds a value of the wrong type or form.
 */
#ifndef COFFER_BASE_PARAMS_H
#define COFFER_BASE_PARAMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

/* A string value; numbers are not converted. *out points into data. */
err_t param_str(json_t *data, const char *key, const char **out);

/* An integer given as a JSON integer or a decimal string. */
err_t param_int(json_t *data, const char *key, int64_t *out);

/* A boolean: JSON true/false, 0/1, or a string parse_bool accepts. */
err_t param_bool(json_t *data, const char *key, bool *out);

/* A duration in whole seconds: an integer or a string parse_duration takes. */
err_t param_duration(json_t *data, const char *key, int64_t *out);

/*
 * A list of strings: a JSON array of strings or one comma-separated string
 * whose items are trimmed; empty items are dropped. *out is a new reference.
 */
err_t param_strlist(json_t *data, const char *key, json_t **out);

/*
 * A string-to-string map; number and boolean values are turned into their
 * text ("2", "true"). *out is a new reference.
 */
err_t param_strmap(json_t *data, const char *key, json_t **out);

/* Go's strconv.ParseBool: 1 t T TRUE true True, 0 f F FALSE false False. */
bool parse_bool(const char *s, bool *out);

/*
 * A Go-style duration ("90s", "1h30m", "1.5h", "768h") or a plain number of
 * seconds ("3600"), rounded down to whole seconds. Negative values and
 * values over 100 years are ERR_INVALID.
 */
err_t parse_duration(const char *s, int64_t *out);

/* Formats seconds the way Go prints a duration: "768h0m0s", "1h30m0s". */
void format_duration(int64_t secs, char *out, size_t outlen);

#endif
