/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: the VM and its vCPUs over the ioctl interface of
 * uapi/linux/ringside.h.
 */
#ifndef RINGSIDE_VM_H
#define RINGSIDE_VM_H

/*
 * Open /dev/ringside.  On failure, says why on stderr (module not loaded,
 * device node missing, no permission) and returns -1.
 */
int ringside_open(void);

#endif /* RINGSIDE_VM_H */
