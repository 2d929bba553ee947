/*
 * fuzz_cli_import.c - arbitrary bytes through the parsers of `coffer run`
 * (env files) and `coffer import` (dotenv, the YAML subset), and what they
 * build through import_flatten. Any crash, leak or sanitizer report is a
 * bug; rejecting the input is fine, but a rejection must say why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "cli/import.h"
#include "cli/run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_doc(err_t rc, json_t *doc, struct buf *msg)
{
	json_t *out;

	if (rc != ERR_OK) {
		if (doc != NULL || (rc == ERR_INVALID && msg->len == 0))
			abort();
		return;
	}
	out = json_object();
	if (out == NULL || import_flatten(doc, "fuzz", out, msg) != ERR_OK)
		abort();
	json_decref(out);
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct envref_list refs = {0};
	struct buf msg = BUF_INIT;
	json_t *doc = NULL;
	err_t rc;

	rc = envref_parse_file(text, size, "fuzz", &refs, &msg);
	if (rc == ERR_INVALID && msg.len == 0)
		abort();
	envref_list_release(&refs);

	buf_reset(&msg);
	rc = import_parse_dotenv(text, size, "fuzz", &doc, &msg);
	check_doc(rc, doc, &msg);

	buf_reset(&msg);
	doc = NULL;
	rc = import_parse_yaml(text, size, "fuzz", &doc, &msg);
	check_doc(rc, doc, &msg);
	buf_release(&msg);
	return 0;
}
