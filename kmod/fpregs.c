// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's MMX, XMM and YMM registers for the vector moves that the
 * emulator carries out: read and written with the guest's FPU state
 * loaded, as KVM's kvm_fpu_get() does, and with the host's own MMX, SSE
 * and AVX instructions.
 */
#include <linux/kernel.h>
#include <asm/fpu/api.h>

#include "emulate.h"

/*
 * The guest's x87, MMX, XMM and YMM registers are the CPU's while RS_RUN
 * runs (fpu_swap_kvm_fpstate()), unless a preemption saved them: then
 * they are loaded back first, with preemption and softirqs held off
 * until the access is done (fpregs_lock()), as KVM's kvm_fpu_get() does.
 * The YMM forms are only used for a VEX instruction, which
 * rs_mmio_vec_begin() takes only where the host has AVX.
 */
static void rs_fpregs_get(void)
{
	fpregs_lock();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
}

/* XMM register @reg's 16 bytes into @v. */
static void rs_xmm_get(unsigned int reg, u8 (*v)[16])
{
	switch (reg) {
	case 0:
		asm("movdqu %%xmm0, %0" : "=m"(*v));
		break;
	case 1:
		asm("movdqu %%xmm1, %0" : "=m"(*v));
		break;
	case 2:
		asm("movdqu %%xmm2, %0" : "=m"(*v));
		break;
	case 3:
		asm("movdqu %%xmm3, %0" : "=m"(*v));
		break;
	case 4:
		asm("movdqu %%xmm4, %0" : "=m"(*v));
		break;
	case 5:
		asm("movdqu %%xmm5, %0" : "=m"(*v));
		break;
	case 6:
		asm("movdqu %%xmm6, %0" : "=m"(*v));
		break;
	case 7:
		asm("movdqu %%xmm7, %0" : "=m"(*v));
		break;
	case 8:
		asm("movdqu %%xmm8, %0" : "=m"(*v));
		break;
	case 9:
		asm("movdqu %%xmm9, %0" : "=m"(*v));
		break;
	case 10:
		asm("movdqu %%xmm10, %0" : "=m"(*v));
		break;
	case 11:
		asm("movdqu %%xmm11, %0" : "=m"(*v));
		break;
	case 12:
		asm("movdqu %%xmm12, %0" : "=m"(*v));
		break;
	case 13:
		asm("movdqu %%xmm13, %0" : "=m"(*v));
		break;
	case 14:
		asm("movdqu %%xmm14, %0" : "=m"(*v));
		break;
	case 15:
		asm("movdqu %%xmm15, %0" : "=m"(*v));
		break;
	}
}

/* @v into XMM register @reg; bits 255:128 of the YMM register stay. */
static void rs_xmm_put(unsigned int reg, const u8 (*v)[16])
{
	switch (reg) {
	case 0:
		asm volatile("movdqu %0, %%xmm0" : : "m"(*v));
		break;
	case 1:
		asm volatile("movdqu %0, %%xmm1" : : "m"(*v));
		break;
	case 2:
		asm volatile("movdqu %0, %%xmm2" : : "m"(*v));
		break;
	case 3:
		asm volatile("movdqu %0, %%xmm3" : : "m"(*v));
		break;
	case 4:
		asm volatile("movdqu %0, %%xmm4" : : "m"(*v));
		break;
	case 5:
		asm volatile("movdqu %0, %%xmm5" : : "m"(*v));
		break;
	case 6:
		asm volatile("movdqu %0, %%xmm6" : : "m"(*v));
		break;
	case 7:
		asm volatile("movdqu %0, %%xmm7" : : "m"(*v));
		break;
	case 8:
		asm volatile("movdqu %0, %%xmm8" : : "m"(*v));
		break;
	case 9:
		asm volatile("movdqu %0, %%xmm9" : : "m"(*v));
		break;
	case 10:
		asm volatile("movdqu %0, %%xmm10" : : "m"(*v));
		break;
	case 11:
		asm volatile("movdqu %0, %%xmm11" : : "m"(*v));
		break;
	case 12:
		asm volatile("movdqu %0, %%xmm12" : : "m"(*v));
		break;
	case 13:
		asm volatile("movdqu %0, %%xmm13" : : "m"(*v));
		break;
	case 14:
		asm volatile("movdqu %0, %%xmm14" : : "m"(*v));
		break;
	case 15:
		asm volatile("movdqu %0, %%xmm15" : : "m"(*v));
		break;
	}
}

