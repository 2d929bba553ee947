/*
 * agent.c - `coffer agent`: flags, start-up and shut-down (see agent.h).
 *
 * Start-up is ordered so that a mistake is found before anything is
 * written: the configuration, then every template, then the listener's
 * sockets; only then the pid file, the first login, sinks and files.
 */
#include "agent/agent.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent_file.h"
#include "agent/agent_loop.h"
#include "base/log.h"
#include "base/version.h"
#include "cli/flags.h"

static const char agent_usage[] =
    "Usage: coffer agent -config=FILE [-log-level=LEVEL]\n"
    "\n"
    "  Runs beside a workload: logs in with the auto_auth method and keeps\n"
    "  the token alive, writes it to sinks, renders templates to files,\n"
    "  runs the exec command with env_template values in its environment,\n"
    "  and serves a caching proxy of the API on its listeners. See the\n"
    "  README's \"Agent\" section for the configuration file.\n";

int64_t agent_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_flags(int argc, char **argv, const char **config,
                       const char **level)
{
	bool help = false;
	struct flag_def defs[] = {{"config", FLAG_STRING, config},
	                          {"log-level", FLAG_STRING, level},
	                          {"h", FLAG_BOOL, &help},
	                          {"help", FLAG_BOOL, &help},
	                          {0}};
	struct buf msg = BUF_INIT;
	int first = 0, code = -1;

	if (flags_parse(defs, argc - 1, argv + 1, &first, &msg) != ERR_OK) {
		fprintf(stderr, "%s\n\n%s", buf_str(&msg), agent_usage);
		code = 2;
	} else if (help) {
		fputs(agent_usage, stdout);
		code = 0;
	} else if (first < argc - 1 || *config == NULL) {
		fprintf(stderr, "%s\n\n%s",
		        *config ? "Too many arguments" : "Missing -config=FILE",
		        agent_usage);
		code = 2;
	}
	buf_release(&msg);
	return code;
}

static int set_level(const char *flag, const char *cfg)
{
	enum log_level level;
	const char *name = flag ? flag : cfg;

	if (name == NULL)
		return 0;
	if (!log_parse_level(name, &level)) {
		fprintf(stderr, "coffer agent: unknown log level %s\n", name);
		return 1;
	}
	log_set_level(level);
	return 0;
}

/* The parts that depend on auto_auth: login, secrets, templates. */
static int start_auth(struct agent_run *run)
{
	struct buf why = BUF_INIT;
	err_t rc;

	if (!run->cfg.has_auto_auth)
		return 0;
	rc = agent_auth_new(&run->cfg.method, run->http, &run->auth);
	if (rc == ERR_OK)
		rc = agent_secrets_new(run->http, run->auth, &run->store);
	if (rc == ERR_OK)
		rc =
		    agent_render_new(&run->cfg, run->store, &run->render, &why);
	if (rc == ERR_OK && run->cfg.has_exec)
		rc = agent_exec_new(&run->cfg.exec, &run->child);
	if (rc != ERR_OK)
		fprintf(stderr, "coffer agent: %s\n",
		        why.len ? buf_str(&why) : err_str(rc));
	buf_release(&why);
	return rc == ERR_OK ? 0 : 1;
}

static int start_proxy(struct agent_run *run)
{
	struct buf why = BUF_INIT;
	err_t rc;

	if (run->cfg.n_listeners == 0)
		return 0;
	rc =
	    agent_proxy_new(&run->cfg, run->http, run->auth, &run->proxy, &why);
	if (rc == ERR_OK)
		rc = agent_proxy_start(run->proxy);
	if (rc != ERR_OK)
		fprintf(stderr, "coffer agent: cannot start the listener: %s\n",
		        why.len ? buf_str(&why) : err_str(rc));
	buf_release(&why);
	return rc == ERR_OK ? 0 : 1;
}

static int write_pid(const char *path)
{
	struct buf text = BUF_INIT, why = BUF_INIT;
	err_t rc;

	rc = buf_printf(&text, "%ld\n", (long)getpid());
	if (rc == ERR_OK)
		rc = agent_file_write(path, text.data, text.len, 0644, &why);
	if (rc != ERR_OK)
		fprintf(stderr, "coffer agent: pid_file: %s\n",
		        why.len ? buf_str(&why) : err_str(rc));
	buf_release(&text);
	buf_release(&why);
	return rc == ERR_OK ? 0 : 1;
}

/*
 * The signals the loop takes are blocked before any thread starts, so
 * that every thread inherits the mask and none is interrupted by them.
 */
static void block_signals(struct agent_run *run)
{
	sigemptyset(&run->signals);
	sigaddset(&run->signals, SIGTERM);
	sigaddset(&run->signals, SIGINT);
	sigaddset(&run->signals, SIGHUP);
	sigaddset(&run->signals, SIGCHLD);
	sigprocmask(SIG_BLOCK, &run->signals, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void stop(struct agent_run *run)
{
	agent_proxy_free(run->proxy);
	agent_exec_free(run->child);
	agent_render_free(run->render);
	agent_secrets_free(run->store);
	agent_auth_free(run->auth);
	agent_http_free(run->http);
	if (run->pid_written)
		unlink(run->cfg.pid_file);
	agent_config_release(&run->cfg);
}

int cmd_agent(int argc, char **argv)
{
	struct agent_run run;
	const char *config = NULL, *level = NULL;
	struct buf why = BUF_INIT;
	int code;

	memset(&run, 0, sizeof(run));
	code = parse_flags(argc, argv, &config, &level);
	if (code >= 0)
		return code;
	if (agent_config_load(config, &run.cfg, &why) != ERR_OK) {
		fprintf(stderr, "coffer agent: %s\n", buf_str(&why));
		buf_release(&why);
		return 1;
	}
	buf_release(&why);
	block_signals(&run);
	code = set_level(level, run.cfg.log_level);
	if (code == 0 && agent_http_new(&run.cfg.vault, &run.http) != ERR_OK)
		code = 1;
	if (code == 0)
		code = start_auth(&run);
	if (code == 0)
		code = start_proxy(&run);
	if (code == 0 && run.cfg.pid_file != NULL) {
		code = write_pid(run.cfg.pid_file);
		run.pid_written = code == 0;
	}
	if (code == 0) {
		log_info("agent", "coffer agent %s started; server %s",
		         COFFER_VERSION, agent_http_address(run.http));
		code = agent_loop_run(&run);
	}
	stop(&run);
	return code;
}
