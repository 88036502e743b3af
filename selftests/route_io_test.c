// SPDX-License-Identifier: GPL-2.0
/*
 * IN and OUT routed by port (RS_SET_EXIT_ROUTE's ports ranges): an access
 * whose port is in a range exits as RS_EXIT_ROUTED with index the port,
 * subindex the size, for OUT value the data, insn_len the instruction's
 * length (immediate or DX port), RIP still on it; the answer decides what
 * it does.  DEFAULT is what ringside does unrouted: the RS_EXIT_IO of old,
 * or for an OUT that an RS_IOEVENTFD registration takes, the eventfd's
 * signal.  EMULATE gives IN results[0] in AL, AX (both merged into RAX)
 * or EAX (zero-extended), as IN writes them (SDM vol. 2, "IN"), and takes
 * an OUT as done; SKIP leaves RAX as it was and writes nothing; INJECT
 * #GP faults with RIP on the instruction.  Ports next to a range do not
 * exit as routed, nor any after an empty route, nor INS and OUTS, which
 * routing does not cover; unrouted, an ioeventfd's port signals without
 * an exit.  The ucall port (0x1000) is never routed here: the test could
 * not hear its guest.
 */
#include <sys/eventfd.h>
#include <asm/svm.h>
#include <asm/vmx.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define RAX_BEFORE	0x1122334455667788ULL
#define EMULATED	0xeeeeeeeea5b6c7d8ULL	/* IN's results[0] */
#define IO_DATA		0x5a6b7c8dU		/* RS_EXIT_IO's data for IN */
#define IMM_PORT	0x80			/* IN/OUT's imm8 port below */

static const struct rs_route_ranges ranges = {
	.nr = 2,
	.range = { { 0x80, 0x83 }, { 0x3f8, 0x3ff } },
};

static const struct access {
	uint16_t port;
	uint8_t size;
	bool imm;		/* port IMM_PORT as imm8, else in DX */
	bool routed;		/* while ranges is the route */
	uint8_t len;		/* the instruction's bytes */
	const char *opcode;	/* as an IN; OUT's opcodes are 2 higher */
} accesses[] = {
	{ IMM_PORT, 1, true,  true, 2, "\xe4\x80" },
	{ IMM_PORT, 2, true,  true, 3, "\x66\xe5\x80" },
	{ IMM_PORT, 4, true,  true, 2, "\xe5\x80" },
	{ 0x3f8,    1, false, true, 1, "\xec" },
	{ 0x3fe,    2, false, true, 2, "\x66\xed" },
	{ 0x3fc,    4, false, true, 1, "\xed" },
	{ 0x7f,     1, false, false, 1, "\xec" },	/* next to the ranges */
	{ 0x84,     2, false, false, 2, "\x66\xed" },
	{ 0x3f7,    4, false, false, 1, "\xed" },
	{ 0x400,    1, false, false, 1, "\xec" },
};

#define NR_ACCESSES	ARRAY_SIZE(accesses)

/* Pass 0-3 routed with one answer each, pass 4 after an empty route. */
#define PASSES		5
static const uint32_t answers[PASSES] = {
	RS_ROUTE_DEFAULT, RS_ROUTE_EMULATE, RS_ROUTE_SKIP, RS_ROUTE_INJECT,
};

