// SPDX-License-Identifier: GPL-2.0-only
#include "planner/balancer.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>

namespace atlas {
namespace {

// The tasks of the source domains (those above their share, the only ones
// a move takes from) are filed into a list per (source, load bucket);
// buckets are a log scale of load, 4 per doubling, so a move finds a task
// near the wanted load without scanning or sorting. The lists are linked
// through one int per task; the tasks of other domains are only looked at
// (their domain), never filed.
constexpr int kBuckets = 96;

int BucketOf(double load) {
  if (!(load > 0)) return 0;
  // The exponent and the two top mantissa bits of the double: 4 buckets
  // per doubling, the same as frexp's (exp + 16) * 4 + (mant - 0.5) * 8.
  // Loads from 2^-17 to 2^7 (a few microseconds of a CPU up to 128 nice-0
  // tasks' worth) get their own buckets; the rest clamp.
  uint64_t bits;
  std::memcpy(&bits, &load, sizeof(bits));
  const int b = static_cast<int>(bits >> 50) - (1022 - 16) * 4;
  return std::clamp(b, 0, kBuckets - 1);
}

// Caps infeasible weights among `weights`, the other tasks weighing `rest`
// in total. With the k heaviest capped to c, each gets exactly one CPU:
// c / (k * c + rest_k) * nr_cpus = 1, so c = rest_k / (nr_cpus - k), where
// rest_k is the weight of all the others. The k is the one for which the
// k-th heaviest exceeds that c and the next one does not. Returns c, or
// infinity when nothing is capped; every capped weight is > c and every
// other one <= c, so a task's effective weight is min(weight, c).
double HeavyCap(const std::vector<double>& weights, double rest,
                double nr_cpus) {
  constexpr double kNone = std::numeric_limits<double>::infinity();
  const int n = static_cast<int>(weights.size());
  if (nr_cpus <= 1 || n == 0) return kNone;
  std::vector<double> sorted = weights;
  std::sort(sorted.begin(), sorted.end(), std::greater<double>());
  for (double w : weights) rest += w;
  int k = 0;
  while (k < n && k + 1 < nr_cpus) {
    const double rest_without = rest - sorted[k];
    if (sorted[k] <= rest_without / (nr_cpus - k - 1)) break;
    rest = rest_without;
    ++k;
  }
  return k == 0 ? kNone : rest / (nr_cpus - k);
}

// The per-task and per-(domain, bucket) arrays, kept across passes (per
// thread): a pass allocates nothing once they have grown.
struct Scratch {
  std::vector<int> head, next;
};
Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

class Balancer {
 public:
  Balancer(const LoadSnapshot& snapshot,
           const std::vector<BalanceDomain>& domains,
           const BalanceParams& params)
      : snapshot_(snapshot),
        domains_(domains),
        params_(params),
        head_(ThreadScratch().head),
        next_(ThreadScratch().next) {}

  Plan Run();

 private:
  // Saturated: finds the infeasible weights' cap (a pass over the weights,
  // and a second over the heaviest only when one can be infeasible) and
  // takes the capped part out of their domains' loads.
  void CapWeights();
  // Files the tasks of the source domains into the bucket lists.
  void FileSourceTasks();
  // A task's load in the units used (duty cycle, or x capped weight).
  double LoadOf(int i) const {
    const TaskLoad& t = snapshot_.tasks[i];
    if (!plan_.saturated) return t.duty_cycle;
    return t.duty_cycle * std::min<double>(t.weight, cap_) / 100.0;
  }
  // The bucket list of a source domain.
  int& Head(int domain, int bucket) {
    return head_[source_slot_[domain] * kBuckets + bucket];
  }
  void MarkSources();
  // One move from domain `from` to `to`, limited by `limit` (the smaller of
  // the two imbalances being fixed): a task of load x with x < 2 * limit and
  // x <= max_load. False if no task fits.
  bool MoveOne(int from, int to, double limit, double max_load);
  double GlobalShare(int d) const { return avg_ * domains_[d].capacity; }
  // Tries the source domains, most excess first, against the targets, least
  // excess first, until one move succeeds. limit(s, t) and max_load(s, t)
  // bound the move as in MoveOne.
  template <typename Excess, typename Limit, typename MaxLoad>
  bool MoveFromTo(std::vector<int>& from, std::vector<int>& to, Excess excess,
                  Limit limit, MaxLoad max_load);
  void BalanceNodes();
  void BalanceInsideNode(int node);

