// SPDX-License-Identifier: GPL-2.0
/*
 * Tearing down a huge sparse guest: a 64 GiB slot (MAP_NORESERVE) whose
 * guest touched one page every 2 MiB has a leaf table of the nested page
 * table for each of those 32768 pages.  MADV_DONTNEED of the whole slot
 * must zap them all without holding mmu_lock, with preemption off, for
 * the whole walk: the zap lets go of it every 64 leaf tables (kmod/mmu.c),
 * frees every table it empties, and the kernel reports no soft lockup or
 * RCU stall.  The ringside_npt_zap tracepoint says what each zap removed,
 * how often it let go, and the longest it held the lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rs_nl.h"
#include "rs_sys.h"
#include "rs_test.h"
#include "rs_util.h"

#define SLOT		1
#define SLOT_GPA	(64ULL << 30)		/* guest-physical = virtual */
#define SLOT_SIZE	(64ULL << 30)
#define SZ_2M		(2ULL << 20)
#define NR_TOUCH	(SLOT_SIZE / SZ_2M)	/* 32768 */
#define ZAP_BATCH	64			/* RS_ZAP_BATCH in mmu.c */

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_PS		(1ULL << 7)

static void guest_code(void)
{
	uint64_t i;

	for (i = 0; i < NR_TOUCH; i++)
		*(volatile uint8_t *)(SLOT_GPA + i * SZ_2M) = 1;
	GUEST_DONE();
}

/* Identity-map [SLOT_GPA, SLOT_GPA + SLOT_SIZE) in the guest, 2 MiB pages. */
static void map_slot(struct rs_vm *vm)
{
	uint64_t *pml4 = rs_gpa2hva(vm, vm->pml4);
	uint64_t *pdpt = rs_gpa2hva(vm, pml4[0] & ~0xfffULL);
	uint64_t gb, i, pd, *e;

	for (gb = SLOT_GPA >> 30; gb < (SLOT_GPA + SLOT_SIZE) >> 30; gb++) {
		pd = rs_vm_alloc_pages(vm, 1);
		e = rs_gpa2hva(vm, pd);
		for (i = 0; i < 512; i++)
			e[i] = ((gb << 30) + i * SZ_2M) | PTE_P | PTE_RW | PTE_PS;
		pdpt[gb] = pd | PTE_P | PTE_RW;
	}
}

struct zap {
	unsigned long leaves, tables, yields;
	uint64_t max_hold_ns;
};

/* The sums of the VM's ringside_npt_zap events, and the longest hold. */
static int read_zaps(uint32_t id, struct zap *sum)
{
	char line[512], want[32];
	int n = 0;
	FILE *f;

	memset(sum, 0, sizeof(*sum));
	f = fopen(RS_TRACEFS "/trace", "r");
	if (!f)
		return -1;
	snprintf(want, sizeof(want), "vm %u ", id);
	while (fgets(line, sizeof(line), f)) {
		struct zap z;
		char *p = strstr(line, "ringside_npt_zap: ");

		if (!p || !strstr(p, want))
			continue;
		p = strstr(p, " leaves ");
		if (!p || sscanf(p, " leaves %lu tables %lu yields %lu max_hold_ns %" SCNu64,
				 &z.leaves, &z.tables, &z.yields, &z.max_hold_ns) != 4)
			continue;
		sum->leaves += z.leaves;
		sum->tables += z.tables;
		sum->yields += z.yields;
		if (z.max_hold_ns > sum->max_hold_ns)
			sum->max_hold_ns = z.max_hold_ns;
		n++;
	}
	fclose(f);
	return n;
}

static const char *const events[] = { "ringside_npt_zap" };

/* A VM whose guest touched the 64 GiB slot at @mem every 2 MiB. */
static struct rs_vm *touched_vm(struct __test_metadata *_metadata, void **mem)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	*mem = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	RS_ASSERT(*mem != MAP_FAILED, "mmap of 64 GiB: %s", strerror(errno));
	/* One 4 KiB page per touch, not a transparent huge page. */
	RS_ASSERT(!madvise(*mem, SLOT_SIZE, MADV_NOHUGEPAGE), "MADV_NOHUGEPAGE");
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	RS_ASSERT(!__rs_set_memory_region(vm, SLOT, 0, SLOT_GPA, SLOT_SIZE, *mem),
		  "RS_SET_MEMORY_REGION: %s", strerror(errno));
	map_slot(vm);
	rs_vcpu_expect_done(vcpu);
	RS_ASSERT(!rs_trace_start(events, 1, rs_vm_id(vm)), "tracefs");
	return vm;
}

