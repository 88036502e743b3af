// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: memory slots, the nested page table (NPT or EPT), and the
 * MMU notifier that keeps it in step with the owner's address space.
 *
 * Nothing is pinned.  A nested page fault looks the page up in the VM
 * owner's mm and maps it; before the host unmaps, reclaims or migrates that
 * page, the notifier removes it from the nested page table and flushes the
 * vCPUs' TLBs, so the guest can never reach it afterwards.  Leaf entries map
 * 4 KiB pages; a table is freed when a zap leaves it empty, and the rest
 * with the VM.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "rs.h"
#include "trace.h"

#define NPT_LEVELS		4
#define NPT_ADDR_MASK		GENMASK_ULL(51, 12)
/* Four levels translate 48 bits of guest-physical address. */
#define RS_GPA_LIMIT		BIT_ULL(48)

static u64 *npt_table(u64 pte)
{
	return __va(pte & NPT_ADDR_MASK);
}

static unsigned int npt_index(u64 gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * level)) & 511;
}

static void npt_free_table(u64 *table, int level)
{
	int i;

	for (i = 0; level > 0 && i < 512; i++)
		if (table[i] & rs_ops->npt_present)
			npt_free_table(npt_table(table[i]), level - 1);
	free_page((unsigned long)table);
	/* A VM of many GiB frees tens of thousands of tables. */
	if (level == 1)
		cond_resched();
}

/*
 * Zapping: removing the leaf entries of a guest-physical range, and the
 * tables that this leaves empty.  It runs under mmu_lock, a spinlock, and a
 * range can span 256 TiB.  So it goes one leaf table (2 MiB of guest
 * memory) at a time, from the root each time, and where the caller may
 * sleep it lets go of the lock every RS_ZAP_BATCH leaf tables: a zap holds
 * the lock for a bounded time, as KVM's tdp_mmu_zap_leafs() does, and
 * another zap may free tables meanwhile without this one touching them.
 *
 * The hardware may still use a zapped entry, or a table unlinked from its
 * parent, until the vCPUs flushed their TLBs: tables are freed only after
 * rs_vm_flush_tlbs(), which is done before letting go of the lock and at
 * the end.
 */
#define RS_ZAP_BATCH		64

struct rs_zap {
	struct rs_vm *vm;
	bool can_yield;
	bool flush;			/* entries zapped since the last flush */
	struct list_head freed;		/* unlinked tables, after the flush */
	u64 start, end;			/* what the caller asked for, in bytes */
	unsigned long leaves, tables, yields;
	u64 locked_ns, max_hold_ns;	/* how long mmu_lock is held */
};

static void rs_zap_lock(struct rs_zap *z, struct rs_vm *vm, bool can_yield)
	__acquires(&vm->mmu_lock)
{
	*z = (struct rs_zap){ .vm = vm, .can_yield = can_yield };
	INIT_LIST_HEAD(&z->freed);
	spin_lock(&vm->mmu_lock);
	z->locked_ns = ktime_get_ns();
}

/* Flush the TLBs if anything was zapped, then free unlinked tables. */
static void rs_zap_flush(struct rs_zap *z)
{
	struct page *page, *next;

	if (!z->flush)
		return;
	rs_vm_flush_tlbs(z->vm);
	z->flush = false;
	list_for_each_entry_safe(page, next, &z->freed, lru)
		__free_page(page);
	INIT_LIST_HEAD(&z->freed);
}

static void rs_zap_unlock(struct rs_zap *z)
	__releases(&z->vm->mmu_lock)
{
	rs_zap_flush(z);
	z->max_hold_ns = max(z->max_hold_ns, ktime_get_ns() - z->locked_ns);
	spin_unlock(&z->vm->mmu_lock);
	if (z->leaves || z->tables)
		trace_ringside_npt_zap(z->vm, z->start >> PAGE_SHIFT,
				       (z->end - z->start) >> PAGE_SHIFT, z->leaves,
				       z->tables, z->yields, z->max_hold_ns);
}

