// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: the Multiboot 0.6.96 loader ("Multiboot v1"), doing
 * what QEMU's -kernel does for such kernels on a PC:
 *
 *  - the header (spec 3.1) is in the first 8192 bytes, 32-bit aligned;
 *  - with header flag 16 (the "a.out kludge") the header's address fields
 *    say what to load where (3.1.3); without it the image must be a 32-bit
 *    ELF, loaded from its PT_LOAD program headers at their physical
 *    addresses, file bytes copied and the rest up to p_memsz zeroed;
 *  - the modules (QEMU's -initrd, comma-separated, each "file args") and
 *    the information structure (3.3) go page-aligned after the kernel's
 *    highest address;
 *  - the command line is "<kernel path> <append>", as QEMU writes it;
 *  - the boot processor enters in the state of 3.2: EAX 0x2BADB002, EBX
 *    the information's physical address, flat 32-bit protected mode.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "util.h"
#include "vm.h"

#define MB_HEADER_MAGIC		0x1BADB002	/* 3.1.1 */
#define MB_BOOT_MAGIC		0x2BADB002	/* 3.2, in EAX */
#define MB_SEARCH		8192		/* 3.1: where the header may be */

/* Header flags (3.1.2).  Bits 0-15 are requirements a loader must meet. */
#define MB_HDR_PAGE_ALIGN	(1U << 0)	/* modules page-aligned: always */
#define MB_HDR_MEMINFO		(1U << 1)	/* mem_* and mmap_*: always */
#define MB_HDR_VIDEO		(1U << 2)	/* video mode table */
#define MB_HDR_AOUT_KLUDGE	(1U << 16)	/* address fields are valid */
#define MB_HDR_REQUIRED		0x0000ffffU

/* Information flags (3.3). */
#define MB_INFO_MEM		(1U << 0)
#define MB_INFO_CMDLINE		(1U << 2)
#define MB_INFO_MODS		(1U << 3)
#define MB_INFO_MMAP		(1U << 6)
#define MB_INFO_LOADER_NAME	(1U << 9)

#define MB_MMAP_RAM		1
#define MB_MMAP_RESERVED	2

#define LOWER_MEM_END		0x9fc00ULL	/* the EBDA's last KiB after it */
#define BIOS_AREA		0xf0000ULL
#define HIGH_MEM_START		0x100000ULL	/* 1 MiB */

#define BOOT_LOADER_NAME	"ringside"

struct mb_header {
	uint32_t magic;
	uint32_t flags;
	uint32_t checksum;
	/* Only with MB_HDR_AOUT_KLUDGE: */
	uint32_t header_addr;
	uint32_t load_addr;
	uint32_t load_end_addr;
	uint32_t bss_end_addr;
	uint32_t entry_addr;
};

/* 3.3, "Boot information format", up to the VBE fields. */
struct mb_info {
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length;
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info;
	uint32_t vbe_mode_info;
	uint16_t vbe_mode;
	uint16_t vbe_interface_seg;
	uint16_t vbe_interface_off;
	uint16_t vbe_interface_len;
};
_Static_assert(sizeof(struct mb_info) == 88, "Multiboot info layout");

/* "size" counts the bytes after itself: 20. */
struct mb_mmap_entry {
	uint32_t size;
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;
} __attribute__((packed));

struct mb_module {
	uint32_t mod_start;
	uint32_t mod_end;		/* one past the last byte */
	uint32_t string;
	uint32_t reserved;
};

#define MB_MAX_MMAP		5

/* What got loaded: [lo, hi) and where to start. */
struct mb_kernel {
	uint64_t lo, hi;
	uint64_t entry;
};

/* One --initrd element: "file args" is its command line, file its path. */
struct mb_mod_arg {
	char *cmdline;
	char *path;
	uint64_t size;
	uint64_t addr;
};

static const struct mb_header *mb_find_header(const void *image, size_t size,
					      size_t *offset)
{
	const uint8_t *p = image;
	size_t off, end = MIN(size, (size_t)MB_SEARCH);
	struct mb_header h;

	for (off = 0; off + 12 <= end; off += 4) {
		memcpy(&h, p + off, 12);
		if (h.magic == MB_HEADER_MAGIC &&
		    (uint32_t)(h.magic + h.flags + h.checksum) == 0) {
			*offset = off;
			return (const struct mb_header *)(p + off);
		}
	}
	return NULL;
}

bool multiboot_detect(const void *image, size_t size)
{
	size_t off;

	return mb_find_header(image, size, &off) != NULL;
}

static int mb_check_flags(const char *kernel, uint32_t flags)
{
	uint32_t unknown = flags & MB_HDR_REQUIRED &
			   ~(MB_HDR_PAGE_ALIGN | MB_HDR_MEMINFO | MB_HDR_VIDEO);

	/* 3.1.2: a loader that does not know a required bit must refuse. */
	if (unknown) {
		pr_err("%s: the Multiboot header requires features %#x this "
		       "loader does not know", kernel, unknown);
		return -1;
	}
	/* QEMU warns and boots on: there is no display to set a mode on. */
	if (flags & MB_HDR_VIDEO)
		pr_err("%s: warning: the kernel asks for a video mode; there is "
		       "no display, ignoring it", kernel);
	return 0;
}

/* Copy @filesz bytes to guest [addr, addr + memsz) and zero the rest. */
static int mb_copy(struct vm *vm, const char *kernel, const char *what,
		   uint64_t addr, const uint8_t *src, uint64_t filesz,
		   uint64_t memsz)
{
	uint8_t *dst = vm_guest_ptr(vm, addr, memsz);

	if (!dst || addr + memsz > vm->low_size) {
		pr_err("%s: %s [%#llx, %#llx) is not in guest RAM (%llu MiB "
		       "below the PCI hole); try a larger --mem", kernel, what,
		       (unsigned long long)addr,
		       (unsigned long long)(addr + memsz),
		       (unsigned long long)(vm->low_size >> 20));
		return -1;
	}
	memcpy(dst, src, filesz);
	memset(dst + filesz, 0, memsz - filesz);
	return 0;
}

static int mb_check_elf_header(const char *kernel, const uint8_t *image,
			       size_t size, const Elf32_Ehdr *eh)
{
	if (size < EI_NIDENT || memcmp(image, ELFMAG, SELFMAG)) {
		pr_err("%s: not an ELF file, and its Multiboot header has no "
		       "load addresses (flag 16)", kernel);
		return -1;
	}
	if (image[EI_CLASS] == ELFCLASS64) {
		pr_err("%s: a 64-bit ELF; Multiboot loads 32-bit ones", kernel);
		return -1;
	}
	if (size < sizeof(*eh) || image[EI_CLASS] != ELFCLASS32 ||
	    image[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_386 ||
	    eh->e_type != ET_EXEC) {
		pr_err("%s: not a 32-bit little-endian i386 ELF executable",
		       kernel);
		return -1;
	}
	if (eh->e_phentsize != sizeof(Elf32_Phdr) || !eh->e_phnum ||
	    eh->e_phoff > size ||
	    (uint64_t)eh->e_phnum * sizeof(Elf32_Phdr) > size - eh->e_phoff) {
		pr_err("%s: bad ELF program headers", kernel);
		return -1;
	}
	return 0;
}

/* Program header @i, copied out: the file need not align it. */
static void mb_elf_phdr(const uint8_t *image, const Elf32_Ehdr *eh,
			unsigned int i, Elf32_Phdr *p)
{
	memcpy(p, image + eh->e_phoff + i * sizeof(*p), sizeof(*p));
}

/*
 * A kernel linked at a virtual address gives its entry point as one: move
 * it by the same amount as the segment that holds it (GRUB does the same).
 */
static uint64_t mb_elf_entry(const uint8_t *image, const Elf32_Ehdr *eh)
{
	unsigned int i;
	Elf32_Phdr p;

	for (i = 0; i < eh->e_phnum; i++) {
		mb_elf_phdr(image, eh, i, &p);
		if (p.p_type == PT_LOAD && eh->e_entry - p.p_vaddr < p.p_memsz)
			return (uint64_t)eh->e_entry - p.p_vaddr + p.p_paddr;
	}
	return eh->e_entry;
}

static int mb_load_elf(struct vm *vm, const struct boot_args *args,
		       struct mb_kernel *k)
{
	const uint8_t *image = args->image;
	Elf32_Ehdr eh = { 0 };
	unsigned int i;
	char what[48];

	memcpy(&eh, image, MIN(sizeof(eh), args->image_size));
	if (mb_check_elf_header(args->kernel, image, args->image_size, &eh))
		return -1;

	k->lo = UINT64_MAX;
	k->hi = 0;
	for (i = 0; i < eh.e_phnum; i++) {
		Elf32_Phdr p;

		mb_elf_phdr(image, &eh, i, &p);
		if (p.p_type != PT_LOAD || !p.p_memsz)
			continue;
		if (p.p_filesz > p.p_memsz || p.p_offset > args->image_size ||
		    p.p_filesz > args->image_size - p.p_offset) {
			pr_err("%s: ELF segment %u is bigger than the file",
			       args->kernel, i);
			return -1;
		}
		snprintf(what, sizeof(what), "ELF segment %u", i);
		if (mb_copy(vm, args->kernel, what, p.p_paddr,
			    image + p.p_offset, p.p_filesz, p.p_memsz))
			return -1;
		k->lo = MIN(k->lo, (uint64_t)p.p_paddr);
		k->hi = MAX(k->hi, (uint64_t)p.p_paddr + p.p_memsz);
	}
	if (!k->hi) {
		pr_err("%s: the ELF file has nothing to load", args->kernel);
		return -1;
	}
	k->entry = mb_elf_entry(image, &eh);
	return 0;
}

/*
 * 3.1.3: the file holds the image from load_addr on; the header sits at
 * header_addr in it, which pins down the file offset of load_addr.  A zero
 * load_end_addr means "to the end of the file", a zero bss_end_addr "no
 * bss".
 */
static int mb_load_aout(struct vm *vm, const struct boot_args *args,
			const struct mb_header *h, size_t header_offset,
			struct mb_kernel *k)
{
	uint64_t file_off, load_len, mem_len;

	if (header_offset + sizeof(*h) > args->image_size) {
		pr_err("%s: the Multiboot header is cut short", args->kernel);
		return -1;
	}
	if (h->load_addr > h->header_addr ||
	    h->header_addr - h->load_addr > header_offset) {
		pr_err("%s: Multiboot load_addr %#x does not fit header_addr "
		       "%#x at file offset %#zx", args->kernel, h->load_addr,
		       h->header_addr, header_offset);
		return -1;
	}
	file_off = header_offset - (h->header_addr - h->load_addr);
	if (h->load_end_addr) {
		if (h->load_end_addr < h->load_addr) {
			pr_err("%s: Multiboot load_end_addr %#x is below "
			       "load_addr %#x", args->kernel, h->load_end_addr,
			       h->load_addr);
			return -1;
		}
		load_len = h->load_end_addr - h->load_addr;
		if (load_len > args->image_size - file_off) {
			pr_err("%s: Multiboot load_end_addr %#x is past the end "
			       "of the file", args->kernel, h->load_end_addr);
			return -1;
		}
	} else {
		load_len = args->image_size - file_off;
	}
	mem_len = load_len;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < h->load_addr + load_len) {
			pr_err("%s: Multiboot bss_end_addr %#x is below the "
			       "loaded image's end %#llx", args->kernel,
			       h->bss_end_addr,
			       (unsigned long long)(h->load_addr + load_len));
			return -1;
		}
		mem_len = h->bss_end_addr - h->load_addr;
	}
	if (!mem_len) {
		pr_err("%s: the Multiboot header loads nothing", args->kernel);
		return -1;
	}
	if (mb_copy(vm, args->kernel, "the image",  h->load_addr,
		    (const uint8_t *)args->image + file_off, load_len, mem_len))
		return -1;
	k->lo = h->load_addr;
	k->hi = h->load_addr + mem_len;
	k->entry = h->entry_addr;
	return 0;
}

