// SPDX-License-Identifier: GPL-2.0-only
#include "planner/balancer.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace atlas {
namespace {

// Candidate tasks of the domains that may have to give load away, bucketed
// by load on a log scale (4 buckets per doubling), so a move finds a task
// near the wanted load without scanning or sorting all of them.
constexpr int kBuckets = 96;

int BucketOf(double load) {
  if (!(load > 0)) return 0;
  int exp = 0;
  const double mant = std::frexp(load, &exp);  // load = mant * 2^exp, [0.5,1)
  // Loads from 2^-17 to 2^7 (a few microseconds of a CPU up to 128
  // nice-0 tasks' worth) get their own buckets; the rest clamp.
  const int b = (exp + 16) * 4 + static_cast<int>((mant - 0.5) * 8);
  return std::clamp(b, 0, kBuckets - 1);
}

// Caps infeasible weights among `weights`, the other tasks weighing `rest`
// in total. With the k heaviest capped to c, each gets exactly one CPU:
// c / (k * c + rest_k) * nr_cpus = 1, so c = rest_k / (nr_cpus - k), where
// rest_k is the weight of all the others. The k is the one for which the
// k-th heaviest exceeds that c and the next one does not.
std::vector<double> CapHeavy(const std::vector<double>& weights, double rest,
                             double nr_cpus) {
  std::vector<double> out = weights;
  const int n = static_cast<int>(weights.size());
  if (nr_cpus <= 1 || n == 0) return out;
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return weights[a] != weights[b] ? weights[a] > weights[b] : a < b;
  });
  for (double w : weights) rest += w;
  int k = 0;
  while (k < n && k + 1 < nr_cpus) {
    const double rest_without = rest - weights[order[k]];
    if (weights[order[k]] <= rest_without / (nr_cpus - k - 1)) break;
    rest = rest_without;
    ++k;
  }
  if (k == 0) return out;
  const double cap = rest / (nr_cpus - k);
  for (int j = 0; j < k; ++j) out[order[j]] = cap;
  return out;
}

struct Candidates {
  // For source domain s: tasks of bucket b are index[start[s][b] ..
  // start[s][b+1]), indices into Balancer::task_load_.
  std::vector<std::vector<int>> start;
  std::vector<int> index;
};

class Balancer {
 public:
  Balancer(const LoadSnapshot& snapshot,
           const std::vector<BalanceDomain>& domains,
           const BalanceParams& params)
      : snapshot_(snapshot), domains_(domains), params_(params) {}

  Plan Run();

 private:
  void ComputeLoads();
  void CollectCandidates();
  // One move from domain `from` to `to`, limited by `limit` (the smaller of
  // the two imbalances being fixed): a task of load x with x < 2 * limit and
  // x <= max_load. False if no task fits.
  bool MoveOne(int from, int to, double limit, double max_load);
  double GlobalShare(int d) const { return avg_ * domains_[d].capacity; }
  // Tries the source domains, most excess first, against the targets, least
  // excess first, until one move succeeds. limit(s, t) and max_load(s, t)
  // bound the move as in MoveOne.
  template <typename Excess, typename Limit, typename MaxLoad>
  bool MoveFromTo(std::vector<int> from, std::vector<int> to, Excess excess,
                  Limit limit, MaxLoad max_load);
  void BalanceNodes();
  void BalanceInsideNode(int node);

  const LoadSnapshot& snapshot_;
  const std::vector<BalanceDomain>& domains_;
  const BalanceParams& params_;
  int nr_nodes_ = 0;
  double avg_ = 0;                 // load per unit of capacity, machine-wide
  Eigen::VectorXd load_;           // per domain
  Eigen::VectorXd capacity_;       // per domain
  Eigen::MatrixXd node_of_;        // nodes x domains, 1 where the domain is
  std::vector<double> task_load_;  // per snapshot task, in the units used
  std::vector<char> moved_;        // per snapshot task
  std::vector<char> is_source_;    // per domain
  std::vector<int> source_slot_;   // domain -> index into candidates_.start
  Candidates candidates_;
  Plan plan_;
};

