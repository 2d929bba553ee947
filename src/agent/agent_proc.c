/*
 * agent_proc.c - starting and reaping child processes (see agent_proc.h).
 */
#include "agent/agent_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The child's side of the fork: async-signal-safe calls only. */
static void child(char *const *argv, char *const *envp, bool own_group, int fd)
{
	static const int reset[] = {SIGPIPE, SIGINT,  SIGTERM,
	                            SIGHUP,  SIGQUIT, SIGCHLD};
	struct sigaction dfl;
	sigset_t none;
	size_t i;
	int err;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
		sigaction(reset[i], &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (own_group)
		setpgid(0, 0);
	if (envp != NULL)
		environ = (char **)envp;
	execvp(argv[0], argv);
	err = errno;
	if (write(fd, &err, sizeof(err)) < 0)
		err = errno;
	_exit(err == ENOENT ? 127 : 126);
}

err_t agent_proc_spawn(char *const *argv, char *const *envp, bool own_group,
                       pid_t *pid, struct buf *errmsg)
{
	int fds[2], err = 0, status;
	ssize_t n;

	if (pipe(fds) != 0) {
		buf_printf(errmsg, "cannot start %s: %s", argv[0],
		           strerror(errno));
		return ERR_IO;
	}
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	*pid = fork();
	if (*pid == 0) {
		close(fds[0]);
		child(argv, envp, own_group, fds[1]);
	}
	err = errno;
	close(fds[1]);
	if (*pid < 0) {
		close(fds[0]);
		buf_printf(errmsg, "cannot start %s: %s", argv[0],
		           strerror(err));
		return ERR_IO;
	}
	do
		n = read(fds[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	if (n != (ssize_t)sizeof(err))
		return ERR_OK;
	waitpid(*pid, &status, 0);
	*pid = -1;
	buf_printf(errmsg, "cannot start %s: %s", argv[0], strerror(err));
	return ERR_IO;
}

static void nap(void)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	nanosleep(&ts, NULL);
}

err_t agent_proc_wait(pid_t pid, int64_t timeout_ms, int *status)
{
	int64_t waited = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, timeout_ms < 0 ? 0 : WNOHANG);
		if (r == pid)
			return ERR_OK;
		if (r < 0 && errno != EINTR)
			return ERR_IO;
		if (timeout_ms >= 0 && waited >= timeout_ms)
			break;
		if (timeout_ms >= 0) {
			nap();
			waited += 10;
		}
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return ERR_UNAVAILABLE;
}

int agent_proc_exit_code(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
