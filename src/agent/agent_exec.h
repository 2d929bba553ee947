/*
 * agent_exec.h - exec mode: the workload runs as the agent's child, with
 * the env_template values in its environment.
 *
 * The child starts once every env_template has rendered. When a value
 * changes and restart_on_secret_changes is "always", the child gets
 * restart_stop_signal, is waited for (at most AGENT_EXEC_STOP_WAIT
 * seconds, then killed) and started again with the new values. When the
 * child exits on its own, the agent exits with its status (128 + the
 * signal when one killed it). SIGTERM, SIGINT and SIGHUP sent to the
 * agent are passed on to the child.
 *
 * The values are wiped from the agent's memory as soon as the child has
 * them. The child's environment is, by the nature of environment
 * variables, readable by its user and root in /proc/<pid>/environ.
 */
#ifndef COFFER_AGENT_AGENT_EXEC_H
#define COFFER_AGENT_AGENT_EXEC_H

#include <signal.h>
#include <stdbool.h>

#include "agent/agent_config.h"
#include "base/buf.h"
#include "base/error.h"

#define AGENT_EXEC_STOP_WAIT 30 /* seconds */

struct agent_child;

/* Prepares to run cfg's command (cfg must outlive it). ERR_NOMEM. */
err_t agent_exec_new(const struct agent_exec *cfg, struct agent_child **out);

/* Frees c; a running child is left running. NULL is fine. */
void agent_exec_free(struct agent_child *c);

/*
 * Starts the child, stopping the running one first. values is a
 * NULL-ended array of "NAME=VALUE" that is taken over and wiped here
 * (NULL: no values). On failure ERR_IO with the reason in errmsg; no
 * child runs then.
 */
err_t agent_exec_start(struct agent_child *c, char **values,
                       struct buf *errmsg);

/* Whether a child is running. */
bool agent_exec_running(const struct agent_child *c);

/* Whether a change of values restarts the child. */
bool agent_exec_restarts(const struct agent_child *c);

/*
 * Reaps the child if it has exited; then returns true with its exit code
 * (as a shell gives it) in *code.
 */
bool agent_exec_reap(struct agent_child *c, int *code);

/*
 * Passes sig on to the child, if one runs, unless info says the terminal
 * sent it to the whole foreground process group, the child included: a
 * second Ctrl-C reads to many programs as "stop now, skip the clean-up".
 * info may be NULL.
 */
void agent_exec_signal(struct agent_child *c, int sig, const siginfo_t *info);

/*
 * Waits for the running child to exit after a signal was passed on (at
 * most AGENT_EXEC_STOP_WAIT seconds, then kills it); returns its exit
 * code, or 0 when none ran.
 */
int agent_exec_finish(struct agent_child *c);

#endif
