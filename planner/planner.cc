// SPDX-License-Identifier: GPL-2.0-only
#include "planner/planner.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace atlas {

bool WeightCapChanged(double counted, double cap) {
  if (std::isinf(counted) || std::isinf(cap)) {
    return std::isinf(counted) != std::isinf(cap);
  }
  return std::abs(cap - counted) > 0.1 * counted;
}

std::string DescribePass(const Plan& plan) {
  std::string out = "pass: loads";
  for (double l : plan.loads_before) out += absl::StrFormat(" %.2f", l);
  out += " ->";
  for (double l : plan.loads_after) out += absl::StrFormat(" %.2f", l);
  if (plan.saturated && std::isfinite(plan.weight_cap)) {
    out += absl::StrFormat(" (saturated: weights count, capped at %.0f)",
                           plan.weight_cap);
  } else if (plan.saturated) {
    out += " (saturated: weights count)";
  }
  if (plan.migrations.empty()) return out + "; no moves";
  const char* sep = "; moved ";
  for (const Migration& m : plan.migrations) {
    out +=
        absl::StrFormat("%s%u %d->%d (%.2f)", sep, m.pid, m.from, m.to, m.load);
    sep = ", ";
  }
  return out;
}

Plan Planner::BalanceOnce(uint64_t now_ns) {
  auto now = [this] { return clock_ != nullptr ? clock_() : 0; };
  const uint64_t t0 = now();
  LoadSnapshot& snapshot = snapshot_;
  source_->ReadSnapshot(now_ns, &snapshot);
  const uint64_t t1 = now();
  Plan plan = Balance(snapshot, layout_.domains, balance_);
  if (WeightCapChanged(snapshot.weight_cap, plan.weight_cap)) {
    source_->SetWeightCap(plan.weight_cap);
  }
  const uint64_t t2 = now();
  std::vector<Migration> written;
  for (const Migration& m : plan.migrations) {
    if (source_->RequestMigration(m.pid, m.uid, m.to).ok()) {
      written.push_back(m);
    } else {
      ++plan.failed_writes;
    }
  }
  plan.migrations = std::move(written);
  const uint64_t t3 = now();
  last_cost_ = {t1 - t0, t2 - t1, t3 - t2, static_cast<uint64_t>(plan.tasks)};
  return plan;
}

Tuning Planner::TuneOnce(uint64_t now_ns) {
  const std::vector<uint64_t> busy = source_->ReadCpuBusy();
  std::vector<double> util(busy.size(), 0);
  if (last_tune_ns_ != 0 && now_ns > last_tune_ns_ &&
      last_busy_.size() == busy.size()) {
    const double elapsed = static_cast<double>(now_ns - last_tune_ns_);
    for (size_t c = 0; c < busy.size(); ++c) {
      const double used = busy[c] >= last_busy_[c]
                              ? static_cast<double>(busy[c] - last_busy_[c])
                              : 0;
      util[c] = std::clamp(used / elapsed, 0.0, 1.0);
    }
  }
  last_busy_ = busy;
  last_tune_ns_ = now_ns;
  Tuning tuning = Tune(util, layout_.domain_cpus, tuner_);
  source_->ApplyTuning(tuning);
  return tuning;
}

}  // namespace atlas
