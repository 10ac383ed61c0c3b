// SPDX-License-Identifier: GPL-2.0-only
//
// usersched/arena.h: memory for the user-mode scheduling path that can
// never page-fault. In user mode every runnable task waits for this process;
// a page fault on its scheduling thread may need a kernel thread that only
// this process could schedule: a deadlock the watchdog must then break. So:
//
//   LockProcessMemory()  raises RLIMIT_MEMLOCK and mlockall(MCL_CURRENT |
//                        MCL_FUTURE): every mapping, now and later, is
//                        resident and stays so.
//   LockedArena          one mapping, populated and locked up front, served
//                        through the standard library's own allocators:
//                        std::pmr::monotonic_buffer_resource over the
//                        mapping (upstream: null_memory_resource, so running
//                        out is a clean std::bad_alloc, never a new mapping)
//                        and std::pmr::unsynchronized_pool_resource on top,
//                        which recycles freed blocks. After warm-up the pool
//                        holds blocks of every size the policy uses, so
//                        steady state touches no new memory at all.
//   PrefaultStack()      touches the stack the scheduling loop will use.
//   LockedPagesStayPut   locked is not the same as in place: the kernel's
//                        compaction migrates locked (unevictable) pages while
//                        vm.compact_unevictable_allowed is 1, its default, and
//                        a thread that touches a page under migration faults
//                        and waits for the migrating task. In user mode that
//                        task may be one this process holds, a deadlock the
//                        watchdog breaks by ejecting the scheduler (3 guests
//                        of 3 were ejected so by one write to
//                        /proc/sys/vm/compact_memory). So user mode sets the
//                        sysctl to 0 while it runs, as PREEMPT_RT kernels do
//                        by default, and puts the old value back at exit.
//
// Why std::pmr and not a global operator new replacement: the policy's
// containers take the arena explicitly (std::pmr::vector, deque,
// unordered_map), so what is on the scheduling path is visible in the types,
// and the rest of the process (stats server, logging) keeps the ordinary
// heap. No allocator is written here; Debian's libstdc++ provides both.
//
// Thread safety: a LockedArena is for one thread (unsynchronized pool).
#ifndef SCX_ATLAS_USERSCHED_ARENA_H_
#define SCX_ATLAS_USERSCHED_ARENA_H_

#include <cstddef>
#include <memory>
#include <memory_resource>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace atlas::user {

absl::Status LockProcessMemory();

void PrefaultStack(size_t bytes);

class LockedArena {
 public:
  static absl::StatusOr<std::unique_ptr<LockedArena>> Create(size_t bytes);
  ~LockedArena();
  LockedArena(const LockedArena&) = delete;
  LockedArena& operator=(const LockedArena&) = delete;

  std::pmr::memory_resource* resource() { return pool_.get(); }
  size_t size() const { return size_; }

 private:
  LockedArena(void* base, size_t size);
  void* base_;
  size_t size_;
  std::unique_ptr<std::pmr::monotonic_buffer_resource> buffer_;
  std::unique_ptr<std::pmr::unsynchronized_pool_resource> pool_;
};

// Sets a 0/1 sysctl file (vm.compact_unevictable_allowed) to 0 for the
// object's life and restores 1 when it goes. A file that is missing
// (CONFIG_COMPACTION=n) or already 0 is left alone; one that cannot be
// written is reported by error().
class LockedPagesStayPut {
 public:
  static constexpr const char* kSysctl =
      "/proc/sys/vm/compact_unevictable_allowed";
  explicit LockedPagesStayPut(const char* path = kSysctl);
  ~LockedPagesStayPut();
  LockedPagesStayPut(const LockedPagesStayPut&) = delete;
  LockedPagesStayPut& operator=(const LockedPagesStayPut&) = delete;

  bool changed() const { return changed_; }  // set to 0 here, restored later
  const std::string& error() const { return error_; }  // empty: no failure

 private:
  std::string path_;
  bool changed_ = false;
  std::string error_;
};

// Page faults (minor + major) taken by the calling thread so far.
long ThreadPageFaults();

}  // namespace atlas::user

#endif  // SCX_ATLAS_USERSCHED_ARENA_H_
