// SPDX-License-Identifier: GPL-2.0
/*
 * tcpsend: send MIB MiB of zeros to HOST:PORT over TCP in 64 KiB writes
 * and print the rate, from inside a guest whose busybox nc writes a
 * kilobyte at a time (too slow to measure a network card with).
 *
 *   tcpsend HOST PORT MIB   ->   "tcpsend: N MB/s"
 *
 * Static (bench/Makefile), for any initramfs.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK	(64 << 10)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char buf[CHUNK];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	long long left;
	double t;
	int fd;

	if (argc != 4 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: tcpsend HOST PORT MIB\n");
		return 2;
	}
	sa.sin_port = htons(atoi(argv[2]));
	left = atoll(argv[3]) << 20;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("tcpsend: connect");
		return 1;
	}
	t = now();
	while (left > 0) {
		ssize_t r = write(fd, buf, left < CHUNK ? left : CHUNK);

		if (r <= 0) {
			perror("tcpsend: write");
			return 1;
		}
		left -= r;
	}
	/* Until the peer has it all: it closes when it read the end. */
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	printf("tcpsend: %.1f MB/s\n", (atoll(argv[3]) << 20) / 1e6 / (now() - t));
	return 0;
}
