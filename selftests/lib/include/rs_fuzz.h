/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fuzz tests share: a seeded random number generator (one state
 * per thread, so that each thread's sequence depends on its seed only),
 * RS_SEED from the environment, and pickers of hostile vCPU state.
 */
#ifndef SELFTEST_RS_FUZZ_H
#define SELFTEST_RS_FUZZ_H

#include <stdint.h>
#include <linux/ringside.h>

/*
 * RS_SEED=n replays a run, RS_SEED=random draws a new seed; without it,
 * @fixed, so that make check is reproducible.
 */
uint64_t rs_fuzz_env_seed(uint64_t fixed);

/* xorshift64*: small, and the same sequence for the same seed. */
void rs_rng_seed(uint64_t seed);
uint64_t rs_rnd(void);

/* A value worth trying: a boundary, one bit of @old flipped, small, noise. */
uint64_t rs_fuzz_pick(uint64_t old);

/*
 * One to four random changes to segments, descriptor tables, control
 * registers and EFER, or to RIP, RFLAGS and the GPRs; @ram_size (a power
 * of two) bounds the guest-physical addresses they aim at.
 */
void rs_fuzz_mutate_sregs(struct rs_sregs *s, uint64_t ram_size);
void rs_fuzz_mutate_regs(struct rs_regs *r, uint64_t ram_size);

/*
 * One to @max (at most 4) MSRs a user may set, each with a value that
 * RS_SET_MSRS takes or refuses: returns how many it wrote to @e.
 */
unsigned int rs_fuzz_msrs(struct rs_msr_entry *e, unsigned int max);

/* An event of any type, vector and error code, valid or not. */
void rs_fuzz_event(struct rs_event *ev);

#endif /* SELFTEST_RS_FUZZ_H */