void Balancer::ComputeLoads() {
  const int nd = static_cast<int>(domains_.size());
  load_.setZero(nd);
  capacity_.resize(nd);
  double runnable = 0;
  for (int d = 0; d < nd; ++d) {
    capacity_[d] = domains_[d].capacity;
    nr_nodes_ = std::max(nr_nodes_, domains_[d].node + 1);
    runnable += snapshot_.domains[d].runnable;
  }
  node_of_.setZero(nr_nodes_, nd);
  for (int d = 0; d < nd; ++d) node_of_(domains_[d].node, d) = 1;

  const double nr_cpus = capacity_.sum();
  plan_.saturated = runnable >= nr_cpus;
  const size_t nt = snapshot_.tasks.size();
  task_load_.resize(nt);
  for (int d = 0; d < nd; ++d) {
    load_[d] = plan_.saturated ? snapshot_.domains[d].load
                               : snapshot_.domains[d].runnable;
  }
  if (!plan_.saturated) {
    for (size_t i = 0; i < nt; ++i)
      task_load_[i] = snapshot_.tasks[i].duty_cycle;
    return;
  }
  // Saturated: weights count, capped where infeasible. A weight can only be
  // infeasible if it exceeds a fair CPU's share (w * nr_cpus > total), so
  // only those few are sorted and capped (CapHeavy), not all tasks.
  double total = 0;
  for (size_t i = 0; i < nt; ++i) total += snapshot_.tasks[i].weight;
  std::vector<int> heavy;
  for (size_t i = 0; i < nt; ++i) {
    const TaskLoad& t = snapshot_.tasks[i];
    task_load_[i] = t.duty_cycle * t.weight / 100.0;
    if (t.weight * nr_cpus > total) heavy.push_back(static_cast<int>(i));
  }
  if (heavy.empty()) return;
  std::vector<double> heavy_weights;
  double heavy_total = 0;
  for (int i : heavy) {
    heavy_weights.push_back(snapshot_.tasks[i].weight);
    heavy_total += snapshot_.tasks[i].weight;
  }
  const std::vector<double> capped =
      CapHeavy(heavy_weights, total - heavy_total, nr_cpus);
  for (size_t h = 0; h < heavy.size(); ++h) {
    const TaskLoad& t = snapshot_.tasks[heavy[h]];
    task_load_[heavy[h]] = t.duty_cycle * capped[h] / 100.0;
    if (t.domain >= 0 && t.domain < nd) {
      load_[t.domain] -= t.duty_cycle * (heavy_weights[h] - capped[h]) / 100.0;
    }
  }
}

void Balancer::CollectCandidates() {
  // Sources: domains above their share, globally or within their node.
  const int nd = static_cast<int>(domains_.size());
  const Eigen::VectorXd node_load = node_of_ * load_;
  const Eigen::VectorXd node_cap = node_of_ * capacity_;
  is_source_.assign(nd, 0);
  source_slot_.assign(nd, -1);
  int nr_sources = 0;
  for (int d = 0; d < nd; ++d) {
    const int n = domains_[d].node;
    const double node_avg = node_cap[n] > 0 ? node_load[n] / node_cap[n] : 0;
    if (load_[d] > GlobalShare(d) || load_[d] > node_avg * capacity_[d]) {
      is_source_[d] = 1;
      source_slot_[d] = nr_sources++;
    }
  }
  // Counting sort of the sources' tasks by (source, bucket).
  std::vector<std::vector<int>>& start = candidates_.start;
  start.assign(nr_sources, std::vector<int>(kBuckets + 1, 0));
  std::vector<int> key(snapshot_.tasks.size(), -1);
  for (size_t i = 0; i < snapshot_.tasks.size(); ++i) {
    const int d = snapshot_.tasks[i].domain;
    if (d < 0 || d >= nd || !is_source_[d] || !(task_load_[i] > 0)) continue;
    const int b = BucketOf(task_load_[i]);
    key[i] = source_slot_[d] * kBuckets + b;
    ++start[source_slot_[d]][b + 1];
  }
  int total = 0;
  for (auto& s : start) {
    for (int b = 1; b <= kBuckets; ++b) s[b] += s[b - 1];
    for (int b = 0; b <= kBuckets; ++b) s[b] += total;
    total = s[kBuckets];
  }
  candidates_.index.assign(total, 0);
  std::vector<int> fill(nr_sources * kBuckets);
  for (int s = 0; s < nr_sources; ++s) {
    for (int b = 0; b < kBuckets; ++b) fill[s * kBuckets + b] = start[s][b];
  }
  for (size_t i = 0; i < key.size(); ++i) {
    if (key[i] >= 0) candidates_.index[fill[key[i]]++] = static_cast<int>(i);
  }
}