/* One access, RAX preset: the vector it raised, and RAX after it. */
static uint64_t io_preset(bool out, const struct access *a, uint64_t *rax)
{
	uint64_t r = RAX_BEFORE, ec, vec = ~0ULL;
	uint16_t port = a->port;

#define IO(insn) RS_ASM_SAFE_EC(insn, &ec, COMMA_OUT("+a"(r)), "d"(port))
	switch (a->size | a->imm << 3 | out << 4) {
	case 1:
		vec = IO("inb %%dx, %%al");
		break;
	case 2:
		vec = IO("inw %%dx, %%ax");
		break;
	case 4:
		vec = IO("inl %%dx, %%eax");
		break;
	case 8 | 1:
		vec = IO("inb $0x80, %%al");
		break;
	case 8 | 2:
		vec = IO("inw $0x80, %%ax");
		break;
	case 8 | 4:
		vec = IO("inl $0x80, %%eax");
		break;
	case 16 | 1:
		vec = IO("outb %%al, %%dx");
		break;
	case 16 | 2:
		vec = IO("outw %%ax, %%dx");
		break;
	case 16 | 4:
		vec = IO("outl %%eax, %%dx");
		break;
	case 24 | 1:
		vec = IO("outb %%al, $0x80");
		break;
	case 24 | 2:
		vec = IO("outw %%ax, $0x80");
		break;
	case 24 | 4:
		vec = IO("outl %%eax, $0x80");
		break;
	}
#undef IO
	*rax = r;
	return vec;
}

static void guest_io(uint64_t out)
{
	unsigned int pass, i;
	uint64_t vec, rax;

	for (pass = 0; pass < PASSES; pass++) {
		for (i = 0; i < NR_ACCESSES; i++) {
			vec = io_preset(out, &accesses[i], &rax);
			GUEST_SYNC_ARGS(pass << 8 | i, vec, rax, 0);
		}
	}
	GUEST_DONE();
}

/* RAX after an IN of @size that read @data: AL and AX merge. */
static uint64_t merged(uint8_t size, uint64_t data)
{
	if (size == 4)
		return (uint32_t)data;
	if (size == 2)
		return (RAX_BEFORE & ~0xffffULL) | (uint16_t)data;
	return (RAX_BEFORE & ~0xffULL) | (uint8_t)data;
}

static uint64_t size_mask(uint8_t size)
{
	return size == 4 ? 0xffffffffULL : (1ULL << (size * 8)) - 1;
}

/* The routed exit's code: SVM's EXITCODE, VMX's basic exit reason. */
static uint64_t hw_code(struct rs_vcpu *vcpu)
{
	uint64_t code = vcpu->run->routed.hw_code;

	return vcpu->vm->svm ? code : code & 0xffff;
}

/* The RS_EXIT_IO of accesses[i], as without routing: IN gets IO_DATA. */
static void expect_io(struct __test_metadata *_metadata, struct rs_vcpu *vcpu,
		      bool out, const struct access *a)
{
	struct rs_run *run = vcpu->run;
	uint32_t data = 0;

	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_IO);
	EXPECT_EQ(out ? RS_IO_OUT : RS_IO_IN, run->io.direction);
	EXPECT_EQ(a->port, run->io.port);
	EXPECT_EQ(a->size, run->io.size);
	EXPECT_EQ(1, run->io.count);
	if (out) {
		memcpy(&data, rs_io_data(vcpu), a->size);
		EXPECT_EQ(RAX_BEFORE & size_mask(a->size), data)
			TH_LOG("OUT of %u bytes to %#x", a->size, a->port);
	} else {
		data = IO_DATA;
		memset(rs_io_data(vcpu), 0xee, 8);
		memcpy(rs_io_data(vcpu), &data, a->size);
	}
}

