/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: "run --route", exit routing for watching (route.c).
 * The guest events the option names come to the launcher as
 * RS_EXIT_ROUTED (Documentation/exit-routing.rst); each is logged as one
 * line and answered RS_ROUTE_DEFAULT, so the guest runs as without them.
 */
#ifndef RINGSIDE_ROUTE_H
#define RINGSIDE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include <linux/ringside.h>

struct vm;
struct vcpu;

/*
 * Add what @spec routes to @rt: comma-separated items, each "KIND=LIST"
 * (LIST: ':'-separated numbers, names or LO-HI ranges) or an instruction
 * name; `ringside help run` lists them.  Returns 0, or -1 with why (the
 * item and the reason) in @err.
 */
int route_parse(const char *spec, struct rs_exit_route *rt, char *err,
		size_t errlen);

/*
 * Route @rt (--route's, or NULL) and the exception vectors
 * @more_exceptions (another part of the launcher's: gdbstub.c's #BP) on
 * every vCPU of @vm (RS_SET_EXIT_ROUTE on the VM fd), and log the events
 * of @rt to @log_path, or to stderr if NULL.  Before the vCPUs run.
 * Returns 0, or a launcher status (STATUS_*) after saying why.
 */
int route_start(struct vm *vm, const struct rs_exit_route *rt,
		uint32_t more_exceptions, const char *log_path);
/* Close the log; after the vCPU threads ended. */
void route_stop(void);

/*
 * RS_EXIT_ROUTED: log the event if --route asked for it, answer
 * RS_ROUTE_DEFAULT.
 */
int handle_routed(struct vcpu *vcpu);

#endif /* RINGSIDE_ROUTE_H */
