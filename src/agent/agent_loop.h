/*
 * agent_loop.h - the agent's parts once started, and its main loop
 * (internal to agent.c and agent_loop.c).
 */
#ifndef COFFER_AGENT_AGENT_LOOP_H
#define COFFER_AGENT_AGENT_LOOP_H

#include <signal.h>

#include "agent/agent_auth.h"
#include "agent/agent_config.h"
#include "agent/agent_exec.h"
#include "agent/agent_http.h"
#include "agent/agent_proxy.h"
#include "agent/agent_render.h"
#include "agent/agent_secrets.h"

/* Failed passes in a row before exit_on_retry_failure stops the agent. */
#define AGENT_RENDER_RETRIES 5

struct agent_run {
	struct agent_config cfg;
	struct agent_http *http;
	struct agent_auth *auth;     /* NULL without auto_auth */
	struct agent_secrets *store; /* with auth */
	struct agent_render *render; /* with auth */
	struct agent_child *child;   /* with exec */
	struct agent_proxy *proxy;   /* with a listener */
	sigset_t signals;            /* blocked; taken by sigtimedwait */
	bool pid_written;
};

/*
 * Runs until a stop signal, the exec child's exit, or (exit_after_auth)
 * the first token; returns the agent's exit code.
 */
int agent_loop_run(struct agent_run *run);

#endif