static void mb_free_modules(struct mb_mod_arg *mods, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		free(mods[i].cmdline);
		free(mods[i].path);
	}
	free(mods);
}

/* The next element of a QEMU-style list: ',' separates, ",," is a comma. */
static char *mb_next_element(const char **list)
{
	const char *p = *list;
	char *out = malloc(strlen(p) + 1), *o = out;

	if (!out)
		return NULL;
	while (*p) {
		if (*p == ',' && p[1] != ',')
			break;
		if (*p == ',')
			p++;
		*o++ = *p++;
	}
	*o = '\0';
	*list = *p ? p + 1 : p;
	return out;
}

/* Split --initrd into modules and find their sizes.  Returns 0, or -1. */
static int mb_parse_modules(const char *list, struct mb_mod_arg **modsp,
			    unsigned int *np)
{
	struct mb_mod_arg *mods = NULL, *m, *tmp;
	unsigned int n = 0;
	const char *p = list;

	while (list && *p) {
		tmp = realloc(mods, (n + 1) * sizeof(*mods));
		if (!tmp)
			goto nomem;
		mods = tmp;
		m = &mods[n];
		memset(m, 0, sizeof(*m));
		n++;
		m->cmdline = mb_next_element(&p);
		if (!m->cmdline)
			goto nomem;
		m->path = strndup(m->cmdline, strcspn(m->cmdline, " "));
		if (!m->path)
			goto nomem;
		if (!*m->path) {
			pr_err("--initrd: module %u has no file name", n);
			goto fail;
		}
		if (file_size(m->path, &m->size) < 0)
			goto fail;
	}
	*modsp = mods;
	*np = n;
	return 0;
nomem:
	pr_perror("--initrd");
fail:
	mb_free_modules(mods, n);
	return -1;
}

