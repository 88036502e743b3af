/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: device timers on the host's CLOCK_MONOTONIC.
 *
 * One thread sleeps until the earliest armed timer's deadline and calls
 * its function, without the timer lock held: a device's function takes its
 * own lock and checks, by the generation it armed the timer with, that the
 * timer was not re-armed or cancelled meanwhile.  Arming and cancelling
 * may be done under a device's lock (the lock order is device, then
 * timers).
 */
#ifndef RINGSIDE_TIMER_H
#define RINGSIDE_TIMER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vtimer {
	uint64_t deadline;		/* ns of CLOCK_MONOTONIC */
	bool armed;
	/* Called on the timer thread with @gen as it was when armed. */
	void (*fn)(void *arg, uint64_t gen);
	void *arg;
	uint64_t gen;
	struct vtimer *next;		/* the armed list, by deadline */
};

struct timers {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* the earliest deadline changed */
	struct vtimer *armed;
	pthread_t thread;
	bool started, stopping;
};

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t clock_ns(void);

/* The host's TSC frequency, measured (100 ms); 0 if that failed. */
unsigned long host_tsc_khz(void);

int timers_init(struct timers *t);
/* Start the thread; call before the vCPUs run. */
int timers_start(struct timers *t);
/* Stop the thread; no function runs after it returns. */
void timers_stop(struct timers *t);
void timers_destroy(struct timers *t);

void vtimer_init(struct vtimer *vt, void (*fn)(void *arg, uint64_t gen),
		 void *arg);
/* (Re)arm @vt for @deadline; its generation goes up. */
void vtimer_arm(struct timers *t, struct vtimer *vt, uint64_t deadline);
/* Disarm; its generation goes up so that a call under way is ignored. */
void vtimer_cancel(struct timers *t, struct vtimer *vt);

#endif /* RINGSIDE_TIMER_H */
