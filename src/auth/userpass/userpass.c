/*
 * userpass.c - the userpass method: users/<name> (read, write, delete),
 * LIST users, users/<name>/password, users/<name>/policies and
 * login/<name>.
 *
 * Storage, in the mount's view: "user/<normalised name>" holds the user
 * as JSON: the Argon2id hash under "password_hash" and the token fields
 * of tokenutil.h. A read never shows the hash.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth/tokenutil/tokenutil.h"
#include "auth/userpass/userpass.h"
#include "base/encoding.h"
#include "base/log.h"
#include "base/params.h"
#include "base/secret.h"
#include "core/cidr.h"
#include "core/login.h"

#define INVALID "invalid username or password"

struct userpass_state {
	char *dummy_hash;     /* a valid hash of a random password */
	pthread_mutex_t lock; /* orders read-modify-write of users */
};

err_t userpass_normalise_name(const char *in, struct buf *out)
{
	size_t n, i;

	while (isspace((unsigned char)*in))
		in++;
	n = strlen(in);
	while (n > 0 && isspace((unsigned char)in[n - 1]))
		n--;
	if (n == 0 || n > USERPASS_MAX_NAME)
		return ERR_INVALID;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '/' || iscntrl(c))
			return ERR_INVALID;
		if (buf_append_byte(out, (uint8_t)(c < 0x80 ? tolower(c) : c)))
			return ERR_NOMEM;
	}
	return ERR_OK;
}

static err_t user_load(struct mount *m, const char *name, json_t **out)
{
	struct buf key = BUF_INIT, b = BUF_INIT;
	bool found = false;
	err_t rc = buf_printf(&key, "user/%s", name);

	if (rc == ERR_OK)
		rc = storage_get(m->view, buf_str(&key), &b, &found);
	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	if (rc == ERR_OK &&
	    (*out = json_loadb((const char *)b.data, b.len, 0, NULL)) == NULL)
		rc = ERR_STORAGE;
	buf_release(&key);
	buf_release(&b);
	return rc;
}

static err_t user_store(struct mount *m, const char *name, json_t *u)
{
	struct buf key = BUF_INIT;
	char *text = json_dumps(u, JSON_COMPACT);
	err_t rc = text ? buf_printf(&key, "user/%s", name) : ERR_NOMEM;

	if (rc == ERR_OK)
		rc = storage_put(m->view, buf_str(&key), (const uint8_t *)text,
		                 strlen(text));
	free(text);
	buf_release(&key);
	return rc;
}

/* Sets u's password_hash from the "password" of data. */
static err_t set_password(json_t *data, json_t *u, bool required,
                          struct response *resp)
{
	const char *pw = NULL;
	char *hash = NULL;
	err_t rc = param_str(data, "password", &pw);

	if (rc == ERR_NOT_FOUND && !required)
		return ERR_OK;
	if (rc != ERR_OK || *pw == 0)
		return response_error(resp, ERR_INVALID, "missing password");
	if (strlen(pw) > USERPASS_MAX_PASSWORD)
		return response_error(resp, ERR_INVALID,
		                      "password must be at most %d bytes",
		                      USERPASS_MAX_PASSWORD);
	rc = userpass_hash_password(pw, &hash);
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	json_object_set_new(u, "password_hash", json_string(hash));
	free(hash);
	return ERR_OK;
}

enum user_write {
	WRITE_USER,     /* users/<name> */
	WRITE_PASSWORD, /* users/<name>/password */
	WRITE_POLICIES, /* users/<name>/policies */
};

static err_t user_write(struct mount *m, struct request *req, const char *name,
                        enum user_write what, struct response *resp)
{
	struct userpass_state *st = m->state;
	json_t *u = NULL;
	err_t rc;

	pthread_mutex_lock(&st->lock);
	rc = user_load(m, name, &u);
	if (rc == ERR_NOT_FOUND && what != WRITE_USER)
		rc = response_error(resp, ERR_INVALID,
		                    "username \"%s\" does not exist", name);
	else if (rc == ERR_NOT_FOUND)
		rc = (u = json_object()) && tokenutil_defaults(u) == ERR_OK
		         ? ERR_OK
		         : response_error(resp, ERR_NOMEM, NULL);
	else if (rc != ERR_OK)
		rc = response_error(resp, rc, "%s", err_str(rc));
	if (rc == ERR_OK && what != WRITE_POLICIES)
		rc = set_password(req->data, u,
		                  what == WRITE_PASSWORD ||
		                      !json_object_get(u, "password_hash"),
		                  resp);
	if (rc == ERR_OK && what != WRITE_PASSWORD)
		rc = tokenutil_parse(req->data, u, resp);
	if (rc == ERR_OK && (rc = user_store(m, name, u)) != ERR_OK)
		response_error(resp, rc, "%s", err_str(rc));
	pthread_mutex_unlock(&st->lock);
	json_decref(u);
	return rc;
}

