// SPDX-License-Identifier: GPL-2.0-only
//
// runtime/exit_info.h: turns the BPF exit record (ops.exit) into words
// and an exit status. Pure.
#ifndef SCX_ATLAS_RUNTIME_EXIT_INFO_H_
#define SCX_ATLAS_RUNTIME_EXIT_INFO_H_

#include <string>

#include "shared/intf.h"

namespace atlas {

// enum scx_exit_kind values (include/linux/sched/ext.h); fixed kernel ABI.
enum ScxExitKind : int {
  kScxExitNone = 0,
  kScxExitDone = 1,
  kScxExitUnreg = 64,
  kScxExitUnregBpf = 65,
  kScxExitUnregKern = 66,
  kScxExitSysrq = 67,
  kScxExitError = 1024,
  kScxExitErrorBpf = 1025,
  kScxExitErrorStall = 1026,
};
// SCX_ECODE_ACT_RESTART: the scheduler asks to be restarted (e.g. hotplug).
inline constexpr int64_t kScxEcodeActRestart = int64_t{1} << 48;

std::string ExitKindName(int kind);
bool IsErrorExit(const atlas_exit_info& info);
bool WantsRestart(const atlas_exit_info& info);
// "unregistered from user space" or "runtime error (...): message".
std::string DescribeExit(const atlas_exit_info& info);
// 0 for a clean exit, 1 for an error exit.
int ExitStatus(const atlas_exit_info& info);

}  // namespace atlas

#endif  // SCX_ATLAS_RUNTIME_EXIT_INFO_H_
