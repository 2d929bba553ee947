/*
 * offload.c - the thread pool of offload.h: one FIFO queue under a mutex.
 */
#include "http/offload.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "base/log.h"

struct offload {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct offload_job *head, *tail;
	bool stopping;
	pthread_t *threads;
	size_t n; /* threads started */
};

static struct offload_job *take(struct offload *p)
{
	struct offload_job *job;

	pthread_mutex_lock(&p->lock);
	while (p->head == NULL && !p->stopping)
		pthread_cond_wait(&p->ready, &p->lock);
	job = p->head;
	if (job != NULL) {
		p->head = job->next;
		if (p->head == NULL)
			p->tail = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	return job;
}

static void *pool_main(void *arg)
{
	struct offload *p = arg;
	struct offload_job *job;

	/* Stopping drains the queue first: every job queued gets its run. */
	while ((job = take(p)) != NULL)
		job->run(job);
	return NULL;
}

err_t offload_new(size_t n, struct offload **out)
{
	struct offload *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return ERR_NOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->ready, NULL);
	p->threads = calloc(n ? n : 1, sizeof(*p->threads));
	if (p->threads == NULL) {
		offload_free(p);
		return ERR_NOMEM;
	}
	for (; p->n < (n ? n : 1); p->n++) {
		if (pthread_create(&p->threads[p->n], NULL, pool_main, p) !=
		    0) {
			log_error("http", "cannot start a pool thread");
			offload_free(p);
			return ERR_INTERNAL;
		}
	}
	*out = p;
	return ERR_OK;
}

void offload_submit(struct offload *p, struct offload_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tail != NULL)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	pthread_cond_signal(&p->ready);
	pthread_mutex_unlock(&p->lock);
}

void offload_free(struct offload *p)
{
	size_t i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->ready);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->ready);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}
