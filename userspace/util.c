// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: messages, size parsing and file helpers.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static void vpr(const char *fmt, va_list ap, int errnum)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum)
		fprintf(stderr, "ringside: %s: %s\n", msg, strerror(errnum));
	else
		fprintf(stderr, "ringside: %s\n", msg);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpr(fmt, ap, 0);
	va_end(ap);
}

void pr_perror(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	vpr(fmt, ap, errnum ? errnum : EIO);
	va_end(ap);
}

int parse_size(const char *s, uint64_t *size)
{
	unsigned long long n;
	unsigned int shift;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -1;

	switch (toupper((unsigned char)*end)) {
	case '\0':
		shift = 20;	/* a bare number is MiB, like QEMU's -m */
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (*end) {
		end++;
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
		if (*end)
			return -1;
	}
	if (n > (UINT64_MAX >> shift))
		return -1;
	*size = (uint64_t)n << shift;
	return 0;
}

int parse_uint(const char *s, unsigned long min, unsigned long max,
	       unsigned long *val)
{
	unsigned long n;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || *end || n < min || n > max)
		return -1;
	*val = n;
	return 0;
}

static int open_regular(const char *path, uint64_t *size)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_perror("cannot open %s", path);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		pr_perror("cannot stat %s", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		pr_err("%s is not a regular file", path);
		close(fd);
		return -1;
	}
	*size = st.st_size;
	return fd;
}

static int read_exact(int fd, const char *path, void *dst, uint64_t len)
{
	char *p = dst;
	ssize_t n;

	while (len) {
		n = read(fd, p, MIN(len, (uint64_t)1 << 30));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pr_perror("cannot read %s", path);
			return -1;
		}
		if (n == 0) {
			pr_err("%s: file shrank while being read", path);
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int file_size(const char *path, uint64_t *size)
{
	int fd = open_regular(path, size);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int read_file_into(const char *path, void *dst, uint64_t len)
{
	uint64_t size;
	int fd, ret;

	fd = open_regular(path, &size);
	if (fd < 0)
		return -1;
	if (size < len) {
		pr_err("%s: file shrank while being read", path);
		close(fd);
		return -1;
	}
	ret = read_exact(fd, path, dst, len);
	close(fd);
	return ret;
}

int read_whole_file(const char *path, void **buf, size_t *len)
{
	uint64_t size;
	void *p;
	int fd;

	fd = open_regular(path, &size);
	if (fd < 0)
		return -1;
	if (size > SIZE_MAX - 1) {
		pr_err("%s is too large", path);
		close(fd);
		return -1;
	}
	p = malloc(size + 1);
	if (!p) {
		pr_perror("%s", path);
		close(fd);
		return -1;
	}
	if (read_exact(fd, path, p, size) < 0) {
		free(p);
		close(fd);
		return -1;
	}
	close(fd);
	*buf = p;
	*len = size;
	return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}
