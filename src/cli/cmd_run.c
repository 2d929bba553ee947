/*
 * cmd_run.c - `coffer run`: resolve secrets, then start a program with them
 * in its environment, stand between it and its signals, and pass on its
 * exit status.
 *
 * Order of events, which the error handling relies on:
 *   1. every reference is parsed and every secret read (once per path);
 *      any failure ends coffer with exit code 1 before anything is started;
 *   2. the environment is built and the program forked and exec'd (not
 *      through a shell); coffer wipes its own copies of the values as soon
 *      as the child exists;
 *   3. coffer waits, forwarding SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1
 *      and SIGUSR2, and with -renew keeps leases alive;
 *   4. with -renew the leases are revoked, and coffer exits with the
 *      child's status (128 + the signal when it was killed, as shells say).
 *
 * Nothing is written to disk. The child's environment is, by the nature of
 * environment variables, readable by the same user (and root) through
 * /proc/<pid>/environ for as long as the child runs; that is what injecting
 * secrets into an environment means, and why `coffer run` is for programs
 * that expect their secrets there.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/secret.h"
#include "cli/args.h"
#include "cli/command.h"
#include "cli/run.h"

extern char **environ;

static const char run_usage[] =
    "Usage: coffer run [options] -- COMMAND [ARG ...]\n"
    "\n"
    "  Starts COMMAND with secrets from the server in its environment.\n"
    "  A reference is PATH#FIELD: for a KV version 2 read (secret/data/...)\n"
    "  FIELD is looked up in data.data, otherwise in data; without #FIELD\n"
    "  the secret must hold exactly one field. NAME=literal:VALUE sets a\n"
    "  plain value. Every secret is read before COMMAND starts; if any\n"
    "  cannot be, coffer exits 1 and COMMAND is not run. coffer passes\n"
    "  SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 on to COMMAND\n"
    "  and exits with its status (128+N when signal N killed it).\n"
    "\n"
    "  -env NAME=REFERENCE  a variable to set; may be repeated\n"
    "  -env-file=FILE       NAME=REFERENCE lines (# comments); repeatable\n"
    "  -clean-env           start from an empty environment (but PATH)\n"
    "  -renew               renew leased secrets at half their duration\n"
    "                       and revoke them when COMMAND exits\n";

/* A lease that came with a secret (dynamic credentials). */
struct run_lease {
	char *id;
	int64_t duration; /* seconds, as last granted */
	bool renewable;
	struct timespec due;     /* when to renew next */
	struct timespec expires; /* when the last grant runs out */
};

struct run_state {
	struct command_opts o;
	struct flag_list envs;
	struct flag_list files;
	bool clean_env;
	bool renew;
	struct envref_list refs;
	char **values; /* "NAME=VALUE" per refs item; secrets */
	struct run_lease *leases;
	size_t nleases;
	struct client *c;
};

static const int run_forwarded[] = {SIGINT,  SIGTERM, SIGHUP,
                                    SIGQUIT, SIGUSR1, SIGUSR2};

#define RUN_NFORWARDED (sizeof(run_forwarded) / sizeof(run_forwarded[0]))

static void run_state_release(struct run_state *s)
{
	size_t i;

	if (s->values != NULL)
		for (i = 0; i < s->refs.n; i++)
			secret_free(s->values[i]);
	free(s->values);
	for (i = 0; i < s->nleases; i++)
		free(s->leases[i].id);
	free(s->leases);
	envref_list_release(&s->refs);
	flags_list_release(&s->envs);
	flags_list_release(&s->files);
	client_free(s->c);
}

/* Reads one env file into s->refs; 1 after printing why it could not. */
static int run_read_file(struct run_state *s, const char *file)
{
	struct buf text = BUF_INIT, msg = BUF_INIT;
	FILE *f = fopen(file, "r");
	int code = COMMAND_EXIT_OK;
	err_t rc;

	if (f == NULL) {
		buf_printf(&msg, "%s: %s", file, strerror(errno));
		code = command_fail("reading the env file", buf_str(&msg));
		goto out;
	}
	rc = args_read_stream(f, &text);
	if (rc == ERR_OK)
		rc = envref_parse_file((const char *)text.data, text.len, file,
		                       &s->refs, &msg);
	if (rc != ERR_OK)
		code = command_fail("reading the env file",
		                    msg.len ? buf_str(&msg) : err_str(rc));
out:
	if (f != NULL)
		fclose(f);
	buf_release(&text);
	buf_release(&msg);
	return code;
}

