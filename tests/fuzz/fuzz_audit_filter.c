/*
 * fuzz_audit_filter.c - arbitrary bytes through the audit filter parser,
 * and every filter that parses matched against a few records. The input
 * is split at the first NUL: before it the expression, after it up to
 * five NUL-separated field values (mount_point, mount_type, namespace,
 * operation, path) for one more record. Any crash, leak, hang or
 * sanitizer report is a bug; refusing the expression is fine, but a
 * refusal must say why and leave no filter behind.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct audit_filter_fields fixed[] = {
    {"secret/", "kv", "", "read", "secret/data/app"},
    {"auth/approle/", "approle", "team-a/", "update", "auth/approle/login"},
    {NULL, NULL, NULL, "list", "nosuch/"},
};

/* The fields after the expression, NUL-separated; missing ones are "". */
static void fields_from(char *rest, size_t len, struct audit_filter_fields *in)
{
	const char **slots[] = {&in->mount_point, &in->mount_type, &in->ns,
	                        &in->operation, &in->path};
	size_t i, off = 0;

	memset(in, 0, sizeof(*in));
	for (i = 0; i < 5 && off < len; i++) {
		*slots[i] = rest + off;
		off += strlen(rest + off) + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_filter *f = NULL;
	struct audit_filter_fields own;
	struct buf msg = BUF_INIT;
	char *text = malloc(size + 1);
	size_t tlen, i;
	err_t rc;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	tlen = strlen(text);

	rc = audit_filter_parse(text, &f, &msg);
	if (rc != ERR_OK) {
		if (f != NULL || (rc == ERR_INVALID && msg.len == 0))
			abort();
		goto out;
	}
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		audit_filter_match(f, &fixed[i]);
	if (tlen < size) {
		fields_from(text + tlen + 1, size - tlen - 1, &own);
		audit_filter_match(f, &own);
	}
out:
	audit_filter_free(f);
	buf_release(&msg);
	free(text);
	return 0;
}