bool Balancer::MoveOne(int from, int to, double limit, double max_load) {
  if (static_cast<int>(plan_.migrations.size()) >= params_.max_migrations ||
      limit <= 0 || !is_source_[from]) {
    return false;
  }
  // A move of x shrinks |a| + |b| iff 0 < x < 2 * limit; the best x is
  // `limit`. Take the first fitting task of its bucket (all of a bucket's
  // loads are within 19% of each other), else of the next bucket up, else
  // of the nearest bucket below: O(1) per move, whatever the task count.
  const std::vector<int>& start = candidates_.start[source_slot_[from]];
  const int want = BucketOf(limit);
  int best = -1;
  auto scan = [&](int b) {
    for (int k = start[b]; k < start[b + 1] && best < 0; ++k) {
      const int i = candidates_.index[k];
      const double x = task_load_[i];
      if (!moved_[i] && x < 2 * limit && x <= max_load &&
          snapshot_.tasks[i].allowed[to]) {
        best = i;
      }
    }
  };
  scan(want);
  if (best < 0 && want + 1 < kBuckets) scan(want + 1);
  for (int b = want - 1; best < 0 && b >= 0; --b) scan(b);
  if (best < 0) return false;
  const TaskLoad& t = snapshot_.tasks[best];
  moved_[best] = 1;
  load_[from] -= task_load_[best];
  load_[to] += task_load_[best];
  plan_.migrations.push_back({t.uid, t.pid, from, to, task_load_[best]});
  return true;
}

void Balancer::BalanceNodes() {
  if (nr_nodes_ < 2) return;
  const int nd = static_cast<int>(domains_.size());
  const Eigen::VectorXd node_cap = node_of_ * capacity_;
  for (;;) {
    const Eigen::VectorXd node_load = node_of_ * load_;
    const Eigen::VectorXd imbalance = node_load - avg_ * node_cap;
    Eigen::Index push = 0, pull = 0;
    imbalance.maxCoeff(&push);
    imbalance.minCoeff(&pull);
    const double threshold_push =
        params_.node_imbalance_pct / 100 * avg_ * node_cap[push];
    const double threshold_pull =
        params_.node_imbalance_pct / 100 * avg_ * node_cap[pull];
    if (imbalance[push] <= threshold_push || -imbalance[pull] <= threshold_pull)
      return;
    // Source: the pushing node's domains by load above share; target: the
    // pulling node's domains by load below share. A move must also shrink
    // the two domains' imbalance (so the machine-wide sum never grows).
    std::vector<int> from, to;
    for (int d = 0; d < nd; ++d) {
      if (domains_[d].node == push && load_[d] > GlobalShare(d))
        from.push_back(d);
      if (domains_[d].node == pull && load_[d] < GlobalShare(d))
        to.push_back(d);
    }
    auto excess = [&](int d) { return load_[d] - GlobalShare(d); };
    const bool moved = MoveFromTo(
        from, to, excess,
        [&](int s, int t) {
          return std::min(
              {imbalance[push], -imbalance[pull], excess(s), -excess(t)});
        },
        [](int, int) { return std::numeric_limits<double>::infinity(); });
    if (!moved) return;
  }
}

