/*
 * audit.h - the audit broker and the interface of its devices.
 *
 * Every request that reaches a mount, and every one the core refuses
 * before (bad token, policy denial, no such path), and its response,
 * become one JSON record each, in the shape Vault's audit log has. The broker
 * hands each record to every enabled device; a device is one implementation of
 * struct audit_device_ops (file, syslog, socket, http), registered in the
 * one table of audit/broker.c.
 *
 * Invariants:
 *   1. No secret reaches a device in plaintext: tokens, accessors and
 *      every string inside request and response data are replaced by
 *      "hmac-sha256:<hex>", keyed with the device's own random 32-byte
 *      salt, unless the device was enabled with log_raw=true or the mount
 *      names the key in audit_non_hmac_request_keys/..._response_keys.
 *   2. Fail closed: when at least one device should record a record and
 *      none could, the caller gets an error and must refuse the request.
 *   3. A salt never leaves the barrier: the device table with its salts
 *      is stored at "core/audit" through the encrypted storage.
 *
 * Locking: the broker has its own reader/writer lock over its device list,
 * so that logging (many threads) and enable/disable (sys/audit) need not
 * take the core's write lock. Each device serialises its own writes.
 */
#ifndef COFFER_AUDIT_AUDIT_H
#define COFFER_AUDIT_AUDIT_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "core/request.h"
#include "core/token.h"
#include "storage/storage.h"

#define AUDIT_SALT_LEN  32
#define AUDIT_TABLE_KEY "core/audit"
/* The request headers every record carries: {"name": {"hmac": bool}}. */
#define AUDIT_HEADERS_KEY "core/audit-headers"
#define AUDIT_HMAC_TAG    "hmac-sha256:"

struct audit_device;
struct core;

/* The operations of one device type. */
struct audit_device_ops {
	const char *type; /* "file", "syslog", "socket", "http" */

	/*
	 * Checks d->options and opens the device (d->state). Bad options:
	 * ERR_INVALID with a message for the operator in msg. A destination
	 * that is down is not an error when the device can catch up later
	 * (http spools); the file device must be writable at enable.
	 */
	err_t (*open)(struct audit_device *d, struct buf *msg);

	/*
	 * Records one line (a JSON object, no newline). Returns ERR_OK only
	 * when the record is written to the destination or to a durable
	 * local spool. Called with the device's own lock held.
	 */
	err_t (*write)(struct audit_device *d, const char *line, size_t len);

	/* Reopens files after rotation (SIGHUP). Optional. */
	void (*reopen)(struct audit_device *d);

	/* Closes and frees d->state; d->state may be NULL. */
	void (*close)(struct audit_device *d);

	/* The option keys of this type (NULL-terminated), beside the common
	 * ones the broker reads; any other key is refused. */
	const char *const *option_keys;

	/* Option keys whose values are secrets, hidden in listings. */
	const char *const *secret_options;
};

struct audit_device {
	char *path; /* "file/", always one trailing slash */
	char *type;
	char *description;
	json_t *options; /* string map, never NULL */
	bool local;
	uint8_t salt[AUDIT_SALT_LEN];

	/* From options, read once at open. */
	bool log_raw;
	bool hmac_accessor;
	json_t *filter_mounts;     /* array of mount path prefixes or NULL */
	json_t *filter_operations; /* array of op names or NULL */
	json_t *filter_namespaces; /* array of namespace paths or NULL */

	const struct audit_device_ops *ops;
	pthread_mutex_t lock; /* serialises writes */
	void *state;          /* the device type's own */
};

/* What one record is made from; every pointer is borrowed. */
struct audit_input {
	const struct request *req;
	const struct response *resp;    /* NULL in the request record */
	const struct token_entry *auth; /* NULL when no token was checked */
	const char *ns_id;              /* "root" or the namespace's id */
	const char *mount_type;         /* "" when no mount matched */
	const char *mount_accessor;
	const char *mount_point;
	json_t *non_hmac_request_keys;  /* array of strings or NULL */
	json_t *non_hmac_response_keys; /* array of strings or NULL */
	/*
	 * The request headers to record: lowercase name -> {"hmac": bool}.
	 * Set by the broker from its configuration; NULL or empty records
	 * none (and costs nothing).
	 */
	json_t *header_config;
};

/* ---- format.c ---- */

/*
 * Builds the record of in ("request" when in->resp is NULL, "response"
 * otherwise) as device d must see it: HMAC'd with d's salt unless
 * d->log_raw. Returns a new reference, or NULL when memory ran out.
 */
json_t *audit_format(const struct audit_device *d,
                     const struct audit_input *in);

