# The whole system: `make` builds, `make run` boots it, `make test` tests it.
#
# The kernel and every task are #![no_std] binaries for the host target,
# each family with its own flags and its own target directory, so that the
# kernel's code model never reaches build scripts, tasks or host tools.

SHELL := /bin/bash
TARGET := x86_64-unknown-linux-gnu
PROFILE := release
OUT := target
KERNEL_DIR := $(OUT)/kernel
USER_DIR := $(OUT)/user
KERNEL := $(KERNEL_DIR)/$(TARGET)/$(PROFILE)/microkernel
TASK_BIN := $(USER_DIR)/$(TARGET)/$(PROFILE)

KERNEL_RUSTFLAGS := -C code-model=kernel -C relocation-model=static -C no-redzone=yes \
	-C force-frame-pointers=yes \
	-C link-arg=-nostartfiles -C link-arg=-static -C link-arg=-zmax-page-size=4096 \
	-C link-arg=-T$(CURDIR)/microkernel/src/arch/x86_64/kernel.ld
USER_RUSTFLAGS := -C relocation-model=static \
	-C link-arg=-nostartfiles -C link-arg=-static -C link-arg=-zmax-page-size=4096 \
	-C link-arg=-T$(CURDIR)/machrt/user.ld

# emulib: position-independent code (it lives above 4 GiB) linked as a
# static executable at its fixed address; its own target directory, since
# its flags differ from the tasks'.
EMULIB_DIR := $(OUT)/emulib
EMULIB := $(EMULIB_DIR)/$(TARGET)/$(PROFILE)/emulib
EMULIB_RUSTFLAGS := -C relocation-model=pic \
	-C link-arg=-nostartfiles -C link-arg=-static -C link-arg=-no-pie -C link-arg=-zmax-page-size=4096 \
	-C link-arg=-T$(CURDIR)/emulib/emulib.ld
