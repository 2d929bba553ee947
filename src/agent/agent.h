/*
 * agent.h - `coffer agent -config=FILE`: a long-running helper beside a
 * workload, like Vault Agent. It logs in on the workload's behalf and
 * keeps the token alive (agent_auth.h), writes it to sinks
 * (agent_sink.h), renders templates to files (agent_render.h), runs the
 * workload with secrets in its environment (agent_exec.h), and serves a
 * local caching proxy of the API (agent_proxy.h).
 */
#ifndef COFFER_AGENT_AGENT_H
#define COFFER_AGENT_AGENT_H

#include <stdint.h>

/* The command; argv[0] is "agent". Returns the exit code. */
int cmd_agent(int argc, char **argv);

/* Milliseconds of the monotonic clock, the agent's only time base. */
int64_t agent_now_ms(void);

#endif