/* YMM register @reg's 32 bytes into @v (AVX). */
static void rs_ymm_get(unsigned int reg, u8 (*v)[32])
{
	switch (reg) {
	case 0:
		asm("vmovdqu %%ymm0, %0" : "=m"(*v));
		break;
	case 1:
		asm("vmovdqu %%ymm1, %0" : "=m"(*v));
		break;
	case 2:
		asm("vmovdqu %%ymm2, %0" : "=m"(*v));
		break;
	case 3:
		asm("vmovdqu %%ymm3, %0" : "=m"(*v));
		break;
	case 4:
		asm("vmovdqu %%ymm4, %0" : "=m"(*v));
		break;
	case 5:
		asm("vmovdqu %%ymm5, %0" : "=m"(*v));
		break;
	case 6:
		asm("vmovdqu %%ymm6, %0" : "=m"(*v));
		break;
	case 7:
		asm("vmovdqu %%ymm7, %0" : "=m"(*v));
		break;
	case 8:
		asm("vmovdqu %%ymm8, %0" : "=m"(*v));
		break;
	case 9:
		asm("vmovdqu %%ymm9, %0" : "=m"(*v));
		break;
	case 10:
		asm("vmovdqu %%ymm10, %0" : "=m"(*v));
		break;
	case 11:
		asm("vmovdqu %%ymm11, %0" : "=m"(*v));
		break;
	case 12:
		asm("vmovdqu %%ymm12, %0" : "=m"(*v));
		break;
	case 13:
		asm("vmovdqu %%ymm13, %0" : "=m"(*v));
		break;
	case 14:
		asm("vmovdqu %%ymm14, %0" : "=m"(*v));
		break;
	case 15:
		asm("vmovdqu %%ymm15, %0" : "=m"(*v));
		break;
	}
}

/* @v into YMM register @reg (AVX). */
static void rs_ymm_put(unsigned int reg, const u8 (*v)[32])
{
	switch (reg) {
	case 0:
		asm volatile("vmovdqu %0, %%ymm0" : : "m"(*v));
		break;
	case 1:
		asm volatile("vmovdqu %0, %%ymm1" : : "m"(*v));
		break;
	case 2:
		asm volatile("vmovdqu %0, %%ymm2" : : "m"(*v));
		break;
	case 3:
		asm volatile("vmovdqu %0, %%ymm3" : : "m"(*v));
		break;
	case 4:
		asm volatile("vmovdqu %0, %%ymm4" : : "m"(*v));
		break;
	case 5:
		asm volatile("vmovdqu %0, %%ymm5" : : "m"(*v));
		break;
	case 6:
		asm volatile("vmovdqu %0, %%ymm6" : : "m"(*v));
		break;
	case 7:
		asm volatile("vmovdqu %0, %%ymm7" : : "m"(*v));
		break;
	case 8:
		asm volatile("vmovdqu %0, %%ymm8" : : "m"(*v));
		break;
	case 9:
		asm volatile("vmovdqu %0, %%ymm9" : : "m"(*v));
		break;
	case 10:
		asm volatile("vmovdqu %0, %%ymm10" : : "m"(*v));
		break;
	case 11:
		asm volatile("vmovdqu %0, %%ymm11" : : "m"(*v));
		break;
	case 12:
		asm volatile("vmovdqu %0, %%ymm12" : : "m"(*v));
		break;
	case 13:
		asm volatile("vmovdqu %0, %%ymm13" : : "m"(*v));
		break;
	case 14:
		asm volatile("vmovdqu %0, %%ymm14" : : "m"(*v));
		break;
	case 15:
		asm volatile("vmovdqu %0, %%ymm15" : : "m"(*v));
		break;
	}
}

/*
 * MMX register @reg (REX.R names no other: SDM vol. 2, 2.2.1.2) into @v
 * with an MMX store, and @v into it with an MMX load, on the guest's own
 * registers: the CPU itself sets the x87 TOS to 0 and every tag valid,
 * as the guest's MOVD, MOVQ or MOVNTQ would (SDM vol. 1, 9.5.1), and the
 * load sets bits 79:64 to ones.  A MOVD load's @v is zero-extended.
 */
