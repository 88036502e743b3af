/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: small helpers shared by every file (messages, sizes,
 * files) and the launcher's exit statuses.
 */
#ifndef RINGSIDE_UTIL_H
#define RINGSIDE_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Exit statuses of the launcher.  They are even so that they never collide
 * with QEMU's isa-debug-exit convention, where a guest write of V ends the
 * run with (V << 1) | 1, always odd (see debugexit.c).
 */
#define STATUS_POWEROFF		0	/* the guest powered off */
#define STATUS_USAGE		2	/* bad usage or an unusable image */
#define STATUS_GUEST_CRASH	4	/* triple fault */
#define STATUS_HV_FAILURE	6	/* the hypervisor failed, or no module */

#define KiB			(1ULL << 10)
#define MiB			(1ULL << 20)
#define GiB			(1ULL << 30)
#define PAGE_SIZE		4096ULL

#define ALIGN_UP(x, a)		(((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)		((a) < (b) ? (a) : (b))
#define MAX(a, b)		((a) > (b) ? (a) : (b))

/* "ringside: " + message + newline on stderr. */
void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, followed by ": " and strerror(errno). */
void pr_perror(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Parse a memory size: a number with an optional K, M, G or T suffix (powers
 * of 1024, either case, an optional trailing "B" or "iB").  A bare number is
 * MiB, as QEMU's -m takes it.  Returns 0, or -1 if @s is not a size.
 */
int parse_size(const char *s, uint64_t *size);

/* Parse a decimal number in [min, max].  Returns 0, or -1. */
int parse_uint(const char *s, unsigned long min, unsigned long max,
	       unsigned long *val);

/* Read all of @path into a new buffer (free() it).  Returns 0, or -1. */
int read_whole_file(const char *path, void **buf, size_t *len);

/* The size of the regular file @path.  Returns 0, or -1 with a message. */
int file_size(const char *path, uint64_t *size);

/* Read exactly @len bytes of @path into @dst.  Returns 0, or -1. */
int read_file_into(const char *path, void *dst, uint64_t len);

/* write() all of @buf, retrying after signals.  Returns 0, or -1. */
int write_all(int fd, const void *buf, size_t len);

#endif /* RINGSIDE_UTIL_H */