# C test programs (tests/cprogs/*.c), static musl binaries.
CPROGS_DIR := $(OUT)/cprogs
CPROGS := $(patsubst tests/cprogs/%.c,$(CPROGS_DIR)/%,$(wildcard tests/cprogs/*.c))
# Rust std test programs (tests/rsprogs), static-pie for the host target.
RSPROGS_DIR := $(OUT)/rsprogs
RSPROGS_RUSTFLAGS := -C target-feature=+crt-static

QEMU := qemu-system-x86_64
MEM ?= 256M
QEMU_FLAGS := -accel tcg -cpu qemu64 -m $(MEM) -smp 1 -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -display none
# What `make run` boots: the UNIX server alone as the first task
# (start=first), emulib as its file, and the root image as the disk, from
# which it starts /sbin/init: the console gets a shell. INIT="PATH ARGS"
# has init run that command instead and power off when it ends; make then
# succeeds only if the command's status was 0. MODULES and APPEND replace
# the boot modules and the kernel command line (e.g. to boot Mach test
# tasks: MODULES=target/user/.../hello APPEND=log=info).
INIT ?=
MODULES ?= $(TASK_BIN)/unix-server $(EMULIB)
APPEND ?= log=warn start=first -- /sbin/init$(if $(INIT), -- $(INIT))
# A raw disk image to attach as a virtio-blk PCI disk (device "hd0"):
# the root image by default, `make run DISK=path` for another, `DISK=` for
# none. Writes reach the file.
DISK ?= $(IMAGE)
comma := ,
DISK_FLAGS = $(if $(DISK),-drive file=$(DISK)$(comma)if=none$(comma)format=raw$(comma)id=d0 -device virtio-blk-pci$(comma)drive=d0)

# The root file system image (`make image`): the static userland in /bin
# (init also in /sbin), Debian's busybox-static as /bin/busybox, the ported
# C programs (ports/<name>/build.sh) in /bin, rootfs's /etc defaults, then
# the contents of the host directory EXTRA (if given) over all of it.
# `make run` builds one only when $(IMAGE) is missing and attaches it as
# the disk (DISK above).
IMAGE := $(OUT)/root.img
IMAGE_MIB ?= 128
EXTRA ?=
PORTS := lua bzip2
PORT_BINS := $(addprefix $(OUT)/ports/,$(PORTS))
STAGE := $(OUT)/image/root
BUSYBOX := $(OUT)/image/busybox
ROOTFS_ARGS = --size $(IMAGE_MIB) --dir $(STAGE):/ $(if $(EXTRA),--dir $(abspath $(EXTRA)):/)

# dosfstools: the file tests check the images they leave with fsck.fat;
# e2fsprogs: the ext2 crate's tests check what it writes with e2fsck and debugfs.
DEBIAN_PACKAGES := qemu-system-x86 musl-tools dosfstools e2fsprogs
CARGO := cargo

.PHONY: all kernel tasks emulib cprogs rsprogs userland run run-unix debug test stress unit-test integration-test image-test deps clean image stage

all: kernel tasks emulib cprogs rsprogs

# Debian packages the build and the tests need, installed when missing.
deps:
	@missing=""; \
	for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

kernel:
	RUSTFLAGS="$(KERNEL_RUSTFLAGS)" $(CARGO) build --$(PROFILE) -p microkernel --bin microkernel \
		--target $(TARGET) --target-dir $(KERNEL_DIR)

tasks:
	RUSTFLAGS="$(USER_RUSTFLAGS)" $(CARGO) build --$(PROFILE) -p test-tasks -p unix-server-task -p default-pager --bins \
		--target $(TARGET) --target-dir $(USER_DIR)

emulib:
	RUSTFLAGS="$(EMULIB_RUSTFLAGS)" $(CARGO) build --$(PROFILE) -p emulib --bin emulib \
		--target $(TARGET) --target-dir $(EMULIB_DIR)

cprogs: $(CPROGS)

$(CPROGS_DIR)/%: tests/cprogs/%.c
	@mkdir -p $(CPROGS_DIR)
	musl-gcc -static -O2 -o $@ $<

rsprogs:
	RUSTFLAGS="$(RSPROGS_RUSTFLAGS)" $(CARGO) build --$(PROFILE) -p rsprogs --bins \
		--target $(TARGET) --target-dir $(RSPROGS_DIR)

# Boots with the serial console on this terminal (Ctrl-] x quits) or on a
# pipe; exits with the status the system powered off with.
run: deps all | $(IMAGE)
	@$(if $(INIT),scripts/run-init,scripts/boot) $(KERNEL) "$(APPEND)" $(MODULES) -- $(QEMU_FLAGS) $(DISK_FLAGS)

# The UNIX personality: the server first, emulib and every test program
# as files under /bin; UNIX_INIT (with arguments) runs as pid 1.
UNIX_INIT ?= /bin/hello
run-unix: deps all
	@scripts/boot $(KERNEL) "log=warn start=first -- $(UNIX_INIT)" $(TASK_BIN)/unix-server $(EMULIB) \
		$(CPROGS) $(RSPROGS_DIR)/$(TARGET)/$(PROFILE)/rhello $(RSPROGS_DIR)/$(TARGET)/$(PROFILE)/rspawn -- $(QEMU_FLAGS)

# QEMU stopped at the first instruction, waiting for GDB on port 1234.
debug: deps all
	@echo "In another terminal:  gdb $(KERNEL) -ex 'target remote :1234'"
	@echo "(the kernel ELF has symbols; 'hbreak kernel_main' then 'continue' (a hardware breakpoint: paging is not on yet at the first instruction))"
	@$(if $(INIT),scripts/run-init,scripts/boot) $(KERNEL) "$(APPEND)" $(MODULES) -- $(QEMU_FLAGS) $(DISK_FLAGS) -s -S

unit-test: deps
	$(CARGO) test -p mach -p memfns -p heap -p microkernel --lib
	$(CARGO) test -p blockdev -p fat32 -p ext2 -p rootfs -p linux-abi -p unix-server -p userland
	$(CARGO) test -p emulib --lib
	bench/test.sh

# Builds images from the staged tree (and an EXTRA of its own) in a temp
# directory and checks their contents, modes and reproducibility.
image-test: stage
	IMAGE_STAGE=$(CURDIR)/$(STAGE) IMAGE_MIB=$(IMAGE_MIB) $(CARGO) test -q -p rootfs --test image

# The static userland (tests/tests/files.rs puts some on its disk images).
userland:
	userland/build-static.sh

# The image is rebuilt every time: the tests boot what the tree holds now,
# not the image an older tree left in target/.
integration-test: deps all userland image
	IMAGE=$(CURDIR)/$(IMAGE) USERLAND=$(CURDIR)/$(OUT)/userland/$(TARGET)/$(PROFILE) \
	KERNEL=$(CURDIR)/$(KERNEL) TASKS=$(CURDIR)/$(TASK_BIN) EMULIB=$(CURDIR)/$(EMULIB) \
	CPROGS=$(CURDIR)/$(CPROGS_DIR) RSPROGS=$(CURDIR)/$(RSPROGS_DIR)/$(TARGET)/$(PROFILE) $(CARGO) test -p mk-tests $(SUITE:%=--test %) -- --test-threads=2 $(FILTER)

test: unit-test image-test integration-test

# The stress suites (tests/tests/stress_*.rs) in their long form: the
# fuzzer's million calls, the 20,000-process leak check, the memory hog on a
# full-size machine. `make test` runs their short forms.
STRESS_SUITES = $(patsubst tests/tests/%.rs,%,$(wildcard tests/tests/stress_*.rs))
stress: deps all userland
	STRESS_LONG=1 $(MAKE) integration-test SUITE="$(STRESS_SUITES)"

clean:
	$(CARGO) clean

image: stage
	$(CARGO) build -q --release -p rootfs
	$(OUT)/release/rootfs --out $(IMAGE).new $(ROOTFS_ARGS) && mv -f $(IMAGE).new $(IMAGE)
	@echo "$(IMAGE): $(IMAGE_MIB) MiB, $$(find $(STAGE) -type f | wc -l) files$(if $(EXTRA), + $(EXTRA))"

# Built only when missing (what `make run` needs); `make image` rebuilds.
$(IMAGE):
	$(MAKE) image

# The tree that goes into the image, rebuilt from scratch each time.
stage: deps $(BUSYBOX) $(PORT_BINS)
	rm -rf $(STAGE) && mkdir -p $(STAGE)/bin $(STAGE)/sbin
	userland/build-static.sh $(STAGE)/bin
	cp $(STAGE)/bin/init $(STAGE)/sbin/init
	cp $(BUSYBOX) $(PORT_BINS) $(STAGE)/bin/

$(BUSYBOX):
	scripts/deb-fetch.sh busybox-static /bin/busybox $@

# Ported C programs: static musl executables built from crate sources.
$(OUT)/ports/%: ports/%/build.sh ports/check.sh
	ports/$*/build.sh
$(OUT)/ports/lua: ports/lua/main.c

# System-call latency against Linux on the same QEMU (bench/README.md).
# SYSTEM_BENCH_CMD, when set, prints this system's BENCH lines; it reaches
# the script unexpanded, so $BENCH_QEMU_FLAGS in it is left to the shell.
.PHONY: bench bench-test
# This system's column: bench/system.sh boots it with the same machine flags.
SYSTEM_BENCH_CMD ?= bench/system.sh
bench: deps all
	SYSTEM_BENCH_CMD='$(subst ','\'',$(value SYSTEM_BENCH_CMD))' bench/bench.sh

bench-test:
	bench/test.sh
