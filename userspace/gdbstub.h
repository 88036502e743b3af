/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: a gdb stub ("run --gdb PORT").  gdb connects over TCP
 * and speaks its remote serial protocol (the "Remote Protocol" appendix of
 * the gdb manual); each vCPU is a gdb thread, registers are read and
 * written with RS_GET_REGS/RS_SET_REGS and their SREGS and FPU kin, guest
 * memory by virtual address through the guest's page tables (gva.h),
 * software breakpoints are INT3s whose #BP the module routes to the
 * launcher (Documentation/exit-routing.rst); single-step, hardware
 * breakpoints and watchpoints are the module's RS_SET_GUEST_DEBUG.
 *
 *   gdbstub.c    the session: commands, breakpoints, stepping, stopping
 *                and going on
 *   gdbpacket.c  packets: framing, checksums, escapes, hex
 *   gdbregs.c    the register layouts and target.xml
 *   gdbtarget.c  the launcher's side: the TCP listener, the vCPU threads
 *                as the stub's target, their routed #BP
 *
 * The stub drives the vCPUs through struct gdb_target_ops: the launcher's
 * vCPU threads in a run (gdbstub_start()), or a test's stand-in.
 */
#ifndef RINGSIDE_GDBSTUB_H
#define RINGSIDE_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/ringside.h>

struct vm;
struct vcpu;
struct gdbstub;
struct gdb_server;

/* --- The launcher's side (gdbtarget.c) ------------------------------ */

/* The exception vectors the stub routes to the launcher: #BP. */
#define GDBSTUB_ROUTED_EXCEPTIONS	(1U << 3)

/* Register layouts: gdb's i386 and i386:x86-64 target descriptions. */
enum gdb_layout {
	GDB_LAYOUT_I386,
	GDB_LAYOUT_X86_64,
};

struct gdbstub_options {
	int port;		/* TCP port on 127.0.0.1; 0: any free one */
	bool wait;		/* --gdb-wait: paused until gdb continues */
	/*
	 * The layout gdb gets when it connects with the guest outside long
	 * mode (in long mode it is always x86-64): what the kernel's symbols
	 * are, i386 for a Multiboot kernel, x86-64 for a bzImage.
	 */
	enum gdb_layout layout;
};

/*
 * Listen on @o->port and serve gdb from a thread of its own, one
 * connection at a time, for the VM's whole run; with @o->wait the vCPUs
 * start paused.  After vm_create(), before vm_run().  Returns 0, or a
 * launcher status after saying why: STATUS_HV_FAILURE for a module
 * without RS_CAP_GUEST_DEBUG (single-step, hardware breakpoints).
 */
int gdbstub_start(struct vm *vm, const struct gdbstub_options *o,
		  struct gdb_server **sp);

/*
 * The run ended with @status (a launcher status) or signal @sig: tell a gdb
 * that waits for the guest ("W" or "X"), close, and end the thread.  NULL
 * is nothing to do.
 */
void gdbstub_stop(struct gdb_server *s, int status, int sig);

/*
 * A vCPU thread got a routed #BP (RS_EXIT_ROUTED, RS_ROUTED_EXCEPTION 3).
 * If it is one of the stub's INT3s (or one it removed since the vCPU hit
 * it), the stub answers it: RIP stays on the breakpoint, the VM stops for
 * gdb, and this returns 1.  0: the guest's own INT3, for the caller to
 * answer (RS_ROUTE_DEFAULT delivers it).  -1: the vCPU failed.
 */
int gdbstub_routed_bp(struct gdbstub *g, struct vcpu *vcpu);

/* --- The stub (gdbstub.c) and what it drives ------------------------ */

/*
 * A vCPU's state as the stub reads it while the VM is stopped.  have_fpu
 * is false where RS_GET_FPU failed: gdb then sees those registers as
 * unavailable.
 */
struct gdb_cpu_state {
	struct rs_regs regs;
	struct rs_sregs sregs;
	struct rs_fpu fpu;
	bool have_fpu;
};

