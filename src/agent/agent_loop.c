/*
 * agent_loop.c - the agent's main loop: one thread that logs in, renews,
 * renders, runs the exec child and takes the signals (see agent_loop.h).
 *
 * Every wait is a sigtimedwait until the earliest of: the next login or
 * renewal, the next render pass, the next lease renewal. A render pass
 * runs after each new token, every static_secret_render_interval, when a
 * leased secret goes stale, and, after a failed pass, again after 1 s,
 * 2 s, 4 s ... (at most the interval).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "agent/agent.h"
#include "agent/agent_loop.h"
#include "agent/agent_sink.h"
#include "base/log.h"
#include "base/secret.h"

/* The longest single wait; nothing depends on it but the loop's pace. */
#define MAX_WAIT_MS 60000

struct loop {
	struct agent_run *run;
	int64_t pass_due;   /* INT64_MAX until there is a token */
	int64_t lease_next; /* from agent_secrets_tick */
	unsigned streak;    /* failed passes in a row */
	bool child_started;
	size_t sink_failed; /* sinks not written for the last token */
	bool stop;
	int code;
};

static void new_token(struct loop *l, int64_t now)
{
	struct agent_run *run = l->run;
	char *token = agent_auth_token(run->auth);

	l->sink_failed = 0;
	if (token != NULL)
		l->sink_failed = agent_sink_write_all(
		    run->cfg.sinks, run->cfg.n_sinks, run->http, token);
	secret_free(token);
	/* Leases belong to the token that made them. */
	if (agent_auth_generation(run->auth) > 1)
		agent_secrets_expire_all(run->store);
	l->pass_due = now;
}

/* Starts the child once its values exist, restarts it when they change. */
static void exec_after_pass(struct loop *l)
{
	struct agent_run *run = l->run;
	char **values = agent_render_take_env(run->render);
	struct buf why = BUF_INIT;

	if (!l->child_started &&
	    (values != NULL || !agent_render_has_env(run->render))) {
		l->child_started = true;
	} else if (values != NULL && agent_exec_running(run->child) &&
	           agent_exec_restarts(run->child)) {
		log_info("agent", "exec: a value changed; restarting the "
		                  "child");
	} else {
		agent_render_free_env(values);
		return;
	}
	if (agent_exec_start(run->child, values, &why) != ERR_OK) {
		log_error("agent", "exec: %s", buf_str(&why));
		l->stop = true;
		l->code = 1;
	}
	buf_release(&why);
}

static int64_t retry_ms(const struct loop *l)
{
	int64_t secs = 1, cap = l->run->cfg.static_interval;
	unsigned i;

	for (i = 1; i < l->streak && secs < cap; i++)
		secs *= 2;
	return (secs < cap ? secs : cap) * 1000;
}

static void pass(struct loop *l, int64_t now)
{
	struct agent_run *run = l->run;
	struct agent_pass res;

	agent_render_pass(run->render, &res);
	if (res.failed == 0) {
		l->streak = 0;
		l->pass_due = now + run->cfg.static_interval * 1000;
	} else {
		l->streak++;
		l->pass_due = now + retry_ms(l);
	}
	if (agent_secrets_denied(run->store))
		agent_auth_check(run->auth, now);
	if (res.failed > 0 && run->cfg.exit_on_retry_failure &&
	    l->streak >= AGENT_RENDER_RETRIES) {
		log_error("agent",
		          "template: %u renders failed in a row; "
		          "exiting (exit_on_retry_failure)",
		          l->streak);
		l->stop = true;
		l->code = 1;
		return;
	}
	if (run->child != NULL)
		exec_after_pass(l);
	if (run->cfg.exit_after_auth) {
		l->stop = true;
		l->code = res.failed > 0 || l->sink_failed > 0 ? 1 : 0;
		log_info("agent", "exit_after_auth: done, exiting with %d",
		         l->code);
	}
}

static void work(struct loop *l)
{
	struct agent_run *run = l->run;
	int64_t now = agent_now_ms(), next;

	if (run->auth == NULL)
		return;
	if (agent_auth_step(run->auth, now, &next))
		new_token(l, now);
	if (!agent_auth_ready(run->auth))
		return;
	if (agent_secrets_tick(run->store, now, &l->lease_next))
		l->pass_due = now;
	if (now < l->pass_due)
		return;
	pass(l, now);
	/* The pass may have fetched leases: plan their renewals. */
	if (agent_secrets_tick(run->store, now, &l->lease_next))
		l->pass_due = now;
}

static int64_t wait_ms(const struct loop *l)
{
	int64_t now = agent_now_ms(), next = now + MAX_WAIT_MS;

	if (l->run->auth != NULL) {
		if (agent_auth_next(l->run->auth) < next)
			next = agent_auth_next(l->run->auth);
		if (agent_auth_ready(l->run->auth)) {
			if (l->pass_due < next)
				next = l->pass_due;
			if (l->lease_next < next)
				next = l->lease_next;
		}
	}
	return next > now ? next - now : 0;
}

static void on_signal(struct loop *l, int sig, const siginfo_t *info)
{
	struct agent_child *child = l->run->child;
	bool running = child != NULL && agent_exec_running(child);

	if (sig == SIGHUP) {
		if (running)
			agent_exec_signal(child, sig, info);
		else
			log_info("agent", "received SIGHUP; reloading the "
			                  "configuration is not supported");
		return;
	}
	log_info("agent", "received signal %d, stopping", sig);
	l->stop = true;
	l->code = 0;
	if (running) {
		agent_exec_signal(child, sig, info);
		l->code = agent_exec_finish(child);
		log_info("agent", "exec: the child exited with %d", l->code);
	}
}

int agent_loop_run(struct agent_run *run)
{
	struct loop l = {run, INT64_MAX, INT64_MAX, 0, false, 0, false, 0};
	struct timespec ts;
	siginfo_t info;
	int64_t ms;
	int sig, code;

	while (!l.stop) {
		work(&l);
		if (l.stop)
			break;
		ms = wait_ms(&l);
		ts.tv_sec = (time_t)(ms / 1000);
		ts.tv_nsec = (long)(ms % 1000) * 1000000L;
		sig = sigtimedwait(&run->signals, &info, &ts);
		if (run->child != NULL && agent_exec_reap(run->child, &code)) {
			log_info("agent",
			         "exec: the child exited with %d; "
			         "stopping",
			         code);
			return code;
		}
		if (sig > 0 && sig != SIGCHLD)
			on_signal(&l, sig, &info);
	}
	return l.code;
}
