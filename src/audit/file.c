/*
 * file.c - the file audit device: one JSON record per line.
 *
 * Options: file_path (an absolute path, "stdout" or "discard"), mode (octal
 * text, default "0600").
 *
 * Because an audit device is configured over the API, its path and mode are
 * an attack surface (CVE-2025-6000: a file written into the plugin folder
 * became code). The rules, checked at enable and at every open:
 *   - the path is absolute, without "." or ".." segments or control bytes;
 *   - it is not inside the folder of the server's own binary, nor in a
 *     system folder of programs, libraries or configuration (/bin, /sbin,
 *     /lib*, /usr, /etc, /boot, /proc, /sys, /dev);
 *   - the last component is not a symbolic link (O_NOFOLLOW), and what is
 *     opened must be a regular file (no FIFO, device or socket);
 *   - mode has no execute, setuid, setgid or sticky bit.
 * Folders above the file may be links (/var/log -> ... is common); the
 * checks apply to the resolved folder too.
 *
 * A record is one write(2) with O_APPEND. A short write (a full disk) is
 * cut back with ftruncate, so the file never holds half a line. A file that
 * was deleted under the server (link count 0) is reopened at the next write,
 * which fails while its folder is gone: records do not vanish into an
 * unlinked inode.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/log.h"
#include "base/params.h"

struct file_state {
	int fd; /* -1 while closed */
	char *path;
	mode_t mode;
	bool to_stdout;
	bool discard;
};

static const char *const file_options[] = {"file_path", "path", "mode", NULL};

/* Whether dir (resolved, no trailing slash) is or is inside top. */
static bool path_inside(const char *dir, const char *top)
{
	size_t n = strlen(top);

	return strncmp(dir, top, n) == 0 && (dir[n] == 0 || dir[n] == '/');
}

static bool folder_forbidden(const char *dir)
{
	static const char *const system_dirs[] = {
	    "/bin", "/sbin", "/lib",  "/lib32", "/lib64", "/libx32", "/usr",
	    "/etc", "/boot", "/proc", "/sys",   "/dev",   NULL};
	char exe[PATH_MAX], *slash;
	ssize_t n;
	size_t i;

	for (i = 0; system_dirs[i] != NULL; i++)
		if (path_inside(dir, system_dirs[i]))
			return true;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return true; /* cannot tell: refuse rather than guess */
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = 0;
	return path_inside(dir, exe[0] ? exe : "/");
}

err_t audit_file_check_path(const char *path, struct buf *msg)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash;
	size_t i, n = strlen(path);

	if (path[0] != '/' || n >= PATH_MAX || path[n - 1] == '/') {
		buf_append_str(msg, "file_path must be an absolute path to a "
		                    "file, \"stdout\" or \"discard\"");
		return ERR_INVALID;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			goto bad;
	if (strstr(path, "/./") || strstr(path, "/../") || strstr(path, "//"))
		goto bad;
	slash = strrchr(path, '/');
	if (strcmp(slash, "/.") == 0 || strcmp(slash, "/..") == 0)
		goto bad;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = 0;
	if (realpath(dir[0] ? dir : "/", real) == NULL) {
		buf_printf(msg, "cannot use file_path: folder %s: %s",
		           dir[0] ? dir : "/", strerror(errno));
		return ERR_INVALID;
	}
	if (folder_forbidden(dir[0] ? dir : "/") || folder_forbidden(real)) {
		buf_append_str(msg, "file_path may not point into a system "
		                    "folder or the server's own folder");
		return ERR_INVALID;
	}
	return ERR_OK;
bad:
	buf_append_str(msg, "file_path must not contain \".\" or \"..\" "
	                    "segments, empty segments or control characters");
	return ERR_INVALID;
}

static err_t parse_mode(json_t *options, mode_t *mode, struct buf *msg)
{
	const char *s = NULL;
	long v = 0;
	size_t i;

	*mode = 0600;
	if (param_str(options, "mode", &s) != ERR_OK)
		return ERR_OK;
	for (i = 0; s[i] != 0; i++) {
		if (s[i] < '0' || s[i] > '7' || i >= 4)
			goto bad;
		v = v * 8 + (s[i] - '0');
	}
	if (i == 0)
		goto bad;
	if ((v & 07111) != 0) {
		buf_append_str(msg, "mode must not have execute, setuid, "
		                    "setgid or sticky bits");
		return ERR_INVALID;
	}
	*mode = (mode_t)v;
	return ERR_OK;
bad:
	buf_printf(msg, "mode \"%s\" is not an octal file mode", s);
	return ERR_INVALID;
}

/* Opens st->path, checking what is opened; st->fd on success. */
static err_t file_open_fd(struct file_state *st, struct buf *msg)
{
	struct stat sb;
	int fd;

	fd = open(st->path,
	          O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	              O_NONBLOCK,
	          st->mode);
	if (fd < 0) {
		/* ENXIO: a FIFO without a reader, refused by O_NONBLOCK. */
		buf_printf(msg, "cannot open audit file %s: %s", st->path,
		           errno == ELOOP   ? "it is a symbolic link"
		           : errno == ENXIO ? "it is not a regular file"
		                            : strerror(errno));
		return ERR_IO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		buf_printf(msg, "audit file %s is not a regular file",
		           st->path);
		return ERR_INVALID;
	}
	/* The mode asked for holds for a file that existed before, too. */
	if (fchmod(fd, st->mode) != 0 ||
	    fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) != 0) {
		buf_printf(msg, "cannot set up audit file %s: %s", st->path,
		           strerror(errno));
		close(fd);
		return ERR_IO;
	}
	st->fd = fd;
	return ERR_OK;
}

