// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of ucalls: recognise the OUT to RS_UCALL_PORT, fetch the
 * guest's struct ucall and turn failures reported by the guest into test
 * failures that say where in the guest code they happened.
 */
#include <stdio.h>

#include "rs_util.h"

/* A NUL-terminated string at guest address gva, copied out safely. */
static const char *guest_str(struct rs_vm *vm, uint64_t gva, char *buf,
			     size_t size)
{
	unsigned int i;

	for (i = 0; i < vm->nr_regions; i++) {
		struct rs_region *r = &vm->regions[i];
		size_t n, max;

		if (gva < r->gpa || gva - r->gpa >= r->size)
			continue;
		max = r->size - (gva - r->gpa);
		if (max > size - 1)
			max = size - 1;
		for (n = 0; n < max; n++) {
			buf[n] = ((char *)r->hva)[gva - r->gpa + n];
			if (!buf[n])
				break;
		}
		buf[n] = '\0';
		return buf;
	}
	snprintf(buf, size, "<%#lx>", (unsigned long)gva);
	return buf;
}

uint64_t rs_get_ucall(struct rs_vcpu *vcpu, struct ucall *uc)
{
	struct rs_run *run = vcpu->run;
	char expr[256], file[256];
	struct ucall local;
	uint32_t gpa;

	if (!uc)
		uc = &local;
	memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != RS_EXIT_IO || run->io.port != RS_UCALL_PORT)
		return UCALL_NONE;
	RS_ASSERT(run->io.direction == RS_IO_OUT && run->io.size == 4 &&
		  run->io.count == 1,
		  "ucall port exit: direction %u size %u count %u, expected a single 4-byte OUT",
		  run->io.direction, run->io.size, run->io.count);
	memcpy(&gpa, rs_io_data(vcpu), sizeof(gpa));
	memcpy(uc, rs_gpa2hva(vcpu->vm, gpa), sizeof(*uc));

	switch (uc->cmd) {
	case UCALL_ABORT:
		guest_str(vcpu->vm, uc->args[UCALL_ABORT_EXPR], expr,
			  sizeof(expr));
		guest_str(vcpu->vm, uc->args[UCALL_ABORT_FILE], file,
			  sizeof(file));
		if (uc->args[UCALL_ABORT_HAS_VALUES])
			rs_test_fail(file, uc->args[UCALL_ABORT_LINE], expr,
				     "guest assertion failed on vCPU %u: %#lx != %#lx",
				     vcpu->id,
				     (unsigned long)uc->args[UCALL_ABORT_A],
				     (unsigned long)uc->args[UCALL_ABORT_B]);
		rs_test_fail(file, uc->args[UCALL_ABORT_LINE], expr,
			     "guest assertion failed on vCPU %u", vcpu->id);
	case UCALL_UNHANDLED:
		rs_test_fail(__FILE__, __LINE__, "guest exception",
			     "vCPU %u: unexpected exception vector %lu, error code %#lx, at rip %#lx (cr2 %#lx)",
			     vcpu->id,
			     (unsigned long)uc->args[UCALL_EX_VECTOR],
			     (unsigned long)uc->args[UCALL_EX_ERROR_CODE],
			     (unsigned long)uc->args[UCALL_EX_RIP],
			     (unsigned long)uc->args[UCALL_EX_CR2]);
	case UCALL_SYNC:
	case UCALL_DONE:
		return uc->cmd;
	}
	rs_test_fail(__FILE__, __LINE__, "ucall", "unknown ucall %lu",
		     (unsigned long)uc->cmd);
}

uint64_t rs_vcpu_run_ucall(struct rs_vcpu *vcpu, struct ucall *uc)
{
	char buf[256];
	uint64_t cmd;

	rs_vcpu_run(vcpu);
	cmd = rs_get_ucall(vcpu, uc);
	RS_ASSERT(cmd != UCALL_NONE, "vCPU %u: expected a ucall, got %s",
		  vcpu->id, rs_exit_describe(vcpu, buf, sizeof(buf)));
	return cmd;
}

void rs_vcpu_expect_sync(struct rs_vcpu *vcpu, uint64_t stage)
{
	struct ucall uc;
	uint64_t cmd = rs_vcpu_run_ucall(vcpu, &uc);

	RS_ASSERT(cmd == UCALL_SYNC && uc.args[0] == stage,
		  "vCPU %u: expected GUEST_SYNC(%lu), got ucall %lu (arg %lu)",
		  vcpu->id, (unsigned long)stage, (unsigned long)cmd,
		  (unsigned long)uc.args[0]);
}

void rs_vcpu_expect_done(struct rs_vcpu *vcpu)
{
	struct ucall uc;
	uint64_t cmd = rs_vcpu_run_ucall(vcpu, &uc);

	RS_ASSERT(cmd == UCALL_DONE,
		  "vCPU %u: expected GUEST_DONE, got ucall %lu (arg %lu)",
		  vcpu->id, (unsigned long)cmd, (unsigned long)uc.args[0]);
}

uint64_t rs_vcpu_run_mmio(struct rs_vcpu *vcpu, struct ucall *uc)
{
	char buf[256];
	uint64_t cmd;

	rs_vcpu_run(vcpu);
	cmd = rs_get_ucall(vcpu, uc);
	RS_ASSERT(cmd != UCALL_NONE || vcpu->run->exit_reason == RS_EXIT_MMIO,
		  "vCPU %u: expected a ucall or an MMIO exit, got %s",
		  vcpu->id, rs_exit_describe(vcpu, buf, sizeof(buf)));
	return cmd;
}

void rs_vcpu_run_expect_exit(struct rs_vcpu *vcpu, uint32_t reason)
{
	char buf[256];

	rs_vcpu_run(vcpu);
	if (vcpu->run->exit_reason != reason)
		rs_get_ucall(vcpu, NULL);	/* a guest failure says more */
	RS_ASSERT(vcpu->run->exit_reason == reason,
		  "vCPU %u: expected exit %s, got %s", vcpu->id,
		  rs_exit_reason_str(reason),
		  rs_exit_describe(vcpu, buf, sizeof(buf)));
}

void rs_vcpu_expect_routed(struct rs_vcpu *vcpu, uint32_t event,
			   uint32_t index)
{
	char buf[256];

	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_ROUTED);
	RS_ASSERT(vcpu->run->routed.event == event &&
		  vcpu->run->routed.index == index,
		  "vCPU %u: expected routed event %u index %#x, got %s",
		  vcpu->id, event, index,
		  rs_exit_describe(vcpu, buf, sizeof(buf)));
}
