// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the launcher's parts that need no module: size parsing,
 * the I/O bus, fw_cfg, the UART's registers, the interrupt controllers,
 * the PIT, the RTC, the loaders (into a VM that is only RAM) and the
 * percentiles of `ringside stat`; unit-pci.c has the PCI bus and the virtio
 * devices, unit-route.c the parser of "run --route", unit-gdb.c the gdb
 * stub and the guest page-table walk.  Run from userspace/
 * after "make": tests/unit.
 * Ends with "N passed, N failed".
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../devices.h"
#include "../iobus.h"
#include "../iommu.h"
#include "../irq.h"
#include "../lapic.h"
#include "../loader.h"
#include "../nl.h"
#include "../util.h"
#include "../vm.h"
#include "unit.h"

int passed, failed;

/* A VM that is only RAM, laid out as vm_create() does. */
struct vm *ram_vm(uint64_t size)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	vm->ram = calloc(1, size);
	vm->ram_size = size;
	vm->low_size = MIN(size, VM_PCI_HOLE_START);
	vm->high_size = size - vm->low_size;
	vm->fd = vm->dev_fd = -1;
	vm->main_thread = pthread_self();
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->irq_lock, NULL);
	pthread_cond_init(&vm->wake, NULL);
	pthread_cond_init(&vm->parked_cond, NULL);
	iobus_init(&vm->pio, "port");
	iobus_init(&vm->mmio, "MMIO");
	return vm;
}

void free_vm(struct vm *vm)
{
	free(vm->ram);
	free(vm);
}

static void test_parse_size(void)
{
	uint64_t v;

	CHECK(parse_size("128M", &v) == 0 && v == 128 * MiB);
	CHECK(parse_size("1G", &v) == 0 && v == GiB);
	CHECK(parse_size("1gib", &v) == 0 && v == GiB);
	CHECK(parse_size("512", &v) == 0 && v == 512 * MiB);
	CHECK(parse_size("64K", &v) == 0 && v == 64 * KiB);
	CHECK(parse_size("", &v) < 0);
	CHECK(parse_size("M", &v) < 0);
	CHECK(parse_size("12Q", &v) < 0);
	CHECK(parse_size("-1M", &v) < 0);
	CHECK(parse_size("99999999999999999999T", &v) < 0);
}

static uint64_t last_write;
static unsigned int last_size, writes;

static uint64_t byte_read(void *dev, uint64_t offset, unsigned int size)
{
	(void)dev;
	(void)size;
	return 0x10 + offset;
}

static void byte_write(void *dev, uint64_t offset, unsigned int size,
		       uint64_t value)
{
	(void)dev;
	(void)offset;
	last_write = value;
	last_size = size;
	writes++;
}

static const struct io_ops byte_ops = { byte_read, byte_write };

static void test_iobus(void)
{
	struct iobus bus;
	uint8_t d[4];
	uint32_t v;

	iobus_init(&bus, "port");
	CHECK(iobus_register(&bus, 0x100, 4, 1, "a", &byte_ops, NULL) == 0);
	CHECK(iobus_register(&bus, 0x103, 2, 1, "b", &byte_ops, NULL) < 0);
	CHECK(iobus_register(&bus, 0x200, 2, 0, "w", &byte_ops, NULL) == 0);

	/* Nobody there: all ones. */
	iobus_read(&bus, 0x80, 4, &v);
	CHECK(v == 0xffffffff);
	/* A 32-bit read of a byte-wide device: four byte reads. */
	iobus_read(&bus, 0x100, 4, &v);
	CHECK(v == 0x13121110);
	/* Half in, half out. */
	iobus_read(&bus, 0x102, 4, &v);
	CHECK(v == 0xffff1312);
	/* A 32-bit write to a 2-byte range: 16 bits reach it. */
	writes = 0;
	d[0] = 0x00; d[1] = 0x20; d[2] = 0xaa; d[3] = 0xbb;
	iobus_write(&bus, 0x200, 4, d);
	CHECK(writes == 1 && last_size == 2 && last_write == 0x2000);
}