/* Env files first, then -env flags, so the command line has the last word. */
static int run_collect(struct run_state *s)
{
	struct buf msg = BUF_INIT;
	int code = COMMAND_EXIT_OK;
	size_t i;
	err_t rc;

	for (i = 0; i < s->files.n && code == COMMAND_EXIT_OK; i++)
		code = run_read_file(s, s->files.items[i]);
	for (i = 0; i < s->envs.n && code == COMMAND_EXIT_OK; i++) {
		const char *spec = s->envs.items[i];

		rc = envref_list_add(&s->refs, spec, strlen(spec), &msg);
		if (rc != ERR_OK)
			code =
			    command_fail("parsing -env",
			                 msg.len ? buf_str(&msg) : err_str(rc));
	}
	buf_release(&msg);
	return code;
}

static void run_add_time(struct timespec *t, int64_t secs)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += (time_t)secs;
}

/* Remembers the lease an answer carries, if any, for -renew. */
static err_t run_note_lease(struct run_state *s, json_t *body)
{
	const char *id = json_string_value(json_object_get(body, "lease_id"));
	int64_t ttl =
	    json_integer_value(json_object_get(body, "lease_duration"));
	struct run_lease *leases, *l;

	if (id == NULL || *id == '\0')
		return ERR_OK;
	if (s->nleases >= SIZE_MAX / sizeof(*leases) - 1)
		return ERR_NOMEM;
	leases = realloc(s->leases, (s->nleases + 1) * sizeof(*leases));
	if (leases == NULL)
		return ERR_NOMEM;
	s->leases = leases;
	l = &leases[s->nleases];
	*l = (struct run_lease){0};
	l->id = strdup(id);
	if (l->id == NULL)
		return ERR_NOMEM;
	s->nleases++;
	l->duration = ttl > 0 ? ttl : 0;
	l->renewable = json_is_true(json_object_get(body, "renewable"));
	run_add_time(&l->due, l->duration / 2 > 0 ? l->duration / 2 : 1);
	run_add_time(&l->expires, l->duration);
	return ERR_OK;
}

/* GETs path; 1 after printing why there is no secret there. */
static int run_read(struct run_state *s, const char *path, const char *name,
                    json_t **out)
{
	struct client_response resp = {0};
	struct buf what = BUF_INIT, msg = BUF_INIT;
	int code;

	*out = NULL;
	buf_printf(&what, "reading %s (for %s)", path, name);
	code =
	    command_send(s->c, "GET", path, NULL, NULL, buf_str(&what), &resp);
	if (code == COMMAND_EXIT_OK && resp.status == 404) {
		buf_printf(&msg, "no secret at %s", path);
		code = command_fail(buf_str(&what), buf_str(&msg));
	} else if (code == COMMAND_EXIT_OK) {
		code = command_check(&resp, buf_str(&what));
	}
	if (code == COMMAND_EXIT_OK && run_note_lease(s, resp.body) != ERR_OK)
		code = command_fail(buf_str(&what), err_str(ERR_NOMEM));
	if (code == COMMAND_EXIT_OK)
		*out = json_incref(resp.body);
	client_response_release(&resp);
	buf_release(&what);
	buf_release(&msg);
	return code;
}

/* Sets s->values[i] to NAME=VALUE for reference r, whose secret is body. */
static int run_value(struct run_state *s, size_t i, json_t *body)
{
	const struct envref *r = &s->refs.items[i];
	struct buf v = BUF_INIT, msg = BUF_INIT, what = BUF_INIT;
	int code = COMMAND_EXIT_OK;
	err_t rc;

	rc = buf_printf(&v, "%s=", r->name);
	if (rc == ERR_OK && r->path == NULL)
		rc = buf_append_str(&v, r->literal);
	else if (rc == ERR_OK)
		rc = envref_pick(body, r->path, r->field, &v, &msg);
	if (rc == ERR_OK && (s->values[i] = buf_detach(&v)) == NULL)
		rc = ERR_NOMEM;
	if (rc != ERR_OK) {
		buf_printf(&what, "resolving %s", r->name);
		code = command_fail(buf_str(&what),
		                    msg.len ? buf_str(&msg) : err_str(rc));
	}
	buf_release(&v);
	buf_release(&msg);
	buf_release(&what);
	return code;
}

/*
 * Resolves every reference, reading each distinct path once. The answers
 * (jansson's, unwiped; see client.h) are dropped as soon as the values are
 * copied out.
 */
