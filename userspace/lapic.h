/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: the local APIC of each vCPU (lapic.c) and the I/O
 * APIC (ioapic.c).  Their state is under vm->irq_lock, like the 8259A's.
 */
#ifndef RINGSIDE_LAPIC_H
#define RINGSIDE_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "irq.h"

struct vm;
struct vcpu;
struct lapic;
struct ioapic;

#define LAPIC_BASE		0xfee00000ULL
#define IOAPIC_BASE		0xfec00000ULL
/* The I/O APIC's ID comes after the vCPUs' APIC IDs (0 to N - 1). */
#define IOAPIC_ID(vm)		((vm)->nr_vcpus)

/* lapic.c */
struct lapic *lapic_create(struct vcpu *vcpu);
void lapic_destroy(struct lapic *lapic);
/* The MMIO page at LAPIC_BASE: one range for all, by the calling vCPU. */
int lapic_register_mmio(struct vm *vm);
/* An interrupt above the processor priority is waiting. */
bool lapic_pending(struct lapic *lapic);
/* INTA: the highest such vector goes in service; -1 if none. */
int lapic_ack(struct lapic *lapic);
/* LINT0 passes the 8259A's INT (ExtINT), or the APIC is off. */
bool lapic_accepts_extint(struct lapic *lapic);
/*
 * Deliver @vector with delivery mode @delivery (@level: level triggered)
 * to the local APICs that @dest names in @logical or physical mode.
 */
irq_deliver_fn lapic_deliver;
/* IA32_APIC_BASE as the launcher starts each vCPU with it. */
uint64_t lapic_base_msr(const struct vcpu *vcpu);
/* An NMI was sent to it: take it (it is then no longer pending). */
bool lapic_take_nmi(struct lapic *lapic);
/* The calling thread runs @vcpu: its MMIO goes to @vcpu's APIC. */
void lapic_set_self(struct vcpu *vcpu);
/* An AP waits for INIT-SIPI: the SIPI's vector, or -1 if the run ended. */
int lapic_wait_sipi(struct vcpu *vcpu);

/* ioapic.c */
/* Its messages go to vm->deliver: irq_deliver_msi() or lapic_deliver(). */
struct ioapic *ioapic_create(struct vm *vm);
void ioapic_destroy(struct ioapic *ioapic);
void ioapic_set_irq(struct ioapic *ioapic, unsigned int pin, int level);
/* A level-triggered @vector was EOIed: lines still high fire again. */
void ioapic_eoi(struct ioapic *ioapic, uint8_t vector);

#endif /* RINGSIDE_LAPIC_H */