/*
 * The memory map of a PC whose firmware keeps the last KiB of low memory
 * (the EBDA) and the BIOS area at 0xf0000, as QEMU's (SeaBIOS) map shows
 * them; 0xa0000-0xf0000 (VGA, option ROMs) is in no entry at all.
 */
static void mb_mmap_add(struct mb_mmap_entry *e, unsigned int *n,
			uint64_t base, uint64_t len, uint32_t type)
{
	e[(*n)++] = (struct mb_mmap_entry){
		.size = sizeof(*e) - sizeof(e->size),
		.base_addr = base, .length = len, .type = type,
	};
}

static unsigned int mb_build_mmap(struct vm *vm, struct mb_mmap_entry *e)
{
	unsigned int n = 0;

	mb_mmap_add(e, &n, 0, LOWER_MEM_END, MB_MMAP_RAM);
	mb_mmap_add(e, &n, LOWER_MEM_END, 0xa0000 - LOWER_MEM_END,
		    MB_MMAP_RESERVED);
	mb_mmap_add(e, &n, BIOS_AREA, HIGH_MEM_START - BIOS_AREA,
		    MB_MMAP_RESERVED);
	mb_mmap_add(e, &n, HIGH_MEM_START, vm->low_size - HIGH_MEM_START,
		    MB_MMAP_RAM);
	if (vm->high_size)
		mb_mmap_add(e, &n, VM_HIGH_RAM_START, vm->high_size,
			    MB_MMAP_RAM);
	return n;
}