static void rs_zap_yield(struct rs_zap *z)
	__must_hold(&z->vm->mmu_lock)
{
	rs_zap_flush(z);
	z->max_hold_ns = max(z->max_hold_ns, ktime_get_ns() - z->locked_ns);
	spin_unlock(&z->vm->mmu_lock);
	cond_resched();
	spin_lock(&z->vm->mmu_lock);
	z->locked_ns = ktime_get_ns();
	z->yields++;
}

/* Unlink the table that *pte points to, for freeing after the flush. */
static void npt_unlink(struct rs_zap *z, u64 *pte)
{
	list_add(&virt_to_page(npt_table(*pte))->lru, &z->freed);
	WRITE_ONCE(*pte, 0);
	z->tables++;
	z->flush = true;
}

/*
 * Zap [addr, end) within the leaf table that covers addr, if there is one,
 * and unlink the tables left empty.  Returns where the next one starts.
 */
static u64 npt_zap_one(struct rs_zap *z, u64 addr, u64 end)
{
	u64 *pte[NPT_LEVELS], *table = z->vm->npt_root;
	unsigned long leaves = z->leaves;
	u64 next;
	int level, i;

	for (level = NPT_LEVELS - 1; level > 0; level--) {
		unsigned int shift = PAGE_SHIFT + 9 * level;

		pte[level] = &table[npt_index(addr, level)];
		if (!(*pte[level] & rs_ops->npt_present))
			return round_down(addr, 1ULL << shift) + (1ULL << shift);
		table = npt_table(*pte[level]);
	}
	next = round_down(addr, 1ULL << (PAGE_SHIFT + 9)) + (1ULL << (PAGE_SHIFT + 9));
	for (i = npt_index(addr, 0); addr < min(end, next); addr += PAGE_SIZE, i++) {
		if (table[i] & rs_ops->npt_present) {
			WRITE_ONCE(table[i], 0);
			z->leaves++;
			z->flush = true;
		}
	}
	/*
	 * Each table this left empty goes, up to (not including) the root;
	 * no table is linked empty, so one that lost nothing is not.
	 */
	for (level = 1; level < NPT_LEVELS && z->leaves != leaves; level++) {
		if (memchr_inv(npt_table(*pte[level]), 0, PAGE_SIZE))
			break;
		npt_unlink(z, pte[level]);
	}
	return next;
}

/* Remove the guest-physical range [start, end) from the nested page table. */
static void npt_zap(struct rs_zap *z, u64 start, u64 end)
{
	unsigned int batch = 0;
	u64 addr = start;

	lockdep_assert_held(&z->vm->mmu_lock);
	if (!z->start && !z->end)
		z->start = start;
	z->end = max(z->end, end);
	while (addr < end) {
		addr = npt_zap_one(z, addr, end);
		if (z->can_yield && ++batch == RS_ZAP_BATCH && addr < end) {
			rs_zap_yield(z);
			batch = 0;
		}
	}
}

static void rs_zap_gfns(struct rs_zap *z, u64 gfn, u64 npages)
{
	npt_zap(z, gfn << PAGE_SHIFT, (gfn + npages) << PAGE_SHIFT);
}

/* A slot being deleted is gone for faults, still there for zapping. */
static struct rs_memslot *rs_find_slot(struct rs_vm *vm, u64 gfn)
{
	int i;

	for (i = 0; i < RS_NR_MEMSLOTS; i++) {
		struct rs_memslot *s = &vm->slots[i];

		if (gfn >= s->gfn && gfn - s->gfn < s->npages && !s->deleting)
			return s;
	}
	return NULL;
}

/* Zap what [start, end) of the owner's address space backs. */
static void rs_zap_hva(struct rs_zap *z, unsigned long start,
		       unsigned long end)
{
	int i;

	for (i = 0; i < RS_NR_MEMSLOTS; i++) {
		struct rs_memslot *s = &z->vm->slots[i];
		unsigned long s_end = s->uaddr + (s->npages << PAGE_SHIFT);
		unsigned long lo, hi;

		if (!s->npages || start >= s_end || end <= s->uaddr)
			continue;
		lo = max(start, s->uaddr);
		hi = min(end, s_end);
		rs_zap_gfns(z, s->gfn + ((lo - s->uaddr) >> PAGE_SHIFT),
			    (hi - lo + PAGE_SIZE - 1) >> PAGE_SHIFT);
	}
}

