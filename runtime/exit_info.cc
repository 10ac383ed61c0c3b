// SPDX-License-Identifier: GPL-2.0-only
#include "runtime/exit_info.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace atlas {

std::string ExitKindName(int kind) {
  switch (kind) {
    case kScxExitNone:
      return "none";
    case kScxExitDone:
      return "done";
    case kScxExitUnreg:
      return "unregistered from user space";
    case kScxExitUnregBpf:
      return "unregistered from BPF";
    case kScxExitUnregKern:
      return "unregistered by the kernel";
    case kScxExitSysrq:
      return "disabled by sysrq-S";
    case kScxExitError:
      return "runtime error";
    case kScxExitErrorBpf:
      return "scx_bpf_error";
    case kScxExitErrorStall:
      return "runnable task stall (watchdog)";
    default:
      return absl::StrCat(kind >= kScxExitError ? "error" : "exit", " kind ",
                          kind);
  }
}

bool IsErrorExit(const atlas_exit_info& info) {
  return info.kind >= kScxExitError;
}

bool WantsRestart(const atlas_exit_info& info) {
  return (info.exit_code & kScxEcodeActRestart) != 0;
}

std::string DescribeExit(const atlas_exit_info& info) {
  const std::string reason(info.reason,
                           strnlen(info.reason, sizeof(info.reason)));
  const std::string msg(info.msg, strnlen(info.msg, sizeof(info.msg)));
  std::string out =
      absl::StrCat(ExitKindName(info.kind), " (kind ", info.kind, ")");
  if (!reason.empty()) absl::StrAppend(&out, ": ", reason);
  if (!msg.empty() && msg != reason) absl::StrAppend(&out, ": ", msg);
  return out;
}

int ExitStatus(const atlas_exit_info& info) {
  return IsErrorExit(info) ? 1 : 0;
}

}  // namespace atlas