/* The routed exit of accesses[i]: check it, and answer @action. */
static void expect_routed_io(struct __test_metadata *_metadata,
			     struct rs_vcpu *vcpu, bool out,
			     const struct access *a, uint32_t action)
{
	struct rs_run *run = vcpu->run;
	char opcode[4] = { 0 };
	struct rs_regs regs;

	rs_vcpu_expect_routed(vcpu, out ? RS_ROUTED_IO_OUT : RS_ROUTED_IO_IN,
			      a->port);
	EXPECT_EQ(a->size, run->routed.subindex) TH_LOG("port %#x", a->port);
	EXPECT_EQ(a->len, run->routed.insn_len) TH_LOG("port %#x", a->port);
	EXPECT_EQ(0, run->routed.flags);
	if (out) {
		EXPECT_EQ(RAX_BEFORE & size_mask(a->size), run->routed.value)
			TH_LOG("OUT of %u bytes to %#x", a->size, a->port);
	}
	EXPECT_EQ(vcpu->vm->svm ? SVM_EXIT_IOIO : EXIT_REASON_IO_INSTRUCTION,
		  hw_code(vcpu));
	/* nothing done yet: RIP on the IN or OUT */
	strcpy(opcode, a->opcode);
	opcode[a->size == 2] += out ? 2 : 0;
	rs_vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0, memcmp(rs_gpa2hva(vcpu->vm, regs.rip), opcode,
			    strlen(opcode)))
		TH_LOG("port %#x: RIP %#llx is not on the instruction",
		       a->port, regs.rip);

	if (action == RS_ROUTE_INJECT)
		rs_route_answer_inject(vcpu, GP_VECTOR, true, 0);
	else
		rs_route_answer(vcpu, action, EMULATED);
}

static void run_passes(struct __test_metadata *_metadata, bool out)
{
	struct rs_exit_route rt = { .ports = ranges }, none = { 0 };
	uint64_t vec, rax, evec, erax;
	const struct access *a;
	unsigned int pass, i;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	uint32_t act;
	bool routed;

	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_io);
	rs_vcpu_args_set(vcpu, 1, (uint64_t)out);
	rs_vcpu_set_route(vcpu, &rt);

	for (pass = 0; pass < PASSES; pass++) {
		if (pass == PASSES - 1)
			rs_vcpu_set_route(vcpu, &none);
		act = answers[pass];
		for (i = 0; i < NR_ACCESSES; i++) {
			a = &accesses[i];
			routed = a->routed && pass < PASSES - 1;
			if (routed)
				expect_routed_io(_metadata, vcpu, out, a, act);
			if (!routed || act == RS_ROUTE_DEFAULT)
				expect_io(_metadata, vcpu, out, a);
			ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
			ASSERT_EQ(pass << 8 | i, uc.args[0]);
			vec = uc.args[1];
			rax = uc.args[2];

			evec = RS_NO_EXCEPTION;
			erax = out ? RAX_BEFORE : merged(a->size, IO_DATA);
			if (routed && act == RS_ROUTE_EMULATE && !out)
				erax = merged(a->size, EMULATED);
			if (routed && act == RS_ROUTE_SKIP)
				erax = RAX_BEFORE;
			if (routed && act == RS_ROUTE_INJECT) {
				evec = GP_VECTOR;
				erax = RAX_BEFORE;
			}
			EXPECT_EQ(evec, vec)
				TH_LOG("pass %u (answer %u%s): %s of %u bytes at %#x",
				       pass, act, routed ? "" : ", not routed",
				       out ? "OUT" : "IN", a->size, a->port);
			EXPECT_EQ(erax, rax)
				TH_LOG("pass %u (answer %u%s): %s of %u bytes at %#x: RAX %#lx",
				       pass, act, routed ? "" : ", not routed",
				       out ? "OUT" : "IN", a->size, a->port,
				       (unsigned long)rax);
		}
	}
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST(in_routed)
{
	RS_REQUIRE_VM();
	run_passes(_metadata, false);
}

TEST(out_routed)
{
	RS_REQUIRE_VM();
	run_passes(_metadata, true);
}

/*
 * An OUT that an RS_IOEVENTFD registration takes: routed, it comes to
 * user space, and DEFAULT then signals the eventfd, SKIP does not;
 * unrouted, it signals with no exit.  ANOTHER_PORT's registration is
 * outside the route: it signals with no exit all along.
 */
#define EFD_PORT	0x3fa
#define ANOTHER_PORT	0x3f0

static void guest_ioeventfd(void)
{
	int stage;

	for (stage = 0; stage < 3; stage++) {
		outw(EFD_PORT, 0x1234 + stage);
		outw(ANOTHER_PORT, stage);
		GUEST_SYNC(stage);
	}
	GUEST_DONE();
}

