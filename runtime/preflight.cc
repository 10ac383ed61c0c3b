// SPDX-License-Identifier: GPL-2.0-only
#include "runtime/preflight.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"

namespace atlas {

std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  return line;
}

std::string ActiveScheduler(const std::string& sysfs_dir) {
  if (ReadLine(sysfs_dir + "/state") == "disabled") return "";
  std::string ops = ReadLine(sysfs_dir + "/root/ops");
  return ops.empty() ? "unknown" : ops;
}

absl::Status CheckCanLoad(const std::string& sysfs_dir, bool is_root) {
  if (access((sysfs_dir + "/state").c_str(), R_OK) != 0) {
    struct utsname uts = {};
    uname(&uts);
    return absl::FailedPreconditionError(absl::StrCat(
        "this kernel (", uts.release,
        ") has no sched_ext (CONFIG_SCHED_CLASS_EXT); run scx_atlas in the "
        "test VM instead: tools/demo"));
  }
  if (!is_root) {
    return absl::PermissionDeniedError(
        "must run as root to load a BPF scheduler (try sudo)");
  }
  const std::string state = ReadLine(sysfs_dir + "/state");
  if (state != "disabled") {
    std::string active = ActiveScheduler(sysfs_dir);
    return absl::AlreadyExistsError(absl::StrCat(
        "another sched_ext scheduler ('", active,
        "') is already active (state: ", state, "); stop it first"));
  }
  return absl::OkStatus();
}

}  // namespace atlas
