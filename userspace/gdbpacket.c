// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: the gdb stub's packets (gdbstub.h), as the "Overview"
 * of gdb's remote protocol has them: "$" payload "#" and a two-digit
 * modulo-256 checksum, '+' and '-' acknowledgments, 0x03 for Ctrl-C,
 * run-length encoding ("Debugging with GDB", E.1 "Overview": "X*N" is X
 * repeated N - 29 times more) and the '}' escape of binary data (E.2,
 * "Binary Data"), and the hex of most packets.  No state of the stub's:
 * the session is gdbstub.c's.
 */
#include <string.h>

#include "gdbstub.h"

uint8_t gdb_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum;
}

static const char hexdigits[] = "0123456789abcdef";

size_t gdb_frame(char *out, size_t cap, const void *data, size_t len)
{
	uint8_t sum = gdb_checksum(data, len);

	if (len + 4 > cap)
		return 0;
	out[0] = '$';
	memcpy(out + 1, data, len);
	out[len + 1] = '#';
	out[len + 2] = hexdigits[sum >> 4];
	out[len + 3] = hexdigits[sum & 15];
	return len + 4;
}

int gdb_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum { RX_IDLE, RX_PAYLOAD, RX_RLE, RX_SUM1, RX_SUM2 };

void gdb_rx_init(struct gdb_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->state = RX_IDLE;
}

static void rx_put(struct gdb_rx *rx, char c)
{
	if (rx->len < GDB_PACKET_SIZE)
		rx->buf[rx->len++] = c;
	else
		rx->overflow = true;
}

/*
 * "c*N" repeats c N - 29 more times (N printable, '#' and '$' never
 * used); a '*' right after the escape character '}' is escaped data, not
 * a count.
 */
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c)
{
	int v, n;

	switch (rx->state) {
	case RX_IDLE:
		if (c == '$') {
			rx->state = RX_PAYLOAD;
			rx->len = 0;
			rx->sum = 0;
			rx->escaped = false;
			rx->overflow = false;
			return GDB_RX_NONE;
		}
		if (c == '+')
			return GDB_RX_ACK;
		if (c == '-')
			return GDB_RX_NACK;
		if (c == 0x03)
			return GDB_RX_INTERRUPT;
		return GDB_RX_NONE;
	case RX_PAYLOAD:
		if (c == '#') {
			rx->state = RX_SUM1;
			return GDB_RX_NONE;
		}
		rx->sum += c;
		if (c == '*' && !rx->escaped && rx->len) {
			rx->state = RX_RLE;
			return GDB_RX_NONE;
		}
		rx->escaped = c == '}' && !rx->escaped;
		rx_put(rx, c);
		return GDB_RX_NONE;
	case RX_RLE:
		rx->sum += c;
		rx->state = RX_PAYLOAD;
		if (c < 29 || c == '#' || c == '$') {
			rx->overflow = true;	/* not a count: refuse */
			return GDB_RX_NONE;
		}
		for (n = c - 29; n > 0; n--)
			rx_put(rx, rx->buf[rx->len - 1]);
		return GDB_RX_NONE;
	case RX_SUM1:
		v = gdb_hexval(c);
		rx->want = v < 0 ? 0 : v << 4;
		if (v < 0)
			rx->overflow = true;
		rx->state = RX_SUM2;
		return GDB_RX_NONE;
	case RX_SUM2:
		v = gdb_hexval(c);
		rx->state = RX_IDLE;
		rx->buf[rx->len] = '\0';
		if (v < 0 || rx->overflow || (rx->want | v) != rx->sum)
			return GDB_RX_BAD;
		return GDB_RX_PACKET;
	}
	rx->state = RX_IDLE;
	return GDB_RX_NONE;
}

ssize_t gdb_unescape(char *data, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (data[i] == '}') {
			if (++i == len)
				return -1;
			data[o++] = data[i] ^ 0x20;
		} else {
			data[o++] = data[i];
		}
	}
	return o;
}

size_t gdb_escape(char *out, size_t cap, const void *data, size_t len,
		  size_t *used)
{
	const uint8_t *p = data;
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		bool esc = p[i] == '#' || p[i] == '$' || p[i] == '}' ||
			   p[i] == '*';

		if (o + 1 + esc > cap)
			break;
		if (esc) {
			out[o++] = '}';
			out[o++] = p[i] ^ 0x20;
		} else {
			out[o++] = p[i];
		}
	}
	*used = i;
	return o;
}

void gdb_put_hex(char *out, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hexdigits[p[i] >> 4];
		out[2 * i + 1] = hexdigits[p[i] & 15];
	}
}

int gdb_get_hex(const char *s, uint8_t *out, size_t len)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		hi = gdb_hexval(s[2 * i]);
		lo = hi < 0 ? -1 : gdb_hexval(s[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = hi << 4 | lo;
	}
	return 0;
}