static uint64_t efd_count(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static int ioeventfd(struct rs_vm *vm, uint16_t port, int fd)
{
	struct rs_ioeventfd a = {
		.addr = port, .len = 2, .fd = fd, .flags = RS_IOEVENTFD_PIO,
	};

	return ioctl(vm->fd, RS_IOEVENTFD, &a);
}

TEST(ioeventfd_routed)
{
	struct rs_exit_route rt = { .ports = ranges }, none = { 0 };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	int efd, other;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_ioeventfd);
	efd = eventfd(0, EFD_NONBLOCK);
	other = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, ioeventfd(vm, EFD_PORT, efd));
	ASSERT_EQ(0, ioeventfd(vm, ANOTHER_PORT, other));
	rs_vcpu_set_route(vcpu, &rt);

	rs_vcpu_expect_routed(vcpu, RS_ROUTED_IO_OUT, EFD_PORT);
	EXPECT_EQ(2, vcpu->run->routed.subindex);
	EXPECT_EQ(0x1234, vcpu->run->routed.value);
	EXPECT_EQ(0, efd_count(efd)) TH_LOG("signalled before the answer");
	rs_route_answer(vcpu, RS_ROUTE_DEFAULT, 0);
	rs_vcpu_expect_sync(vcpu, 0);
	EXPECT_EQ(1, efd_count(efd)) TH_LOG("DEFAULT");
	EXPECT_EQ(1, efd_count(other));

	rs_vcpu_expect_routed(vcpu, RS_ROUTED_IO_OUT, EFD_PORT);
	EXPECT_EQ(0x1235, vcpu->run->routed.value);
	rs_route_answer(vcpu, RS_ROUTE_SKIP, 0);
	rs_vcpu_expect_sync(vcpu, 1);
	EXPECT_EQ(0, efd_count(efd)) TH_LOG("SKIP");
	EXPECT_EQ(1, efd_count(other));

	rs_vcpu_set_route(vcpu, &none);
	rs_vcpu_expect_sync(vcpu, 2);
	EXPECT_EQ(1, efd_count(efd)) TH_LOG("not routed");
	EXPECT_EQ(1, efd_count(other));
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
	close(efd);
	close(other);
}

/* INS and OUTS to a routed port: the RS_EXIT_IO of old, not routed. */
#define STRING_PORT	0x3f9

static void guest_string(void)
{
	static uint8_t buf[2] = { 0x42 };
	void *p = buf;
	uint64_t n = 1;

	asm volatile("outsb" : "+S"(p) : "d"(STRING_PORT) : "memory");
	asm volatile("insb" : "+D"(p) : "d"(STRING_PORT) : "memory");
	GUEST_ASSERT_EQ(buf[1], 0x24);
	p = &buf[1];
	asm volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(STRING_PORT)
		     : "memory");
	GUEST_DONE();
}

TEST(string_io_not_routed)
{
	struct rs_exit_route rt = { .ports = ranges };
	struct rs_vcpu *vcpu;
	struct rs_run *run;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_string);
	run = vcpu->run;
	rs_vcpu_set_route(vcpu, &rt);

	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_IO);
	EXPECT_EQ(RS_IO_OUT, run->io.direction);
	EXPECT_EQ(STRING_PORT, run->io.port);
	EXPECT_EQ(0x42, *(uint8_t *)rs_io_data(vcpu));

	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_IO);
	EXPECT_EQ(RS_IO_IN, run->io.direction);
	EXPECT_EQ(STRING_PORT, run->io.port);
	*(uint8_t *)rs_io_data(vcpu) = 0x24;

	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_IO);
	EXPECT_EQ(RS_IO_OUT, run->io.direction) TH_LOG("REP OUTSB");
	EXPECT_EQ(0x24, *(uint8_t *)rs_io_data(vcpu));
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
