/*
 * agent_exec.c - the exec child (see agent_exec.h).
 */
#include "agent/agent_exec.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/agent_proc.h"
#include "agent/agent_render.h"
#include "base/log.h"

extern char **environ;

struct agent_child {
	const struct agent_exec *cfg;
	pid_t pid; /* -1: none */
};

err_t agent_exec_new(const struct agent_exec *cfg, struct agent_child **out)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return ERR_NOMEM;
	(*out)->cfg = cfg;
	(*out)->pid = -1;
	return ERR_OK;
}

void agent_exec_free(struct agent_child *c)
{
	free(c);
}

bool agent_exec_running(const struct agent_child *c)
{
	return c->pid > 0;
}

bool agent_exec_restarts(const struct agent_child *c)
{
	return c->cfg->restart == AGENT_RESTART_ALWAYS;
}

/* Whether entry ("NAME=...") names a variable that values set. */
static bool overridden(char **values, const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t n = eq ? (size_t)(eq - entry) : strlen(entry), i;

	for (i = 0; values != NULL && values[i] != NULL; i++)
		if (strncmp(values[i], entry, n) == 0 && values[i][n] == '=')
			return true;
	return false;
}

/* The agent's environment with values on top; strings are borrowed. */
static char **environment(char **values)
{
	size_t n = 0, m = 0, k = 0, i;
	char **envp;

	while (environ != NULL && environ[n] != NULL)
		n++;
	while (values != NULL && values[m] != NULL)
		m++;
	if (n > SIZE_MAX / sizeof(*envp) - m - 1)
		return NULL;
	envp = calloc(n + m + 1, sizeof(*envp));
	if (envp == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (!overridden(values, environ[i]))
			envp[k++] = environ[i];
	for (i = 0; i < m; i++)
		envp[k++] = values[i];
	return envp;
}

/* Stops the running child with the configured signal. */
static void stop(struct agent_child *c)
{
	int status;

	if (c->pid <= 0)
		return;
	log_info("agent", "exec: stopping the child (pid %d) with signal %d",
	         (int)c->pid, c->cfg->stop_signal);
	kill(c->pid, c->cfg->stop_signal);
	if (agent_proc_wait(c->pid, AGENT_EXEC_STOP_WAIT * 1000, &status) !=
	    ERR_OK)
		log_warn("agent",
		         "exec: the child did not stop in %ds; "
		         "killed it",
		         AGENT_EXEC_STOP_WAIT);
	c->pid = -1;
}

err_t agent_exec_start(struct agent_child *c, char **values, struct buf *errmsg)
{
	char **envp;
	err_t rc = ERR_NOMEM;

	stop(c);
	envp = environment(values);
	if (envp != NULL)
		rc = agent_proc_spawn(c->cfg->command, envp, false, &c->pid,
		                      errmsg);
	else
		buf_append_str(errmsg, "out of memory");
	free(envp);
	/* The child has its copy; the agent keeps none. */
	agent_render_free_env(values);
	if (rc != ERR_OK) {
		c->pid = -1;
		return ERR_IO;
	}
	log_info("agent", "exec: started %s (pid %d)", c->cfg->command[0],
	         (int)c->pid);
	return ERR_OK;
}

bool agent_exec_reap(struct agent_child *c, int *code)
{
	int status;

	if (c->pid <= 0 || waitpid(c->pid, &status, WNOHANG) != c->pid)
		return false;
	c->pid = -1;
	*code = agent_proc_exit_code(status);
	return true;
}

void agent_exec_signal(struct agent_child *c, int sig, const siginfo_t *info)
{
	if (c->pid <= 0)
		return;
#ifdef SI_KERNEL
	if (info != NULL && info->si_code == SI_KERNEL &&
	    getpgid(c->pid) == getpgrp())
		return;
#else
	(void)info;
#endif
	kill(c->pid, sig);
}

int agent_exec_finish(struct agent_child *c)
{
	int status = 0;

	if (c->pid <= 0)
		return 0;
	if (agent_proc_wait(c->pid, AGENT_EXEC_STOP_WAIT * 1000, &status) !=
	    ERR_OK)
		log_warn("agent",
		         "exec: the child did not stop in %ds; "
		         "killed it",
		         AGENT_EXEC_STOP_WAIT);
	c->pid = -1;
	return agent_proc_exit_code(status);
}
