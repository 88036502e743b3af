// SPDX-License-Identifier: GPL-2.0
/*
 * diskbench: disk throughput from inside a guest, without fio (the test
 * guests have busybox only): sequential reads and writes in 1 MiB
 * requests and random 4 KiB reads and writes, all O_DIRECT so that the
 * guest's page cache does not answer for the disk.
 *
 *   diskbench DEVICE MIB [SECONDS]
 *
 * Writes the first MIB MiB of DEVICE (it is destroyed), then reads them,
 * then random 4 KiB reads and writes in that span for SECONDS each
 * (default 5).  One line per test: "diskbench: NAME N MB/s" or
 * "... N IOPS".  Static (bench/Makefile), so that any initramfs can run it.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SEQ_BLOCK	(1 << 20)
#define RAND_BLOCK	4096

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int seq(int fd, void *buf, uint64_t bytes, int write_it)
{
	uint64_t off;
	double t = now();

	for (off = 0; off < bytes; off += SEQ_BLOCK) {
		ssize_t r = write_it ? pwrite(fd, buf, SEQ_BLOCK, off) :
				       pread(fd, buf, SEQ_BLOCK, off);

		if (r != SEQ_BLOCK) {
			perror(write_it ? "pwrite" : "pread");
			return -1;
		}
	}
	if (write_it && fdatasync(fd) < 0) {
		perror("fdatasync");
		return -1;
	}
	printf("diskbench: seq-%s %.1f MB/s\n", write_it ? "write" : "read",
	       bytes / 1e6 / (now() - t));
	return 0;
}

/* A small xorshift: the same offsets on every hypervisor. */
static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int rnd(int fd, void *buf, uint64_t bytes, double secs, int write_it)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL, ops = 0, blocks = bytes / RAND_BLOCK;
	double t = now(), end = t + secs;

	/*
	 * The clock every 32 requests: a guest whose clocksource is the ACPI
	 * PM timer pays an exit to user space for each reading.
	 */
	while (ops % 32 || now() < end) {
		off_t off = (next(&seed) % blocks) * RAND_BLOCK;
		ssize_t r = write_it ? pwrite(fd, buf, RAND_BLOCK, off) :
				       pread(fd, buf, RAND_BLOCK, off);

		if (r != RAND_BLOCK) {
			perror(write_it ? "pwrite" : "pread");
			return -1;
		}
		ops++;
	}
	printf("diskbench: rand-%s-4k %.0f IOPS\n", write_it ? "write" : "read",
	       ops / (now() - t));
	return 0;
}

int main(int argc, char **argv)
{
	double secs = argc > 3 ? atof(argv[3]) : 5;
	uint64_t bytes;
	void *buf;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: diskbench DEVICE MIB [SECONDS]\n");
		return 2;
	}
	bytes = strtoull(argv[2], NULL, 0) << 20;
	fd = open(argv[1], O_RDWR | O_DIRECT);
	if (fd < 0 || posix_memalign(&buf, 4096, SEQ_BLOCK)) {
		perror(argv[1]);
		return 1;
	}
	memset(buf, 0x5a, SEQ_BLOCK);
	if (seq(fd, buf, bytes, 1) || seq(fd, buf, bytes, 0) ||
	    rnd(fd, buf, bytes, secs, 0) || rnd(fd, buf, bytes, secs, 1))
		return 1;
	close(fd);
	return 0;
}