/*
 * No new mapping can appear meanwhile, even while a zap lets go of the
 * lock: a fault maps only with no invalidation running and mmu_seq as it
 * found it.  The notifier may sleep unless the caller says it must not
 * (the OOM reaper).
 */
static int rs_mn_invalidate_range_start(struct mmu_notifier *mn,
					const struct mmu_notifier_range *range)
{
	struct rs_vm *vm = container_of(mn, struct rs_vm, mn);
	struct rs_zap z;

	rs_zap_lock(&z, vm, mmu_notifier_range_blockable(range));
	vm->mmu_invalidating++;
	vm->mmu_seq++;
	rs_zap_hva(&z, range->start, range->end);
	rs_zap_unlock(&z);
	return 0;
}

static void rs_mn_invalidate_range_end(struct mmu_notifier *mn,
				       const struct mmu_notifier_range *range)
{
	struct rs_vm *vm = container_of(mn, struct rs_vm, mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;
	vm->mmu_invalidating--;
	spin_unlock(&vm->mmu_lock);
}

/*
 * The owner's mm is going away (the process exits): unmap everything.  No
 * thread of the owner is left to fault anything in again.
 */
static void rs_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct rs_vm *vm = container_of(mn, struct rs_vm, mn);
	struct rs_zap z;

	rs_zap_lock(&z, vm, true);
	vm->mmu_seq++;
	rs_zap_gfns(&z, 0, RS_GPA_LIMIT >> PAGE_SHIFT);
	rs_zap_unlock(&z);
}

static const struct mmu_notifier_ops rs_mmu_notifier_ops = {
	.invalidate_range_start = rs_mn_invalidate_range_start,
	.invalidate_range_end = rs_mn_invalidate_range_end,
	.release = rs_mn_release,
};

int rs_mmu_init(struct rs_vm *vm)
{
	vm->npt_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vm->npt_root)
		return -ENOMEM;
	vm->mn.ops = &rs_mmu_notifier_ops;
	return 0;
}

void rs_mmu_destroy(struct rs_vm *vm)
{
	npt_free_table(vm->npt_root, NPT_LEVELS - 1);
}

/*
 * Called with vm->lock held; the caller checked alignment and flags.  A
 * slot being deleted stops serving faults at once (mmu_seq also stops
 * those in flight), but stays visible to the MMU notifier until its
 * entries are gone, as the zap may let go of mmu_lock on the way.
 */
int rs_mmu_set_region(struct rs_vm *vm, const struct rs_memory_region *r)
{
	struct rs_memslot *slot = &vm->slots[r->slot];
	struct rs_memslot new = {
		.gfn = r->guest_phys_addr >> PAGE_SHIFT,
		.npages = r->size >> PAGE_SHIFT,
		.uaddr = r->userspace_addr,
		.flags = r->flags,
	};
	struct rs_zap z;
	int i;

	lockdep_assert_held(&vm->lock);
	if (!new.npages) {
		if (!slot->npages)
			return -EINVAL;
	} else {
		if (slot->npages)
			return -EEXIST;
		if (r->guest_phys_addr >= RS_GPA_LIMIT ||
		    r->size > RS_GPA_LIMIT - r->guest_phys_addr)
			return -EINVAL;
		if (!access_ok((void __user *)new.uaddr, r->size))
			return -EFAULT;
		for (i = 0; i < RS_NR_MEMSLOTS; i++) {
			struct rs_memslot *s = &vm->slots[i];

			if (s->npages && new.gfn < s->gfn + s->npages &&
			    s->gfn < new.gfn + new.npages)
				return -EEXIST;
		}
	}

	rs_zap_lock(&z, vm, true);
	if (slot->npages) {
		slot->deleting = true;
		vm->mmu_seq++;
		rs_zap_gfns(&z, slot->gfn, slot->npages);
	}
	*slot = new;
	vm->mmu_seq++;
	rs_zap_unlock(&z);
	return 0;
}

