/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host-side helpers for the ringside selftests: what the CPU offers, the
 * kernel log, kernel memory, taint flags, the module list and tracefs.
 * Nothing here talks to ringside itself; rs_util.h does that.
 */
#ifndef SELFTEST_RS_SYS_H
#define SELFTEST_RS_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RS_DEV_PATH		"/dev/ringside"
#define RS_MODULE_NAME		"ringside"
#define RS_KO_DEFAULT		"/ringside/ringside.ko"

/* True if the "flags" line of /proc/cpuinfo holds @flag as a whole word. */
bool rs_cpu_has_flag(const char *flag);
/* Whether its "bugs" line lists @bug ("div0", "l1tf"...). */
bool rs_cpu_has_bug(const char *bug);
/* True if the CPU shows svm or vmx: ringside should load. */
bool rs_host_has_virt(void);

/* $RINGSIDE_KO, else RS_KO_DEFAULT; NULL if neither names a file. */
const char *rs_module_path(void);
/*
 * finit_module(2) with the parameters in $RINGSIDE_PARAMS, and
 * delete_module(2); 0 or -1 with errno set.
 */
int rs_module_load(const char *path);
int rs_module_unload(void);
/*
 * An exit hook example, samples/NAME.ko, from beside ringside.ko (where
 * scripts/vm-run puts them): load it without parameters, or unload it.
 * rs_sample_loaded(): whether /proc/modules lists module @name.
 * rs_module_used_by(): whether it lists module @user among ringside's
 * users (a module that links against ringside's exports is one).
 */
int rs_sample_load(const char *name);
int rs_sample_unload(const char *name);
bool rs_sample_loaded(const char *name);
bool rs_module_used_by(const char *user);
/*
 * Lines of /proc/modules naming ringside; *refcnt gets the use count of
 * the last one (-1 if none).
 */
int rs_module_count(long *refcnt);
/* Entries of /proc/misc named "ringside"; *minor gets the last one's minor. */
int rs_misc_count(int *minor);

/*
 * The kernel log from a point on: rs_kmsg_open() remembers the end of the
 * log, rs_kmsg_read() returns the text of every record added since (one
 * line each, '\n' separated, NUL terminated, malloc'ed) and moves the point.
 */
int rs_kmsg_open(void);
char *rs_kmsg_read(int fd);
/* The first line of @log that looks like a kernel warning, BUG or oops. */
const char *rs_kmsg_find_splat(const char *log, size_t *len);

/*
 * Whether @addr is in the host kernel's text or ringside's module: the
 * first call reads /proc/kallsyms and /proc/modules (make it before
 * threads call it).  False everywhere where they show no addresses.
 */
bool rs_in_host_text(uint64_t addr);

/* /proc/sys/kernel/tainted. */
unsigned long rs_kernel_tainted(void);
/* Taint flags loading an out-of-tree, unsigned module sets (O, E). */
#define RS_TAINT_MODULE_OK	((1UL << 12) | (1UL << 13))
/* The taint flags' letters, for messages: buf must hold 20 chars. */
const char *rs_taint_string(unsigned long taint, char *buf);

/*
 * Kernel memory that is neither free nor page cache, anonymous or
 * reclaimable slab, in KiB, after dropping the caches; free pages include
 * those sitting on per-CPU lists, so the number does not move when pages
 * wander between the buddy allocator and those lists.
 */
struct rs_mem {
	long kernel_kb;		/* the measure */
	long sunreclaim_kb;	/* /proc/meminfo, for messages */
	long vmalloc_kb;
	long percpu_kb;
	long free_kb;
};

int rs_mem_snapshot(struct rs_mem *m);

/*
 * kmemleak (debug kernels: scripts/debug-kernel): whether it is there,
 * forget the suspects found so far (0 or -errno), and scan, returning
 * what it reports (malloc'ed; "" if nothing) or NULL on error.  A scan
 * first waits 6 s: younger objects are never reported.
 */
#define RS_KMEMLEAK		"/sys/kernel/debug/kmemleak"
bool rs_kmemleak_present(void);
int rs_kmemleak_clear(void);
char *rs_kmemleak_scan(void);
/* The first report of @report whose allocation ringside made; *@len its length. */
const char *rs_kmemleak_mine(const char *report, size_t *len);

/* tracefs, for ringside's tracepoints (kmod/trace.h). */
#define RS_TRACEFS		"/sys/kernel/tracing"
/* Write @s to @path: 0 or -errno. */
int rs_write_file(const char *path, const char *s);
/*
 * Empty the trace buffer and record the ringside events @events[0..n) of
 * VM @vm only: 0 or -errno.  rs_trace_stop() stops and disables them all.
 */
int rs_trace_start(const char *const *events, unsigned int n, uint32_t vm);
void rs_trace_stop(void);

#endif /* SELFTEST_RS_SYS_H */
