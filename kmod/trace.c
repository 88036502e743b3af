// SPDX-License-Identifier: GPL-2.0
/*
 * Instantiates the tracepoints of trace.h (Kbuild adds this directory to
 * the include path of this file, for define_trace.h).
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
