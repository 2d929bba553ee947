/*
 * hcl_file.c - reading a configuration file for the parser: the server's
 * and the agent's configurations are both read here.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "base/secret.h"
#include "hcl/hcl.h"

/* At most one byte past what the parser takes: an oversized file is
 * reported as such without being read whole. */
static err_t read_fd(int fd, struct buf *b)
{
	char chunk[16384];
	ssize_t n;
	err_t rc = ERR_OK;

	while (rc == ERR_OK && b->len <= HCL_MAX_INPUT) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? ERR_IO : ERR_OK;
			break;
		}
		rc = buf_append(b, chunk, (size_t)n);
	}
	/* Configurations may hold credentials. */
	secret_wipe(chunk, sizeof(chunk));
	return rc;
}

err_t hcl_read_file(const char *path, struct buf *out, struct buf *why)
{
	int fd, saved = 0;
	err_t rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		buf_printf(why, "cannot read file: %s", strerror(saved));
		return ERR_IO;
	}
	rc = read_fd(fd, out);
	saved = errno;
	close(fd);
	if (rc != ERR_OK)
		buf_printf(why, "cannot read file: %s",
		           rc == ERR_IO ? strerror(saved) : err_str(rc));
	return rc;
}