/* Where everything after the kernel goes, all of it below 4 GiB. */
struct mb_layout {
	uint64_t info;			/* struct mb_info, then the below */
	uint64_t mmap, mods, strings, info_end;
	uint64_t end;			/* after the last module */
};

static size_t mb_strings_size(const struct boot_args *args,
			      const struct mb_mod_arg *mods, unsigned int n)
{
	size_t len = strlen(args->kernel) + 1 +
		     strlen(args->append ? args->append : "") + 1 +
		     sizeof(BOOT_LOADER_NAME);
	unsigned int i;

	for (i = 0; i < n; i++)
		len += strlen(mods[i].cmdline) + 1;
	return len;
}

static int mb_plan(struct vm *vm, const struct boot_args *args,
		   const struct mb_kernel *k, struct mb_mod_arg *mods,
		   unsigned int nr_mods, unsigned int nr_mmap,
		   struct mb_layout *l)
{
	uint64_t next;
	unsigned int i;

	l->info = ALIGN_UP(MAX(k->hi, HIGH_MEM_START), PAGE_SIZE);
	l->mmap = l->info + sizeof(struct mb_info);
	l->mods = l->mmap + nr_mmap * sizeof(struct mb_mmap_entry);
	l->strings = l->mods + nr_mods * sizeof(struct mb_module);
	l->info_end = l->strings + mb_strings_size(args, mods, nr_mods);

	next = l->info_end;
	for (i = 0; i < nr_mods; i++) {
		mods[i].addr = ALIGN_UP(next, PAGE_SIZE);
		next = mods[i].addr + mods[i].size;
		if (next > vm->low_size)
			break;
	}
	l->end = next;
	if (l->end > vm->low_size) {
		pr_err("%s: the kernel, its modules and the boot information "
		       "need %llu MiB of RAM below the PCI hole, there are %llu;"
		       " try a larger --mem", args->kernel,
		       (unsigned long long)((l->end + MiB - 1) >> 20),
		       (unsigned long long)(vm->low_size >> 20));
		return -1;
	}
	return 0;
}

/* Copy a string to guest @*at (in @base's host mapping); return its address. */
static uint32_t mb_put_string(uint8_t *host, uint64_t base, uint64_t *at,
			      const char *a, const char *b)
{
	uint64_t addr = *at;
	char *dst = (char *)host + (addr - base);
	size_t alen = strlen(a);

	memcpy(dst, a, alen);
	if (b) {
		dst[alen] = ' ';
		strcpy(dst + alen + 1, b);
		alen += 1 + strlen(b);
	} else {
		dst[alen] = '\0';
	}
	*at += alen + 1;
	return addr;
}

