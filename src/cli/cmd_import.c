/*
 * cmd_import.c - `coffer import vault|env|json|yaml` and `coffer export`.
 *
 * Imports never skip silently: a secret that could not be read or written
 * is named on stderr as it happens, the rest is still tried, and the exit
 * code is 1 at the end. Writing what is already there is skipped (see
 * kvmount_write), so running an import twice changes nothing the second
 * time and says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"
#include "cli/args.h"
#include "cli/command.h"
#include "cli/import.h"

static const char import_vault_usage[] =
    "Usage: coffer import vault -address=URL -path=MOUNT/[PREFIX/] "
    "[options]\n"
    "\n"
    "  Copies every secret under PATH on a Vault (or Coffer) server into\n"
    "  the server named by VAULT_ADDR and VAULT_TOKEN, as usual. KV\n"
    "  versions 1 and 2 are told apart on both sides; custom_metadata is\n"
    "  carried between version 2 mounts. Secrets the destination already\n"
    "  holds unchanged are not written again.\n"
    "\n"
    "  -address=URL         the source server (required)\n"
    "  -token=TOKEN         its token (default: the destination's token)\n"
    "  -namespace=NS        the source namespace\n"
    "  -ca-cert=FILE        CA certificates for the source\n"
    "  -ca-path=DIR         a directory of them\n"
    "  -tls-skip-verify     do not check the source's certificate\n"
    "  -path=MOUNT/PREFIX/  what to copy (required)\n"
    "  -to=MOUNT/PREFIX/    where to put it (default: the same path)\n";

static const char import_file_usage[] =
    "Usage: coffer import env|json|yaml [options] -path=MOUNT/PATH FILE\n"
    "\n"
    "  Writes the secrets in FILE (\"-\" for standard input) under PATH.\n"
    "  env: the KEY=VALUE pairs of a dotenv file become ONE secret at PATH.\n"
    "  json, yaml: the top-level values that are not objects become one\n"
    "  secret at PATH, and each nested object the secrets under PATH/KEY.\n"
    "  YAML is limited to mappings of scalars (no lists, anchors, tags or\n"
    "  block styles), every scalar kept as a string.\n"
    "\n"
    "  -path=MOUNT/PATH     where to write (required)\n";

struct import_tally {
	size_t written;
	size_t unchanged;
	size_t failed;
	size_t custom_dropped;
};

/* Writes one secret and counts the outcome; a failure is printed. */
static err_t import_put(struct client *c, const struct kvmount *m,
                        const char *rel, json_t *data, json_t *custom,
                        struct import_tally *t)
{
	struct buf msg = BUF_INIT;
	bool unchanged = false;
	err_t rc;

	rc = kvmount_write(c, m, rel, data, custom, &unchanged, &msg);
	if (rc == ERR_OK && unchanged)
		t->unchanged++;
	else if (rc == ERR_OK)
		t->written++;
	else if (rc != ERR_NOMEM) {
		fprintf(stderr, "Failed to write %s%s: %s\n", m->mount, rel,
		        msg.len ? buf_str(&msg) : err_str(rc));
		t->failed++;
		rc = ERR_OK;
	}
	buf_release(&msg);
	return rc;
}

static int import_report(const char *from, const char *to,
                         const struct import_tally *t)
{
	printf("Imported %zu secrets from %s to %s (%zu written, %zu "
	       "unchanged)\n",
	       t->written + t->unchanged, from, to, t->written, t->unchanged);
	if (t->custom_dropped > 0)
		fprintf(stderr,
		        "Note: the custom_metadata of %zu secrets was not "
		        "copied (the destination is KV version 1)\n",
		        t->custom_dropped);
	if (t->failed == 0)
		return COMMAND_EXIT_OK;
	fprintf(stderr,
	        "Error: %zu secrets could not be imported (listed "
	        "above)\n",
	        t->failed);
	return COMMAND_EXIT_ERROR;
}

/* Finds the mount of path; 1 after printing why not. */
static int import_mount(struct client *c, const char *path, const char *side,
                        struct kvmount *m, char **rel)
{
	struct buf msg = BUF_INIT, what = BUF_INIT;
	size_t n;
	char *dir;
	int code = COMMAND_EXIT_OK;
	err_t rc;

	rc = kvmount_find(c, path, m, rel, &msg);
	if (rc != ERR_OK) {
		buf_printf(&what, "finding the KV mount of %s on the %s", path,
		           side);
		code = command_fail(buf_str(&what),
		                    msg.len ? buf_str(&msg) : err_str(rc));
		goto out;
	}
	/* A prefix is a folder, with or without its final slash. */
	n = strlen(*rel);
	if (n > 0 && (*rel)[n - 1] != '/') {
		dir = realloc(*rel, n + 2);
		if (dir == NULL) {
			code =
			    command_fail("finding the mount", "out of memory");
			goto out;
		}
		memcpy(dir + n, "/", 2);
		*rel = dir;
	}
out:
	buf_release(&msg);
	buf_release(&what);
	return code;
}

