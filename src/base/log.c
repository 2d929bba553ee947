#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static enum log_level min_level = LOG_INFO;

static const char *const level_names[] = {"trace", "debug", "info", "warn",
                                          "error"};

void log_set_level(enum log_level level)
{
	min_level = level;
}

bool log_parse_level(const char *name, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	if (strcasecmp(name, "warning") == 0) {
		*out = LOG_WARN;
		return true;
	}
	return false;
}

void log_msg(enum log_level level, const char *subsystem, const char *fmt, ...)
{
	char msg[1024], line[2048], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	size_t i, o = 0;

	if (level < min_level)
		return;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	/* Escape control bytes so that echoed input cannot start a line. */
	for (i = 0; msg[i] != 0 && o + 5 < sizeof(line); i++) {
		unsigned char c = (unsigned char)msg[i];
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			                      "\\x%02x", c);
		else
			line[o++] = (char)c;
	}
	line[o] = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ [%-5s] %s: %s\n", stamp,
	        ts.tv_nsec / 1000000, level_names[level], subsystem, line);
}
