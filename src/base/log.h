/*
 * log.h - operator logs: one line per event on stderr.
 *
 *   2026-12-03T13:40:14.123Z [info]  core: vault is unsealed
 *
 * Messages are lower case and never carry a secret; tokens appear only as
 * accessors. Control characters in the message are escaped so that input
 * echoed into a log cannot forge a line.
 */
#ifndef COFFER_BASE_LOG_H
#define COFFER_BASE_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_TRACE,
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
};

/* Sets the lowest level that is printed (default LOG_INFO). */
void log_set_level(enum log_level level);

/* Parses "trace", "debug", "info", "warn"/"warning", "error". */
bool log_parse_level(const char *name, enum log_level *out);

void log_msg(enum log_level level, const char *subsystem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_trace(sub, ...) log_msg(LOG_TRACE, sub, __VA_ARGS__)
#define log_debug(sub, ...) log_msg(LOG_DEBUG, sub, __VA_ARGS__)
#define log_info(sub, ...)  log_msg(LOG_INFO, sub, __VA_ARGS__)
#define log_warn(sub, ...)  log_msg(LOG_WARN, sub, __VA_ARGS__)
#define log_error(sub, ...) log_msg(LOG_ERROR, sub, __VA_ARGS__)

#endif
