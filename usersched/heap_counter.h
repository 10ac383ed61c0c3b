// SPDX-License-Identifier: GPL-2.0-only
//
// usersched/heap_counter.h: how many times the calling thread allocated
// from the ordinary heap through the global operator new. User mode's
// scheduling thread must allocate only from its locked arena
// (usersched/arena.h), whose std::pmr resources do not go through
// operator new; with every page locked (mlockall) a heap allocation takes no
// page fault, so only counting them shows one. The count comes from
// replacing the global operator new (this library's .cc, linked into the
// binary whole): a thread-local increment, then malloc as the default
// does. Not an allocator: allocation stays glibc's.
//
// Thread safety: a thread reads its own count.
#ifndef SCX_ATLAS_USERSCHED_HEAP_COUNTER_H_
#define SCX_ATLAS_USERSCHED_HEAP_COUNTER_H_

#include <cstdint>

namespace atlas::user {

uint64_t ThreadHeapAllocations();

}  // namespace atlas::user

#endif  // SCX_ATLAS_USERSCHED_HEAP_COUNTER_H_
