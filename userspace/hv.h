/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: the hypervisor under the VM.  The launcher speaks
 * ringside's ioctls (uapi/linux/ringside.h) through hv_ioctl(); with
 * "run --kvm" (hv_use_kvm()) kvm.c carries each out with KVM's
 * equivalent instead, so that the same machine -- loaders, devices,
 * interrupt controllers in user space -- runs on either hypervisor and
 * the two can be compared.
 */
#ifndef RINGSIDE_HV_H
#define RINGSIDE_HV_H

#include <stdbool.h>
#include <stddef.h>

/* Before anything else: take KVM (/dev/kvm) instead of /dev/ringside. */
void hv_use_kvm(void);
bool hv_is_kvm(void);
/* "ringside" or "KVM", for messages. */
const char *hv_name(void);

/* Open the hypervisor's device; says why on failure and returns -1. */
int hv_open(void);

/* ioctl(2) with ringside's requests, on fds hv_open() and these gave. */
int hv_ioctl(int fd, unsigned long request, ...);

/*
 * The run page of vCPU fd @fd, @size bytes (RS_CAP_RUN_SIZE): mmap of
 * the fd for ringside; for KVM a page the launcher keeps in step with
 * KVM's own struct kvm_run.  NULL on failure (errno set).
 */
void *hv_map_run(int fd, size_t size);
void hv_unmap_run(int fd, void *run, size_t size);

#endif /* RINGSIDE_HV_H */