static void rs_mmx_get(unsigned int reg, u8 (*v)[8])
{
	switch (reg & 7) {
	case 0:
		asm volatile("movq %%mm0, %0" : "=m"(*v));
		break;
	case 1:
		asm volatile("movq %%mm1, %0" : "=m"(*v));
		break;
	case 2:
		asm volatile("movq %%mm2, %0" : "=m"(*v));
		break;
	case 3:
		asm volatile("movq %%mm3, %0" : "=m"(*v));
		break;
	case 4:
		asm volatile("movq %%mm4, %0" : "=m"(*v));
		break;
	case 5:
		asm volatile("movq %%mm5, %0" : "=m"(*v));
		break;
	case 6:
		asm volatile("movq %%mm6, %0" : "=m"(*v));
		break;
	case 7:
		asm volatile("movq %%mm7, %0" : "=m"(*v));
		break;
	}
}

static void rs_mmx_put(unsigned int reg, const u8 (*v)[8])
{
	switch (reg & 7) {
	case 0:
		asm volatile("movq %0, %%mm0" : : "m"(*v));
		break;
	case 1:
		asm volatile("movq %0, %%mm1" : : "m"(*v));
		break;
	case 2:
		asm volatile("movq %0, %%mm2" : : "m"(*v));
		break;
	case 3:
		asm volatile("movq %0, %%mm3" : : "m"(*v));
		break;
	case 4:
		asm volatile("movq %0, %%mm4" : : "m"(*v));
		break;
	case 5:
		asm volatile("movq %0, %%mm5" : : "m"(*v));
		break;
	case 6:
		asm volatile("movq %0, %%mm6" : : "m"(*v));
		break;
	case 7:
		asm volatile("movq %0, %%mm7" : : "m"(*v));
		break;
	}
}

/*
 * An unmasked x87 exception pending (FSW.ES)?  The guest's MMX
 * instruction would have raised #MF before its access (SDM vol. 2, MOVQ),
 * and ringside's own would raise it in the host.
 */
bool rs_x87_pending(void)
{
	u16 fsw;

	rs_fpregs_get();
	asm volatile("fnstsw %0" : "=m"(fsw));
	fpregs_unlock();
	return fsw & BIT(7);
}

/*
 * What a store writes, from its register into @v: a YMM register's 32
 * bytes, an XMM register's low 16 (MOVHPS and MOVHPD: from byte 8), or
 * an MMX register's 8.
 */
void rs_vec_get(const struct rs_insn *in, u8 *v)
{
	u8 x[16];

	rs_fpregs_get();
	if (in->vec & RS_VEC_MMX) {
		rs_mmx_get(in->reg, (u8 (*)[8])v);
	} else if (in->size == 32) {
		rs_ymm_get(in->reg, (u8 (*)[32])v);
	} else {
		rs_xmm_get(in->reg, &x);
		memcpy(v, in->vec & RS_VEC_HIGH ? x + 8 : x, in->size);
	}
	fpregs_unlock();
}

/*
 * A load's @v into its register: an MMX register's 8 bytes, a YMM
 * register's 32, or an XMM register's 16 with bits 255:128 zeroed (VEX)
 * or left alone (legacy SSE).  MOVLPS, MOVLPD, MOVHPS and MOVHPD replace
 * bits 63:0 or 127:64 only: the other half is the register's own, or
 * with VEX that of the register VEX.vvvv names (SDM vol. 2, MOVLPS).
 */
void rs_vec_put(const struct rs_insn *in, const u8 *v)
{
	unsigned int src = in->vec & RS_VEC_VEX ? in->vvvv : in->reg;
	u8 y[32] = { 0 };

	rs_fpregs_get();
	if (in->vec & RS_VEC_HALF) {
		rs_xmm_get(src, (u8 (*)[16])y);
		memcpy(in->vec & RS_VEC_HIGH ? y + 8 : y, v, 8);
	} else {
		memcpy(y, v, in->size == 32 ? 32 : 16);
	}
	if (in->vec & RS_VEC_MMX)
		rs_mmx_put(in->reg, (const u8 (*)[8])y);
	else if (in->size == 32 || (in->vec & RS_VEC_VEX))
		rs_ymm_put(in->reg, &y);
	else
		rs_xmm_put(in->reg, (const u8 (*)[16])y);
	fpregs_unlock();
}