/* What the zaps since touched_vm() removed, and no report in the log. */
static void check_zaps(struct __test_metadata *_metadata, struct rs_vm *vm,
		       int kmsg)
{
	const char *splat;
	struct zap z;
	size_t len;
	char *log;
	int n;

	rs_trace_stop();
	n = read_zaps(rs_vm_id(vm), &z);
	TH_LOG("%d zaps: %lu leaves, %lu tables, %lu times mmu_lock let go, held at most %" PRIu64 " ns",
	       n, z.leaves, z.tables, z.yields, z.max_hold_ns);
	EXPECT_EQ(NR_TOUCH, z.leaves);
	/* A leaf table per 2 MiB, and a table above them per GiB. */
	EXPECT_EQ(NR_TOUCH + NR_TOUCH / 512, z.tables);
	EXPECT_LE(NR_TOUCH / ZAP_BATCH - 1, z.yields);

	log = rs_kmsg_read(kmsg);
	splat = log ? rs_kmsg_find_splat(log, &len) : NULL;
	EXPECT_EQ(NULL, splat) TH_LOG("kernel log: %.*s", (int)len, splat);
	free(log);
}

#define REQUIRE_ZAP_TRACE() do {					\
	RS_REQUIRE_VM();						\
	RS_REQUIRE_ROOT();						\
	if (access(RS_TRACEFS "/events/ringside/ringside_npt_zap", F_OK)) \
		SKIP(return, "no ringside_npt_zap tracepoint (tracefs not mounted?)"); \
} while (0)

/*
 * 32768 nested page faults and their zap take a few seconds on Debian's
 * kernel and minutes on the debug kernel (KASAN, lockdep) under TCG.
 */
FIXTURE(zap) {};
FIXTURE_SETUP(zap) {}
FIXTURE_TEARDOWN(zap) {}

/* The MMU notifier of MADV_DONTNEED zaps it; munmap finds nothing left. */
TEST_F_TIMEOUT(zap, sparse_64g_dontneed, 900)
{
	struct rs_vm *vm;
	void *mem;
	int kmsg;

	REQUIRE_ZAP_TRACE();
	kmsg = rs_kmsg_open();
	ASSERT_LE(0, kmsg);
	vm = touched_vm(_metadata, &mem);
	ASSERT_EQ(0, madvise(mem, SLOT_SIZE, MADV_DONTNEED));
	ASSERT_EQ(0, munmap(mem, SLOT_SIZE));
	EXPECT_EQ(0, __rs_set_memory_region(vm, SLOT, 0, SLOT_GPA, 0, NULL));
	check_zaps(_metadata, vm, kmsg);
	close(kmsg);
	rs_vm_free(vm);
}

/*
 * Deleting the slot zaps it, letting go of mmu_lock on the way; the guest
 * finds nothing there afterwards (an MMIO exit), though the memory is
 * still mapped in the owner.
 */
TEST_F_TIMEOUT(zap, sparse_64g_slot_delete, 900)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	void *mem;
	int kmsg;

	REQUIRE_ZAP_TRACE();
	kmsg = rs_kmsg_open();
	ASSERT_LE(0, kmsg);
	vm = touched_vm(_metadata, &mem);
	ASSERT_EQ(0, __rs_set_memory_region(vm, SLOT, 0, SLOT_GPA, 0, NULL));
	check_zaps(_metadata, vm, kmsg);

	vcpu = rs_vcpu_add(vm, 1, guest_code);
	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_MMIO);
	EXPECT_EQ(SLOT_GPA, vcpu->run->mmio.phys_addr);
	EXPECT_EQ(0, munmap(mem, SLOT_SIZE));
	close(kmsg);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
