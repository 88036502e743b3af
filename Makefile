# SPDX-License-Identifier: GPL-2.0
#
# ringside: the module (kmod/), the launcher (userspace/) and the selftests.
#
#   make                  build all three (and bench/) against KDIR
#   make bench            bench/ringside-bench: VM exit costs, ringside vs KVM
#   make C=1              the module, checked by sparse
#   make checkpatch       checkpatch.pl --strict on every kernel file
#   make install          modules_install and the launcher
#   make demo             install what is missing, build, boot the SVM test VM
#   make check            every selftest in both test VMs and the debug kernel
#   make fuzz             both fuzzers in the debug-kernel VM (FUZZ_SECONDS each)
#
# KDIR defaults to the running kernel's build tree.  Where that does not
# exist (a build machine running another kernel), the test VMs' Debian kernel
# headers are used.

KVER ?= $(shell uname -r)
KDIR ?= $(wildcard /lib/modules/$(KVER)/build)
ifeq ($(KDIR),)
KDIR = /usr/src/linux-headers-$(shell scripts/kver)
endif

PREFIX ?= /usr/local
KSRC_TOOLS := build/linux-src
CHECKPATCH := $(KSRC_TOOLS)/scripts/checkpatch.pl
KERNEL_FILES := $(filter-out %.mod.c,$(wildcard kmod/*.c kmod/*.h samples/*.c)) \
		uapi/linux/ringside.h

.PHONY: all module userspace selftests bench clean install checkpatch demo check deps fuzz

all: module userspace selftests bench

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace:
	$(MAKE) -C userspace

selftests:
	$(MAKE) -C selftests

bench:
	$(MAKE) -C bench

# INSTALL_MOD_PATH and DESTDIR stage an install elsewhere, as usual.
install: module userspace
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	$(MAKE) -C userspace install PREFIX=$(PREFIX)

checkpatch:
	@test -x $(CHECKPATCH) || scripts/deps
	$(CHECKPATCH) --strict --no-tree --show-types -f $(KERNEL_FILES)

deps:
	scripts/deps

demo: deps
	$(MAKE) all
	scripts/demo

check: deps
	$(MAKE) all
	scripts/check

FUZZ_SECONDS ?= 600
FUZZ_SEED ?= random
fuzz: deps
	$(MAKE) all
	scripts/fuzz --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userspace clean
	$(MAKE) -C selftests clean
	$(MAKE) -C bench clean
