/*
 * offload.h - a pool of threads for requests that may block (internal to
 * http/).
 *
 * The workers' event loops serve reads inline, which keeps a hot read to
 * one thread switch-free pass. A write waits for its storage commit, and
 * with a loop blocked in fsync the other connections of that loop wait
 * too, and at most one write per loop can join a group commit. Writes are
 * therefore handed to this pool: each blocked write holds a pool thread,
 * not a loop, and as many writes as there are pool threads share one
 * commit.
 */
#ifndef COFFER_HTTP_OFFLOAD_H
#define COFFER_HTTP_OFFLOAD_H

#include <stddef.h>

#include "base/error.h"

struct offload;

/* A unit of work; run() is called once, on a pool thread. */
struct offload_job {
	void (*run)(struct offload_job *job);
	struct offload_job *next; /* the pool's queue link */
};

/* Starts n threads (at least one). */
err_t offload_new(size_t n, struct offload **out);

/* Queues job; it runs as soon as a thread is free, in queue order. */
void offload_submit(struct offload *p, struct offload_job *job);

/*
 * Runs every job queued so far, then stops and joins the threads and
 * frees; p may be NULL.
 */
void offload_free(struct offload *p);

#endif