static err_t user_read(struct mount *m, const char *name, struct response *resp)
{
	json_t *u = NULL, *d;
	err_t rc = user_load(m, name, &u);

	if (rc == ERR_NOT_FOUND)
		return response_error(resp, rc, NULL);
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	d = json_object();
	if (d != NULL && tokenutil_describe(u, d) != ERR_OK) {
		json_decref(d);
		d = NULL;
	}
	json_decref(u);
	if (d == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	response_set_data(resp, d);
	return ERR_OK;
}

static err_t user_delete(struct mount *m, const char *name,
                         struct response *resp)
{
	struct buf key = BUF_INIT;
	err_t rc = buf_printf(&key, "user/%s", name);

	if (rc == ERR_OK)
		rc = storage_delete(m->view, buf_str(&key));
	buf_release(&key);
	return rc == ERR_OK ? ERR_OK
	                    : response_error(resp, rc, "%s", err_str(rc));
}

static err_t user_list(struct mount *m, struct response *resp)
{
	json_t *keys = NULL;
	err_t rc = storage_list(m->view, "user/", &keys);

	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	return response_list(resp, keys);
}

static err_t issue(struct mount *m, struct request *req, const char *name,
                   json_t *u, struct response *resp)
{
	struct login_result lr;
	struct buf display = BUF_INIT, path = BUF_INIT;
	json_t *meta = json_pack("{s:s}", "username", name);
	err_t rc = buf_printf(&display, "userpass-%s", name);

	/* The normalised name, so revoke-prefix finds every login of it. */
	if (rc == ERR_OK)
		rc = buf_printf(&path, "%slogin/%s", m->path, name);

	memset(&lr, 0, sizeof(lr));
	tokenutil_login(u, &lr);
	lr.display_name = buf_str(&display);
	lr.path = buf_str(&path);
	lr.metadata = meta;
	lr.alias_name = name;
	lr.alias_metadata = meta;
	if (rc != ERR_OK || meta == NULL)
		rc = response_error(resp, ERR_NOMEM, NULL);
	else if (!cidr_list_allows(lr.bound_cidrs, req->remote_addr))
		rc = response_error(resp, ERR_PERMISSION, "permission denied");
	else
		rc = core_login(m, req, &lr, resp);
	json_decref(meta);
	buf_release(&display);
	buf_release(&path);
	return rc;
}

static err_t login(struct mount *m, struct request *req, const char *raw,
                   struct response *resp)
{
	struct userpass_state *st = m->state;
	struct buf name = BUF_INIT;
	const char *pw = NULL;
	json_t *u = NULL;
	bool ok;
	err_t rc;

	if (param_str(req->data, "password", &pw) != ERR_OK)
		return response_error(resp, ERR_INVALID, "missing password");
	rc = userpass_normalise_name(raw, &name);
	if (rc == ERR_OK)
		rc = user_load(m, buf_str(&name), &u);
	if (rc != ERR_OK && rc != ERR_NOT_FOUND && rc != ERR_INVALID) {
		buf_release(&name);
		return response_error(resp, rc, "%s", err_str(rc));
	}

	/* A missing user costs one full verification too (CVE-2025-6011). */
	ok = userpass_verify_password(
	    u ? json_string_value(json_object_get(u, "password_hash"))
	      : st->dummy_hash,
	    pw);
	if (u == NULL || !ok)
		rc = response_error(resp, ERR_INVALID, INVALID);
	else
		rc = issue(m, req, buf_str(&name), u, resp);
	json_decref(u);
	buf_release(&name);
	return rc;
}

/* users/<name>[/password|/policies]: the name, normalised, and the rest. */
static err_t users_route(struct mount *m, struct request *req, const char *rest,
                         struct response *resp)
{
	const char *slash = strchr(rest, '/'), *sub = slash ? slash + 1 : "";
	struct buf raw = BUF_INIT, name = BUF_INIT;
	bool write = req->op == OP_UPDATE || req->op == OP_CREATE;
	err_t rc;

	rc = buf_append(&raw, rest,
	                slash ? (size_t)(slash - rest) : strlen(rest));
	if (rc == ERR_OK && userpass_normalise_name(buf_str(&raw), &name))
		rc = response_error(resp, ERR_INVALID, "invalid username");
	else if (rc == ERR_OK && *sub == 0 && write)
		rc = user_write(m, req, buf_str(&name), WRITE_USER, resp);
	else if (rc == ERR_OK && *sub == 0 && req->op == OP_READ)
		rc = user_read(m, buf_str(&name), resp);
	else if (rc == ERR_OK && *sub == 0 && req->op == OP_DELETE)
		rc = user_delete(m, buf_str(&name), resp);
	else if (rc == ERR_OK && strcmp(sub, "password") == 0 && write)
		rc = user_write(m, req, buf_str(&name), WRITE_PASSWORD, resp);
	else if (rc == ERR_OK && strcmp(sub, "policies") == 0 && write)
		rc = user_write(m, req, buf_str(&name), WRITE_POLICIES, resp);
	else if (rc == ERR_OK)
		rc = response_error(resp, ERR_UNSUPPORTED,
		                    "unsupported operation");
	buf_release(&raw);
	buf_release(&name);
	return rc;
}

static err_t userpass_handle(struct mount *m, struct request *req,
                             struct response *resp)
{
	const char *rel = req->rel;

	if (strncmp(rel, "login/", 6) == 0 &&
	    (req->op == OP_UPDATE || req->op == OP_CREATE))
		return login(m, req, rel + 6, resp);
	if (strcmp(rel, "users") == 0 || strcmp(rel, "users/") == 0) {
		if (req->op != OP_LIST && req->op != OP_READ)
			return response_error(resp, ERR_UNSUPPORTED,
			                      "unsupported operation");
		return user_list(m, resp);
	}
	if (strncmp(rel, "users/", 6) == 0)
		return users_route(m, req, rel + 6, resp);
	return response_error(resp, ERR_NOT_FOUND, "unsupported path \"%s%s\"",
	                      m->path, rel);
}

static bool userpass_unauthenticated(const char *rel, enum op op)
{
	return strncmp(rel, "login/", 6) == 0 &&
	       (op == OP_UPDATE || op == OP_CREATE);
}

static void userpass_teardown(struct mount *m)
{
	struct userpass_state *st = m->state;

	if (st == NULL)
		return;
	free(st->dummy_hash);
	pthread_mutex_destroy(&st->lock);
	free(st);
	m->state = NULL;
}

static err_t userpass_setup(struct mount *m, struct response *resp)
{
	struct userpass_state *st = calloc(1, sizeof(*st));
	char pw[33];
	err_t rc;

	if (st == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	pthread_mutex_init(&st->lock, NULL);
	m->state = st;
	/* A password nobody knows, hashed with the same parameters. */
	rc = rand_alnum(pw, 32);
	if (rc == ERR_OK)
		rc = userpass_hash_password(pw, &st->dummy_hash);
	secret_wipe(pw, sizeof(pw));
	if (rc != ERR_OK) {
		userpass_teardown(m);
		return response_error(resp, rc, "userpass setup: %s",
		                      err_str(rc));
	}
	return ERR_OK;
}

static err_t userpass_exists(struct mount *m, struct request *req, bool *found)
{
	struct buf name = BUF_INIT;
	json_t *u = NULL;

	*found = true;
	if (strncmp(req->rel, "users/", 6) != 0 ||
	    strchr(req->rel + 6, '/') != NULL)
		return ERR_OK;
	if (userpass_normalise_name(req->rel + 6, &name) == ERR_OK)
		*found = user_load(m, buf_str(&name), &u) == ERR_OK;
	json_decref(u);
	buf_release(&name);
	return ERR_OK;
}

const struct mount_backend userpass_backend = {
    .type = "userpass",
    .kind = MOUNT_AUTH,
    .setup = userpass_setup,
    .teardown = userpass_teardown,
    .handle = userpass_handle,
    .exists = userpass_exists,
    .unauthenticated = userpass_unauthenticated,
};