/*
 * The machine under the stub.  pause() and resume() are called by the
 * stub's thread only; pause() may also come from a vCPU thread (through
 * gdbstub_routed_bp() and gdbstub_debug_exit()), so it only asks, kicks
 * and returns, and the stub waits in wait_paused().  The register and
 * debug calls are made while paused.
 */
struct gdb_target_ops {
	void (*pause)(void *t);
	void (*wait_paused)(void *t);
	void (*resume)(void *t);
	/*
	 * Let vCPU @cpu alone go on, the others staying paused: a step
	 * (set_debug() with RS_GUEST_DEBUG_SINGLESTEP before it), which
	 * stops again through gdbstub_debug_exit().
	 */
	void (*resume_one)(void *t, unsigned int cpu);
	/* 'k': end the run. */
	void (*kill)(void *t);
	int (*get_state)(void *t, unsigned int cpu, struct gdb_cpu_state *s);
	int (*set_regs)(void *t, unsigned int cpu, const struct rs_regs *r);
	int (*set_sregs)(void *t, unsigned int cpu, const struct rs_sregs *s);
	int (*set_fpu)(void *t, unsigned int cpu, const struct rs_fpu *f);
	/*
	 * RS_SET_GUEST_DEBUG on @cpu: single-step it (SINGLESTEP and
	 * BLOCK_IRQ) at the next resume_one(), and the hardware breakpoints
	 * and watchpoints of Z1-Z4 in DR0-3 (HW_BP), hidden from the guest;
	 * flags 0 lets go.  The vCPU's RS_EXIT_DEBUG comes back through
	 * gdbstub_debug_exit().
	 */
	int (*set_debug)(void *t, unsigned int cpu,
			 const struct rs_guest_debug *d);
};

/*
 * A stub over @vm's RAM with @nr_cpus vCPUs, driven through @ops.  @layout
 * as in struct gdbstub_options.  NULL if out of memory.
 */
struct gdbstub *gdbstub_create(struct vm *vm, unsigned int nr_cpus,
			       const struct gdb_target_ops *ops, void *target,
			       enum gdb_layout layout);
void gdbstub_free(struct gdbstub *g);

/*
 * Serve one gdb connection on @fd until gdb detaches, kills, or hangs up
 * (or gdbstub_stop()); the VM is paused when gdb comes and runs on when it
 * leaves.  Breakpoints are removed when it leaves.  Does not close @fd.
 */
void gdbstub_serve(struct gdbstub *g, int fd);

/*
 * A vCPU stopped the VM for gdb (a software breakpoint, Ctrl-C): gdb hears
 * signal @sig on @cpu's thread, as a software breakpoint if @swbreak.  The
 * first request since the VM was resumed wins.  Any thread.
 */
void gdbstub_request_stop(struct gdbstub *g, unsigned int cpu, int sig,
			  bool swbreak);

/*
 * vCPU @cpu returned RS_EXIT_DEBUG with @dr6 (run->debug.dr6): B0-B3 for
 * the stub's hardware breakpoints and watchpoints that hit, BS for the
 * end of a step.  Stops the VM for gdb with SIGTRAP, and says which
 * breakpoint or watched address ("hwbreak", "watch:ADDR"); returns 1, or
 * 0 if none of it is the stub's (what gdb removed since the vCPU hit it):
 * the vCPU goes on.  A vCPU thread.
 */
int gdbstub_debug_exit(struct gdbstub *g, unsigned int cpu, uint64_t dr6);

/*
 * The run ended with @status or signal @sig: a session whose gdb waits for
 * the guest tells it ("W", "X") and ends, and gdbstub_end_fd() becomes
 * readable for good (a listener's poll()).
 */
void gdbstub_end(struct gdbstub *g, int status, int sig);
int gdbstub_end_fd(struct gdbstub *g);

/*
 * 1 if one of the stub's INT3s is at guest-physical @gpa; -1 if one was
 * and gdb removed it (the byte is not INT3 any more); 0 otherwise.
 */
int gdbstub_bp_at(struct gdbstub *g, uint64_t gpa);

/* The stub's software breakpoints, for tests. */
unsigned int gdbstub_nr_breakpoints(struct gdbstub *g);
/* The debug registers the stub's hardware breakpoints take, for tests. */
unsigned int gdbstub_nr_hw_slots(struct gdbstub *g);

