/*
 * request.h - one API request and its response, as the core sees them.
 *
 * The HTTP layer fills a struct request from the wire (path decoded and
 * normalised, body and query merged into data) and turns the struct
 * response into Vault's envelope. Nothing below the HTTP layer knows about
 * headers or status lines, and nothing above the core knows about storage.
 */
#ifndef COFFER_CORE_REQUEST_H
#define COFFER_CORE_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

enum op {
	OP_READ,
	OP_CREATE, /* set by the core: an update of a path with no object */
	OP_UPDATE,
	OP_PATCH,
	OP_DELETE,
	OP_LIST,
	OP_HEAD, /* only sys/health answers it */
};

/* "read", "update", ...: the names used by policies and the audit log. */
const char *op_name(enum op op);

struct mount;
struct token_entry;

struct request {
	char id[37];    /* request_id, a UUID */
	const char *ns; /* namespace path: "" or "team-a/" */
	char *path;     /* decoded, without "/v1/", no leading "/" */
	enum op op;
	json_t *data; /* parameters: body merged with query; object */
	char *token;  /* client token or NULL; a secret */
	const char *remote_addr;
	int64_t wrap_ttl; /* X-Vault-Wrap-TTL in seconds, 0 if none */
	bool form_body;   /* body came as x-www-form-urlencoded */
	/*
	 * The certificates the TLS client presented, leaf first, as PEM
	 * (owned; NULL without TLS or without a client certificate). The
	 * listener accepts any chain: it is NOT verified here, auth/cert
	 * verifies it against its own trusted certificates.
	 */
	char *tls_peer_cert_pem;
	/*
	 * The HTTP request headers (owned, may be NULL): lowercased name ->
	 * array of its values in the order received. X-Vault-Token and
	 * Authorization are never in it: they carry the token, a secret.
	 * Read only by audit, for the headers an operator chose to record.
	 */
	json_t *headers;

	/* Filled by the core while routing. */
	char *ns_owned;           /* the resolved namespace, when it differs */
	struct mount *mount;      /* the mount that owns path */
	const char *mount_path;   /* its path, "secret/" */
	const char *rel;          /* path inside the mount: "data/app" */
	struct token_entry *auth; /* the caller's token, NULL if none */
};

struct response {
	/* 0: 200 when there is any content, 204 when there is none. */
	int status;

	json_t *data;      /* payload object or NULL */
	json_t *auth;      /* the auth block of a login or token create */
	json_t *warnings;  /* array of strings or NULL */
	json_t *wrap_info; /* set when the response was wrapped */
	char *lease_id;
	bool renewable;
	int64_t lease_duration;
	char mount_type[32];

	/* The few sys endpoints that answer a bare object, not an envelope. */
	bool bare;
	/* Legacy sys routes that also copy data's keys to the top level. */
	bool copy_data_to_top;

	/* A raw answer (PEM, plain text): content type and body as given. */
	char *raw_type;
	struct buf raw_body;

	/* On failure: the code, and the messages for the errors array. */
	err_t err;
	json_t *errors; /* array of strings or NULL (empty array) */
};

void request_init(struct request *req);
/* Frees what the request owns; the token is wiped. */
void request_release(struct request *req);

void response_init(struct response *resp);
void response_release(struct response *resp);

/*
 * Records a failure in resp: code, and a message formatted like printf
 * (omitted when fmt is NULL, giving {"errors": []}). Returns code, so that
 * handlers can write `return response_error(resp, ERR_INVALID, "...")`.
 * The message must never contain a secret.
 */
err_t response_error(struct response *resp, err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends a warning string to resp->warnings. */
void response_warn(struct response *resp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Takes ownership of data (a JSON object) as the response payload. */
void response_set_data(struct response *resp, json_t *data);

/*
 * Answers a LIST with keys (a JSON array it takes over): {"keys": [...]},
 * or, as Vault does, 404 with an empty errors list when there are none.
 */
err_t response_list(struct response *resp, json_t *keys);

#endif
