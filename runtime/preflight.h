// SPDX-License-Identifier: GPL-2.0-only
//
// runtime/preflight.h: can a sched_ext scheduler be loaded here? Checks,
// in order, that the kernel has sched_ext, that we are root, and that no
// other sched_ext scheduler is active, and says what to do when not.
//
// Thread safety: stateless functions.
#ifndef SCX_ATLAS_RUNTIME_PREFLIGHT_H_
#define SCX_ATLAS_RUNTIME_PREFLIGHT_H_

#include <string>

#include "absl/status/status.h"

namespace atlas {

inline constexpr char kSchedExtSysfs[] = "/sys/kernel/sched_ext";

// `sysfs_dir` is /sys/kernel/sched_ext (tests pass a fake tree).
absl::Status CheckCanLoad(const std::string& sysfs_dir, bool is_root);

// The name of the active sched_ext scheduler, or "" if none.
std::string ActiveScheduler(const std::string& sysfs_dir);

// Reads a one-line sysfs file, without the newline; "" if unreadable.
std::string ReadLine(const std::string& path);

}  // namespace atlas

#endif  // SCX_ATLAS_RUNTIME_PREFLIGHT_H_