/* --- The protocol, in pieces (gdbpacket.c, gdbregs.c) --------------- */

/* Largest packet the stub takes, as qSupported says (PacketSize). */
#define GDB_PACKET_SIZE		0x4000

/* The modulo-256 sum of a packet's payload. */
uint8_t gdb_checksum(const void *data, size_t len);

/* "$" @data "#" checksum into @out (@cap bytes): its length, or 0 if too big. */
size_t gdb_frame(char *out, size_t cap, const void *data, size_t len);

/*
 * Incoming bytes, one at a time: acknowledgments, Ctrl-C (0x03) and
 * packets, whose payload is kept with its run-length encoding expanded
 * ("X*N" is X and N - 29 more of it) but its escapes as they came.
 */
enum gdb_rx_event {
	GDB_RX_NONE,		/* nothing complete yet */
	GDB_RX_PACKET,		/* a packet with a good checksum: rx->buf, rx->len */
	GDB_RX_BAD,		/* a packet with a bad checksum, or too long */
	GDB_RX_ACK,		/* '+' */
	GDB_RX_NACK,		/* '-': send the last packet again */
	GDB_RX_INTERRUPT,	/* 0x03 outside a packet */
};

struct gdb_rx {
	int state;
	bool escaped;		/* the last payload byte was '}' */
	bool overflow;
	uint8_t sum;		/* of the payload as it came */
	uint8_t want;		/* the checksum the packet ends with */
	size_t len;
	char buf[GDB_PACKET_SIZE + 1];	/* NUL after the payload */
};

void gdb_rx_init(struct gdb_rx *rx);
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c);

/* A hex digit's value, or -1. */
int gdb_hexval(int c);
/* @len bytes as 2 * @len hex digits (no NUL). */
void gdb_put_hex(char *out, const void *data, size_t len);
/* 2 * @len hex digits at @s into @out: -1 unless all are hex digits. */
int gdb_get_hex(const char *s, uint8_t *out, size_t len);

/* Undo the '}' escapes of binary data, in place: the new length, or -1. */
ssize_t gdb_unescape(char *data, size_t len);

/*
 * Escape @len bytes of binary data for a reply ('#', '$', '}' and '*'),
 * into @out of @cap bytes: as many as fit, *@used of them taken.
 */
size_t gdb_escape(char *out, size_t cap, const void *data, size_t len,
		  size_t *used);

/* The registers of a layout, in gdb's numbering (gdbregs.c). */
unsigned int gdb_nr_regs(enum gdb_layout layout);
/* Register @regno's size in bytes, 0 if there is none. */
unsigned int gdb_reg_size(enum gdb_layout layout, unsigned int regno);
/* Its name, as target.xml says. */
const char *gdb_reg_name(enum gdb_layout layout, unsigned int regno);
/* All of them: the length of the 'g' packet's data, in bytes. */
unsigned int gdb_regs_size(enum gdb_layout layout);

/*
 * Register @regno of @s into @buf, little-endian, gdb_reg_size() bytes:
 * false if the vCPU does not have it to give (the FPU's when !have_fpu).
 */
bool gdb_reg_get(enum gdb_layout layout, const struct gdb_cpu_state *s,
		 unsigned int regno, uint8_t *buf);

/* Which of struct gdb_cpu_state a register write changed. */
#define GDB_DIRTY_REGS		(1U << 0)
#define GDB_DIRTY_SREGS		(1U << 1)
#define GDB_DIRTY_FPU		(1U << 2)

/*
 * Set register @regno of @s from @buf; returns the GDB_DIRTY_* bit of
 * what changed, 0 if nothing could (an FPU register without have_fpu).
 * 32-bit registers of the i386 layout keep the upper halves they had.
 */
unsigned int gdb_reg_set(enum gdb_layout layout, struct gdb_cpu_state *s,
			 unsigned int regno, const uint8_t *buf);

/* target.xml of @layout, NUL-terminated. */
const char *gdb_target_xml(enum gdb_layout layout);

#endif /* RINGSIDE_GDBSTUB_H */