static void test_fwcfg(void)
{
	struct vm *vm = ram_vm(4 * MiB);
	struct fwcfg *fw = fwcfg_create(&vm->pio, 5 * GiB, 3);
	uint64_t ram = 0;
	char sig[5] = { 0 };
	int i;

	CHECK(fw != NULL);
	outw(vm, 0x510, 0x0000);
	for (i = 0; i < 4; i++)
		sig[i] = inb(vm, 0x511);
	CHECK(!strcmp(sig, "QEMU"));
	outw(vm, 0x510, 0x0003);
	for (i = 0; i < 8; i++)
		ram |= (uint64_t)inb(vm, 0x511) << (8 * i);
	CHECK(ram == 5 * GiB);
	CHECK(inb(vm, 0x511) == 0);		/* past the end */
	outw(vm, 0x510, 0x0005);
	CHECK(inb(vm, 0x511) == 3 && inb(vm, 0x511) == 0);
	outw(vm, 0x510, 0x000f);
	CHECK(inb(vm, 0x511) == 3);
	outw(vm, 0x510, 0x0001);
	CHECK(inb(vm, 0x511) == 1);		/* traditional, no DMA */
	outw(vm, 0x510, 0x1234);
	CHECK(inb(vm, 0x511) == 0);		/* no such item */
	CHECK(inb(vm, 0x510) == 0xff);		/* not a readable register */
	fwcfg_destroy(fw);
	free_vm(vm);
}

static void test_uart(void)
{
	struct vm *vm = ram_vm(4 * MiB);
	int out[2];
	struct uart *u;
	char c;

	CHECK(pipe(out) == 0);
	u = uart_create(vm, COM1_BASE, COM1_IRQ, -1, out[1]);
	CHECK(u != NULL);
	CHECK(inb(vm, 0x3fd) == 0x60);		/* THRE | TEMT, no data */
	CHECK(inb(vm, 0x3fa) == 0x01);		/* no interrupt */
	outb(vm, 0x3f8, 'x');
	CHECK(read(out[0], &c, 1) == 1 && c == 'x');
	/* DLAB: divisor latch instead of THR/IER. */
	outb(vm, 0x3fb, 0x83);
	outb(vm, 0x3f8, 0x01);
	outb(vm, 0x3f9, 0x00);
	CHECK(inb(vm, 0x3f8) == 0x01);
	outb(vm, 0x3fb, 0x03);
	/* Loopback: what is sent comes back, MSR mirrors MCR. */
	outb(vm, 0x3fc, 0x1a);
	CHECK((inb(vm, 0x3fe) & 0xf0) == 0x90);
	outb(vm, 0x3f8, 'y');
	CHECK(inb(vm, 0x3fd) & 0x01);
	CHECK(inb(vm, 0x3f8) == 'y');
	CHECK(!(inb(vm, 0x3fd) & 0x01));
	outb(vm, 0x3fc, 0x00);
	/* THRE interrupt: pending once enabled, read from IIR clears it. */
	outb(vm, 0x3f9, 0x02);
	CHECK(inb(vm, 0x3fa) == 0x02);
	CHECK(inb(vm, 0x3fa) == 0x01);
	outb(vm, 0x3fa, 0x01);			/* FIFOs on */
	CHECK(inb(vm, 0x3fa) == 0xc1);
	outb(vm, 0x3ff, 0x5a);
	CHECK(inb(vm, 0x3ff) == 0x5a);
	uart_destroy(u);
	close(out[0]);
	close(out[1]);
	free_vm(vm);
}

static void test_stop_devices(void)
{
	struct vm *vm = ram_vm(4 * MiB);

	CHECK(debugexit_create(vm) == 0 && poweroff_create(vm) == 0);
	outw(vm, 0x604, 0x0400);		/* S1-ish: ignored */
	CHECK(!vm_stopping(vm));
	outw(vm, 0x604, 0x2000);
	CHECK(vm_stopping(vm) && vm->status == STATUS_POWEROFF);
	free_vm(vm);

	vm = ram_vm(4 * MiB);
	CHECK(debugexit_create(vm) == 0);
	outb(vm, DEBUG_EXIT_PORT, 0x21);
	CHECK(vm_stopping(vm) && vm->status == ((0x21 << 1) | 1));
	free_vm(vm);
}

/* struct mb_info as the spec lays it out, read back from guest RAM. */
static uint32_t rd32(struct vm *vm, uint64_t addr)
{
	uint32_t v;

	memcpy(&v, vm_guest_ptr(vm, addr, 4), 4);
	return v;
}

static uint64_t rd64(struct vm *vm, uint64_t addr)
{
	uint64_t v;

	memcpy(&v, vm_guest_ptr(vm, addr, 8), 8);
	return v;
}

static const char *str(struct vm *vm, uint64_t addr)
{
	return vm_guest_ptr(vm, addr, 1);
}

