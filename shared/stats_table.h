/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The scheduler's event counters, one line each: ATLAS_STAT(ENUM, name, help).
 * Included by shared/intf.h to make enum atlas_stat (BPF and C++), and by the
 * C++ side for names and help text. Counters are per-CPU in BPF
 * (struct atlas_cpu_stats) and summed in userspace. Add a counter: one line.
 */
ATLAS_STAT(DIRECT_IDLE, direct_idle, "select_cpu found an idle CPU; task inserted to its local DSQ")
ATLAS_STAT(ENQ_DOMAIN, enq_domain, "tasks queued on their domain's DSQ")
ATLAS_STAT(ENQ_KTHREAD_LOCAL, enq_kthread_local, "per-CPU kthreads queued straight to their CPU")
ATLAS_STAT(ENQ_KICK_IDLE, enq_kick_idle, "idle CPUs kicked after a domain enqueue")
ATLAS_STAT(DISPATCH_DOMAIN, dispatch_domain, "dispatches from the CPU's own domain")
ATLAS_STAT(DISPATCH_STEAL, dispatch_steal, "dispatches stolen from another domain")
ATLAS_STAT(DISPATCH_NONE, dispatch_none, "dispatch found nothing to run")
