// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: interrupt routing (irq.h).
 *
 * An ISA line goes to the 8259A pair and to the I/O APIC (IRQ 0 on pin 2,
 * the others on the pin of their number, as the MADT's interrupt source
 * override says).  A vCPU takes interrupts from its local APIC; vCPU 0
 * also takes the 8259A's INT, directly when its local APIC is disabled or
 * absent, through LINT0 when that is programmed ExtINT (the "virtual wire"
 * mode of the MP spec 1.4, 3.6.2.2).  The module's APIC's LINT0 is not
 * visible here: vCPU 0 then takes the INT whenever the 8259A raises it,
 * which it no longer does once a guest that moved to the I/O APIC masked
 * it.
 */
#include <signal.h>

#include "devices.h"
#include "hv.h"
#include "iommu.h"
#include "irq.h"
#include "lapic.h"
#include "util.h"
#include "vm.h"

/*
 * An MSI (SDM vol. 3A, 11.11): the destination in address bits 19:12,
 * logical in bit 2; vector, delivery mode, and for a level-triggered one
 * assert (14) and trigger (15) in data.  An I/O APIC entry's SMI, ExtINT
 * or reserved modes have no MSI: the 8259A's INT reaches vCPU 0 through
 * irq_pending() anyway, and nothing here sends an SMI.
 */
bool irq_msi(struct rs_msi *msi, uint32_t dest, bool logical, uint8_t vector,
	     bool level, unsigned int delivery)
{
	*msi = (struct rs_msi){
		.address = 0xfee00000 | (dest & 0xff) << 12 | (logical ? 4 : 0) |
			   (uint64_t)(dest & ~0xffU) << 32,
		.data = vector | delivery << 8 | (level ? 3U << 14 : 0),
	};
	return delivery == DM_FIXED || delivery == DM_LOWEST ||
	       delivery == DM_NMI || delivery == DM_INIT;
}

void irq_deliver_msi(struct vm *vm, uint32_t dest, bool logical,
		     uint8_t vector, bool level, unsigned int delivery)
{
	struct rs_msi msi;

	if (irq_msi(&msi, dest, logical, vector, level, delivery) &&
	    hv_ioctl(vm->fd, RS_SIGNAL_MSI, &msi) < 0)
		pr_perror("RS_SIGNAL_MSI vector %u", vector);
}

#define MSI_REMAPPABLE		(1U << 4)
#define MSI_SHV			(1U << 3)

void irq_send_msi_locked(struct vm *vm, uint64_t address, uint32_t data)
{
	uint32_t index;

	if ((address & ~0xfffffULL) != 0xfee00000ULL)
		return;
	if (address & MSI_REMAPPABLE) {
		if (!vm->iommu)
			return;
		/* The handle in bits 19:5 and 2, plus the subhandle if SHV. */
		index = (address >> 5 & 0x7fff) | (address >> 2 & 1) << 15;
		if (address & MSI_SHV)
			index += data & 0xffff;
		iommu_remap(vm->iommu, index);
		return;
	}
	if (vm->iommu && !iommu_compat_passes(vm->iommu))
		return;
	/* A PCI device's MSI is edge-triggered whatever data says. */
	vm->deliver(vm, address >> 12 & 0xff, address & 4, data & 0xff, false,
		    data >> 8 & 7);
}

void irq_eoi(struct vm *vm, uint8_t vector)
{
	pthread_mutex_lock(&vm->irq_lock);
	if (vm->ioapic)
		ioapic_eoi(vm->ioapic, vector);
	pthread_mutex_unlock(&vm->irq_lock);
}

void irq_set_line_locked(struct vm *vm, unsigned int irq, int level)
{
	if (irq < IRQ_ISA_LINES && vm->pic)
		pic_set_irq(vm->pic, irq, level);
	if (vm->ioapic)
		ioapic_set_irq(vm->ioapic, irq == 0 ? 2 : irq, level);
	irq_update(vm);
}

void irq_set_line(struct vm *vm, unsigned int irq, int level)
{
	pthread_mutex_lock(&vm->irq_lock);
	irq_set_line_locked(vm, irq, level);
	pthread_mutex_unlock(&vm->irq_lock);
}

void irq_pulse(struct vm *vm, unsigned int irq)
{
	pthread_mutex_lock(&vm->irq_lock);
	irq_set_line_locked(vm, irq, 1);
	irq_set_line_locked(vm, irq, 0);
	pthread_mutex_unlock(&vm->irq_lock);
}

/* Does the 8259A's INT reach @vcpu? */
static bool pic_reaches(struct vcpu *vcpu)
{
	if (vcpu->id != 0 || !vcpu->vm->pic)
		return false;
	return !vcpu->lapic || lapic_accepts_extint(vcpu->lapic);
}

static bool irq_pending_locked(struct vcpu *vcpu)
{
	if (vcpu->lapic && lapic_pending(vcpu->lapic))
		return true;
	return pic_reaches(vcpu) && pic_output(vcpu->vm->pic);
}

bool irq_pending(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	bool pending;

	pthread_mutex_lock(&vm->irq_lock);
	vcpu->kicked = false;
	pending = irq_pending_locked(vcpu);
	pthread_mutex_unlock(&vm->irq_lock);
	return pending;
}

bool irq_take_nmi(struct vcpu *vcpu)
{
	bool nmi = false;

	if (!vcpu->lapic)
		return false;
	pthread_mutex_lock(&vcpu->vm->irq_lock);
	nmi = lapic_take_nmi(vcpu->lapic);
	pthread_mutex_unlock(&vcpu->vm->irq_lock);
	return nmi;
}

/*
 * INTA: the local APIC's highest interrupt if it has one above its
 * priority, else the 8259A's (ExtINT).  -1 if nothing is there any more.
 */
int irq_ack(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	int vector = -1;

	pthread_mutex_lock(&vm->irq_lock);
	if (vcpu->lapic)
		vector = lapic_ack(vcpu->lapic);
	if (vector < 0 && pic_reaches(vcpu) && pic_output(vm->pic))
		vector = pic_ack(vm->pic);
	irq_update(vm);
	pthread_mutex_unlock(&vm->irq_lock);
	return vector;
}

void irq_update(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		/* A vCPU's own thread looks again before it enters. */
		if (vcpu->kicked || !vcpu->thread_started ||
		    pthread_equal(pthread_self(), vcpu->thread))
			continue;
		if (irq_pending_locked(vcpu)) {
			vcpu->kicked = true;
			vcpu_kick(vcpu);
		}
	}
}

/*
 * The vCPU thread clears immediate_exit and then looks at its interrupts
 * before each RS_RUN; in_run is set before the ioctl.  So either it sees
 * what changed, or RS_RUN sees immediate_exit, or the signal finds it in
 * RS_RUN and makes it return EINTR.  A halted vCPU waits on vm->wake.
 */
void vcpu_kick(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	if (vm->no_kicks || !vcpu->thread_started ||
	    pthread_equal(pthread_self(), vcpu->thread))
		return;
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&vcpu->in_run, __ATOMIC_SEQ_CST))
		pthread_kill(vcpu->thread, SIG_KICK);
	vcpu_wake(vcpu);
}
