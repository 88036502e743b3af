/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RINGSIDE_CHECK_H
#define RINGSIDE_CHECK_H

/* ringside check: returns the launcher's exit status. */
int cmd_check(void);

#endif /* RINGSIDE_CHECK_H */