static int load(struct vm *vm, const char *path, void *image, size_t size,
		const char *append, const char *initrd, struct rs_regs *regs)
{
	struct boot_args args = {
		.kernel = path, .image = image, .image_size = size,
		.append = append, .initrd = initrd,
	};

	return multiboot_load(vm, &args, regs);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void test_multiboot_elf(void)
{
	const char *m1 = "/tmp/ringside-unit-m1", *m2 = "/tmp/ringside-unit-m2";
	struct vm *vm = ram_vm(5 * GiB);
	struct rs_regs regs;
	uint64_t info, mmap, mods, end;
	Elf32_Ehdr *eh;
	char initrd[128];
	size_t size;
	void *image;

	write_file(m1, "module one\n");
	write_file(m2, "two\n");
	snprintf(initrd, sizeof(initrd), "%s a=1,,b,%s", m1, m2);

	CHECK(read_whole_file("guests/hello.elf", &image, &size) == 0);
	CHECK(multiboot_detect(image, size));
	eh = image;
	CHECK(load(vm, "guests/hello.elf", image, size, "foo", initrd, &regs) == 0);
	CHECK(regs.rax == 0x2BADB002 && regs.rflags == 0x2);
	CHECK(regs.rip == eh->e_entry);
	info = regs.rbx;
	CHECK(info % PAGE_SIZE == 0 && info >= 0x101000);

	/* 3.3: flags MEM, CMDLINE, MODS, MMAP, BOOT_LOADER_NAME. */
	CHECK(rd32(vm, info) == 0x24d);
	CHECK(rd32(vm, info + 4) == 639);
	CHECK(rd32(vm, info + 8) == (3 * GiB - MiB) / KiB);
	CHECK(!strcmp(str(vm, rd32(vm, info + 16)), "guests/hello.elf foo"));
	CHECK(!strcmp(str(vm, rd32(vm, info + 64)), "ringside"));

	mmap = rd32(vm, info + 48);
	CHECK(rd32(vm, info + 44) == 5 * 24);
	CHECK(rd32(vm, mmap) == 20 && rd64(vm, mmap + 4) == 0 &&
	      rd64(vm, mmap + 12) == 0x9fc00 && rd32(vm, mmap + 20) == 1);
	CHECK(rd64(vm, mmap + 24 + 4) == 0x9fc00 && rd32(vm, mmap + 24 + 20) == 2);
	CHECK(rd64(vm, mmap + 48 + 4) == 0xf0000 && rd32(vm, mmap + 48 + 20) == 2);
	CHECK(rd64(vm, mmap + 72 + 4) == MiB &&
	      rd64(vm, mmap + 72 + 12) == 3 * GiB - MiB);
	CHECK(rd64(vm, mmap + 96 + 4) == 4 * GiB &&
	      rd64(vm, mmap + 96 + 12) == 2 * GiB && rd32(vm, mmap + 96 + 20) == 1);

	CHECK(rd32(vm, info + 20) == 2);
	mods = rd32(vm, info + 24);
	CHECK(rd32(vm, mods) % PAGE_SIZE == 0 && rd32(vm, mods) > info);
	CHECK(rd32(vm, mods + 4) - rd32(vm, mods) == strlen("module one\n"));
	CHECK(!memcmp(str(vm, rd32(vm, mods)), "module one\n", 11));
	snprintf(initrd, sizeof(initrd), "%s a=1,b", m1);
	CHECK(!strcmp(str(vm, rd32(vm, mods + 8)), initrd));
	CHECK(rd32(vm, mods + 16) % PAGE_SIZE == 0 &&
	      rd32(vm, mods + 16) >= rd32(vm, mods + 4));
	CHECK(!strcmp(str(vm, rd32(vm, mods + 24)), m2));
	CHECK(!memcmp(str(vm, rd32(vm, mods + 16)), "two\n", 4));
	end = rd32(vm, mods + 20);
	CHECK(end <= vm->low_size);

	/* No --append: QEMU's "path " with its space. */
	CHECK(load(vm, "k", image, size, NULL, NULL, &regs) == 0);
	CHECK(!strcmp(str(vm, rd32(vm, regs.rbx + 16)), "k "));
	CHECK(rd32(vm, regs.rbx + 20) == 0);

	/* A module that does not fit is refused, as is a 64-bit ELF. */
	free_vm(vm);
	vm = ram_vm(2 * MiB);
	CHECK(truncate(m1, 2 * MiB) == 0);
	CHECK(load(vm, "k", image, size, NULL, m1, &regs) < 0);
	((unsigned char *)image)[EI_CLASS] = ELFCLASS64;
	CHECK(load(vm, "k", image, size, NULL, NULL, &regs) < 0);
	free(image);
	free_vm(vm);
	unlink(m1);
	unlink(m2);
}

static void test_multiboot_aout(void)
{
	struct vm *vm = ram_vm(16 * MiB);
	struct rs_regs regs;
	uint32_t *h, bss_end, load_end;
	size_t size;
	void *image;

	CHECK(read_whole_file("guests/hello.bin", &image, &size) == 0);
	h = image;
	CHECK(h[0] == 0x1BADB002 && (h[1] & (1U << 16)));
	load_end = h[5];
	bss_end = h[6];
	memset(vm->ram + load_end, 0xcc, bss_end - load_end);
	CHECK(load(vm, "k", image, size, NULL, NULL, &regs) == 0);
	CHECK(regs.rip == h[7]);
	CHECK(!memcmp(vm->ram + h[4], image, size));
	CHECK(vm->ram[load_end] == 0 && vm->ram[bss_end - 1] == 0);
	CHECK(regs.rbx >= ALIGN_UP(bss_end, PAGE_SIZE));

	/* An unknown required flag (bit 5) must be refused (3.1.2). */
	h[1] |= 1U << 5;
	h[2] -= 1U << 5;
	CHECK(multiboot_detect(image, size));
	CHECK(load(vm, "k", image, size, NULL, NULL, &regs) < 0);
	/* No header at all. */
	h[0] = 0;
	CHECK(!multiboot_detect(image, size));
	free(image);
	free_vm(vm);
}


/* Linux's init_8259A(): ICW1-4 on both chips, vectors 0x30 and 0x38. */
static void pic_init_like_linux(struct vm *vm)
{
	outb(vm, 0x21, 0xff);
	outb(vm, 0xa1, 0xff);
	outb(vm, 0x20, 0x11);
	outb(vm, 0x21, 0x30);
	outb(vm, 0x21, 0x04);
	outb(vm, 0x21, 0x01);
	outb(vm, 0xa0, 0x11);
	outb(vm, 0xa1, 0x38);
	outb(vm, 0xa1, 0x02);
	outb(vm, 0xa1, 0x01);
}

static void test_pic(void)
{
	struct vm *vm = ram_vm(4 * MiB);

	vm->pic = pic_create(vm);
	CHECK(vm->pic != NULL);
	pic_init_like_linux(vm);
	CHECK(inb(vm, 0x21) == 0x00);		/* ICW1 cleared the IMR */
	outb(vm, 0x21, 0xff);
	CHECK(inb(vm, 0x21) == 0xff);		/* the IMR reads back */
	irq_set_line(vm, 4, 1);
	CHECK(!pic_output(vm->pic));		/* masked */
	outb(vm, 0x21, 0xef);
	CHECK(pic_output(vm->pic));
	CHECK(inb(vm, 0x20) == 0x10);		/* IRR by default */
	CHECK(pic_ack(vm->pic) == 0x34);
	outb(vm, 0x20, 0x0b);			/* OCW3: read ISR */
	CHECK(inb(vm, 0x20) == 0x10);
	/* Edge triggered: a line that stays high asks once. */
	CHECK(!pic_output(vm->pic));
	outb(vm, 0x20, 0x64);			/* specific EOI, IR4 */
	CHECK(inb(vm, 0x20) == 0x00);
	CHECK(!pic_output(vm->pic));
	irq_set_line(vm, 4, 0);
	/* Level triggered (ELCR): asks again after EOI while high. */
	outb(vm, 0x4d0, 0x10);
	CHECK(inb(vm, 0x4d0) == 0x10);
	irq_set_line(vm, 4, 1);
	CHECK(pic_ack(vm->pic) == 0x34);
	outb(vm, 0x20, 0x20);			/* non-specific EOI */
	CHECK(pic_output(vm->pic));
	irq_set_line(vm, 4, 0);
	CHECK(!pic_output(vm->pic));
	/* The slave through the cascade: IRQ 12 is vector 0x3c. */
	outb(vm, 0x21, 0xfb);
	outb(vm, 0xa1, 0xef);
	irq_pulse(vm, 12);
	CHECK(pic_output(vm->pic));
	CHECK(pic_ack(vm->pic) == 0x3c);
	/* Nothing there: a spurious IRQ 7, nothing in service. */
	outb(vm, 0x20, 0x20);
	CHECK(pic_ack(vm->pic) == 0x37);
	pic_destroy(vm->pic);
	free_vm(vm);
}

static void test_pit(void)
{
	struct vm *vm = ram_vm(4 * MiB);
	struct timespec ms40 = { 0, 40000000 };
	struct pit *pit;
	uint8_t lo, hi;

	CHECK(timers_init(&vm->timers) == 0);
	pit = pit_create(vm);
	CHECK(pit != NULL);
	/* Linux's pit_calibrate_tsc(): gate on, channel 2 mode 0, 27 ms. */
	outb(vm, 0x61, (inb(vm, 0x61) & ~0x02) | 0x01);
	outb(vm, 0x43, 0xb0);
	outb(vm, 0x42, 0x00);
	outb(vm, 0x42, 0x80);
	CHECK(!(inb(vm, 0x61) & 0x20));		/* OUT2 low while counting */
	outb(vm, 0x43, 0x80);			/* latch channel 2 */
	lo = inb(vm, 0x42);
	hi = inb(vm, 0x42);
	CHECK((lo | hi << 8) <= 0x8000);
	nanosleep(&ms40, NULL);
	CHECK(inb(vm, 0x61) & 0x20);		/* terminal count: OUT2 high */
	/* Read-back status of channel 2: OUT high, LSB/MSB, mode 0. */
	outb(vm, 0x43, 0xe8);
	CHECK(inb(vm, 0x42) == 0xb0);
	pit_destroy(pit);
	timers_destroy(&vm->timers);
	free_vm(vm);
}

static void test_rtc(void)
{
	struct vm *vm = ram_vm(64 * MiB);
	struct rtc *rtc = rtc_create(vm);
	uint8_t sec;

	CHECK(rtc != NULL);
	outb(vm, 0x70, 0x0d);
	CHECK(inb(vm, 0x71) == 0x80);		/* valid RAM and time */
	outb(vm, 0x70, 0x0b);
	CHECK(inb(vm, 0x71) == 0x02);		/* 24-hour, BCD */
	outb(vm, 0x70, 0x00);
	sec = inb(vm, 0x71);
	CHECK((sec & 0x0f) < 10 && sec < 0x60);
	outb(vm, 0x70, 0x34);			/* 64 KiB units above 16 MiB */
	CHECK(inb(vm, 0x71) == (48 * 16 & 0xff));
	rtc_destroy(rtc);
	free_vm(vm);
}

static uint32_t apic_read(struct vm *vm, uint64_t reg)
{
	uint8_t d[4];

	iobus_read(&vm->mmio, LAPIC_BASE + reg, 4, d);
	return d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
}

static void apic_write(struct vm *vm, uint64_t reg, uint32_t v)
{
	uint8_t d[4] = { v, v >> 8, v >> 16, v >> 24 };

	iobus_write(&vm->mmio, LAPIC_BASE + reg, 4, d);
}

static void test_apics(void)
{
	struct vm *vm = ram_vm(4 * MiB);
	struct lapic *l0, *l1;
	unsigned int i;

	CHECK(timers_init(&vm->timers) == 0);
	vm->nr_vcpus = 2;
	vm->vcpus = calloc(2, sizeof(*vm->vcpus));
	for (i = 0; i < 2; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].id = i;
		vm->vcpus[i].lapic = lapic_create(&vm->vcpus[i]);
	}
	l0 = vm->vcpus[0].lapic;
	l1 = vm->vcpus[1].lapic;
	vm->deliver = lapic_deliver;
	vm->ioapic = ioapic_create(vm);
	CHECK(vm->ioapic && lapic_register_mmio(vm) == 0);
	lapic_set_self(&vm->vcpus[0]);
	CHECK(apic_read(vm, 0x20) == 0);		/* ID */
	CHECK((apic_read(vm, 0x30) & 0xff) == 0x14);	/* integrated */
	CHECK(lapic_accepts_extint(l0));		/* virtual wire */
	/* A fixed IPI to APIC ID 1, physical. */
	apic_write(vm, 0x310, 1U << 24);
	apic_write(vm, 0x300, 0x00004041);
	CHECK(!lapic_pending(l0) && lapic_pending(l1));
	CHECK(lapic_ack(l1) == 0x41 && !lapic_pending(l1));
	/* TPR above the vector's class holds it back. */
	lapic_set_self(&vm->vcpus[1]);
	apic_write(vm, 0x300, 0x00044051);		/* self, 0x51 */
	apic_write(vm, 0x080, 0x60);
	CHECK(!lapic_pending(l1));
	apic_write(vm, 0x080, 0x00);
	apic_write(vm, 0x0b0, 0);			/* EOI 0x41 */
	CHECK(lapic_ack(l1) == 0x51);
	apic_write(vm, 0x0b0, 0);
	/* I/O APIC: pin 4, level, vector 0x34, logical flat to CPU 1. */
	apic_write(vm, 0x0e0, 0xffffffff);
	apic_write(vm, 0x0d0, 0x02000000);
	iobus_write(&vm->mmio, IOAPIC_BASE, 4, (uint8_t[4]){ 0x19 });
	iobus_write(&vm->mmio, IOAPIC_BASE + 0x10, 4, (uint8_t[4]){ 0, 0, 0, 2 });
	iobus_write(&vm->mmio, IOAPIC_BASE, 4, (uint8_t[4]){ 0x18 });
	iobus_write(&vm->mmio, IOAPIC_BASE + 0x10, 4,
		    (uint8_t[4]){ 0x34, 0x88, 0x00, 0 });
	irq_set_line(vm, 4, 1);
	CHECK(lapic_ack(l1) == 0x34);
	apic_write(vm, 0x0b0, 0);			/* EOI: still high */
	CHECK(lapic_ack(l1) == 0x34);
	irq_set_line(vm, 4, 0);
	apic_write(vm, 0x0b0, 0);
	CHECK(!lapic_pending(l1));
	/* INIT, then SIPI 0x9a, to the waiting AP. */
	lapic_set_self(&vm->vcpus[0]);
	apic_write(vm, 0x310, 1U << 24);
	apic_write(vm, 0x300, 0x0000c500);
	apic_write(vm, 0x300, 0x0000069a);
	CHECK(lapic_wait_sipi(&vm->vcpus[1]) == 0x9a);
	lapic_set_self(NULL);
	for (i = 0; i < 2; i++)
		lapic_destroy(vm->vcpus[i].lapic);
	ioapic_destroy(vm->ioapic);
	free(vm->vcpus);
	timers_destroy(&vm->timers);
	free_vm(vm);
}

