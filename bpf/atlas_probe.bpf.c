/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpf/atlas_probe.bpf.c: a test probe, not a scheduler. One
 * BPF_PROG_TYPE_SYSCALL program, run with BPF_PROG_TEST_RUN from
 * userspace (tests/bpf/ravg_probe.cc): it applies the fast path's running
 * average update (bpf/atlas_ravg.bpf.h, the same code atlas.bpf.c runs) to
 * the average it is given, in the kernel, so the result can be compared
 * with the planner's floating-point reading of the same average.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "shared/intf.h"

const volatile __u64 load_half_life_ns = 1000000000ULL;

#include "bpf/atlas_ravg.bpf.h"

char _license[] SEC("license") = "GPL";

SEC("syscall")
int ravg_probe(struct atlas_ravg_probe *probe)
{
	struct atlas_ravg r = probe->in;

	ravg_update(&r, probe->now);
	probe->out = r;
	return 0;
}