/* Walk to the leaf entry for gpa, adding tables from cache[] as needed. */
static u64 *npt_walk(struct rs_vm *vm, u64 gpa, struct page **cache)
{
	u64 *table = vm->npt_root;
	int level;

	for (level = NPT_LEVELS - 1; level > 0; level--) {
		u64 *pte = &table[npt_index(gpa, level)];

		if (!(*pte & rs_ops->npt_present)) {
			struct page *page = *cache;

			*cache++ = NULL;
			WRITE_ONCE(*pte, page_to_phys(page) | rs_ops->npt_table);
		}
		table = npt_table(*pte);
	}
	return &table[npt_index(gpa, 0)];
}

/*
 * A nested page fault at gpa.  Returns 0 to enter the guest again (mapped,
 * or raced with an invalidation and will fault again), RS_MMU_NOT_RAM
 * where no slot backs the access (the caller decides what the access
 * was), or an errno.
 */
int rs_mmu_fault(struct rs_vcpu *vcpu, u64 gpa, bool write, bool fetch)
{
	struct page *cache[NPT_LEVELS - 1] = { NULL };
	struct rs_vm *vm = vcpu->vm;
	struct rs_memslot *slot;
	unsigned long uaddr, seq;
	struct page *page;
	bool readonly;
	int i, r;

	spin_lock(&vm->mmu_lock);
	slot = rs_find_slot(vm, gpa >> PAGE_SHIFT);
	if (!slot || (write && (slot->flags & RS_MEM_READONLY))) {
		spin_unlock(&vm->mmu_lock);
		return RS_MMU_NOT_RAM;
	}
	readonly = slot->flags & RS_MEM_READONLY;
	uaddr = slot->uaddr + (((gpa >> PAGE_SHIFT) - slot->gfn) << PAGE_SHIFT);
	seq = vm->mmu_seq;
	spin_unlock(&vm->mmu_lock);

	r = -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(cache); i++) {
		cache[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!cache[i])
			goto out;
	}

	/* The guest writes a writable slot: break COW now, map it writable. */
	r = get_user_pages_unlocked(uaddr, 1, &page, readonly ? 0 : FOLL_WRITE);
	if (r != 1) {
		r = -EFAULT;
		goto out;
	}

	spin_lock(&vm->mmu_lock);
	if (!vm->mmu_invalidating && vm->mmu_seq == seq) {
		u64 *pte = npt_walk(vm, gpa, cache);

		WRITE_ONCE(*pte, page_to_phys(page) | rs_ops->npt_leaf_ro |
			   (readonly ? 0 : rs_ops->npt_leaf_w));
	}
	spin_unlock(&vm->mmu_lock);
	put_page(page);
	r = 0;
out:
	for (i = 0; i < ARRAY_SIZE(cache); i++)
		if (cache[i])
			__free_page(cache[i]);
	return r;
}

/*
 * Guest-physical memory through the owner's mapping (the caller runs in
 * vm->mm).  -EFAULT where no slot backs it, or for a write, no writable one.
 */
static int rs_access_guest(struct rs_vm *vm, u64 gpa, void *data,
			   unsigned int len, bool write)
{
	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - offset_in_page(gpa));
		void __user *uaddr = NULL;
		struct rs_memslot *slot;

		spin_lock(&vm->mmu_lock);
		slot = rs_find_slot(vm, gpa >> PAGE_SHIFT);
		if (slot && !(write && (slot->flags & RS_MEM_READONLY)))
			uaddr = (void __user *)slot->uaddr +
				(gpa - (slot->gfn << PAGE_SHIFT));
		spin_unlock(&vm->mmu_lock);
		if (!uaddr || (write ? copy_to_user(uaddr, data, n) :
				       copy_from_user(data, uaddr, n)))
			return -EFAULT;
		gpa += n;
		data += n;
		len -= n;
	}
	return 0;
}

int rs_read_guest(struct rs_vm *vm, u64 gpa, void *data, unsigned int len)
{
	return rs_access_guest(vm, gpa, data, len, false);
}

int rs_write_guest(struct rs_vm *vm, u64 gpa, const void *data,
		   unsigned int len)
{
	return rs_access_guest(vm, gpa, (void *)data, len, true);
}
