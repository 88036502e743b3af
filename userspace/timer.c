// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: device timers (timer.h).  A handful of timers are
 * armed at a time (the PIT's channel 0, one local APIC timer per vCPU), so
 * a sorted list does.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "timer.h"
#include "util.h"

uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/*
 * The guest's TSC is the host's plus an offset, so it ticks at the host's
 * rate: count TSC ticks across 100 ms of CLOCK_MONOTONIC_RAW, reading the
 * clock between two TSC reads each time so that a preemption shows.
 */
unsigned long host_tsc_khz(void)
{
	uint64_t t0, t1, c0, c1, c2, c3;
	struct timespec nap = { 0, 100000000 };

	c0 = rdtsc();
	t0 = raw_ns();
	c1 = rdtsc();
	nanosleep(&nap, NULL);
	c2 = rdtsc();
	t1 = raw_ns();
	c3 = rdtsc();
	if (t1 <= t0)
		return 0;
	return (unsigned __int128)((c2 + c3) / 2 - (c0 + c1) / 2) * 1000000 /
	       (t1 - t0);
}

static void timer_unlink(struct timers *t, struct vtimer *vt)
{
	struct vtimer **p;

	for (p = &t->armed; *p; p = &(*p)->next) {
		if (*p == vt) {
			*p = vt->next;
			break;
		}
	}
	vt->next = NULL;
	vt->armed = false;
}

void vtimer_init(struct vtimer *vt, void (*fn)(void *arg, uint64_t gen),
		 void *arg)
{
	memset(vt, 0, sizeof(*vt));
	vt->fn = fn;
	vt->arg = arg;
}

void vtimer_arm(struct timers *t, struct vtimer *vt, uint64_t deadline)
{
	struct vtimer **p;

	pthread_mutex_lock(&t->lock);
	if (vt->armed)
		timer_unlink(t, vt);
	vt->deadline = deadline;
	vt->gen++;
	vt->armed = true;
	for (p = &t->armed; *p && (*p)->deadline <= deadline; p = &(*p)->next)
		;
	vt->next = *p;
	*p = vt;
	if (t->armed == vt)
		pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

void vtimer_cancel(struct timers *t, struct vtimer *vt)
{
	pthread_mutex_lock(&t->lock);
	if (vt->armed)
		timer_unlink(t, vt);
	vt->gen++;
	pthread_mutex_unlock(&t->lock);
}

static void *timer_thread(void *arg)
{
	struct timers *t = arg;
	struct vtimer *vt;
	struct timespec ts;
	uint64_t gen;

	pthread_mutex_lock(&t->lock);
	while (!t->stopping) {
		vt = t->armed;
		if (!vt) {
			pthread_cond_wait(&t->cond, &t->lock);
			continue;
		}
		if (vt->deadline > clock_ns()) {
			ts.tv_sec = vt->deadline / 1000000000ULL;
			ts.tv_nsec = vt->deadline % 1000000000ULL;
			pthread_cond_timedwait(&t->cond, &t->lock, &ts);
			continue;
		}
		timer_unlink(t, vt);
		gen = vt->gen;
		pthread_mutex_unlock(&t->lock);
		vt->fn(vt->arg, gen);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int timers_init(struct timers *t)
{
	pthread_condattr_t attr;

	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	if (pthread_condattr_init(&attr) ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&t->cond, &attr)) {
		pr_err("timers: cannot make a CLOCK_MONOTONIC condition");
		pthread_mutex_destroy(&t->lock);
		return -1;
	}
	pthread_condattr_destroy(&attr);
	return 0;
}

int timers_start(struct timers *t)
{
	sigset_t all, old;
	int err;

	/* The timer thread takes no signals: they are the main thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&t->thread, NULL, timer_thread, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		errno = err;
		pr_perror("cannot start the timer thread");
		return -1;
	}
	t->started = true;
	return 0;
}

void timers_stop(struct timers *t)
{
	if (!t->started)
		return;
	pthread_mutex_lock(&t->lock);
	t->stopping = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	t->started = false;
}

void timers_destroy(struct timers *t)
{
	timers_stop(t);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
}