static int mb_write_info(struct vm *vm, const struct boot_args *args,
			 const struct mb_layout *l, struct mb_mod_arg *mods,
			 unsigned int nr_mods,
			 const struct mb_mmap_entry *mmap, unsigned int nr_mmap)
{
	uint8_t *host = vm_guest_ptr(vm, l->info, l->info_end - l->info);
	struct mb_module *mod;
	struct mb_info *info;
	uint64_t at = l->strings;
	unsigned int i;

	if (!host)
		return -1;	/* mb_plan() checked it: cannot happen */
	memset(host, 0, l->info_end - l->info);
	info = (struct mb_info *)host;
	memcpy(host + (l->mmap - l->info), mmap, nr_mmap * sizeof(*mmap));
	mod = (struct mb_module *)(host + (l->mods - l->info));

	info->flags = MB_INFO_MEM | MB_INFO_CMDLINE | MB_INFO_MODS |
		      MB_INFO_MMAP | MB_INFO_LOADER_NAME;
	/* KiB of RAM from 0 and from 1 MiB up to the first hole (3.3). */
	info->mem_lower = LOWER_MEM_END / KiB;
	info->mem_upper = (vm->low_size - HIGH_MEM_START) / KiB;
	/* QEMU: "<path> <append>", with the space even if append is empty. */
	info->cmdline = mb_put_string(host, l->info, &at, args->kernel,
				      args->append ? args->append : "");
	info->boot_loader_name = mb_put_string(host, l->info, &at,
					       BOOT_LOADER_NAME, NULL);
	info->mmap_addr = l->mmap;
	info->mmap_length = nr_mmap * sizeof(*mmap);
	info->mods_count = nr_mods;
	info->mods_addr = l->mods;

	for (i = 0; i < nr_mods; i++) {
		void *dst = vm_guest_ptr(vm, mods[i].addr, mods[i].size);

		if (!dst || read_file_into(mods[i].path, dst, mods[i].size))
			return -1;
		mod[i].mod_start = mods[i].addr;
		mod[i].mod_end = mods[i].addr + mods[i].size;
		mod[i].string = mb_put_string(host, l->info, &at,
					      mods[i].cmdline, NULL);
	}
	return 0;
}

int multiboot_load(struct vm *vm, const struct boot_args *args,
		   struct rs_regs *regs)
{
	struct mb_mmap_entry mmap[MB_MAX_MMAP];
	struct mb_mod_arg *mods = NULL;
	const struct mb_header *h;
	unsigned int nr_mods = 0, nr_mmap;
	struct mb_header hdr = { 0 };
	struct mb_layout layout;
	struct mb_kernel k;
	size_t off;
	int ret;

	h = mb_find_header(args->image, args->image_size, &off);
	if (!h) {
		pr_err("%s: no Multiboot header in its first %d bytes",
		       args->kernel, MB_SEARCH);
		return -1;
	}
	memcpy(&hdr, h, MIN(sizeof(hdr), args->image_size - off));
	if (mb_check_flags(args->kernel, hdr.flags))
		return -1;

	if (hdr.flags & MB_HDR_AOUT_KLUDGE)
		ret = mb_load_aout(vm, args, &hdr, off, &k);
	else
		ret = mb_load_elf(vm, args, &k);
	if (ret)
		return -1;
	if (k.entry >= vm->low_size) {
		pr_err("%s: the entry point %#llx is not in guest RAM",
		       args->kernel, (unsigned long long)k.entry);
		return -1;
	}

	if (mb_parse_modules(args->initrd, &mods, &nr_mods))
		return -1;
	nr_mmap = mb_build_mmap(vm, mmap);
	ret = mb_plan(vm, args, &k, mods, nr_mods, nr_mmap, &layout);
	if (!ret)
		ret = mb_write_info(vm, args, &layout, mods, nr_mods, mmap,
				    nr_mmap);
	mb_free_modules(mods, nr_mods);
	if (ret)
		return -1;

	memset(regs, 0, sizeof(*regs));
	regs->rip = k.entry;
	regs->rax = MB_BOOT_MAGIC;
	regs->rbx = layout.info;
	regs->rflags = 0x2;		/* reserved bit 1; IF and VM clear (3.2) */
	return 0;
}
