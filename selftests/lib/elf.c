// SPDX-License-Identifier: GPL-2.0
/*
 * Load the test binary itself into guest memory: every PT_LOAD segment of
 * /proc/self/exe at its link address, so guest code runs in the guest at
 * the address it has in the host.  The binary is static and not
 * position-independent, so those addresses are fixed and low.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rs_util.h"

static void read_at(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	RS_ASSERT(n == (ssize_t)len, "/proc/self/exe: read %zu bytes at %#lx: %s",
		  len, (long)off, n < 0 ? strerror(errno) : "short read");
}

/* Calls fn for each PT_LOAD program header of the running binary. */
static void for_each_load(void (*fn)(int fd, const Elf64_Phdr *ph, void *arg),
			  void *arg)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, i;

	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	RS_ASSERT(fd >= 0, "open /proc/self/exe: %s", strerror(errno));
	read_at(fd, &eh, sizeof(eh), 0);
	RS_ASSERT(!memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
		  eh.e_ident[EI_CLASS] == ELFCLASS64,
		  "/proc/self/exe is not a 64-bit ELF file");
	RS_ASSERT(eh.e_type == ET_EXEC,
		  "the test binary must be linked -static -no-pie (e_type %u)",
		  eh.e_type);
	RS_ASSERT(eh.e_phentsize == sizeof(ph), "odd program header size");
	for (i = 0; i < eh.e_phnum; i++) {
		read_at(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph));
		if (ph.p_type == PT_LOAD)
			fn(fd, &ph, arg);
	}
	close(fd);
}

static void note_end(int fd, const Elf64_Phdr *ph, void *arg)
{
	uint64_t *end = arg;

	if (ph->p_vaddr + ph->p_memsz > *end)
		*end = ph->p_vaddr + ph->p_memsz;
}

uint64_t rs_elf_end(void)
{
	uint64_t end = 0;

	for_each_load(note_end, &end);
	return end;
}

static void load_segment(int fd, const Elf64_Phdr *ph, void *arg)
{
	struct rs_vm *vm = arg;
	char *dst;

	RS_ASSERT(ph->p_vaddr + ph->p_memsz <= vm->ram_end,
		  "segment at %#lx-%#lx is outside guest RAM",
		  (unsigned long)ph->p_vaddr,
		  (unsigned long)(ph->p_vaddr + ph->p_memsz));
	dst = rs_gpa2hva(vm, ph->p_vaddr);
	read_at(fd, dst, ph->p_filesz, ph->p_offset);
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
}

void rs_elf_load(struct rs_vm *vm)
{
	for_each_load(load_segment, vm);
}
