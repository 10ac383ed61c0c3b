/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpf/atlas_common.bpf.h: what every atlas BPF program needs. The kernel's
 * own sched_ext BPF library comes first (<scx/common.bpf.h> of the guest
 * kernel's tools/sched_ext/include, unpacked by tools/setup.sh): the kfunc
 * declarations, BPF_STRUCT_OPS, scx_bpf_error(), is_migration_disabled(),
 * time_before(), and compat.bpf.h's wrappers over kfuncs whose names or signatures changed
 * between kernels (scx_bpf_dsq_insert[_vtime], scx_bpf_dsq_move_to_local:
 * the newest form, else 6.13's, else 6.12's, picked at load time). On top:
 * the event counters and the exit record of the BPF <-> userspace contract
 * (shared/intf.h).
 *
 * The SCX_* enum values are vmlinux.h's constants, not the library's
 * rodata copies read from the running kernel's BTF (enums.bpf.h, which
 * userspace would have to fill): sched_ext's values we use are the same on
 * 6.12 and 7.x, and the 6.12 guest in tools/test checks that they still
 * are.
 */
#ifndef SCX_ATLAS_BPF_COMMON_H
#define SCX_ATLAS_BPF_COMMON_H

#define __SCX_ENUMS_BPF_H /* vmlinux.h's SCX_* constants: see above */
#include <scx/common.bpf.h>

#include "shared/intf.h"

/*
 * Loops use libbpf's bpf_for(i, start, end) (bpf_helpers.h): an open-coded
 * iterator the verifier checks once instead of unrolling. It does not know
 * i < end: bound-check or mask i before indexing an array.
 */

/* The event counters (shared/stats_table.h), per CPU: one lookup in
 * userspace reads them all. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct atlas_cpu_stats);
} stats SEC(".maps");

static __always_inline void stat_add(enum atlas_stat idx, u64 n)
{
	u32 zero = 0;
	struct atlas_cpu_stats *s = bpf_map_lookup_elem(&stats, &zero);

	if (s && idx < ATLAS_NR_STATS)
		s->counters[idx] += n;
}

static __always_inline void stat_inc(enum atlas_stat idx)
{
	stat_add(idx, 1);
}

/*
 * ops.exit: copy why into the exit record, and the kernel's debug dump (its
 * state at an error exit: the offending task, every CPU's queue; empty
 * otherwise) into `dump`; `exited` is set last.
 */
static __always_inline void atlas_record_exit(struct atlas_exit_info *info, char *dump,
					      struct scx_exit_info *ei)
{
	info->kind = ei->kind;
	info->exit_code = ei->exit_code;
	bpf_probe_read_kernel_str(info->reason, sizeof(info->reason), ei->reason);
	bpf_probe_read_kernel_str(info->msg, sizeof(info->msg), ei->msg);
	if (ei->dump)
		bpf_probe_read_kernel_str(dump, ATLAS_EXIT_DUMP_LEN, ei->dump);
	__sync_fetch_and_add(&info->exited, 1);
}

#endif /* SCX_ATLAS_BPF_COMMON_H */