/* The I/O APIC's messages as MSIs to the module's APICs (irq_msi()). */
static void test_msi(void)
{
	struct rs_msi m;

	/* Pin 4 above: level, vector 0x34, logical to 2. */
	CHECK(irq_msi(&m, 2, true, 0x34, true, DM_FIXED));
	CHECK(m.address == 0xfee02004 && m.data == 0xc034 && !m.flags);
	/* Edge, lowest priority, physical 1. */
	CHECK(irq_msi(&m, 1, false, 0x41, false, DM_LOWEST));
	CHECK(m.address == 0xfee01000 && m.data == 0x0141);
	CHECK(irq_msi(&m, 0xff, false, 2, false, DM_NMI) && m.data == 0x402);
	/* ExtINT and SMI have no MSI. */
	CHECK(!irq_msi(&m, 0, false, 0, false, DM_EXTINT));
	CHECK(!irq_msi(&m, 0, false, 0, false, DM_SMI));
}

/* What the I/O APIC sent, in place of the module's APICs. */
static struct rs_msi sent[8];
static unsigned int nr_sent;

static void capture_msi(struct vm *vm, uint32_t dest, bool logical,
			uint8_t vector, bool level, unsigned int delivery)
{
	(void)vm;
	if (nr_sent < ARRAY_SIZE(sent) &&
	    irq_msi(&sent[nr_sent], dest, logical, vector, level, delivery))
		nr_sent++;
}

