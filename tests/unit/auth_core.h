/*
 * auth_core.h - a dev-mode core on in-memory storage for the unit tests
 * of the auth methods and identity, and a helper to run one request.
 * Included by test_approle.c, test_userpass.c and test_identity.c only.
 */
#ifndef COFFER_TESTS_AUTH_CORE_H
#define COFFER_TESTS_AUTH_CORE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/secret.h"
#include "core/core.h"
#include "storage/storage.h"

struct call {
	struct request req;
	struct response resp;
};

static inline struct core *auth_core_new(void)
{
	struct core_options opts = {3600, 7200, NULL};
	struct storage *phys = NULL;
	struct core *c = NULL;
	char err[128], *key = NULL, *root = NULL;

	assert_int_equal(storage_open("inmem", NULL, &phys, err, sizeof(err)),
	                 ERR_OK);
	assert_int_equal(core_new(phys, &opts, &c), ERR_OK);
	assert_int_equal(core_dev_init(c, "root", &key, &root), ERR_OK);
	secret_free(key);
	secret_free(root);
	return c;
}

/* Runs one request from addr; release with call_done. */
static inline void call_from(struct core *c, struct call *k, enum op op,
                             const char *path, const char *token,
                             const char *addr, const char *body)
{
	request_init(&k->req);
	response_init(&k->resp);
	k->req.op = op;
	k->req.path = strdup(path);
	k->req.token = token ? strdup(token) : NULL;
	k->req.remote_addr = addr;
	k->req.data = body ? json_loads(body, 0, NULL) : json_object();
	assert_non_null(k->req.data);
	uuid_new(k->req.id);
	core_handle(c, &k->req, &k->resp);
}

static inline void call(struct core *c, struct call *k, enum op op,
                        const char *path, const char *token, const char *body)
{
	call_from(c, k, op, path, token, "127.0.0.1", body);
}

static inline void call_done(struct call *k)
{
	request_release(&k->req);
	response_release(&k->resp);
}

/* Runs a request that must succeed (as root) and forgets the answer. */
static inline void must(struct core *c, enum op op, const char *path,
                        const char *body)
{
	struct call k;

	call(c, &k, op, path, "root", body);
	if (k.resp.err != ERR_OK)
		fprintf(stderr, "%s: %s\n", path, json_dumps(k.resp.errors, 0));
	assert_int_equal(k.resp.err, ERR_OK);
	call_done(&k);
}

/* A string of the answer's data (copied into out). */
static inline void data_str(struct call *k, const char *key, char *out,
                            size_t n)
{
	const char *s = json_string_value(json_object_get(k->resp.data, key));

	assert_non_null(s);
	snprintf(out, n, "%s", s);
}

static inline const char *first_error(struct call *k)
{
	const char *s = json_string_value(json_array_get(k->resp.errors, 0));

	return s ? s : "";
}

#endif