/* Copies each listed secret from (sc, sm) to (dc, dm). */
static err_t import_copy(struct client *sc, const struct kvmount *sm,
                         const char *srel, struct client *dc,
                         const struct kvmount *dm, const char *drel,
                         json_t *list, struct import_tally *t)
{
	struct buf msg = BUF_INIT, dst = BUF_INIT;
	json_t *data, *custom, *p;
	size_t i;
	err_t rc = ERR_OK;

	json_array_foreach(list, i, p)
	{
		const char *rel = json_string_value(p);

		if (rc != ERR_OK)
			break;
		buf_reset(&msg);
		rc = kvmount_read(sc, sm, rel, &data, &custom, &msg);
		if (rc != ERR_OK && rc != ERR_NOMEM) {
			fprintf(stderr, "Failed to read %s%s: %s\n", sm->mount,
			        rel, msg.len ? buf_str(&msg) : err_str(rc));
			t->failed++;
			rc = ERR_OK;
			continue;
		}
		if (custom != NULL && dm->version != 2)
			t->custom_dropped++;
		buf_reset(&dst);
		if (rc == ERR_OK)
			rc = buf_printf(&dst, "%s%s", drel, rel + strlen(srel));
		if (rc == ERR_OK)
			rc = import_put(dc, dm, buf_str(&dst), data, custom, t);
		json_decref(data);
		json_decref(custom);
	}
	buf_release(&msg);
	buf_release(&dst);
	return rc;
}

/* The import proper, once both clients exist. */
static int import_vault_run(struct client *sc, struct client *dc,
                            const char *path, const char *to)
{
	struct kvmount sm = {0}, dm = {0};
	struct import_tally t = {0};
	struct buf from = BUF_INIT, dest = BUF_INIT;
	char *srel = NULL, *drel = NULL;
	json_t *list = json_array();
	int code;

	code = import_mount(sc, path, "source", &sm, &srel);
	if (code == COMMAND_EXIT_OK)
		code = import_mount(dc, to, "destination", &dm, &drel);
	if (code != COMMAND_EXIT_OK)
		goto out;
	if (list == NULL ||
	    kvmount_walk(sc, &sm, srel, list, &t.failed) != ERR_OK ||
	    import_copy(sc, &sm, srel, dc, &dm, drel, list, &t) != ERR_OK) {
		code = command_fail("importing", err_str(ERR_NOMEM));
		goto out;
	}
	buf_printf(&from, "%s/v1/%s%s", client_address(sc), sm.mount, srel);
	buf_printf(&dest, "%s%s", dm.mount, drel);
	code = import_report(buf_str(&from), buf_str(&dest), &t);
out:
	json_decref(list);
	kvmount_release(&sm);
	kvmount_release(&dm);
	free(srel);
	free(drel);
	buf_release(&from);
	buf_release(&dest);
	return code;
}

int cmd_import_vault(int argc, char **argv)
{
	struct command_opts o = {0}, dst = {0};
	const char *path = NULL, *to = NULL;
	struct flag_def defs[] = {
	    {"address", FLAG_STRING, &o.http.address},
	    {"token", FLAG_STRING, &o.http.token},
	    {"namespace", FLAG_STRING, &o.http.namespace},
	    {"ns", FLAG_STRING, &o.http.namespace},
	    {"ca-cert", FLAG_STRING, &o.http.ca_cert},
	    {"ca-path", FLAG_STRING, &o.http.ca_path},
	    {"tls-skip-verify", FLAG_BOOL, &o.http.tls_skip_verify},
	    {"path", FLAG_STRING, &path},
	    {"to", FLAG_STRING, &to},
	    {"h", FLAG_BOOL, &o.help},
	    {"help", FLAG_BOOL, &o.help},
	    {0}};
	struct client *sc = NULL, *dc = NULL;
	int first, code;

	code = command_parse(import_vault_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (first != argc)
		return command_usage_error(import_vault_usage,
		                           "Unexpected arguments");
	if (o.http.address == NULL || path == NULL || *path == '\0')
		return command_usage_error(import_vault_usage,
		                           "-address and -path are required");
	code = command_client(&o, &sc);
	if (code == COMMAND_EXIT_OK)
		code = command_client(&dst, &dc);
	if (code == COMMAND_EXIT_OK)
		code = import_vault_run(sc, dc, path, to ? to : path);
	client_free(sc);
	client_free(dc);
	return code;
}

/* Reads FILE ("-": standard input) into text. */
static int import_read_file(const char *file, struct buf *text)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	struct buf msg = BUF_INIT;
	err_t rc = ERR_IO;
	int code;

	if (f != NULL)
		rc = args_read_stream(f, text);
	if (f != NULL && f != stdin)
		fclose(f);
	if (rc == ERR_OK)
		return COMMAND_EXIT_OK;
	buf_printf(&msg, "%s: %s", file,
	           f == NULL ? "cannot be opened" : err_str(rc));
	code = command_fail("reading the file", buf_str(&msg));
	buf_release(&msg);
	return code;
}

