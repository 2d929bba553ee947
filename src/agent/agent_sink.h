/*
 * agent_sink.h - file sinks: where auto-auth leaves each new token for
 * other programs.
 *
 * A sink file is replaced atomically (agent_file_write) with the sink's
 * mode, so a reader never sees half a token. With wrap_ttl the sink gets
 * the wrap_info of the token response-wrapped by sys/wrapping/wrap (a
 * JSON object whose "token" unwraps once to {"token": ...}), as Vault
 * Agent writes it; the agent keeps using the unwrapped token itself.
 */
#ifndef COFFER_AGENT_AGENT_SINK_H
#define COFFER_AGENT_AGENT_SINK_H

#include <stddef.h>

#include "agent/agent_config.h"
#include "agent/agent_http.h"

/*
 * Writes token to sinks[0..n). A sink that cannot be written is logged
 * (never with the token) and skipped. Returns how many failed.
 */
size_t agent_sink_write_all(const struct agent_sink *sinks, size_t n,
                            struct agent_http *h, const char *token);

#endif