static err_t file_check(struct audit_device *d, struct buf *msg)
{
	const char *path = NULL;
	mode_t mode;
	err_t rc;

	if (param_str(d->options, "file_path", &path) != ERR_OK &&
	    param_str(d->options, "path", &path) != ERR_OK) {
		buf_append_str(msg, "file_path is required");
		return ERR_INVALID;
	}
	rc = parse_mode(d->options, &mode, msg);
	if (rc == ERR_OK && strcmp(path, "stdout") != 0 &&
	    strcmp(path, "discard") != 0)
		rc = audit_file_check_path(path, msg);
	return rc;
}

static err_t file_open(struct audit_device *d, struct buf *msg)
{
	struct file_state *st = d->state;
	const char *path = NULL;
	err_t rc;

	if (st == NULL) {
		if (param_str(d->options, "file_path", &path) != ERR_OK &&
		    param_str(d->options, "path", &path) != ERR_OK) {
			buf_append_str(msg, "file_path is required");
			return ERR_INVALID;
		}
		st = calloc(1, sizeof(*st));
		if (st == NULL || (st->path = strdup(path)) == NULL) {
			free(st);
			return ERR_NOMEM;
		}
		st->fd = -1;
		st->to_stdout = strcmp(path, "stdout") == 0;
		st->discard = strcmp(path, "discard") == 0;
		rc = parse_mode(d->options, &st->mode, msg);
		if (rc == ERR_OK && !st->to_stdout && !st->discard)
			rc = audit_file_check_path(path, msg);
		if (rc != ERR_OK) {
			free(st->path);
			free(st);
			return rc;
		}
		d->state = st;
	}
	if (st->to_stdout || st->discard || st->fd >= 0)
		return ERR_OK;
	rc = audit_file_check_path(st->path, msg);
	if (rc == ERR_OK)
		rc = file_open_fd(st, msg);
	return rc;
}

/* Writes all of p, or cuts the file back to start, its size before. */
static err_t write_line(int fd, off_t start, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (ftruncate(fd, start) != 0)
				log_error("audit", "cannot cut back a partial "
				                   "audit record");
			return ERR_IO;
		}
		p += w;
		n -= (size_t)w;
	}
	return ERR_OK;
}

static void file_close_fd(struct file_state *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
}

/*
 * The open file, checked: a file deleted under us (no link left) would
 * swallow records, so it is opened anew. Sets *size to where a record
 * starts, for write_line to cut back to. One fstat per record.
 */
static err_t file_ready(struct audit_device *d, off_t *size, struct buf *msg)
{
	struct file_state *st = d->state;
	struct stat sb;
	err_t rc;

	if (st->fd >= 0 && (fstat(st->fd, &sb) != 0 || sb.st_nlink == 0))
		file_close_fd(st);
	if (st->fd >= 0) {
		*size = sb.st_size;
		return ERR_OK;
	}
	rc = file_open(d, msg);
	if (rc == ERR_OK && fstat(st->fd, &sb) != 0)
		rc = ERR_IO;
	if (rc == ERR_OK)
		*size = sb.st_size;
	return rc;
}

static err_t file_write(struct audit_device *d, const char *line, size_t len)
{
	struct file_state *st = d->state;
	struct buf msg = BUF_INIT;
	struct stat sb;
	off_t size = 0;
	err_t rc;

	/* line[len] is the record's '\n' (see audit.h): one write for both. */
	if (st->discard)
		return ERR_OK;
	if (st->to_stdout)
		return fstat(STDOUT_FILENO, &sb) == 0
		           ? write_line(STDOUT_FILENO, sb.st_size, line,
		                        len + 1)
		           : ERR_IO;

	rc = file_ready(d, &size, &msg);
	if (rc == ERR_OK)
		rc = write_line(st->fd, size, line, len + 1);
	if (rc != ERR_OK) {
		/* Next time, start from a fresh descriptor. */
		file_close_fd(st);
		if (msg.len > 0)
			log_error("audit", "%s", buf_str(&msg));
	}
	buf_release(&msg);
	return rc;
}

static void file_reopen(struct audit_device *d)
{
	struct file_state *st = d->state;
	struct buf msg = BUF_INIT;

	if (st == NULL || st->to_stdout || st->discard)
		return;
	file_close_fd(st);
	if (file_open(d, &msg) != ERR_OK)
		log_error("audit", "reopening %s failed: %s", d->path,
		          buf_str(&msg));
	buf_release(&msg);
}

static void file_close(struct audit_device *d)
{
	struct file_state *st = d->state;

	if (st == NULL)
		return;
	file_close_fd(st);
	free(st->path);
	free(st);
	d->state = NULL;
}

const struct audit_device_ops audit_file_ops = {
    .type = "file",
    .open = file_open,
    .check = file_check,
    .write = file_write,
    .reopen = file_reopen,
    .close = file_close,
    .option_keys = file_options,
};
