/*
 * agent_proc.h - child processes of the agent: template commands and the
 * exec workload.
 *
 * The agent blocks the signals it handles and ignores SIGPIPE (for its
 * listener); a child starts instead with an empty signal mask and default
 * dispositions, as any program expects. A failure to exec travels back on
 * a close-on-exec pipe, so "no such file" is reported as such rather than
 * as a puzzling exit code.
 */
#ifndef COFFER_AGENT_AGENT_PROC_H
#define COFFER_AGENT_AGENT_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/error.h"

/*
 * Starts argv[0] (looked up in PATH) with argv and envp (NULL: the
 * agent's environment). With own_group the child leads a new process
 * group, so that a timed-out command is killed with its children. On
 * success *pid is the child; on failure ERR_IO with the reason in errmsg.
 */
err_t agent_proc_spawn(char *const *argv, char *const *envp, bool own_group,
                       pid_t *pid, struct buf *errmsg);

/*
 * Waits up to timeout_ms for pid (a negative timeout waits for ever);
 * on time-out kills its process group with SIGKILL and reaps it. *status
 * is waitpid's. Returns ERR_OK, or ERR_UNAVAILABLE after a time-out.
 */
err_t agent_proc_wait(pid_t pid, int64_t timeout_ms, int *status);

/* The shell's exit code for a waitpid status: the code, or 128 + signal. */
int agent_proc_exit_code(int status);

#endif
