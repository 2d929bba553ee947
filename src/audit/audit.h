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
 *
 * Life cycle: the core makes one broker (at start, or at the first
 * unseal) and keeps it while sealed, so that the devices declared in the
 * configuration file and the API switch outlive a seal. audit_broker_load
 * opens the devices at unseal, audit_broker_unload closes them and wipes
 * their salts at seal.
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
struct audit_filter;
struct audit_hmac_state;
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
	 * Checks d->options as open would, without touching the
	 * destination (no file created, no socket connected), for devices
	 * declared in the configuration file, which are checked at start
	 * and opened at unseal. ERR_INVALID with the reason in msg.
	 */
	err_t (*check)(struct audit_device *d, struct buf *msg);

	/*
	 * Records one line: line[0..len) is a JSON object without newline,
	 * and line[len] is a '\n', so that a device that writes lines need
	 * not copy. Returns ERR_OK only when the record is written to the
	 * destination or to a durable local spool. Called with the device's
	 * own lock held.
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
	json_t *filter_mounts;       /* array of mount path prefixes or NULL */
	json_t *filter_operations;   /* array of op names or NULL */
	json_t *filter_namespaces;   /* array of namespace paths or NULL */
	struct audit_filter *filter; /* the "filter" expression or NULL */
	bool fallback; /* takes what every other device filtered out */

	/* Declared in the configuration file: not changed by the API. */
	bool from_config;

	/* The keyed HMAC context and memo of format.c; NULL: one-shot. */
	struct audit_hmac_state *hmac;

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
 * Appends the record of in ("request" when in->resp is NULL, "response"
 * otherwise) as device d must see it, HMAC'd with d's salt unless
 * d->log_raw, to out: one line of compact ASCII JSON and its '\n'.
 * On failure (ERR_NOMEM, ERR_TOO_LARGE past out's cap, ERR_CRYPTO) out
 * is left as it was.
 */
err_t audit_format_write(const struct audit_device *d,
                         const struct audit_input *in, struct buf *out);

/*
 * The record of audit_format_write as a JSON value (for tests and tools):
 * a new reference, or NULL on failure.
 */
json_t *audit_format(const struct audit_device *d,
                     const struct audit_input *in);

/*
 * Keys an HMAC context with d->salt, once, for audit_format_write (which
 * falls back to one-shot HMACs for a device without one). Call after the
 * salt is set. ERR_NOMEM or ERR_CRYPTO on failure.
 */
err_t audit_format_prepare(struct audit_device *d);

/* Frees what audit_format_prepare made and wipes the memo of token
 * HMACs; a device without it is fine. */
void audit_format_unprepare(struct audit_device *d);

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
 * Creates a broker that allows changes through the API and has no
 * declared device. With enc (the encrypted storage, not owned) it is
 * loaded at once (audit_broker_load); with NULL it starts unloaded.
 */
err_t audit_broker_new(struct storage *enc, struct audit_broker **out);

/* Unloads and frees; b may be NULL. */
void audit_broker_free(struct audit_broker *b);

/*
 * Sets the devices the configuration file declares: declared is an array
 * (borrowed; NULL for none) of {"type", "path", "description", "local",
 * "options": {string map}}. Each is checked as an enable would check it,
 * without opening it; a bad one (unknown type or option, a bad filter,
 * a path declared twice, two fallbacks) is ERR_INVALID with the reason
 * in msg, and nothing changes. api_allowed false makes sys/audit refuse
 * to enable or disable any device. Takes effect at the next
 * audit_broker_load; called at start, before the first unseal.
 */
err_t audit_broker_configure(struct audit_broker *b, json_t *declared,
                             bool api_allowed, struct buf *msg);

/*
 * At unseal: reads the device table stored at "core/audit" behind the
 * barrier (enc, not owned, kept until unload), makes it agree with the
 * declared devices, stores it if that changed it, and opens every device.
 * A declared device keeps the salt it had at its path (also one the API
 * had enabled there, which it takes over); a device declared before and
 * not any more is removed. A device that fails to open stays in the table
 * and fails its writes (so audit stays fail-closed); it is retried on
 * every write. A storage error or a corrupt table: the error, and b is
 * left unloaded.
 */
err_t audit_broker_load(struct audit_broker *b, struct storage *enc);

/* At seal: closes every device and wipes the salts and the memo of token
 * HMACs. The configuration stays. b may be NULL. */
void audit_broker_unload(struct audit_broker *b);

/*
 * Enables a device at path (with or without the trailing slash) from the
 * body of PUT sys/audit/<path>: type, description, options, local. Bad
 * input, a path in use, a second fallback, or an API that may not change
 * devices: ERR_INVALID with the reason in resp.
 */
err_t audit_broker_enable(struct audit_broker *b, const char *path,
                          json_t *params, struct response *resp);

/*
 * Disables the device at path; an unknown path is not an error (Vault
 * answers 204). A declared device, or an API that may not change
 * devices: ERR_INVALID with the reason in resp.
 */
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
 * Hands the record of in to every device whose filters take it, or, when
 * none does, to the fallback device if there is one. Returns ERR_OK when
 * no device is enabled, when every device's filters leave the record out
 * and there is no fallback (as in Vault), or when at least one device
 * recorded it; ERR_IO when devices should have recorded it and none could.
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
 * Hands the audit settings of the configuration file to c: see
 * audit_broker_configure. Called at start, before the first unseal; a bad
 * device is ERR_INVALID with the reason in msg.
 */
err_t core_audit_configure(struct core *c, json_t *declared, bool api_allowed,
                           struct buf *msg);

/*
 * Records a request the listener refused before handing it to the core
 * (a body that is not JSON or is too large, a bad header) whose path it
 * had parsed: its request record and its response record, with the error
 * in resp. req->data is not recorded (it was never parsed), the token
 * is, as an HMAC. Nothing is recorded while sealed: the devices and their
 * salts are behind the barrier. Takes the core's read lock; req and resp
 * are not changed.
 */
void core_audit_listener_refused(struct core *c, const struct request *req,
                                 const struct response *resp);

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