void ioapic_rte(struct vm *vm, unsigned int pin, uint64_t rte)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		uint32_t v = rte >> (32 * i);

		iobus_write(&vm->mmio, IOAPIC_BASE, 4,
			    (uint8_t[4]){ 0x10 + 2 * pin + i });
		iobus_write(&vm->mmio, IOAPIC_BASE + 0x10, 4,
			    (uint8_t[4]){ v, v >> 8, v >> 16, v >> 24 });
	}
}

/*
 * With the module's APICs: a level-triggered pin is sent once, not again
 * until RS_EXIT_EOI (irq_eoi()), then again while it is still high; an
 * edge-triggered one on each rising edge; ExtINT sends nothing.
 */
static void test_ioapic_msi(void)
{
	struct vm *vm = ram_vm(4 * MiB);

	vm->deliver = capture_msi;
	vm->ioapic = ioapic_create(vm);
	CHECK(vm->ioapic != NULL);
	ioapic_rte(vm, 9, 0x0300000000008039ULL);	/* level, to 3 */
	irq_set_line(vm, 9, 1);
	irq_set_line(vm, 9, 1);
	CHECK(nr_sent == 1 && sent[0].address == 0xfee03000 &&
	      sent[0].data == 0xc039);
	irq_eoi(vm, 0x38);				/* another vector */
	CHECK(nr_sent == 1);
	irq_eoi(vm, 0x39);				/* still high */
	CHECK(nr_sent == 2 && sent[1].data == 0xc039);
	irq_set_line(vm, 9, 0);
	irq_eoi(vm, 0x39);
	CHECK(nr_sent == 2);
	ioapic_rte(vm, 4, 0x0100000000000831ULL);	/* edge, logical 1 */
	irq_pulse(vm, 4);
	irq_pulse(vm, 4);
	CHECK(nr_sent == 4 && sent[3].address == 0xfee01004 &&
	      sent[3].data == 0x31);
	ioapic_rte(vm, 3, 0x0000000000000700ULL);	/* ExtINT */
	irq_pulse(vm, 3);
	CHECK(nr_sent == 4);
	ioapic_destroy(vm->ioapic);
	free_vm(vm);
}