  const LoadSnapshot& snapshot_;
  const std::vector<BalanceDomain>& domains_;
  const BalanceParams& params_;
  int nr_nodes_ = 0;
  int nr_tasks_ = 0;
  double avg_ = 0;  // load per unit of capacity, machine-wide
  double cap_ = std::numeric_limits<double>::infinity();  // weight cap
  Eigen::VectorXd load_;                                  // per domain
  Eigen::VectorXd node_load_;   // per node: kept up to date by every move
  std::vector<double> excess_;  // per domain: MoveFromTo's candidates
  Eigen::VectorXd capacity_;    // per domain
  Eigen::MatrixXd node_of_;     // nodes x domains, 1 where the domain is
  // Bucket lists of the source domains, linked through next_ (per task).
  std::vector<int>& head_;       // per (source slot, bucket): first task, or -1
  std::vector<int>& next_;       // per task
  std::vector<char> is_source_;  // per domain
  std::vector<int> source_slot_;          // per domain: its lists, or -1
  std::vector<int> from_, to_, members_;  // scratch of the move loops
  Plan plan_;
};

void Balancer::CapWeights() {
  const double nr_cpus = capacity_.sum();
  const TaskLoad* tasks = snapshot_.tasks.data();
  // A weight can be infeasible only if it exceeds a fair CPU's share,
  // w x nr_cpus > total: with the heaviest below that, nothing is capped.
  uint64_t total_weight = 0;
  uint32_t max_weight = 0;
  for (int i = 0; i < nr_tasks_; ++i) {
    total_weight += tasks[i].weight;
    max_weight = std::max(max_weight, tasks[i].weight);
  }
  if (nr_cpus <= 1 || static_cast<double>(max_weight) * nr_cpus <=
                          static_cast<double>(total_weight)) {
    return;
  }
  // Only the ceil(nr_cpus) - 1 heaviest weights can be infeasible; keep
  // the heaviest seen in a min-heap of (weight, task).
  const size_t keep = static_cast<size_t>(std::ceil(nr_cpus));
  std::vector<std::pair<uint32_t, int>> heavy;
  auto lighter = [](const std::pair<uint32_t, int>& a,
                    const std::pair<uint32_t, int>& b) { return a > b; };
  for (int i = 0; i < nr_tasks_; ++i) {
    const uint32_t w = tasks[i].weight;
    if (heavy.size() < keep || w > heavy.front().first) {
      heavy.emplace_back(w, i);
      std::push_heap(heavy.begin(), heavy.end(), lighter);
      if (heavy.size() > keep) {
        std::pop_heap(heavy.begin(), heavy.end(), lighter);
        heavy.pop_back();
      }
    }
  }
  std::vector<double> weights;
  double heavy_total = 0;
  for (const auto& [w, i] : heavy) {
    weights.push_back(w);
    heavy_total += w;
  }
  cap_ = HeavyCap(weights, static_cast<double>(total_weight) - heavy_total,
                  nr_cpus);
  const int nd = static_cast<int>(domains_.size());
  for (const auto& [w, i] : heavy) {
    const int d = tasks[i].domain;
    if (w <= cap_ || static_cast<unsigned>(d) >= static_cast<unsigned>(nd))
      continue;
    load_[d] -= tasks[i].duty_cycle * (w - cap_) / 100.0;
  }
}

void Balancer::FileSourceTasks() {
  const int nd = static_cast<int>(domains_.size());
  source_slot_.assign(nd, -1);
  int nr_sources = 0;
  for (int d = 0; d < nd; ++d) {
    if (is_source_[d]) source_slot_[d] = nr_sources++;
  }
  if (nr_sources == 0) return;
  head_.assign(static_cast<size_t>(nr_sources) * kBuckets, -1);
  // A filed task's link is written before it is read: no zeroing.
  if (next_.size() < static_cast<size_t>(nr_tasks_)) next_.resize(nr_tasks_);
  const TaskLoad* tasks = snapshot_.tasks.data();
  const int* slot = source_slot_.data();
  for (int i = 0; i < nr_tasks_; ++i) {
    const int d = tasks[i].domain;
    if (static_cast<unsigned>(d) >= static_cast<unsigned>(nd) || slot[d] < 0)
      continue;
    const double x = LoadOf(i);
    if (!(x > 0)) continue;
    int& h = Head(d, BucketOf(x));
    next_[i] = h;
    h = i;
  }
}

void Balancer::MarkSources() {
  // Sources: domains above their share, globally or within their node.
  const int nd = static_cast<int>(domains_.size());
  const Eigen::VectorXd node_load = node_of_ * load_;
  const Eigen::VectorXd node_cap = node_of_ * capacity_;
  is_source_.assign(nd, 0);
  for (int d = 0; d < nd; ++d) {
    const int n = domains_[d].node;
    const double node_avg = node_cap[n] > 0 ? node_load[n] / node_cap[n] : 0;
    if (load_[d] > GlobalShare(d) || load_[d] > node_avg * capacity_[d]) {
      is_source_[d] = 1;
    }
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
  // of the nearest bucket below. A moved task is unlinked, so it is never
  // seen again.
  const int want = BucketOf(limit);
  auto take = [&](int b) {
    int* link = &Head(from, b);
    for (int i = *link; i >= 0; link = &next_[i], i = *link) {
      const TaskLoad& t = snapshot_.tasks[i];
      const double x = LoadOf(i);
      if (x < 2 * limit && x <= max_load && t.allowed[to]) {
        *link = next_[i];
        load_[from] -= x;
        load_[to] += x;
        node_load_[domains_[from].node] -= x;
        node_load_[domains_[to].node] += x;
        plan_.migrations.push_back({t.uid, t.pid, from, to, x});
        return true;
      }
    }
    return false;
  };
  if (take(want)) return true;
  if (want + 1 < kBuckets && take(want + 1)) return true;
  for (int b = want - 1; b >= 0; --b) {
    if (take(b)) return true;
  }
  return false;
}

void Balancer::BalanceNodes() {
  if (nr_nodes_ < 2) return;
  const int nd = static_cast<int>(domains_.size());
  const Eigen::VectorXd node_cap = node_of_ * capacity_;
  Eigen::VectorXd imbalance(nr_nodes_);
  for (;;) {
    imbalance = node_load_ - avg_ * node_cap;
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
    std::vector<int>& from = from_;
    std::vector<int>& to = to_;
    from.clear();
    to.clear();
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
  std::vector<int>& members = members_;
  members.clear();
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
    std::vector<int>& from = from_;
    std::vector<int>& to = to_;
    from.clear();
    to.clear();
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
bool Balancer::MoveFromTo(std::vector<int>& from, std::vector<int>& to,
                          Excess excess, Limit limit, MaxLoad max_load) {
  if (static_cast<int>(plan_.migrations.size()) >= params_.max_migrations)
    return false;
  if (from.empty() || to.empty()) return false;
  // Usually the most loaded source and the least loaded target make a
  // move: try them before sorting (O(domains) per move instead of
  // O(domains log domains)). Each candidate's excess is computed once.
  for (int d : from) excess_[d] = excess(d);
  for (int d : to) excess_[d] = excess(d);
  const double* ex = excess_.data();
  auto more = [ex](int a, int b) {
    return ex[a] != ex[b] ? ex[a] > ex[b] : a < b;
  };
  auto less = [ex](int a, int b) {
    return ex[a] != ex[b] ? ex[a] < ex[b] : a < b;
  };
  const int s0 = *std::min_element(from.begin(), from.end(), more);
  const int t0 = *std::min_element(to.begin(), to.end(), less);
  if (MoveOne(s0, t0, limit(s0, t0), max_load(s0, t0))) return true;
  std::sort(from.begin(), from.end(), more);
  std::sort(to.begin(), to.end(), less);
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
  nr_tasks_ = static_cast<int>(snapshot_.tasks.size());
  load_.resize(nd);
  capacity_.resize(nd);
  double runnable = 0;
  for (int d = 0; d < nd; ++d) {
    capacity_[d] = domains_[d].capacity;
    nr_nodes_ = std::max(nr_nodes_, domains_[d].node + 1);
    runnable += snapshot_.domains[d].runnable;
  }
  node_of_.setZero(nr_nodes_, nd);
  for (int d = 0; d < nd; ++d) node_of_(domains_[d].node, d) = 1;
  // Weights count only once the machine is saturated.
  plan_.saturated = runnable >= capacity_.sum();
  for (int d = 0; d < nd; ++d) {
    load_[d] = plan_.saturated ? snapshot_.domains[d].load
                               : snapshot_.domains[d].runnable;
  }
  if (plan_.saturated && load_.sum() > 0) CapWeights();  // lowers load_
  const double total_cap = capacity_.sum();
  avg_ = total_cap > 0 ? load_.sum() / total_cap : 0;
  plan_.loads_before.assign(load_.data(), load_.data() + nd);
  if (avg_ > 0) {
    node_load_ = node_of_ * load_;
    excess_.resize(nd);
    MarkSources();
    FileSourceTasks();
    BalanceNodes();
    for (int n = 0; n < nr_nodes_; ++n) BalanceInsideNode(n);
  }
  plan_.loads_after.assign(load_.data(), load_.data() + nd);
  return plan_;
}

}  // namespace

std::vector<double> CapInfeasibleWeights(const std::vector<double>& weights,
                                         double nr_cpus) {
  const double cap = HeavyCap(weights, 0, nr_cpus);
  std::vector<double> out;
  for (double w : weights) out.push_back(std::min(w, cap));
  return out;
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
