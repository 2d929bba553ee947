/*
 * fuzz_hcl.c - arbitrary bytes through the HCL parser, the block view and
 * the configuration checker. Any crash, leak or sanitizer report is a bug;
 * rejecting the input is fine.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "hcl/hcl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walks the tree so that every node and string is read once. */
static size_t touch(const struct hcl_node *n)
{
	size_t sum = 0, i;

	for (; n != NULL; n = n->next) {
		if (n->key != NULL)
			sum += strlen(n->key);
		for (i = 0; i < n->n_labels; i++)
			sum += strlen(n->labels[i]);
		if (n->type == HCL_STRING && strlen(n->str) != n->len)
			abort();
		sum += touch(n->child);
	}
	return sum;
}

static void blocks(const struct hcl_node *root)
{
	struct hcl_block *list = NULL;
	struct hcl_error err;
	size_t n = 0, labels, i;

	for (labels = 0; labels <= 2; labels++) {
		if (hcl_blocks(root, "path", labels, &list, &n, &err) != ERR_OK)
			continue;
		for (i = 0; i < n; i++)
			if (list[i].body->type != HCL_OBJECT)
				abort();
		free(list);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hcl_node *root = NULL;
	struct hcl_error err;
	struct server_config cfg;
	char msg[256];

	if (hcl_parse((const char *)data, size, &root, &err) == ERR_OK) {
		touch(root);
		blocks(root);
		hcl_free(root);
	} else if (root != NULL || err.msg[0] == 0) {
		abort();
	}

	if (config_parse("fuzz", (const char *)data, size, &cfg, msg,
	                 sizeof(msg)) == ERR_OK)
		config_release(&cfg);
	return 0;
}
