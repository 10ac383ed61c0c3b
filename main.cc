// SPDX-License-Identifier: GPL-2.0-only
//
// scx_atlas: a split-architecture sched_ext load balancer. The flags
// (cli/flags_*.cc) become validated options (cli/options.h), the options a
// mode (balanced: scheduler/, user: usersched/), and the runtime
// (runtime/run.h) runs it. The policy is described at the top of
// bpf/atlas.bpf.c.
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/flags.h"
#include "cli/options.h"
#include "runtime/run.h"
#include "stats/cli.h"
#include "stats/report.h"
#include "topology/layout.h"
#include "topology/show.h"

namespace {

int Usage(std::string_view message) {
  std::fprintf(stderr, "scx_atlas: %s\n", std::string(message).c_str());
  return 2;
}

int Monitor(const atlas::Options& o) {
  atlas::StatsCliOptions monitor;
  monitor.prog = "scx_atlas";
  monitor.socket_path = o.stats_socket;
  monitor.interval = absl::Seconds(o.monitor);
  monitor.wait_for_socket = true;
  monitor.stop = atlas::StopOnSigintSigterm();
  return atlas::RunStatsCli(monitor);
}

int ShowTopology(const atlas::Options& o) {
  const atlas::DomainOptions domains = atlas::ToDomainOptions(o);
  absl::StatusOr<atlas::Layout> layout =
      o.hwloc_synthetic.empty() && o.hwloc_xml.empty()
          ? atlas::MakeLayout(domains)
          : atlas::MakeLayoutFrom(domains, o.hwloc_synthetic, o.hwloc_xml);
  if (!layout.ok()) return Usage(layout.status().message());
  std::fputs(
      (o.json ? atlas::FormatLayoutJson(layout->topology, layout->domains)
              : atlas::FormatLayoutTable(layout->topology, layout->domains))
          .c_str(),
      stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "a sched_ext load-balancing scheduler (per-LLC domains in BPF, a "
      "userspace planner).\nUsage: scx_atlas [flags]   (root, a kernel with "
      "CONFIG_SCHED_CLASS_EXT)\nFlags by file: flags_common.cc (both modes), "
      "flags_balanced.cc (the default mode), flags_user.cc (--mode=user); a "
      "flag of the other mode is an error.\nThe policy is described at the top "
      "of "
      "bpf/atlas.bpf.c.");
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "cli/flags_");
  };
  absl::SetFlagsUsageConfig(usage);
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    return Usage(absl::StrCat("unexpected argument '", rest[1],
                              "' (flags are --name=value; see --help)"));
  }
  absl::StatusOr<atlas::Options> options = atlas::OptionsFromFlags();
  if (!options.ok()) return Usage(options.status().message());
  if (options->help_stats) {
    std::fputs(atlas::DescribeStats().c_str(), stdout);
    return 0;
  }
  if (options->monitor > 0) return Monitor(*options);
  if (options->show_topology) return ShowTopology(*options);
  // A bad --cpumasks is a usage error even without sched_ext. (One
  // reading: CPUs that come and go meanwhile, or a reading of the host
  // that is not its online CPUs, are Run's to wait out; a settled one is
  // Run's first layout.)
  atlas::RunConfig config = atlas::ToRunConfig(*options);
  atlas::SettleWait once;
  once.limit = absl::ZeroDuration();
  absl::StatusOr<atlas::Layout> layout = atlas::MakeLayout(
      atlas::ToDomainOptions(*options), {}, options->hwloc_xml, once);
  if (layout.ok()) {
    config.first_layout = *std::move(layout);
  } else if (!absl::IsUnavailable(layout.status())) {
    return Usage(layout.status().message());
  }
  std::unique_ptr<atlas::Mode> mode =
      options->mode == "user"
          ? atlas::user::MakeUserMode(atlas::ToUser(*options))
          : atlas::MakeBalancedMode(atlas::ToBalanced(*options));
  return atlas::Run(*mode, std::move(config));
}
