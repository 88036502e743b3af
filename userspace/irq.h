/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: interrupt lines and controllers.
 *
 * The 8259A pair (pic.c) and the I/O APIC (ioapic.c) live in the
 * launcher; the local APICs in the module (RS_CREATE_LAPIC) where it has
 * them, else here too (lapic.c).  The launcher's controllers are under one
 * lock, vm->irq_lock, which device code takes around any change to an
 * interrupt line; the controllers' own register handlers take it too.
 *
 * The I/O APIC's, the remapping unit's and the PCI devices' messages go
 * to the local APICs through one function chosen when the machine is put
 * together, vm->deliver (irq_deliver_fn): an MSI to the module's APICs,
 * or lapic_deliver() to the launcher's.  What the
 * launcher itself injects -- the 8259A's INT to vCPU 0, and with its own
 * APICs every interrupt -- a vCPU thread looks for before each RS_RUN
 * (irq_pending()); if the guest can take it now it acknowledges it
 * (irq_ack(), the INTA cycle) and injects the vector with RS_INJECT_EVENT,
 * otherwise it asks the module for the interrupt window.  A line that goes
 * up while the vCPU is in RS_RUN or halted kicks it (vcpu_kick()).
 *
 * Documentation/launcher.rst says what this costs and why it is here.
 */
#ifndef RINGSIDE_IRQ_H
#define RINGSIDE_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/ringside.h>

struct vm;
struct vcpu;

#define IRQ_ISA_LINES		16
#define IRQ_IOAPIC_PINS		24

/* Delivery modes of APIC messages (SDM vol. 3A, 11.6.1). */
#define DM_FIXED		0
#define DM_LOWEST		1
#define DM_SMI			2
#define DM_NMI			4
#define DM_INIT			5
#define DM_SIPI			6
#define DM_EXTINT		7

/*
 * Raise (@level 1) or lower an ISA interrupt line (0-15) or an I/O APIC
 * pin (16-23): it goes to the 8259A and to the I/O APIC, where IRQ 0
 * arrives on pin 2 as on a PC.  An edge-triggered device pulses it.
 */
void irq_set_line(struct vm *vm, unsigned int irq, int level);
void irq_pulse(struct vm *vm, unsigned int irq);
/* The same with vm->irq_lock held (the controllers' timers). */
void irq_set_line_locked(struct vm *vm, unsigned int irq, int level);

/* vCPU thread: is there an interrupt for this vCPU, and which (INTA)? */
bool irq_pending(struct vcpu *vcpu);
int irq_ack(struct vcpu *vcpu);
/* vCPU thread: an NMI was sent to this vCPU (it is taken). */
bool irq_take_nmi(struct vcpu *vcpu);

/*
 * Where interrupt messages go (vm->deliver), chosen once when the machine
 * is put together: @vector with delivery mode @delivery to the local APICs that
 * @dest names (@logical or physical), @level triggered.  irq_lock held.
 * The launcher's own APICs take them with lapic_deliver() (lapic.h).
 */
typedef void irq_deliver_fn(struct vm *vm, uint32_t dest, bool logical,
			    uint8_t vector, bool level, unsigned int delivery);
/* The module's APICs (RS_CREATE_LAPIC) take them as an MSI. */
irq_deliver_fn irq_deliver_msi;
/*
 * That MSI (SDM vol. 3A, 11.11), with destination bits 31:8 of an x2APIC
 * destination (interrupt remapping's, iommu.h) in address bits 63:40;
 * false for a mode an MSI cannot carry.
 */
bool irq_msi(struct rs_msi *msi, uint32_t dest, bool logical, uint8_t vector,
	     bool level, unsigned int delivery);
/*
 * A device's MSI write of @data to @address (a PCI device's MSI-X): in
 * remappable format (VT-d 5.1.2.2) through interrupt remapping, else as
 * SDM vol. 3A, 11.11 has it, to vm->deliver.  A write outside 0xfeexxxxx
 * is not an interrupt and is dropped.  vm->irq_lock held.
 */
void irq_send_msi_locked(struct vm *vm, uint64_t address, uint32_t data);
/* RS_EXIT_EOI: the module's APIC EOIed level-triggered @vector. */
void irq_eoi(struct vm *vm, uint8_t vector);

/*
 * With vm->irq_lock held: something changed that may give vCPUs an
 * interrupt to take; kick those that have one.
 */
void irq_update(struct vm *vm);

/*
 * Make @vcpu look at its interrupts again: out of RS_RUN (SIG_KICK and
 * immediate_exit) or out of a halt.  vm->irq_lock held.
 */
void vcpu_kick(struct vcpu *vcpu);

#endif /* RINGSIDE_IRQ_H */
