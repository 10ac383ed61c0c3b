/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shared/intf.h: the contract between the BPF scheduler (bpf/) and its C++
 * userspace. Every constant, enum and struct that crosses the boundary lives
 * here, with fixed-width types only, so both compilers agree on every layout.
 *
 * The BPF side includes it after vmlinux.h (__BPF__ / __bpf__ is defined);
 * the C++ side after <linux/types.h>. Layouts are checked at compile time
 * on both sides.
 */
#ifndef SCX_ATLAS_SHARED_INTF_H
#define SCX_ATLAS_SHARED_INTF_H

#if !defined(__bpf__)
#include <linux/types.h>
#endif

/* Limits (scx_rusty: 512 CPUs, 64 domains). Powers of two: BPF masks indices. */
#define ATLAS_MAX_CPUS 1024
#define ATLAS_MAX_DOMAINS 128
#define ATLAS_MAX_NODES 64

/* Exit record written by ops.exit, read by userspace once `exited` is set. */
#define ATLAS_EXIT_REASON_LEN 128
#define ATLAS_EXIT_MSG_LEN 1024

enum atlas_stat {
#define ATLAS_STAT(id, name, help) ATLAS_STAT_##id,
#include "shared/stats_table.h"
#undef ATLAS_STAT
	ATLAS_NR_STATS,
};

/* One per CPU (BPF_MAP_TYPE_PERCPU_ARRAY, one key): a single lookup returns
 * every CPU's counters. */
struct atlas_cpu_stats {
	__u64 counters[ATLAS_NR_STATS];
};

/* cpu_domain[] value of a CPU that is in no domain (offline, not present). */
#define ATLAS_NO_DOMAIN 0xffffffffu

/*
 * What ops.init built from the rodata layout, counted back from the
 * cpumasks themselves: userspace compares it with the layout it sent.
 */
struct atlas_topo_check {
	__u32 done; /* set by ops.init once the masks are built */
	__s32 error; /* non-zero: a mask could not be created */
	__u32 nr_cpus; /* CPUs in some domain mask */
	__u32 nr_smt_cores; /* cores whose sibling mask has > 1 CPU */
	__u32 domain_cpus[ATLAS_MAX_DOMAINS];
	__u32 node_cpus[ATLAS_MAX_NODES];
};

struct atlas_exit_info {
	__u32 exited; /* set last, after the fields below */
	__s32 kind; /* enum scx_exit_kind */
	__s64 exit_code; /* scx_bpf_exit() code, SCX_ECODE_* bits */
	char reason[ATLAS_EXIT_REASON_LEN];
	char msg[ATLAS_EXIT_MSG_LEN];
};

#ifdef __cplusplus
#include <type_traits>
#define ATLAS_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
static_assert(std::is_trivially_copyable_v<atlas_cpu_stats>);
static_assert(std::is_trivially_copyable_v<atlas_exit_info>);
static_assert(std::is_trivially_copyable_v<atlas_topo_check>);
#else
#define ATLAS_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
ATLAS_STATIC_ASSERT(sizeof(struct atlas_exit_info) ==
			    16 + ATLAS_EXIT_REASON_LEN + ATLAS_EXIT_MSG_LEN,
		    "atlas_exit_info has no padding");
ATLAS_STATIC_ASSERT(sizeof(struct atlas_cpu_stats) == 8 * ATLAS_NR_STATS,
		    "atlas_cpu_stats has no padding");
ATLAS_STATIC_ASSERT((ATLAS_MAX_CPUS & (ATLAS_MAX_CPUS - 1)) == 0,
		    "ATLAS_MAX_CPUS is a power of two");
ATLAS_STATIC_ASSERT((ATLAS_MAX_NODES & (ATLAS_MAX_NODES - 1)) == 0,
		    "ATLAS_MAX_NODES is a power of two");
ATLAS_STATIC_ASSERT((ATLAS_MAX_DOMAINS & (ATLAS_MAX_DOMAINS - 1)) == 0,
		    "ATLAS_MAX_DOMAINS is a power of two");

#endif /* SCX_ATLAS_SHARED_INTF_H */
