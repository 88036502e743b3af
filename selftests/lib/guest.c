// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-side library code: ucalls and the C half of exception dispatch.
 * Built with -mgeneral-regs-only, so that taking an exception or making a
 * ucall never touches the SSE registers a test may be checking.
 */
#include "rs_guest.h"

rs_handler_t rs_guest_handlers[256];
int rs_guest_is_svm;
volatile int rs_apic_x2;

/* The RS_ASM_SAFE() sites, gathered by the linker. */
struct rs_ex_fixup {
	uint64_t insn, resume;
};

extern const struct rs_ex_fixup __start_rs_ex_table[];
extern const struct rs_ex_fixup __stop_rs_ex_table[];

/* Keep the section (and so its bounds) even in a test with no site. */
asm(".pushsection rs_ex_table, \"a\"\n\t.popsection");

void rs_ucall(uint64_t cmd, uint64_t a0, uint64_t a1, uint64_t a2,
	      uint64_t a3, uint64_t a4, uint64_t a5)
{
	volatile struct ucall uc;

	uc.cmd = cmd;
	uc.args[0] = a0;
	uc.args[1] = a1;
	uc.args[2] = a2;
	uc.args[3] = a3;
	uc.args[4] = a4;
	uc.args[5] = a5;
	asm volatile("outl %%eax, %%dx"
		     :: "a"((uint32_t)(uint64_t)&uc), "d"(RS_UCALL_PORT)
		     : "memory");
}

void rs_guest_exception(struct rs_ex_regs *regs)
{
	rs_handler_t h = rs_guest_handlers[regs->vector & 0xff];
	const struct rs_ex_fixup *f;

	if (h) {
		h(regs);
		return;
	}
	for (f = __start_rs_ex_table; f < __stop_rs_ex_table; f++) {
		if (f->insn == regs->rip) {
			regs->rip = f->resume;
			regs->r10 = regs->vector;
			regs->r11 = regs->error_code;
			return;
		}
	}
	for (;;)
		rs_ucall(UCALL_UNHANDLED, regs->vector, regs->error_code,
			 regs->rip, read_cr2(), 0, 0);
}

/* Where a vCPU's guest code returns to, if it does. */
void rs_guest_code_returned(void)
{
	for (;;)
		GUEST_FAIL("the guest code returned");
}
