/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpf/atlas_common.bpf.h: what every atlas BPF program needs on top of
 * vmlinux.h and libbpf: struct_ops section macros, scx_bpf_error(), and thin
 * wrappers over kfuncs whose names or signatures changed between kernels:
 * 7.x's newest form, else 6.13's, else 6.12's, picked at load time (all are
 * weak ksyms, so a missing one resolves to NULL instead of failing the load).
 */
#ifndef SCX_ATLAS_BPF_COMMON_H
#define SCX_ATLAS_BPF_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "shared/intf.h"

#define PF_KTHREAD 0x00200000 /* include/linux/sched.h */
#ifndef ENOENT
#define ENOENT 2
#endif
#ifndef ENOMEM
#define ENOMEM 12
#endif

#define BPF_STRUCT_OPS(name, args...) SEC("struct_ops/" #name) BPF_PROG(name, ##args)
#define BPF_STRUCT_OPS_SLEEPABLE(name, args...) SEC("struct_ops.s/" #name) BPF_PROG(name, ##args)

/*
 * scx_bpf_error(fmt, args...): ends the scheduler with SCX_EXIT_ERROR_BPF and
 * a formatted message (up to 12 arguments, bpf_snprintf's rules).
 */
/* clang-format off */
#define scx_bpf_error(fmt, args...)						\
	({									\
		static char ___fmt[] = fmt;					\
		unsigned long long ___param[___bpf_narg(args)];			\
		_Pragma("GCC diagnostic push")					\
		_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")		\
		___bpf_fill(___param, args);					\
		_Pragma("GCC diagnostic pop")					\
		scx_bpf_error_bstr(___fmt, ___param, sizeof(___param));		\
	})
/* clang-format on */

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

static __always_inline void stat_inc(enum atlas_stat idx)
{
	u32 zero = 0;
	struct atlas_cpu_stats *s = bpf_map_lookup_elem(&stats, &zero);

	if (s && idx < ATLAS_NR_STATS)
		s->counters[idx]++;
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

static __always_inline bool vtime_before(u64 a, u64 b)
{
	return (s64)(a - b) < 0;
}

/*
 * 6.12's names for the same operations (renamed in 6.13). They are absent
 * from the 7.x BTF this is built against, so they are declared here; being
 * weak, they resolve to NULL on kernels that lack them, and the verifier
 * drops the branch that calls them.
 */
extern void scx_bpf_dispatch(struct task_struct *p, u64 dsq_id, u64 slice,
			     u64 enq_flags) __weak __ksym;
extern void scx_bpf_dispatch_vtime(struct task_struct *p, u64 dsq_id, u64 slice, u64 vtime,
				   u64 enq_flags) __weak __ksym;
extern bool scx_bpf_consume(u64 dsq_id) __weak __ksym;

/* Insert into a DSQ (FIFO). */
static __always_inline void atlas_dsq_insert(struct task_struct *p, u64 dsq_id, u64 slice,
					     u64 enq_flags)
{
	if (bpf_ksym_exists(scx_bpf_dsq_insert___v2))
		scx_bpf_dsq_insert___v2(p, dsq_id, slice, enq_flags);
	else if (bpf_ksym_exists(scx_bpf_dsq_insert))
		scx_bpf_dsq_insert(p, dsq_id, slice, enq_flags);
	else
		scx_bpf_dispatch(p, dsq_id, slice, enq_flags);
}

/* Insert into a DSQ ordered by vtime. */
static __always_inline void atlas_dsq_insert_vtime(struct task_struct *p, u64 dsq_id, u64 slice,
						   u64 vtime, u64 enq_flags)
{
	if (bpf_ksym_exists(__scx_bpf_dsq_insert_vtime)) {
		struct scx_bpf_dsq_insert_vtime_args args = {
			.dsq_id = dsq_id,
			.slice = slice,
			.vtime = vtime,
			.enq_flags = enq_flags,
		};
		__scx_bpf_dsq_insert_vtime(p, &args);
	} else if (bpf_ksym_exists(scx_bpf_dsq_insert_vtime)) {
		scx_bpf_dsq_insert_vtime(p, dsq_id, slice, vtime, enq_flags);
	} else {
		scx_bpf_dispatch_vtime(p, dsq_id, slice, vtime, enq_flags);
	}
}

/* Move the first task of a DSQ that may run here to this CPU's local DSQ. */
static __always_inline bool atlas_dsq_move_to_local(u64 dsq_id)
{
	if (bpf_ksym_exists(scx_bpf_dsq_move_to_local___v2))
		return scx_bpf_dsq_move_to_local___v2(dsq_id, 0);
	if (bpf_ksym_exists(scx_bpf_dsq_move_to_local))
		return scx_bpf_dsq_move_to_local(dsq_id);
	return scx_bpf_consume(dsq_id);
}

#endif /* SCX_ATLAS_BPF_COMMON_H */
