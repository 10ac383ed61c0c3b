// SPDX-License-Identifier: GPL-2.0-only
#include "usersched/arena.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace atlas::user {

absl::Status LockProcessMemory() {
  // Root has CAP_IPC_LOCK and needs no limit; raise it for everyone else.
  struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
  const bool raised = setrlimit(RLIMIT_MEMLOCK, &unlimited) == 0;
  if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "cannot lock the scheduler's memory (mlockall): ", strerror(errno),
        raised ? "" : "; RLIMIT_MEMLOCK could not be raised"));
  }
  return absl::OkStatus();
}

void PrefaultStack(size_t bytes) {
  // A VLA the compiler must materialize: every page of it is written.
  volatile char* area = static_cast<volatile char*>(__builtin_alloca(bytes));
  for (size_t i = 0; i < bytes; i += 4096) area[i] = 0;
}

absl::StatusOr<std::unique_ptr<LockedArena>> LockedArena::Create(size_t bytes) {
  void* base =
      mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED, -1, 0);
  if (base == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot map a locked arena of ", bytes >> 20,
                     " MiB: ", strerror(errno)));
  }
  // MAP_LOCKED does not fail when locking does: make sure it is resident.
  if (mlock(base, bytes) != 0) {
    const int err = errno;
    munmap(base, bytes);
    return absl::ResourceExhaustedError(absl::StrCat(
        "cannot lock an arena of ", bytes >> 20, " MiB: ", strerror(err)));
  }
  return std::unique_ptr<LockedArena>(new LockedArena(base, bytes));
}

LockedArena::LockedArena(void* base, size_t size)
    : base_(base),
      size_(size),
      buffer_(std::make_unique<std::pmr::monotonic_buffer_resource>(
          base, size, std::pmr::null_memory_resource())),
      pool_(std::make_unique<std::pmr::unsynchronized_pool_resource>(
          buffer_.get())) {}

LockedArena::~LockedArena() {
  pool_.reset();
  buffer_.reset();
  munmap(base_, size_);
}

namespace {

// The first byte of a small sysctl file, or -1 (errno set) if unreadable.
int ReadFirstByte(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char c = 0;
  const ssize_t n = read(fd, &c, 1);
  const int err = errno;
  close(fd);
  errno = n == 1 ? 0 : (n == 0 ? EIO : err);
  return n == 1 ? static_cast<unsigned char>(c) : -1;
}

bool WriteByte(const std::string& path, char c) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = write(fd, &c, 1) == 1;
  const int err = errno;
  close(fd);
  errno = err;
  return ok;
}

}  // namespace

LockedPagesStayPut::LockedPagesStayPut(const char* path) : path_(path) {
  const int now = ReadFirstByte(path_);
  if (now < 0) {
    if (errno != ENOENT) {
      error_ = absl::StrCat("cannot read ", path_, ": ", strerror(errno));
    }
    return;
  }
  if (now != '1') return;
  if (!WriteByte(path_, '0')) {
    error_ = absl::StrCat("cannot set ", path_, " to 0: ", strerror(errno));
    return;
  }
  changed_ = true;
}

LockedPagesStayPut::~LockedPagesStayPut() {
  if (changed_) WriteByte(path_, '1');
}

long ThreadPageFaults() {
  struct rusage ru;
  if (getrusage(RUSAGE_THREAD, &ru) != 0) return -1;
  return ru.ru_minflt + ru.ru_majflt;
}

}  // namespace atlas::user