static void iommu_write(struct vm *vm, unsigned int reg, uint64_t v,
			unsigned int size)
{
	iobus_write(&vm->mmio, IOMMU_BASE + reg, size, &v);
}

static uint64_t iommu_read(struct vm *vm, unsigned int reg, unsigned int size)
{
	uint64_t v = 0;

	iobus_read(&vm->mmio, IOMMU_BASE + reg, size, &v);
	return v;
}

/*
 * Interrupt remapping (iommu.c): the table and the invalidation queue in
 * guest memory; remappable I/O APIC entries go where their table entry
 * says, with a 32-bit x2APIC destination; compatibility-format ones stop
 * once remapping is on; faults are recorded and signalled.
 */
static void test_iommu(void)
{
	struct vm *vm = ram_vm(4 * MiB);
	uint64_t *irt = (uint64_t *)(vm->ram + 0x100000);
	uint64_t *queue = (uint64_t *)(vm->ram + 0x200000);
	uint32_t *status = (uint32_t *)(vm->ram + 0x300000);

	vm->deliver = capture_msi;
	vm->iommu = iommu_create(vm);
	vm->ioapic = ioapic_create(vm);
	CHECK(vm->iommu && vm->ioapic);
	nr_sent = 0;
	CHECK(iommu_read(vm, 0x00, 4) == 0x10);
	CHECK((iommu_read(vm, 0x10, 8) & 0x1b) == 0x1b);	/* C, QI, IR, EIM */

	/* Remapping off: compatibility format passes, remappable does not. */
	ioapic_rte(vm, 4, 0x0100000000000031ULL);
	irq_pulse(vm, 4);
	CHECK(nr_sent == 1 && sent[0].data == 0x31);
	ioapic_rte(vm, 4, 1ULL << 48 | 5ULL << 49);
	irq_pulse(vm, 4);
	CHECK(nr_sent == 1);

	/* The table (256 entries, x2APIC mode) and the queue. */
	iommu_write(vm, 0xb8, 0x100000 | 1 << 11 | 7, 8);
	iommu_write(vm, 0x18, 1U << 24, 4);			/* SIRTP */
	CHECK(iommu_read(vm, 0x1c, 4) & 1U << 24);		/* IRTPS */
	iommu_write(vm, 0x90, 0x200000, 8);
	iommu_write(vm, 0x18, 1U << 26, 4);			/* QIE */
	CHECK(iommu_read(vm, 0x1c, 4) == (1U << 26 | 1U << 24));
	queue[0] = 4;					/* IEC, global */
	queue[2] = 5 | 1 << 5 | 0x1234ULL << 32;	/* wait, status write */
	queue[3] = 0x300000;
	iommu_write(vm, 0x88, 0x20, 4);
	CHECK(*status == 0x1234 && iommu_read(vm, 0x80, 8) == 0x20);

	/* On: entry 5 sends 45H to x2APIC cluster 1, CPU bit 1. */
	iommu_write(vm, 0x18, 1U << 26 | 1U << 25, 4);	/* QIE, IRE */
	irt[10] = 1 | 1 << 2 | 0x45ULL << 16 | 0x00010002ULL << 32;
	irq_pulse(vm, 4);
	CHECK(nr_sent == 2 && sent[1].address == 0x00010000fee02004ULL &&
	      sent[1].data == 0x45);
	ioapic_rte(vm, 3, 0x0100000000000033ULL);	/* compatibility */
	irq_pulse(vm, 3);
	CHECK(nr_sent == 2);

	/* Faults: entry 6 not present; the event is unmasked, vector 60H. */
	iommu_write(vm, 0x3c, 0x60, 4);
	iommu_write(vm, 0x40, 0xfee00000, 4);
	iommu_write(vm, 0x38, 0, 4);
	ioapic_rte(vm, 4, 1ULL << 48 | 6ULL << 49);
	irq_pulse(vm, 4);
	CHECK(nr_sent == 3 && sent[2].data == 0x60);
	CHECK(iommu_read(vm, 0x34, 4) & 2);			/* PPF */
	CHECK(iommu_read(vm, 0x228, 8) == (1ULL << 63 | 0x22ULL << 32));
	CHECK(iommu_read(vm, 0x220, 8) >> 48 == 6);
	iommu_write(vm, 0x22c, 1U << 31, 4);			/* clear F */
	CHECK(!(iommu_read(vm, 0x34, 4) & 2));
	/* Index 8001H (bit 15 in RTE bit 11): beyond the table. */
	ioapic_rte(vm, 4, 1ULL << 48 | 1ULL << 49 | 1ULL << 11);
	irq_pulse(vm, 4);
	CHECK(iommu_read(vm, 0x228, 8) == (1ULL << 63 | 0x21ULL << 32));
	CHECK(iommu_read(vm, 0x220, 8) >> 48 == 0x8001);
	CHECK(nr_sent == 4 && sent[3].data == 0x60);
	/* Reserved bits in a present entry: 24H, and only the event sent. */
	iommu_write(vm, 0x22c, 1U << 31, 4);
	irt[12] = 1 | 0x46ULL << 16 | 1ULL << 13;
	ioapic_rte(vm, 4, 1ULL << 48 | 6ULL << 49);
	irq_pulse(vm, 4);
	CHECK(iommu_read(vm, 0x228, 8) == (1ULL << 63 | 0x24ULL << 32));
	CHECK(nr_sent == 5 && sent[4].data == 0x60);
	/* A second fault while F is set: overflow, no new record. */
	irq_pulse(vm, 4);
	CHECK(iommu_read(vm, 0x34, 4) & 1 && nr_sent == 5);
	iommu_write(vm, 0x34, 1, 4);
	iommu_write(vm, 0x22c, 1U << 31, 4);
	CHECK(!iommu_read(vm, 0x34, 4));

	/* A descriptor of an unknown type stops the queue with IQE. */
	queue[4] = 0xf;
	iommu_write(vm, 0x88, 0x30, 4);
	CHECK(iommu_read(vm, 0x34, 4) & 0x10 && iommu_read(vm, 0x80, 8) == 0x20);

	/* CFI: compatibility format passes again. */
	iommu_write(vm, 0x18, 1U << 26 | 1U << 25 | 1U << 23, 4);
	irq_pulse(vm, 3);
	CHECK(sent[nr_sent - 1].data == 0x33);

	ioapic_destroy(vm->ioapic);
	iommu_destroy(vm->iommu);
	free_vm(vm);
}

