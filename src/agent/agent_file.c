/*
 * agent_file.c - atomic replacement and bounded reads (see agent_file.h).
 */
#include "agent/agent_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/secret.h"

/* The longest credential file read: a JWT is the largest of them. */
#define CREDENTIAL_MAX ((size_t)64 << 10)

static err_t fail(struct buf *errmsg, const char *step, const char *path,
                  int err)
{
	buf_printf(errmsg, "%s %s: %s", step, path, strerror(err));
	return ERR_IO;
}

static err_t write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return ERR_OK;
}

/* The directory part of path: "." for a bare name. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* A crash after rename must not bring the old name back. */
static void sync_dir(const char *path)
{
	char *dir = dir_of(path);
	int fd;

	if (dir == NULL)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

err_t agent_file_write(const char *path, const void *data, size_t len,
                       mode_t mode, struct buf *errmsg)
{
	struct buf tmp = BUF_INIT;
	int fd = -1, saved = 0;
	const char *step = NULL;
	err_t rc;

	rc = buf_printf(&tmp, "%s.tmp.XXXXXX", path);
	if (rc != ERR_OK)
		goto out;
	/* mkstemp creates the file 0600: no window with wider modes. */
	fd = mkstemp((char *)tmp.data);
	if (fd >= 0)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (fd < 0) {
		rc = fail(errmsg, "cannot create a temporary file for", path,
		          errno);
		goto out;
	}
	if (write_all(fd, data, len) != ERR_OK)
		step = "cannot write";
	else if (fchmod(fd, mode) != 0)
		step = "cannot set the mode of";
	else if (fsync(fd) != 0)
		step = "cannot sync";
	saved = errno;
	if (close(fd) != 0 && step == NULL) {
		step = "cannot close";
		saved = errno;
	}
	fd = -1;
	if (step == NULL && rename(buf_str(&tmp), path) != 0) {
		step = "cannot rename over";
		saved = errno;
	}
	if (step != NULL) {
		unlink(buf_str(&tmp));
		rc = fail(errmsg, step, path, saved);
		goto out;
	}
	sync_dir(path);
out:
	buf_release(&tmp);
	return rc;
}

static err_t read_fd(int fd, size_t max, struct buf *out)
{
	unsigned char chunk[4096];
	size_t start = out->len;
	ssize_t n;
	err_t rc = ERR_OK;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? ERR_IO : ERR_OK;
			break;
		}
		if ((size_t)n > max - (out->len - start)) {
			rc = ERR_TOO_LARGE;
			break;
		}
		rc = buf_append(out, chunk, (size_t)n);
		if (rc != ERR_OK)
			break;
	}
	secret_wipe(chunk, sizeof(chunk));
	return rc;
}

err_t agent_file_read(const char *path, size_t max, struct buf *out,
                      struct buf *errmsg)
{
	int fd, saved;
	err_t rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		fail(errmsg, "cannot read", path, saved);
		return saved == ENOENT ? ERR_NOT_FOUND : ERR_IO;
	}
	rc = read_fd(fd, max, out);
	saved = errno;
	close(fd);
	if (rc == ERR_TOO_LARGE)
		buf_printf(errmsg, "%s is larger than %zu bytes", path, max);
	else if (rc == ERR_IO)
		fail(errmsg, "cannot read", path, saved);
	return rc;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Drops surrounding white space in place. */
static void trim(struct buf *b)
{
	size_t start = 0, i;

	while (b->len > 0 && is_space(b->data[b->len - 1]))
		b->data[--b->len] = 0;
	while (start < b->len && is_space(b->data[start]))
		start++;
	if (start == 0)
		return;
	for (i = start; i <= b->len; i++)
		b->data[i - start] = b->data[i];
	secret_wipe(b->data + b->len - start + 1, start);
	b->len -= start;
}

err_t agent_file_read_credential(const char *what, const char *path,
                                 struct buf *out, struct buf *errmsg)
{
	struct buf why = BUF_INIT;
	size_t i;
	err_t rc;

	buf_reset(out);
	rc = agent_file_read(path, CREDENTIAL_MAX, out, &why);
	if (rc == ERR_OK) {
		trim(out);
		for (i = 0; i < out->len && rc == ERR_OK; i++)
			if (out->data[i] < 0x20 || out->data[i] == 0x7f)
				rc = ERR_INVALID;
		if (out->len == 0 || rc != ERR_OK) {
			buf_printf(&why, "%s is empty or not text", path);
			rc = ERR_INVALID;
		}
	}
	if (rc != ERR_OK) {
		buf_printf(errmsg, "%s: %s", what, buf_str(&why));
		buf_reset(out);
	}
	buf_release(&why);
	return rc;
}

bool agent_file_same(const char *path, const void *data, size_t len,
                     mode_t *mode)
{
	struct buf old = BUF_INIT, why = BUF_INIT;
	struct stat st;
	bool same = false;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	*mode = st.st_mode & 07777;
	if ((size_t)st.st_size != len)
		goto out;
	/* One byte of slack: a file grown since stat is not the same. */
	if (agent_file_read(path, len + 1, &old, &why) != ERR_OK)
		goto out;
	same = secret_equal(old.data, old.len, data, len);
out:
	buf_release(&old);
	buf_release(&why);
	return same;
}

err_t agent_file_make_parents(const char *path, struct buf *errmsg)
{
	char *dir = dir_of(path), *p, keep;
	err_t rc = ERR_OK;

	if (dir == NULL)
		return ERR_NOMEM;
	for (p = dir + 1; rc == ERR_OK; p++) {
		if (*p != '/' && *p != 0)
			continue;
		keep = *p;
		*p = 0;
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			rc =
			    fail(errmsg, "cannot create directory", dir, errno);
		*p = keep;
		if (keep == 0)
			break;
	}
	free(dir);
	return rc;
}