static int run_fetch(struct run_state *s)
{
	json_t **bodies = calloc(s->refs.n ? s->refs.n : 1, sizeof(*bodies));
	int code = COMMAND_EXIT_OK;
	size_t i, j;

	s->values = calloc(s->refs.n ? s->refs.n : 1, sizeof(*s->values));
	if (bodies == NULL || s->values == NULL) {
		free(bodies);
		return command_fail("resolving secrets", err_str(ERR_NOMEM));
	}
	for (i = 0; i < s->refs.n && code == COMMAND_EXIT_OK; i++) {
		const struct envref *r = &s->refs.items[i];

		for (j = 0; r->path != NULL && bodies[i] == NULL && j < i; j++)
			if (s->refs.items[j].path != NULL &&
			    strcmp(s->refs.items[j].path, r->path) == 0)
				bodies[i] = json_incref(bodies[j]);
		if (r->path != NULL && bodies[i] == NULL)
			code = run_read(s, r->path, r->name, &bodies[i]);
		if (code == COMMAND_EXIT_OK)
			code = run_value(s, i, bodies[i]);
	}
	for (i = 0; i < s->refs.n; i++)
		json_decref(bodies[i]);
	free(bodies);
	return code;
}

static bool run_overridden(const struct run_state *s, const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t n = eq ? (size_t)(eq - entry) : strlen(entry), i;

	for (i = 0; i < s->refs.n; i++)
		if (strlen(s->refs.items[i].name) == n &&
		    strncmp(s->refs.items[i].name, entry, n) == 0)
			return true;
	return false;
}

/*
 * The child's environment: ours (or only PATH with -clean-env) minus the
 * names we set, then our values. The array is new; its strings are
 * borrowed from environ and s->values.
 */
static char **run_environment(const struct run_state *s)
{
	size_t n = 0, k = 0, i;
	char **envp;

	while (environ != NULL && environ[n] != NULL)
		n++;
	if (n > SIZE_MAX / sizeof(*envp) - s->refs.n - 1)
		return NULL;
	envp = calloc(n + s->refs.n + 1, sizeof(*envp));
	if (envp == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (run_overridden(s, environ[i]))
			continue;
		if (s->clean_env && strncmp(environ[i], "PATH=", 5) != 0)
			continue;
		envp[k++] = environ[i];
	}
	for (i = 0; i < s->refs.n; i++)
		envp[k++] = s->values[i];
	envp[k] = NULL;
	return envp;
}

/* The child's side of the fork: only async-signal-safe calls from here. */
static void run_exec(char **argv, char **envp, const sigset_t *old, int fd)
{
	int err;

	sigprocmask(SIG_SETMASK, old, NULL);
	environ = envp;
	execvp(argv[0], argv);
	err = errno;
	if (write(fd, &err, sizeof(err)) < 0)
		err = errno;
	_exit(err == ENOENT ? 127 : 126);
}

/*
 * Forks and execs argv with envp. An exec failure travels back on a
 * close-on-exec pipe, so it is reported here rather than as a puzzling exit
 * code. Returns 0 with *pid set, or the exit code to leave with (127 when
 * the command was not found, 126 when it could not be run, as shells do).
 */