/* The file's document in the format named by kind. */
static int import_parse(const char *kind, const char *file,
                        const struct buf *text, json_t **doc)
{
	struct buf msg = BUF_INIT;
	json_error_t jerr;
	err_t rc = ERR_OK;
	int code = COMMAND_EXIT_OK;

	if (strcmp(kind, "env") == 0) {
		rc = import_parse_dotenv((const char *)text->data, text->len,
		                         file, doc, &msg);
	} else if (strcmp(kind, "yaml") == 0) {
		rc = import_parse_yaml((const char *)text->data, text->len,
		                       file, doc, &msg);
	} else {
		*doc =
		    json_loadb((const char *)text->data, text->len, 0, &jerr);
		if (*doc == NULL || !json_is_object(*doc)) {
			/* jansson's message quotes no input, only places. */
			buf_printf(&msg, "%s line %d: %s", file,
			           *doc ? 1 : jerr.line,
			           *doc ? "not a JSON object" : jerr.text);
			json_decref(*doc);
			*doc = NULL;
			rc = ERR_INVALID;
		}
	}
	if (rc != ERR_OK)
		code = command_fail("parsing the file",
		                    msg.len ? buf_str(&msg) : err_str(rc));
	buf_release(&msg);
	return code;
}

/* Writes every secret of doc under rel (a folder, "" or "x/"). */
static int import_doc(struct client *c, const struct kvmount *m,
                      const char *rel, json_t *doc, const char *file)
{
	struct import_tally t = {0};
	struct buf base = BUF_INIT, msg = BUF_INIT, dest = BUF_INIT;
	json_t *secrets = json_object(), *data;
	const char *key;
	int code = COMMAND_EXIT_OK;
	err_t rc;

	rc = buf_append(&base, rel, strlen(rel) ? strlen(rel) - 1 : 0);
	if (rc == ERR_OK)
		rc = secrets
		         ? import_flatten(doc, buf_str(&base), secrets, &msg)
		         : ERR_NOMEM;
	if (rc == ERR_OK && json_object_get(secrets, "") != NULL) {
		buf_printf(&msg, "the top-level values need a secret name: "
		                 "give -path=MOUNT/NAME");
		rc = ERR_INVALID;
	}
	json_object_foreach(secrets, key, data)
	{
		if (rc == ERR_OK)
			rc = import_put(c, m, key, data, NULL, &t);
	}
	if (rc != ERR_OK) {
		code = command_fail("importing",
		                    msg.len ? buf_str(&msg) : err_str(rc));
		goto out;
	}
	buf_printf(&dest, "%s%s", m->mount, buf_str(&base));
	code = import_report(file, buf_str(&dest), &t);
out:
	json_decref(secrets);
	buf_release(&base);
	buf_release(&msg);
	buf_release(&dest);
	return code;
}

/* import env|json|yaml; argv[0] names the format. */
static int import_file(int argc, char **argv)
{
	struct command_opts o = {0};
	const char *path = NULL;
	struct flag_def defs[] = {
	    COMMAND_COMMON_FLAGS(&o), {"path", FLAG_STRING, &path}, {0}};
	struct buf text = BUF_INIT;
	struct kvmount m = {0};
	struct client *c = NULL;
	json_t *doc = NULL;
	const char *file = NULL;
	char *rel = NULL;
	int first, rest, code;

	code = command_parse(import_file_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	/* Flags may follow FILE too, as in "import env app.env -path=x". */
	if (first < argc) {
		file = argv[first];
		code = command_parse(import_file_usage, defs, argc - first,
		                     argv + first, &o, &rest);
		if (code != COMMAND_RUN)
			return code;
		first += rest - 1;
	}
	if (file == NULL || argc - first != 1)
		return command_usage_error(
		    import_file_usage, "Expected exactly one argument: FILE");
	if (path == NULL || *path == '\0')
		return command_usage_error(import_file_usage,
		                           "-path is required");
	code = import_read_file(file, &text);
	if (code == COMMAND_EXIT_OK)
		code = import_parse(argv[0], file, &text, &doc);
	if (code == COMMAND_EXIT_OK)
		code = command_client(&o, &c);
	if (code == COMMAND_EXIT_OK)
		code = import_mount(c, path, "server", &m, &rel);
	if (code == COMMAND_EXIT_OK)
		code = import_doc(c, &m, rel, doc, file);
	json_decref(doc);
	kvmount_release(&m);
	free(rel);
	client_free(c);
	buf_release(&text);
	return code;
}

int cmd_import_env(int argc, char **argv)
{
	return import_file(argc, argv);
}

int cmd_import_json(int argc, char **argv)
{
	return import_file(argc, argv);
}

int cmd_import_yaml(int argc, char **argv)
{
	return import_file(argc, argv);
}