/*
 * Writes "hmac-sha256:<hex>" of value under salt into out (appended).
 * ERR_NOMEM or ERR_CRYPTO on failure.
 */
err_t audit_hmac(const uint8_t salt[AUDIT_SALT_LEN], const char *value,
                 size_t len, struct buf *out);

/*
 * Serialises a record as one line: compact JSON with every control and
 * non-ASCII character escaped, so that no input can forge a line or an
 * escape sequence. Heap string, or NULL.
 */
char *audit_format_line(json_t *record);

/* ---- broker.c ---- */

struct audit_broker;

/*
 * Creates the broker over the encrypted storage enc (not owned) and opens
 * every device stored at "core/audit". A stored device that fails to open
 * stays in the table and fails its writes (so audit stays fail-closed);
 * it is retried on every write. Called at unseal.
 */
err_t audit_broker_new(struct storage *enc, struct audit_broker **out);

/* Closes every device and wipes the salts; b may be NULL. */
void audit_broker_free(struct audit_broker *b);

/*
 * Enables a device at path (with or without the trailing slash) from the
 * body of PUT sys/audit/<path>: type, description, options, local. Bad
 * input: ERR_INVALID with the reason in resp.
 */
err_t audit_broker_enable(struct audit_broker *b, const char *path,
                          json_t *params, struct response *resp);

/* Disables the device at path. Unknown path: ERR_INVALID in resp. */
err_t audit_broker_disable(struct audit_broker *b, const char *path,
                           struct response *resp);

/* The map sys/audit lists ({"file/": {...}}). New reference or NULL. */
json_t *audit_broker_list(struct audit_broker *b);

/*
 * The HMAC of input as the device at path records it (sys/audit-hash),
 * appended to out. Unknown device: ERR_NOT_FOUND.
 */
err_t audit_broker_hash(struct audit_broker *b, const char *path,
                        const char *input, size_t len, struct buf *out);

/*
 * Hands the record of in to every device whose filters take it. Returns
 * ERR_OK when no device is enabled, when the filters of every device
 * leave the record out, or when at least one device recorded it; ERR_IO
 * when devices should have recorded it and none could.
 */
err_t audit_broker_log(struct audit_broker *b, const struct audit_input *in);

/*
 * The request headers recorded in every record, as
 * sys/config/auditing/request-headers lists them: a new object
 * {"name": {"hmac": bool}}, or NULL when memory ran out.
 */
json_t *audit_broker_headers(struct audit_broker *b);

/*
 * Records header name (any case; kept lowercase) in every record from now
 * on, its values HMAC'd when hmac. Stored at AUDIT_HEADERS_KEY before it
 * takes effect. A name that is not an HTTP token, or one too many:
 * ERR_INVALID with the reason in resp.
 */
err_t audit_broker_header_set(struct audit_broker *b, const char *name,
                              bool hmac, struct response *resp);

/* Stops recording header name; an unknown name is not an error. */
err_t audit_broker_header_delete(struct audit_broker *b, const char *name,
                                 struct response *resp);

/* Reopens the devices' files, after a log rotation (SIGHUP). */
void audit_broker_reopen(struct audit_broker *b);

/* The number of enabled devices. */
size_t audit_broker_count(struct audit_broker *b);

/* ---- core/core_audit.c: the core's side ---- */

/*
 * Records the request (resp NULL) or the response of req, which the core
 * has routed. On ERR_IO the caller must refuse the request; the error is
 * already written into resp (a fresh error replaces any payload, so that
 * no secret is returned unaudited). The core's read lock is held.
 */
err_t core_audit_log(struct core *c, const struct request *req,
                     struct response *resp, bool is_response);

/*
 * Records a request the core refused before it reached a mount (no or bad
 * token, a policy denial, no such path): its request record, then its
 * response record with the error already in resp. The refusal stands
 * whatever the devices answer, and resp is left as it is. The core's
 * read lock is held.
 */
void core_audit_refused(struct core *c, const struct request *req,
                        struct response *resp);

/* Reopens the audit files of c (SIGHUP); takes the core's read lock. */
void core_audit_reopen(struct core *c);

/*
 * The rules a file an audit device writes must follow (see file.c): an
 * absolute path, no "."/".." segments, not in a system folder or the
 * server's own. ERR_INVALID with the reason in msg.
 */
err_t audit_file_check_path(const char *path, struct buf *msg);

/* ---- the device types ---- */

extern const struct audit_device_ops audit_file_ops;
extern const struct audit_device_ops audit_syslog_ops;
extern const struct audit_device_ops audit_socket_ops;
extern const struct audit_device_ops audit_http_ops;

#endif