static int run_spawn(char **argv, char **envp, const sigset_t *old, pid_t *pid)
{
	int fds[2], err = 0, status;
	ssize_t n;

	if (pipe(fds) != 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0)
		return command_fail("starting the command", strerror(errno));
	*pid = fork();
	if (*pid == 0) {
		close(fds[0]);
		run_exec(argv, envp, old, fds[1]);
	}
	close(fds[1]);
	if (*pid < 0) {
		close(fds[0]);
		return command_fail("starting the command", strerror(errno));
	}
	do
		n = read(fds[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	if (n != (ssize_t)sizeof(err))
		return COMMAND_EXIT_OK;

	waitpid(*pid, &status, 0);
	fprintf(stderr, "Error starting %s: %s\n", argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}

static bool run_time_passed(const struct timespec *t,
                            const struct timespec *now)
{
	return now->tv_sec > t->tv_sec ||
	       (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

/* Renews one lease; on failure retries at half the time it has left. */
static void run_renew_one(struct run_state *s, struct run_lease *l)
{
	struct client_response resp = {0};
	struct buf what = BUF_INIT;
	struct timespec now;
	json_t *body;
	int64_t ttl;

	buf_printf(&what, "renewing lease %s", l->id);
	body = json_pack("{s:s, s:I}", "lease_id", l->id, "increment",
	                 (json_int_t)l->duration);
	if (body != NULL &&
	    command_call(s->c, "PUT", "sys/leases/renew", NULL, body,
	                 buf_str(&what), &resp) == COMMAND_EXIT_OK) {
		ttl = json_integer_value(
		    json_object_get(resp.body, "lease_duration"));
		if (ttl > 0)
			l->duration = ttl;
		run_add_time(&l->due,
		             l->duration / 2 > 0 ? l->duration / 2 : 1);
		run_add_time(&l->expires, l->duration);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (l->expires.tv_sec - now.tv_sec >= 2) {
		run_add_time(&l->due, (l->expires.tv_sec - now.tv_sec) / 2);
	} else {
		fprintf(stderr,
		        "Warning: lease %s could not be renewed and "
		        "is expiring\n",
		        l->id);
		l->renewable = false;
	}
out:
	json_decref(body);
	client_response_release(&resp);
	buf_release(&what);
}

/* Renews what is due; returns seconds until the next renewal (max 60). */
static time_t run_renew_due(struct run_state *s)
{
	struct timespec now;
	time_t next = 60;
	size_t i;

	for (i = 0; s->renew && i < s->nleases; i++) {
		struct run_lease *l = &s->leases[i];

		if (!l->renewable)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (run_time_passed(&l->due, &now))
			run_renew_one(s, l);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (l->renewable && l->due.tv_sec - now.tv_sec < next)
			next = l->due.tv_sec - now.tv_sec;
	}
	return next > 0 ? next : 0;
}

/*
 * A terminal sends SIGINT, SIGQUIT and SIGHUP to its whole foreground
 * process group (si_code SI_KERNEL), the child included; passing such a
 * signal on would deliver it twice, and many programs read a second
 * Ctrl-C as "stop now, skip the clean-up".
 */
static bool run_already_delivered(const siginfo_t *info, pid_t child)
{
#ifdef SI_KERNEL
	return info->si_code == SI_KERNEL && getpgid(child) == getpgrp();
#else
	(void)info;
	(void)child;
	return false;
#endif
}

/* Waits for the child, forwarding signals and renewing leases. */
static int run_wait(struct run_state *s, pid_t pid, const sigset_t *set)
{
	struct timespec wait = {0};
	siginfo_t info;
	int status, sig;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return command_fail("waiting for the command",
			                    strerror(errno));
		wait.tv_sec = run_renew_due(s);
		wait.tv_nsec = wait.tv_sec == 0 ? 100000000L : 0;
		sig = sigtimedwait(set, &info, &wait);
		if (sig > 0 && sig != SIGCHLD &&
		    !run_already_delivered(&info, pid))
			kill(pid, sig);
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : COMMAND_EXIT_ERROR;
}

/* With -renew, leases end with the command; a failure is only a warning. */
static void run_revoke(struct run_state *s)
{
	struct client_response resp = {0};
	struct buf what = BUF_INIT;
	json_t *body;
	size_t i;

	for (i = 0; s->renew && i < s->nleases; i++) {
		buf_reset(&what);
		buf_printf(&what, "revoking lease %s", s->leases[i].id);
		body = json_pack("{s:s}", "lease_id", s->leases[i].id);
		if (body != NULL)
			command_call(s->c, "PUT", "sys/leases/revoke", NULL,
			             body, buf_str(&what), &resp);
		json_decref(body);
		client_response_release(&resp);
	}
	buf_release(&what);
}

/* Steps 2 to 4 of the header comment. */
static int run_child(struct run_state *s, char **argv)
{
	sigset_t set, old;
	char **envp;
	pid_t pid = -1;
	size_t i;
	int code;

	envp = run_environment(s);
	if (envp == NULL)
		return command_fail("building the environment",
		                    err_str(ERR_NOMEM));
	/* Blocked, the signals wait for sigtimedwait instead of killing us. */
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&set);
	for (i = 0; i < RUN_NFORWARDED; i++)
		sigaddset(&set, run_forwarded[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);

	code = run_spawn(argv, envp, &old, &pid);
	free(envp);
	/* The child has its copy; ours is not needed any more. */
	for (i = 0; i < s->refs.n; i++) {
		secret_free(s->values[i]);
		s->values[i] = NULL;
	}
	if (code == COMMAND_EXIT_OK)
		code = run_wait(s, pid, &set);
	run_revoke(s);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return code;
}

int cmd_run(int argc, char **argv)
{
	struct run_state s = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&s.o),
	                          {"env", FLAG_LIST, &s.envs},
	                          {"env-file", FLAG_LIST, &s.files},
	                          {"clean-env", FLAG_BOOL, &s.clean_env},
	                          {"renew", FLAG_BOOL, &s.renew},
	                          {0}};
	int first, code;

	code = command_parse(run_usage, defs, argc, argv, &s.o, &first);
	if (code != COMMAND_RUN)
		goto out;
	if (first >= argc) {
		code = command_usage_error(run_usage,
		                           "Missing the command to run");
		goto out;
	}
	code = run_collect(&s);
	if (code == COMMAND_EXIT_OK)
		code = command_client(&s.o, &s.c);
	if (code == COMMAND_EXIT_OK)
		code = run_fetch(&s);
	if (code == COMMAND_EXIT_OK) {
		fflush(stdout);
		fflush(stderr);
		code = run_child(&s, argv + first);
	}
out:
	run_state_release(&s);
	return code;
}
