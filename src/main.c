/*
 * main.c - one binary, two roles: `coffer server` runs the server, every
 * other subcommand is a client of its HTTP API.
 */
#include <string.h>

#include "base/wipe_alloc.h"
#include "cli/cli.h"
#include "server/server.h"

int main(int argc, char **argv)
{
	/* Both roles hold secrets in library buffers: wipe them on free. */
	wipe_alloc_install();
	if (argc >= 2 && strcmp(argv[1], "server") == 0)
		return server_main(argc - 1, argv + 1);
	return cli_main(argc, argv);
}
