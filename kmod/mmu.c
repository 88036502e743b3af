// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: memory slots, the nested page table (NPT or EPT), and the
 * MMU notifier that keeps it in step with the owner's address space.
 *
 * Nothing is pinned.  A nested page fault looks the page up in the VM
 * owner's mm and maps it; before the host unmaps, reclaims or migrates that
 * page, the notifier removes it from the nested page table and flushes the
 * vCPUs' TLBs, so the guest can never reach it afterwards.  Leaf entries map
 * 4 KiB pages; tables are freed with the VM.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "rs.h"

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
}

/* Remove the leaf entries for [start, end) below table; true if any. */
static bool npt_zap(u64 *table, int level, u64 base, u64 start, u64 end)
{
	unsigned int shift = PAGE_SHIFT + 9 * level;
	bool zapped = false;
	u64 addr;

	for (addr = max(base, start & ~((1ULL << shift) - 1));
	     addr < end && addr < base + (512ULL << shift);
	     addr += 1ULL << shift) {
		u64 *pte = &table[npt_index(addr, level)];

		if (!(*pte & rs_ops->npt_present))
			continue;
		if (level == 0) {
			WRITE_ONCE(*pte, 0);
			zapped = true;
		} else {
			zapped |= npt_zap(npt_table(*pte), level - 1, addr,
					  start, end);
		}
	}
	return zapped;
}

static bool rs_zap_gfns(struct rs_vm *vm, u64 gfn, u64 npages)
{
	lockdep_assert_held(&vm->mmu_lock);
	return npt_zap(vm->npt_root, NPT_LEVELS - 1, 0, gfn << PAGE_SHIFT,
		       (gfn + npages) << PAGE_SHIFT);
}

static struct rs_memslot *rs_find_slot(struct rs_vm *vm, u64 gfn)
{
	int i;

	for (i = 0; i < RS_NR_MEMSLOTS; i++) {
		struct rs_memslot *s = &vm->slots[i];

		if (gfn >= s->gfn && gfn - s->gfn < s->npages)
			return s;
	}
	return NULL;
}

/* Zap what [start, end) of the owner's address space backs. */
static bool rs_zap_hva(struct rs_vm *vm, unsigned long start,
		       unsigned long end)
{
	bool zapped = false;
	int i;

	for (i = 0; i < RS_NR_MEMSLOTS; i++) {
		struct rs_memslot *s = &vm->slots[i];
		unsigned long s_end = s->uaddr + (s->npages << PAGE_SHIFT);
		unsigned long lo, hi;

		if (!s->npages || start >= s_end || end <= s->uaddr)
			continue;
		lo = max(start, s->uaddr);
		hi = min(end, s_end);
		zapped |= rs_zap_gfns(vm, s->gfn + ((lo - s->uaddr) >> PAGE_SHIFT),
				      (hi - lo + PAGE_SIZE - 1) >> PAGE_SHIFT);
	}
	return zapped;
}

static int rs_mn_invalidate_range_start(struct mmu_notifier *mn,
					const struct mmu_notifier_range *range)
{
	struct rs_vm *vm = container_of(mn, struct rs_vm, mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_invalidating++;
	vm->mmu_seq++;
	if (rs_zap_hva(vm, range->start, range->end))
		rs_vm_flush_tlbs(vm);
	spin_unlock(&vm->mmu_lock);
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

/* The owner's mm is going away (the process exits): unmap everything. */
static void rs_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct rs_vm *vm = container_of(mn, struct rs_vm, mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;
	if (rs_zap_gfns(vm, 0, RS_GPA_LIMIT >> PAGE_SHIFT))
		rs_vm_flush_tlbs(vm);
	spin_unlock(&vm->mmu_lock);
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

/* Called with vm->lock held; the caller checked alignment and flags. */
int rs_mmu_set_region(struct rs_vm *vm, const struct rs_memory_region *r)
{
	struct rs_memslot *slot = &vm->slots[r->slot];
	struct rs_memslot new = {
		.gfn = r->guest_phys_addr >> PAGE_SHIFT,
		.npages = r->size >> PAGE_SHIFT,
		.uaddr = r->userspace_addr,
		.flags = r->flags,
	};
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

	spin_lock(&vm->mmu_lock);
	if (slot->npages && rs_zap_gfns(vm, slot->gfn, slot->npages))
		rs_vm_flush_tlbs(vm);
	*slot = new;
	vm->mmu_seq++;
	spin_unlock(&vm->mmu_lock);
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
 * or raced with an invalidation and will fault again), RS_EXIT_USER for an
 * MMIO exit, or an errno.
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
		return rs_exit_mmio(vcpu, gpa, write);
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
