// SPDX-License-Identifier: GPL-2.0
/*
 * Creating and destroying VMs leaves nothing behind: 1000 cycles of a VM
 * with two vCPUs (run pages mapped) and a memory slot, 100 cycles of a VM
 * that runs guest code, and 1000 of a VM whose 4 vCPUs each touch 4 memory
 * slots, do not grow kernel memory by what 1000 (or 100) leaked pages
 * would add; afterwards the module has no users and the kernel log holds
 * no warning, BUG or oops.  On a kernel with kmemleak (scripts/vm-run
 * --debug-kernel) no object ringside allocated may be left unreferenced
 * instead, which finds leaks far smaller than a page.
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define SLOT_SIZE	(2 << 20)
#define NR_VCPUS	4
/* Slots 1-3 beside the RAM slot, inside the identity map, below MMIO. */
#define EXTRA_SLOTS	3
#define EXTRA_GPA(i)	(0x80000000ULL + (i) * 0x10000000ULL)
#define EXTRA_SIZE	(64 << 10)

static void guest_code(void)
{
	hlt();
	GUEST_DONE();
}

/* Map a page of each extra slot (nested page tables, pinned pages). */
static void guest_touch_slots(uint64_t id)
{
	int i;

	for (i = 0; i < EXTRA_SLOTS; i++)
		*(volatile uint64_t *)(EXTRA_GPA(i) + id * 4096) += 1;
	hlt();
	GUEST_DONE();
}

static void four_by_four_cycle(void)
{
	struct rs_vcpu *vcpu[NR_VCPUS];
	struct rs_vm *vm;
	int i;

	vm = rs_vm_create_default();
	for (i = 0; i < EXTRA_SLOTS; i++)
		rs_vm_add_region(vm, 1 + i, 0, EXTRA_GPA(i), EXTRA_SIZE);
	for (i = 0; i < NR_VCPUS; i++) {
		vcpu[i] = rs_vcpu_add(vm, i, guest_touch_slots);
		rs_vcpu_args_set(vcpu[i], 1, (uint64_t)i);
	}
	for (i = 0; i < NR_VCPUS; i++) {
		rs_vcpu_run_expect_exit(vcpu[i], RS_EXIT_HLT);
		rs_vcpu_expect_done(vcpu[i]);
	}
	rs_vm_free(vm);
}

FIXTURE(cycles) {
	int kmsg;
	struct rs_mem before;
};

FIXTURE_SETUP(cycles)
{
	self->kmsg = -1;
}

FIXTURE_TEARDOWN(cycles)
{
	if (self->kmsg >= 0)
		close(self->kmsg);
}