void Balancer::BalanceInsideNode(int node) {
  std::vector<int> members;
  for (int d = 0; d < static_cast<int>(domains_.size()); ++d) {
    if (domains_[d].node == node) members.push_back(d);
  }
  if (members.size() < 2) return;
  for (;;) {
    double node_load = 0, node_cap = 0;
    for (int d : members) {
      node_load += load_[d];
      node_cap += capacity_[d];
    }
    const double node_avg = node_cap > 0 ? node_load / node_cap : 0;
    auto excess = [&](int d) { return load_[d] - node_avg * capacity_[d]; };
    auto threshold = [&](int d) {
      return params_.domain_imbalance_pct / 100 * node_avg * capacity_[d];
    };
    std::vector<int> from, to;
    for (int d : members) {
      if (excess(d) > threshold(d)) from.push_back(d);
      if (-excess(d) > threshold(d)) to.push_back(d);
    }
    if (from.empty() || to.empty()) return;
    // Moving x changes the machine-wide imbalance of s and t by
    // |gs - x| + |gt + x| - |gs| - |gt|, which is <= 0 iff x <= gs - gt
    // (domains of one node can have different capacities, so the
    // node-relative limit alone does not ensure it).
    const bool moved = MoveFromTo(
        from, to, excess,
        [&](int s, int t) { return std::min(excess(s), -excess(t)); },
        [&](int s, int t) {
          return (load_[s] - GlobalShare(s)) - (load_[t] - GlobalShare(t));
        });
    if (!moved) return;
  }
}

template <typename Excess, typename Limit, typename MaxLoad>
bool Balancer::MoveFromTo(std::vector<int> from, std::vector<int> to,
                          Excess excess, Limit limit, MaxLoad max_load) {
  std::sort(from.begin(), from.end(), [&](int a, int b) {
    return excess(a) != excess(b) ? excess(a) > excess(b) : a < b;
  });
  std::sort(to.begin(), to.end(), [&](int a, int b) {
    return excess(a) != excess(b) ? excess(a) < excess(b) : a < b;
  });
  for (int s : from) {
    for (int t : to) {
      if (MoveOne(s, t, limit(s, t), max_load(s, t))) return true;
    }
  }
  return false;
}

Plan Balancer::Run() {
  const int nd = static_cast<int>(domains_.size());
  if (nd == 0 || static_cast<int>(snapshot_.domains.size()) != nd) return plan_;
  ComputeLoads();
  const double total_cap = capacity_.sum();
  avg_ = total_cap > 0 ? load_.sum() / total_cap : 0;
  plan_.loads_before.assign(load_.data(), load_.data() + nd);
  if (avg_ > 0) {
    moved_.assign(snapshot_.tasks.size(), 0);
    CollectCandidates();
    BalanceNodes();
    for (int n = 0; n < nr_nodes_; ++n) BalanceInsideNode(n);
  }
  plan_.loads_after.assign(load_.data(), load_.data() + nd);
  return plan_;
}

}  // namespace

std::vector<double> CapInfeasibleWeights(const std::vector<double>& weights,
                                         double nr_cpus) {
  return CapHeavy(weights, 0, nr_cpus);
}

double TotalImbalance(const std::vector<double>& loads,
                      const std::vector<BalanceDomain>& domains) {
  double load = 0, cap = 0, sum = 0;
  for (size_t d = 0; d < loads.size(); ++d) {
    load += loads[d];
    cap += domains[d].capacity;
  }
  const double avg = cap > 0 ? load / cap : 0;
  for (size_t d = 0; d < loads.size(); ++d) {
    sum += std::abs(loads[d] - avg * domains[d].capacity);
  }
  return sum;
}

Plan Balance(const LoadSnapshot& snapshot,
             const std::vector<BalanceDomain>& domains,
             const BalanceParams& params) {
  return Balancer(snapshot, domains, params).Run();
}

}  // namespace atlas
