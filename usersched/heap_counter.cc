// SPDX-License-Identifier: GPL-2.0-only
#include "usersched/heap_counter.h"

#include <cstdlib>
#include <new>

namespace atlas::user {
namespace {

thread_local uint64_t t_allocations = 0;

void* Allocate(std::size_t size) {
  ++t_allocations;
  for (;;) {
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

}  // namespace

uint64_t ThreadHeapAllocations() { return t_allocations; }

}  // namespace atlas::user

// The replaceable allocation functions without alignment (the array and
// nothrow forms of libstdc++ call these); the aligned forms keep their
// defaults (aligned_alloc, released by free as the default deletes do).
void* operator new(std::size_t size) { return atlas::user::Allocate(size); }
void* operator new[](std::size_t size) { return atlas::user::Allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return atlas::user::Allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return atlas::user::Allocate(size);
  } catch (...) {
    return nullptr;
  }
}
