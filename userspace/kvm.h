/* SPDX-License-Identifier: GPL-2.0 */
/* ringside launcher: ringside's ioctls carried out by KVM (kvm.c, hv.h). */
#ifndef RINGSIDE_KVM_H
#define RINGSIDE_KVM_H

#include <stddef.h>

/* Open /dev/kvm; returns its fd, or -1 after saying why. */
int kvm_open(void);
int kvm_ioctl(int fd, unsigned long request, unsigned long arg);
void *kvm_map_run(int fd, size_t size);
void kvm_unmap_run(int fd);
/* SIG_KICK's handler, on a vCPU thread: make its KVM_RUN return. */
void kvm_kicked(void);

#endif /* RINGSIDE_KVM_H */
