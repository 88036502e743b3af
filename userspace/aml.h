/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: just enough of an AML encoder (ACPI 6.4, chapter 20,
 * "ACPI Machine Language Specification") for the DSDT's few objects.
 * Objects with a PkgLength are opened with aml_open() and closed with
 * aml_close(), which writes the length in as few bytes as it takes.
 */
#ifndef RINGSIDE_AML_H
#define RINGSIDE_AML_H

#include <stddef.h>
#include <stdint.h>

#define AML_MAX			8192

#define AML_SCOPE_OP		0x10
#define AML_NAME_OP		0x08
#define AML_BUFFER_OP		0x11
#define AML_PACKAGE_OP		0x12
#define AML_EXT_PREFIX		0x5b
#define AML_DEVICE_OP		0x82	/* after AML_EXT_PREFIX */

struct aml {
	uint8_t buf[AML_MAX];
	size_t len;
	int overflow;			/* something did not fit */
};

void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);
/* An integer in its shortest encoding (ZeroOp, OneOp, Byte...QWord). */
void aml_int(struct aml *a, uint64_t v);
/* A 32-bit compressed EISA ID such as "PNP0A03" (ACPI 19.6.45). */
void aml_eisaid(struct aml *a, const char *id);
/* Name (@name, ...): the caller writes the value next. */
void aml_name(struct aml *a, const char *name);

/*
 * The opcode bytes @op[0..@n), then room for a PkgLength; returns where
 * the length goes, for aml_close().
 */
size_t aml_open(struct aml *a, const uint8_t *op, size_t n);
void aml_close(struct aml *a, size_t at);

#endif /* RINGSIDE_AML_H */
