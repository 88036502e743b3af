/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: `ringside stat` (stat.c) and `ringside trace`
 * (trace.c), which read the module's netlink family (nl.c).
 */
#ifndef RINGSIDE_OBSERVE_H
#define RINGSIDE_OBSERVE_H

#include <stdio.h>

int cmd_stat(int argc, char **argv);
void stat_usage(FILE *f);
int cmd_trace(int argc, char **argv);
void trace_usage(FILE *f);

#endif /* RINGSIDE_OBSERVE_H */