static void bare_cycle(struct __test_metadata *_metadata, int dev, void *mem,
		       long run_size)
{
	struct rs_memory_region r = {
		.slot = 0, .size = SLOT_SIZE, .userspace_addr = (uint64_t)mem,
	};
	int vm, vcpu[2], i;
	void *run[2];

	vm = ioctl(dev, RS_CREATE_VM, 0);
	ASSERT_LE(0, vm) TH_LOG("RS_CREATE_VM: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(vm, RS_SET_MEMORY_REGION, &r))
		TH_LOG("RS_SET_MEMORY_REGION: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		vcpu[i] = ioctl(vm, RS_CREATE_VCPU, i);
		ASSERT_LE(0, vcpu[i]) TH_LOG("RS_CREATE_VCPU: %s", strerror(errno));
		run[i] = mmap(NULL, run_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, vcpu[i], 0);
		ASSERT_NE(MAP_FAILED, run[i]);
		/* touch it: the page must exist to leak */
		((struct rs_run *)run[i])->immediate_exit = 0;
	}
	/* alternate the order things go away in */
	if (vm & 1) {
		close(vm);
		for (i = 0; i < 2; i++) {
			munmap(run[i], run_size);
			close(vcpu[i]);
		}
	} else {
		for (i = 0; i < 2; i++) {
			close(vcpu[i]);
			munmap(run[i], run_size);
		}
		close(vm);
	}
}

/*
 * On Debian's kernel, kernel memory is the measure.  A debug kernel's KASAN
 * keeps freed objects in quarantine and its stack depot only grows, so
 * there kmemleak is: no object ringside allocated may be unreferenced.
 */
static void check_after(struct __test_metadata *_metadata,
			FIXTURE_DATA(cycles) *self, int cycles, long tolerance_kb)
{
	struct rs_mem after;
	const char *splat;
	size_t len;
	char *log;
	long ref;

	ASSERT_EQ(0, rs_mem_snapshot(&after));
	TH_LOG("kernel memory %+ld KiB over %d cycles (slab %+ld, vmalloc %+ld, percpu %+ld KiB)",
	       after.kernel_kb - self->before.kernel_kb, cycles,
	       after.sunreclaim_kb - self->before.sunreclaim_kb,
	       after.vmalloc_kb - self->before.vmalloc_kb,
	       after.percpu_kb - self->before.percpu_kb);
	if (rs_kmemleak_present()) {
		log = rs_kmemleak_scan();
		ASSERT_NE(NULL, log) TH_LOG("kmemleak scan failed");
		splat = rs_kmemleak_mine(log, &len);
		EXPECT_EQ(NULL, splat) TH_LOG("kmemleak: %.*s", (int)len, splat);
		free(log);
	} else {
		EXPECT_GE(tolerance_kb, after.kernel_kb - self->before.kernel_kb)
			TH_LOG("kernel memory grew by more than %ld KiB",
			       tolerance_kb);
	}
	EXPECT_EQ(1, rs_module_count(&ref));
	EXPECT_EQ(0, ref) TH_LOG("ringside has %ld users after the cycles", ref);
	log = rs_kmsg_read(self->kmsg);
	ASSERT_NE(NULL, log);
	splat = rs_kmsg_find_splat(log, &len);
	EXPECT_EQ(NULL, splat) TH_LOG("kernel log: %.*s", (int)len, splat);
	free(log);
}

TEST_F_TIMEOUT(cycles, bare_1000, 1200)
{
	long run_size;
	void *mem;
	int dev, i;

	RS_REQUIRE_VM();
	RS_REQUIRE_ROOT();
	self->kmsg = rs_kmsg_open();
	ASSERT_LE(0, self->kmsg);
	mem = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	dev = rs_open_dev();
	run_size = ioctl(dev, RS_CHECK_CAPABILITY, RS_CAP_RUN_SIZE);

	for (i = 0; i < 20; i++)
		bare_cycle(_metadata, dev, mem, run_size);
	close(dev);
	ASSERT_EQ(0, rs_mem_snapshot(&self->before));
	dev = rs_open_dev();
	for (i = 0; i < 1000; i++)
		bare_cycle(_metadata, dev, mem, run_size);
	close(dev);
	munmap(mem, SLOT_SIZE);
	/* 1000 leaked pages would be 4000 KiB */
	check_after(_metadata, self, 1000, 512);
}

TEST_F_TIMEOUT(cycles, running_100, 1200)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	int i;

	RS_REQUIRE_VM();
	RS_REQUIRE_ROOT();
	self->kmsg = rs_kmsg_open();
	ASSERT_LE(0, self->kmsg);
	for (i = 0; i < 110; i++) {
		if (i == 10) {
			ASSERT_EQ(0, rs_mem_snapshot(&self->before));
		}
		vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
		rs_vcpu_run_expect_exit(vcpu, RS_EXIT_HLT);
		rs_vcpu_expect_done(vcpu);
		rs_vm_free(vm);
	}
	/* 100 leaked pages would be 400 KiB */
	check_after(_metadata, self, 100, 256);
}

TEST_F_TIMEOUT(cycles, four_vcpus_four_slots_1000, 1800)
{
	int i;

	RS_REQUIRE_VM();
	RS_REQUIRE_ROOT();
	self->kmsg = rs_kmsg_open();
	ASSERT_LE(0, self->kmsg);
	for (i = 0; i < 20; i++)
		four_by_four_cycle();
	ASSERT_EQ(0, rs_mem_snapshot(&self->before));
	for (i = 0; i < 1000; i++)
		four_by_four_cycle();
	/* 1000 leaked pages would be 4000 KiB */
	check_after(_metadata, self, 1000, 512);
}

TEST_HARNESS_MAIN
