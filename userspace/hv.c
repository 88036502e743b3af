// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: ringside or KVM under the VM (hv.h).
 */
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "hv.h"
#include "kvm.h"
#include "vm.h"

static bool use_kvm;

void hv_use_kvm(void)
{
	use_kvm = true;
}

bool hv_is_kvm(void)
{
	return use_kvm;
}

const char *hv_name(void)
{
	return use_kvm ? "KVM" : "ringside";
}

int hv_open(void)
{
	return use_kvm ? kvm_open() : ringside_open();
}

int hv_ioctl(int fd, unsigned long request, ...)
{
	unsigned long arg;
	va_list ap;

	va_start(ap, request);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (use_kvm)
		return kvm_ioctl(fd, request, arg);
	return ioctl(fd, request, arg);
}

void *hv_map_run(int fd, size_t size)
{
	void *run;

	if (use_kvm)
		return kvm_map_run(fd, size);
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return run == MAP_FAILED ? NULL : run;
}

void hv_unmap_run(int fd, void *run, size_t size)
{
	if (use_kvm)
		kvm_unmap_run(fd);
	else
		munmap(run, size);
}