/* `ringside stat`'s percentiles from RS_NL_REASON_HIST's buckets. */
static void test_hist_quantile(void)
{
	uint64_t h[RS_NL_HIST_BUCKETS] = { 0 };

	CHECK(rsnl_hist_quantile(h, 0.5) == 0);		/* empty */
	h[0] = 5;					/* 0 cycles each */
	CHECK(rsnl_hist_quantile(h, 0.99) == 0);
	h[0] = 0;
	h[3] = 10;					/* 4-7 cycles */
	CHECK(rsnl_hist_quantile(h, 0.5) == 7);
	CHECK(rsnl_hist_quantile(h, 1.0) == 7);
	h[3] = 0;
	h[2] = 50;					/* 2-3 */
	h[10] = 50;					/* 512-1023 */
	CHECK(rsnl_hist_quantile(h, 0.5) == 3);		/* the 50th of 100 */
	CHECK(rsnl_hist_quantile(h, 0.505) == 1023);	/* the 51st */
	CHECK(rsnl_hist_quantile(h, 0.99) == 1023);
	CHECK(rsnl_hist_quantile(h, 0.001) == 3);	/* at least the first */
	memset(h, 0, sizeof(h));
	h[1] = 99;					/* 1 cycle */
	h[RS_NL_HIST_BUCKETS - 1] = 1;			/* 2^30 and more */
	CHECK(rsnl_hist_quantile(h, 0.99) == 1);
	CHECK(rsnl_hist_quantile(h, 1.0) == UINT64_MAX);
}

int main(void)
{
	test_parse_size();
	test_iobus();
	test_fwcfg();
	test_uart();
	test_pic();
	test_pit();
	test_rtc();
	test_apics();
	test_msi();
	test_ioapic_msi();
	test_stop_devices();
	test_multiboot_elf();
	test_multiboot_aout();
	test_hist_quantile();
	test_iommu();
	test_pci_host();
	test_virtio_rng();
	test_virtio_malformed();
	test_virtio_blk();
	test_route_parse();
	test_gdb_framing();
	test_gdb_regs();
	test_gva_walk();
	test_gdb_session();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
