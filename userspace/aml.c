// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: the AML encoder (aml.h).
 */
#include <string.h>

#include "aml.h"

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (n > AML_MAX - a->len) {
		a->overflow = 1;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

/* ACPI 20.2.3, "Data Objects Encoding". */
void aml_int(struct aml *a, uint64_t v)
{
	uint8_t b[9];
	unsigned int n, i;

	if (v <= 1) {
		aml_byte(a, v);		/* ZeroOp, OneOp */
		return;
	}
	if (v <= 0xff) {
		b[0] = 0x0a;
		n = 1;
	} else if (v <= 0xffff) {
		b[0] = 0x0b;
		n = 2;
	} else if (v <= 0xffffffff) {
		b[0] = 0x0c;
		n = 4;
	} else {
		b[0] = 0x0e;
		n = 8;
	}
	for (i = 0; i < n; i++)
		b[1 + i] = v >> (8 * i);
	aml_bytes(a, b, 1 + n);
}

/*
 * Three letters of five bits each (A = 1) and four hex digits, stored
 * big-endian: "PNP0A03" is 41 D0 0A 03.
 */
void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = (uint32_t)(id[0] - '@') << 26 |
		     (uint32_t)(id[1] - '@') << 21 |
		     (uint32_t)(id[2] - '@') << 16;
	unsigned int i;

	for (i = 3; i < 7; i++) {
		char c = id[i];

		v |= (uint32_t)(c <= '9' ? c - '0' : c - 'A' + 10)
		     << (4 * (6 - i));
	}
	aml_byte(a, 0x0c);
	aml_byte(a, v >> 24);
	aml_byte(a, v >> 16);
	aml_byte(a, v >> 8);
	aml_byte(a, v);
}

void aml_name(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_bytes(a, name, strlen(name));
}

/* The longest PkgLength is 4 bytes; aml_close() gives back what it need not. */
size_t aml_open(struct aml *a, const uint8_t *op, size_t n)
{
	static const uint8_t room[4];
	size_t at;

	aml_bytes(a, op, n);
	at = a->len;
	aml_bytes(a, room, sizeof(room));
	return at;
}

/*
 * PkgLength (20.2.4) counts itself: one byte up to 63, else the lead
 * byte's bits 7:6 say how many follow and its bits 3:0 are the low four.
 */
void aml_close(struct aml *a, size_t at)
{
	size_t body, len;
	unsigned int n, i;

	if (a->overflow)
		return;
	body = a->len - at - 4;
	for (n = 1; n < 4; n++)
		if (body + n < (n == 1 ? 64U : 1U << (4 + 8 * (n - 1))))
			break;
	len = body + n;
	memmove(a->buf + at + n, a->buf + at + 4, body);
	a->len -= 4 - n;
	if (n == 1) {
		a->buf[at] = len;
		return;
	}
	a->buf[at] = (n - 1) << 6 | (len & 0xf);
	for (i = 1; i < n; i++)
		a->buf[at + i] = len >> (4 + 8 * (i - 1));
}
