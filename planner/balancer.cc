// SPDX-License-Identifier: GPL-2.0-only
#include "planner/balancer.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>

#include "planner/task_slots.h"

namespace atlas {
namespace {

// The tasks are read where BPF keeps them (the task_snaps slots), once per
// pass: every task's domain and weight (for the weight cap), and only the
// tasks of the source domains (those a move can take from), a window of
// each (below), are copied, decoded and filed into a list per
// (source, load bucket); buckets are a log scale of load, 4 per doubling,
// so a move finds a task near the wanted load without scanning or sorting.
constexpr int kBuckets = 96;

// The tasks of a source domain a pass lists, at most (as the kernel's
// load balancer looks at no more than sched_nr_migrate, 32, of the busiest
// runqueue's tasks a balance): a pass makes at most max_migrations moves,
// and a move looks at no more than 16 tasks of a bucket. The scan starts
// at a slot that changes from pass to pass, so a busier domain's other
// tasks get their turn. (512 before: at 10k tasks in 64-128 domains of
// uniform load the listing of every source's tasks was half the pass.)
constexpr int kListPerSource = 32;

// ... and fewer when many domains are sources: the windows (each of the
// two below) share about 1/kListShare of the slots (at least kListLeast
// tasks) among the sources by their excess, never fewer than kListMin a
// source, so that a pass's listing stays a fraction of its scan. (1k tasks
// in 128 domains of uniform load: 54 sources of about 8 tasks each listed
// all 426 of them for at most 32 moves, a third of the pass.) By excess,
// not evenly: a domain far over among many slightly over ones needs more
// moves than they do (evenly, it listed 4 tasks above its floor, and shed
// at most that many a pass). A sixteenth of the slots, not an eighth
// (1250 tasks at 10k for at most 32 moves): 10k tasks in 128 domains of
// uniform load took 0.88 of the time, and the benchmark's 28 cases made
// the same plans but one (a little better); a thirty-second left more
// imbalance (10k x 128 uniform 0.814 of it, against 0.796).
constexpr size_t kListShare = 16;
constexpr size_t kListLeast = 4 * kListPerSource;
constexpr int kListMin = 4;

// A source's tasks whose load is at least its excess / kFloorDiv and those
// below have a window each (counted in one int of
// `listed`, the low and the high 16 bits): the few busy tasks among a
// domain's hundreds of near-idle ones (kworkers, sleeping threads) all
// fit in the first, and a domain of many light tasks still has some to
// move. (A move of less than the floor fixes less than 1/kFloorDiv of the
// excess: a pass's moves of such tasks alone would not fix a quarter.)
constexpr double kFloorDiv = 128;

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

// A task of a source domain: filed by a rough load read during the scan;
// its slot is read again, and its exact load computed, only when a move
// looks at it.
struct Candidate {
  uint64_t uid;
  uint32_t slot;
  int32_t domain;
  double rough_dcyc;  // its duty cycle within 6 % (RoughHalving)
  uint32_t weight;    // as the scan read it
  double load;        // exact, in the units used; NaN until a move looks
};

// 2^e for -1022 <= e <= 1023 (a normal double), exactly, without a call:
// the exponent's bits.
double Pow2(int e) {
  const uint64_t bits = static_cast<uint64_t>(1023 + e) << 52;
  double p;
  std::memcpy(&p, &bits, sizeof(p));
  return p;
}

// 2^(-x) for x >= 0 within 6 %: whole halvings shift, the rest
// interpolates linearly (the buckets are 19 % wide).
double RoughHalving(double x) {
  if (!(x < 64)) return 0;
  const int n = static_cast<int>(x);
  return (1 - (x - n) / 2) * Pow2(-n);
}

// A rough load is within 6 % of the exact one (RoughHalving).
constexpr double kRoughLow = 0.93;

// The least load bucket b holds (BucketOf's inverse; 0 for bucket 0,
// which also takes everything below).
double BucketMin(int b) {
  if (b <= 0) return 0;
  const uint64_t bits = static_cast<uint64_t>(b + (1022 - 16) * 4) << 50;
  double min;
  std::memcpy(&min, &bits, sizeof(min));
  return min;
}

// How a scan weighs a task: kPlain, its weight as it is (no task has a
// cgroup factor: through the table's "none" entry instead, 10k tasks
// without cgroups took 26036 / 27048 ns uniform / hot against 16817 /
// 18493, 3 rounds, results/planner-20261204c); kExact, x its cgroup's
// factor, into the totals and `heavy`; kTally, not at all but for a listed
// task: each fresh task's own weight goes into its cgroup's tally instead
// (an add and a max, against decoding and applying the factor: the totals
// are then bounded per cgroup, BoundTallies).
enum class Weigh { kPlain, kExact, kTally };

// Per cgroup slot (and the "none" entry, last): its fresh tasks' own
// weights (p->scx.weight) as a kTally scan counts them.
struct CgroupTally {
  uint64_t sum;
  uint64_t max;
};

// Every array of a pass, kept across passes (per thread): a pass allocates
// nothing but its plan once they have grown.
struct Scratch {
  Eigen::VectorXd load, node_load, capacity, node_cap;
  std::vector<int> head, next;
  std::vector<uint64_t> occupied;
  std::vector<Candidate> cand;
  std::vector<uint32_t> heavy;
  std::vector<FactorCode> codes;
  std::vector<CgroupTally> tally;
  std::vector<char> is_source;
  std::vector<char> no_source;
  std::vector<char> listing;
  std::vector<int> listed;
  std::vector<int> source_slot;
  std::vector<double> gexcess, nexcess, threshold, floor;
  std::vector<std::vector<uint64_t>> over, under;
  std::vector<int> live_nodes;
  std::vector<int> nr_over, nr_under;
  std::vector<double> node_avg;
  std::vector<char> node_pushes;
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
        load_(ThreadScratch().load),
        node_load_(ThreadScratch().node_load),
        capacity_(ThreadScratch().capacity),
        node_cap_(ThreadScratch().node_cap),
        head_(ThreadScratch().head),
        next_(ThreadScratch().next),
        occupied_(ThreadScratch().occupied),
        cand_(ThreadScratch().cand),
        heavy_(ThreadScratch().heavy),
        codes_(ThreadScratch().codes),
        tally_(ThreadScratch().tally),
        is_source_(ThreadScratch().is_source),
        no_source_(ThreadScratch().no_source),
        listing_(ThreadScratch().listing),
        listed_(ThreadScratch().listed),
        source_slot_(ThreadScratch().source_slot),
        gexcess_(ThreadScratch().gexcess),
        nexcess_(ThreadScratch().nexcess),
        threshold_(ThreadScratch().threshold),
        floor_(ThreadScratch().floor),
        over_(ThreadScratch().over),
        under_(ThreadScratch().under),
        node_avg_(ThreadScratch().node_avg),
        node_pushes_(ThreadScratch().node_pushes),
        live_nodes_(ThreadScratch().live_nodes),
        nr_over_(ThreadScratch().nr_over),
        nr_under_(ThreadScratch().nr_under) {}

  Plan Run();

 private:
  // The one pass over the slots: counts the tasks, finds the infeasible
  // weights' cap, and lists the source domains' tasks in cand_ with the
  // rough loads to file them by.
  void ScanTasks();
  // Files the candidates into the bucket lists.
  void FileSourceTasks();
  // A task's load in the units used (duty cycle, or x capped weight).
  double LoadOf(double duty_cycle, uint32_t weight) const {
    if (!plan_.saturated) return duty_cycle;
    return duty_cycle * std::min<double>(weight, cap_) /
           (100.0 * ATLAS_WEIGHT_SCALE);
  }
  // Reads candidate i's slot again: false if the task is gone or elsewhere
  // by now; else its exact load (cached) and the slot's copy.
  bool Examine(int i, atlas_task_snap* copy);
  // The bucket list of a source domain; a list whose bit in occupied_ is
  // clear is empty (its head unset: the heads are not reset per pass).
  int& Head(int domain, int bucket) {
    return head_[source_slot_[domain] * kBuckets + bucket];
  }
  uint64_t& Occupied(int domain, int bucket) {
    return occupied_[source_slot_[domain] * kOccWords + bucket / 64];
  }
  static constexpr int kOccWords = (kBuckets + 63) / 64;
  // The first occupied bucket of a source in [b, last], the last one in
  // [0, b]; -1 if none.
  int NextOccupied(int domain, int b, int last) {
    const uint64_t* occ = &occupied_[source_slot_[domain] * kOccWords];
    for (b = std::max(b, 0); b <= last; b = (b / 64 + 1) * 64) {
      const uint64_t w = occ[b / 64] >> (b % 64);
      if (w) {
        const int found = b + __builtin_ctzll(w);
        return found <= last ? found : -1;
      }
    }
    return -1;
  }
  int PrevOccupied(int domain, int b) {
    const uint64_t* occ = &occupied_[source_slot_[domain] * kOccWords];
    for (b = std::min(b, kBuckets - 1); b >= 0; b = (b / 64) * 64 - 1) {
      const uint64_t w = occ[b / 64] << (63 - b % 64);
      if (w) return b - __builtin_clzll(w);
    }
    return -1;
  }
  void MarkSources();
  // One move from domain `from` to `to`, limited by `limit` (the smaller of
  // the two imbalances being fixed): a task of load x with x < 2 * limit and
  // x <= max_load. False if no task fits.
  bool MoveOne(int from, int to, double limit, double max_load);
  double GlobalShare(int d) const { return avg_ * domains_[d].capacity; }
  // How far node n's load must be from its share to push or pull.
  double NodeThreshold(int n) const {
    return params_.node_imbalance_pct / 100 * avg_ * node_cap_[n];
  }
  // Node n's load per unit of capacity, as the moves so far left it.
  double NodeAvg(int n) const {
    return node_cap_[n] > 0 ? node_load_[n] / node_cap_[n] : 0;
  }
  // How far domain d's load must be from its share of its node's load
  // (node_avg per unit of capacity) to be a source or a target inside it.
  double DomainThreshold(int d, double node_avg) const {
    return domain_frac_ * node_avg * capacity_[d];
  }
  // Tries the sources `from` (most excess first) against the targets `to`
  // (least excess first), until one move succeeds; the positions of its
  // domains in the two lists in *fi, *ti. limit(s, t) and max_load(s, t)
  // bound the move as in MoveOne.
  template <typename Limit, typename MaxLoad>
  bool MoveFromTo(const std::vector<uint64_t>& from,
                  const std::vector<uint64_t>& to, Limit limit,
                  MaxLoad max_load, size_t* fi, size_t* ti);
  void BalanceNodes();
  // Balances the domains inside each node: every move from the most loaded
  // source of any node (against its node's average).
  void BalanceInsideNodes();

  const LoadSnapshot& snapshot_;
  const std::vector<BalanceDomain>& domains_;
  const BalanceParams& params_;
  int nr_nodes_ = 0;
  int nr_tasks_ = 0;
  int nr_cand_ = 0;          // candidates in cand_
  int nr_sources_ = 0;       // domains marked sources (MarkSources)
  double source_floor_ = 0;  // the sum of their floors (MarkSources)
  double avg_ = 0;           // load per unit of capacity, machine-wide
  double cap_ = std::numeric_limits<double>::infinity();  // weight cap
  // domain_imbalance_pct / 100, once (the loops over the domains that
  // compare against DomainThreshold divided by 100 for each domain).
  double domain_frac_ = 0;
  // Kept across passes, as the arrays below (Scratch).
  Eigen::VectorXd& load_;       // per domain
  Eigen::VectorXd& node_load_;  // per node: kept up to date by every move
  Eigen::VectorXd& capacity_;   // per domain
  Eigen::VectorXd& node_cap_;   // per node
  // Bucket lists of the source domains, linked through next_.
  std::vector<int>& head_;           // per (source slot, bucket): first task
  std::vector<int>& next_;           // per candidate
  std::vector<uint64_t>& occupied_;  // per (source slot, bucket): a bit
  std::vector<Candidate>& cand_;     // the source domains' tasks, nr_cand_
  std::vector<uint32_t>& heavy_;     // the heaviest weights (ScanTasks)
  // Per cgroup slot, its factor decoded (ScanTasks), and one for none last.
  std::vector<FactorCode>& codes_;
  std::vector<CgroupTally>& tally_;  // per codes_ entry (ScanTasks)
  std::vector<char>& is_source_;     // per domain, and 0 at [nr domains]
  std::vector<char>& no_source_;     // all 0: the heavy weights' scan
  std::vector<char>& listing_;       // per domain (+1): still listing
  std::vector<int>& listed_;         // per domain (+1): its candidates
  // Per domain: its lists (its rank among the sources), or -1.
  std::vector<int>& source_slot_;
  // Per domain, kept up to date by every move: load - global share, load -
  // node share, and the domain threshold (of the node phase being run).
  std::vector<double>&gexcess_, &nexcess_, &threshold_;
  // Per domain (+1): a source's floor (MarkSources).
  std::vector<double>& floor_;
  // Per node, the sources and the targets of a phase: its domains above
  // their global share, most excess first, and below it, least excess
  // first (BalanceNodes); above and below their node's share by more than
  // the threshold (BalanceInsideNodes).
  std::vector<std::vector<uint64_t>>&over_, &under_;
  // Per node, its load per unit of capacity (MarkSources; again in
  // BalanceInsideNodes, after the node phase's moves).
  std::vector<double>& node_avg_;
  std::vector<char>& node_pushes_;  // per node (MarkSources)
  std::vector<int>& live_nodes_;    // the domain phase's nodes still moving
  std::vector<int>&nr_over_, &nr_under_;  // per node (BalanceInsideNodes)
  Plan plan_;
};

// The running totals of a scan.
struct ScanState {
  uint64_t total_weight = 0;
  uint32_t max_weight = 0;
  int nr_tasks = 0;
  uint32_t heavy_floor = 0;  // a weight above it goes to `heavy`
  size_t nr_heavy = 0;       // weights written to `heavy`
  size_t nr_cand = 0;        // candidates written
  int listing_left = 0;      // domains still listing (listing[d] != 0)
};

// Scans slots [i, n): counts the fresh ones, writes each source domain's
// task to cand (room for one per slot; up to its window above its floor
// and as many below, counted in `listed` up to kListPerSource) and each
// weight above st->heavy_floor to heavy (each weight as kWeigh says);
// stops when heavy holds heavy_room and returns where it stopped (n:
// done). Out of line and free of calls, so the totals stay in registers
// (inlined into the pass, whose rare paths call out, the loop kept them on
// the stack: 18 % slower at 100k tasks). Aligned to a cache line: where
// the linker happened to put it moved the passes of uniform load at 10k
// and 100k tasks by 10-20 % between builds of unrelated changes.
template <Weigh kWeigh>
__attribute__((noinline, aligned(64))) size_t ScanUntilHeavy(
    const atlas_task_snap* slots, size_t i, size_t n, uint64_t now,
    uint64_t max_age, double per_half_life, char* listing, const double* floor,
    double per_weight, double unweighted, int* listed, uint32_t nd,
    const FactorCode* codes, uint32_t nr_codes, CgroupTally* tally,
    Candidate* cand, uint32_t* heavy, size_t heavy_room, ScanState* st) {
  uint64_t total_weight = st->total_weight;
  uint32_t max_weight = st->max_weight;
  int nr_tasks = st->nr_tasks;
  size_t nc = st->nr_cand;
  size_t nh = st->nr_heavy;
  const uint32_t heavy_floor = st->heavy_floor;
  int listing_left = st->listing_left;
  // SlotFresh(at, now, max_age) as one comparison per slot.
  const uint64_t oldest = OldestFresh(now, max_age);
  // With no domain listing and no heavy weights kept, only the counts and
  // totals are left: the loop after this one, without the listing's reads
  // and branches (at 10k tasks the sources' windows are full after a fifth
  // of the slots or less).
  const bool counts_only = heavy_floor == std::numeric_limits<uint32_t>::max();
  // A slot's cgroup entry (codes[nr_codes]: no factor, as for no cgroup
  // or a slot past the factors) and its weight as kWeigh counts it.
  auto cgroup_of = [nr_codes](const atlas_task_snap& s) -> uint32_t {
    return kWeigh == Weigh::kPlain
               ? 0
               : std::min<uint32_t>(
                     __atomic_load_n(&s.cgroup, __ATOMIC_RELAXED), nr_codes);
  };
  auto weigh = [codes](uint32_t raw, uint32_t cg) -> uint32_t {
    return kWeigh == Weigh::kPlain   ? raw * ATLAS_WEIGHT_SCALE
           : kWeigh == Weigh::kExact ? ApplyFactor(raw, codes[cg])
                                     : 0;
  };
  // A fresh slot into the counts and totals.
  auto count = [&](uint32_t raw, uint32_t cg, uint32_t w) {
    ++nr_tasks;
    if constexpr (kWeigh == Weigh::kTally) {
      CgroupTally& t = tally[cg];
      t.sum += raw;
      // Stored only when it grows (a cgroup's heaviest is found early):
      // one store a slot instead of two (with both, perf put 38 % of a
      // pass of 10k tasks in 64 cgroups on these lines; one took the
      // cgroup cases from 4k tasks up to 0.86-0.96 of the time,
      // results/planner-20261207b).
      if (__builtin_expect(raw > t.max, 0)) t.max = raw;
    } else {
      total_weight += w;
      max_weight = std::max(max_weight, w);
    }
  };
  const size_t listing_end = listing_left == 0 && counts_only ? i : n;
  for (; i < listing_end; ++i) {
    const atlas_task_snap& s = slots[i];
    const uint64_t at = __atomic_load_n(&s.updated_at, __ATOMIC_RELAXED);
    const uint32_t raw = __atomic_load_n(&s.weight, __ATOMIC_RELAXED);
    const uint32_t cg = cgroup_of(s);
    uint32_t w = weigh(raw, cg);
    const uint32_t d = __atomic_load_n(&s.dom, __ATOMIC_RELAXED);
    const uint64_t uid = __atomic_load_n(&s.uid, __ATOMIC_RELAXED);
    if (!((uid != 0) & (at >= oldest))) continue;
    count(raw, cg, w);
    const uint32_t dd = d < nd ? d : nd;
    if (listing[dd]) {
      if constexpr (kWeigh == Weigh::kTally) w = ApplyFactor(raw, codes[cg]);
      // Signed conversions (cheaper than unsigned ones) of values far
      // below 2^63, and a multiplication by the inverse half-life.
      constexpr double kOne = 1.0 / ATLAS_LOAD_ONE;
      const double dcyc = static_cast<double>(static_cast<int64_t>(
                              __atomic_load_n(&s.dcyc, __ATOMIC_RELAXED))) *
                          kOne;
      const double cur = static_cast<double>(static_cast<int64_t>(
                             __atomic_load_n(&s.dcyc_cur, __ATOMIC_RELAXED))) *
                         kOne;
      const double halvings =
          now > at ? static_cast<double>(static_cast<int64_t>(now - at)) *
                         per_half_life
                   : 0;
      const double rough = cur + (dcyc - cur) * RoughHalving(halvings);
      // Its load, uncapped (so never below the capped one), against the
      // domain's floor: tasks above it and below it have a window each.
      constexpr int kEnd = kListPerSource;
      const int l = listed[dd];
      const bool above = rough * (w * per_weight + unweighted) >= floor[dd];
      if (above ? (l & 0xffff) < kEnd : (l >> 16) < kEnd) {
        listed[dd] = l + (above ? 1 : 1 << 16);
        // The window above the floor full: the domain's other tasks are
        // not looked at.
        if (above && (l & 0xffff) + 1 == kEnd) {
          listing[dd] = 0;
          --listing_left;
        }
        cand[nc++] = {uid,
                      static_cast<uint32_t>(i),
                      static_cast<int32_t>(d),
                      rough,
                      w,
                      std::numeric_limits<double>::quiet_NaN()};
      }
      // (This slot's heavy check is moot then: no weight is above the
      // floor.)
      if (listing_left == 0 && counts_only) {
        ++i;
        break;
      }
    }
    // Taken for the first few slots, then (the floor having risen to the
    // heaviest weights' lightest) only for a weight among the heaviest.
    if (kWeigh != Weigh::kTally && __builtin_expect(w > heavy_floor, 0)) {
      heavy[nh++] = w;
      if (nh == heavy_room) {
        ++i;
        break;
      }
    }
  }
  if (listing_left == 0 && counts_only) {
    for (; i < n; ++i) {
      const atlas_task_snap& s = slots[i];
      const uint64_t at = __atomic_load_n(&s.updated_at, __ATOMIC_RELAXED);
      const uint32_t raw = __atomic_load_n(&s.weight, __ATOMIC_RELAXED);
      const uint64_t uid = __atomic_load_n(&s.uid, __ATOMIC_RELAXED);
      if (!((uid != 0) & (at >= oldest))) continue;
      const uint32_t cg = cgroup_of(s);
      count(raw, cg, weigh(raw, cg));
    }
  }
  st->listing_left = listing_left;
  st->total_weight = total_weight;
  st->max_weight = max_weight;
  st->nr_tasks = nr_tasks;
  st->nr_cand = nc;
  st->nr_heavy = nh;
  return i;
}

// The totals of a kTally scan, bounded: the heaviest effective weight
// (a task's own weight x its cgroup's factor, rounded as BPF does) is at
// most *max_weight, their sum at least *total_weight. A cgroup's heaviest
// is its heaviest own weight's (the rounding is monotone); its sum at
// least the factor (mult / 2^shift, exact as a double) times its own
// weights' sum (and a sum clamped at the most, at least that most). The
// total then less one per task (of `nr_tasks`): a task's rounding (to
// nearest) loses at most half of one, and the other half covers the
// doubles' rounding of the sums (at most ~2^-41 of a total below 2^32 a
// task, with up to 4097 cgroup terms; the 2^-50 factors are a margin
// more). An unused cgroup counts its least weight as its heaviest, which
// only widens the bound. False if some product could wrap (BPF's
// arithmetic wraps at 64 bits, and the "none" entry's at 32): no bound
// then.
bool BoundTallies(const CgroupTally* tally, const FactorCode* codes,
                  uint32_t nr, int nr_tasks, double* max_weight,
                  double* total_weight) {
  uint64_t most = 0;
  double total = 0;
  for (uint32_t c = 0; c < nr; ++c) {
    const CgroupTally& t = tally[c];
    const FactorCode& k = codes[c];
    uint64_t top;
    if (__builtin_mul_overflow(t.max, k.mult, &top) ||
        __builtin_add_overflow(top, k.round, &top) ||
        std::min(top >> k.shift, k.hi) >> 32) {
      return false;
    }
    most =
        std::max<uint64_t>(most, ApplyFactor(static_cast<uint32_t>(t.max), k));
    // shift <= 63: 2^-shift is a normal double.
    const double factor =
        static_cast<double>(k.mult) * Pow2(-static_cast<int>(k.shift));
    const double sum = static_cast<double>(t.sum) * factor * (1 - 0x1p-50);
    total += std::min(sum, static_cast<double>(k.hi));
  }
  *max_weight = static_cast<double>(most);
  *total_weight = std::max(0.0, total * (1 - 0x1p-50) - nr_tasks);
  return true;
}

void Balancer::ScanTasks() {
  const int nd = static_cast<int>(domains_.size());
  const double nr_cpus = capacity_.sum();
  // Only the ceil(nr_cpus) - 1 heaviest weights can be infeasible. The pass
  // reads them only when the scan's totals say a cap can apply (below): a
  // second scan keeps the weights above a floor, and whenever its buffer
  // fills, the `keep` heaviest of them, the lightest of those being the new
  // floor (a heap instead, filled by the first `keep` slots, cost 512
  // pushes of a 1000-task pass on 512 CPUs). (Keeping them in every scan
  // cost a pass of 10k tasks in 64 cgroups of 8 factors 2-6 us of 37-45:
  // the floor rose by whole refills.)
  const size_t keep = nr_cpus > 1 ? static_cast<size_t>(std::ceil(nr_cpus)) : 0;
  const size_t heavy_room = 2 * keep + 64;
  if (heavy_.size() < heavy_room) heavy_.resize(heavy_room);
  const size_t nr_slots = snapshot_.nr_slots;
  // Room for every slot: the scan writes without a check (kept across
  // passes, so only a pass with more slots than ever before grows it).
  if (cand_.size() < nr_slots) cand_.resize(nr_slots);
  // 1 / half-life (0 for none: no decay).
  const double per_half_life =
      snapshot_.half_life_ns > 0
          ? 1.0 / static_cast<double>(snapshot_.half_life_ns)
          : 0;
  ScanState st;  // the scan: no heavy weights kept
  st.heavy_floor = std::numeric_limits<uint32_t>::max();
  ScanState hs;  // the heavy weights' scan, if any (every weight kept)
  auto heaviest_first = [&](size_t n) {
    std::nth_element(heavy_.begin(), heavy_.begin() + (n - 1),
                     heavy_.begin() + hs.nr_heavy, std::greater<uint32_t>());
  };
  // Each source's windows: the budget by its share of the sources' excess
  // (the floor is the excess / kFloorDiv). The scan counts a window's tasks
  // from kListPerSource less its size up to kListPerSource, in both halves
  // of listed_ (the low one above the floor, the high one below).
  // (A share that is not a number, as from floors that were not, gets the
  // least window.)
  listed_.assign(nd + 1, 0);
  const double per_floor =
      source_floor_ > 0 ? static_cast<double>(std::max(
                              snapshot_.nr_slots / kListShare, kListLeast)) /
                              source_floor_
                        : 0;
  for (int d = 0; d < nd; ++d) {
    if (!is_source_[d]) continue;
    const double share = per_floor * floor_[d];
    const int window = share >= kListPerSource ? kListPerSource
                       : share >= kListMin     ? static_cast<int>(share)
                                               : kListMin;
    listed_[d] = (kListPerSource - window) * 0x10001;
  }
  // The slots from `first` to the end, then the ones before it. A source
  // domain lists at most its window's tasks a pass, so a start that moves
  // from pass to pass gives a busy domain's other tasks their turn; `first`
  // is a function of the snapshot's time, so the same input gives the same
  // plan.
  const size_t first =
      nr_slots > 0 ? static_cast<size_t>(
                         (snapshot_.now_ns * 0x9E3779B97F4A7C15ull) >> 32) %
                         nr_slots
                   : 0;
  // A task's load, uncapped: its duty cycle x (weight x per_weight +
  // unweighted).
  const double per_weight =
      plan_.saturated ? 1.0 / (100.0 * ATLAS_WEIGHT_SCALE) : 0;
  const double unweighted = plan_.saturated ? 0 : 1;
  // Each cgroup slot's factor decoded once, read once (userspace rewrites
  // them between passes).
  const uint32_t nr_codes = static_cast<uint32_t>(
      snapshot_.cgroup_factors != nullptr
          ? std::min<size_t>(snapshot_.nr_cgroup_factors, UINT32_MAX - 1)
          : 0);
  codes_.resize(nr_codes + 1);
  for (uint32_t c = 0; c < nr_codes; ++c) {
    codes_[c] = DecodeFactor(static_cast<uint32_t>(
        __atomic_load_n(&snapshot_.cgroup_factors[c], __ATOMIC_RELAXED)));
  }
  codes_[nr_codes] = DecodeFactor(0);
  // With factors, the scan tallies each cgroup's own weights and the
  // totals are bounded from the tallies; the heavy weights' scan, if any,
  // weighs every task exactly.
  const bool factors = nr_codes > 0;
  if (factors) tally_.assign(nr_codes + 1, CgroupTally{});
  // `heavy`: the heavy weights' scan (with factors, every weight exact).
  auto scan = [&](size_t begin, size_t end, bool heavy, char* listing,
                  ScanState* s) {
    for (size_t i = begin; i < end;) {
      i = (!factors ? ScanUntilHeavy<Weigh::kPlain>
           : heavy  ? ScanUntilHeavy<Weigh::kExact>
                    : ScanUntilHeavy<Weigh::kTally>)(snapshot_.slots, i, end,
                                                    snapshot_.now_ns,
                                                    snapshot_.max_age_ns,
                                                    per_half_life, listing,
                                                    floor_.data(), per_weight,
                                                    unweighted, listed_.data(),
                                                    static_cast<uint32_t>(nd),
                                                    codes_.data(), nr_codes,
                                                    tally_.data(), cand_.data(),
                                                    heavy_.data(), heavy_room,
                                                    s);
      if (s->nr_heavy < heavy_room) break;
      heaviest_first(keep);
      s->heavy_floor = heavy_[keep - 1];
      s->nr_heavy = keep;
    }
  };
  listing_.assign(is_source_.begin(), is_source_.end());
  st.listing_left = nr_sources_;
  scan(first, nr_slots, false, listing_.data(), &st);
  scan(0, first, false, listing_.data(), &st);
  nr_cand_ = static_cast<int>(st.nr_cand);
  nr_tasks_ = st.nr_tasks;
  // A weight can be infeasible only if it exceeds a fair CPU's share,
  // w x nr_cpus > total: with the heaviest below that, nothing is capped.
  // Nor with no more tasks than CPUs: each can have a CPU of its own. (With
  // factors: the heaviest at most, the total at least what the tallies
  // allow; undecided, the heavy weights' scan decides.)
  double max_weight = st.max_weight;
  double total_weight = static_cast<double>(st.total_weight);
  const bool decided =
      !factors || BoundTallies(tally_.data(), codes_.data(), nr_codes + 1,
                               nr_tasks_, &max_weight, &total_weight);
  if (keep == 0 || nr_tasks_ <= nr_cpus ||
      (decided && max_weight * nr_cpus <= total_weight)) {
    return;
  }
  // The heaviest weights (and the totals again, of the same reads), no
  // candidates: no domain is a source for this scan.
  no_source_.assign(nd + 1, 0);
  hs.heavy_floor = 0;
  scan(0, nr_slots, true, no_source_.data(), &hs);
  // The exact check, where the tallies' bounds could not decide (HeavyCap's
  // own first test is the same in exact arithmetic, not always in doubles
  // with a fractional number of CPUs).
  if (static_cast<double>(hs.max_weight) * nr_cpus <=
      static_cast<double>(hs.total_weight)) {
    return;
  }
  const size_t nr_heavy = std::min(hs.nr_heavy, keep);
  if (nr_heavy == 0) return;
  heaviest_first(nr_heavy);
  std::vector<double> weights(heavy_.begin(), heavy_.begin() + nr_heavy);
  double heavy_total = 0;
  for (double w : weights) heavy_total += w;
  cap_ = HeavyCap(weights, static_cast<double>(hs.total_weight) - heavy_total,
                  nr_cpus);
}

bool Balancer::Examine(int i, atlas_task_snap* copy) {
  Candidate& c = cand_[i];
  if (!ReadSlot(snapshot_.slots[c.slot], copy) || copy->uid != c.uid ||
      static_cast<int32_t>(copy->dom) != c.domain) {
    return false;
  }
  if (std::isnan(c.load)) {
    const atlas_ravg dcyc = {copy->dcyc, copy->dcyc_cur, copy->updated_at};
    // The factor as the scan decoded it (codes_'s last entry: none).
    const uint32_t none = static_cast<uint32_t>(codes_.size() - 1);
    c.load =
        LoadOf(RavgAt(dcyc, snapshot_.now_ns, snapshot_.half_life_ns),
               ApplyFactor(copy->weight,
                           codes_[std::min<uint32_t>(copy->cgroup, none)]));
  }
  return true;
}

void Balancer::FileSourceTasks() {
  if (nr_sources_ == 0) return;
  // A list's head is set when its first task is filed (its bit), a task's
  // link when it is filed: nothing else is reset.
  const size_t nr_sources = static_cast<size_t>(nr_sources_);
  if (head_.size() < nr_sources * kBuckets) {
    head_.resize(nr_sources * kBuckets);
  }
  occupied_.assign(nr_sources * kOccWords, 0);
  const int n = nr_cand_;
  if (next_.size() < static_cast<size_t>(n)) next_.resize(n);
  for (int i = 0; i < n; ++i) {
    const double x = LoadOf(cand_[i].rough_dcyc, cand_[i].weight);
    if (!(x > 0)) continue;
    const int b = BucketOf(x);
    int& h = Head(cand_[i].domain, b);
    uint64_t& occ = Occupied(cand_[i].domain, b);
    const uint64_t bit = uint64_t{1} << (b % 64);
    if (!(occ & bit)) {
      occ |= bit;
      h = -1;
    }
    next_[i] = h;
    h = i;
  }
}

void Balancer::MarkSources() {
  // Sources, the domains a move may take from: above their node's share by
  // more than the domain threshold, or above their global share in a node
  // above its own by more than the node threshold. A domain that is
  // neither can become a source only through this pass's own moves; the
  // next pass sees it.
  const int nd = static_cast<int>(domains_.size());
  is_source_.assign(nd + 1, 0);  // [nd]: any domain id past the last
  floor_.assign(nd + 1, 0);
  source_slot_.assign(nd, -1);
  nr_sources_ = 0;
  source_floor_ = 0;
  if (!(avg_ > 0)) return;
  const Eigen::VectorXd& node_load = node_load_;
  const Eigen::VectorXd& node_cap = node_cap_;
  // Per node, once: its load per unit of capacity, and whether it pushes.
  std::vector<double>& node_avg = node_avg_;
  std::vector<char>& node_pushes = node_pushes_;
  node_avg.resize(nr_nodes_);
  node_pushes.resize(nr_nodes_);
  for (int n = 0; n < nr_nodes_; ++n) {
    node_avg[n] = NodeAvg(n);
    node_pushes[n] =
        nr_nodes_ > 1 && node_load[n] - avg_ * node_cap[n] > NodeThreshold(n);
  }
  // The counts in locals (as members, each source's stores to the arrays
  // made the compiler read them back from memory).
  int nr_sources = 0;
  double source_floor = 0;
  for (int d = 0; d < nd; ++d) {
    const int n = domains_[d].node;
    const double share = node_avg[n] * capacity_[d];
    const bool over_in_node =
        load_[d] - share > DomainThreshold(d, node_avg[n]);
    if (over_in_node || (node_pushes[n] && load_[d] > GlobalShare(d))) {
      is_source_[d] = 1;
      source_slot_[d] = nr_sources++;
      floor_[d] =
          std::max(load_[d] - share, load_[d] - GlobalShare(d)) / kFloorDiv;
      source_floor += floor_[d];
    }
  }
  nr_sources_ = nr_sources;
  source_floor_ = source_floor;
}

bool Balancer::MoveOne(int from, int to, double limit, double max_load) {
  if (static_cast<int>(plan_.migrations.size()) >= params_.max_migrations ||
      limit <= 0 || !is_source_[from]) {
    return false;
  }
  // A move of x shrinks |a| + |b| iff 0 < x < 2 * limit; the best x is
  // `limit`. Take the first fitting task of its bucket (all of a bucket's
  // loads are within 19% of each other), else of the buckets around it,
  // nearest first, up to the one of 2 * limit (4 buckets up) and down to
  // the lightest. (Looking one bucket up only, a domain 0.7 above its share
  // whose movable tasks were all hogs of 1.0 kept them: the guest's
  // balance then took a third interval.) A moved task is unlinked, so it
  // is never seen again.
  const int want = BucketOf(limit);
  // A task whose rough load rules it out is skipped unread, and so is a
  // bucket whose every task is too heavy.
  const double too_heavy = std::min(2 * limit, max_load * 1.0001) / kRoughLow;
  // At most kLookPerBucket tasks of a bucket are looked at per move (its
  // loads are alike: when so many do not fit, the rest would not either),
  // so a move costs no more for a domain of 10000 tasks than of 100.
  constexpr int kLookPerBucket = 16;
  auto take = [&](int b) {
    uint64_t& occ = Occupied(from, b);
    const uint64_t bit = uint64_t{1} << (b % 64);
    if (!(occ & bit) || BucketMin(b) >= too_heavy) return false;
    int& head = Head(from, b);
    int* link = &head;
    for (int looked = 0; *link >= 0 && looked < kLookPerBucket; ++looked) {
      const int i = *link;
      if (LoadOf(cand_[i].rough_dcyc, cand_[i].weight) >= too_heavy) {
        link = &next_[i];
        continue;
      }
      atlas_task_snap t;
      if (!Examine(i, &t)) {
        *link = next_[i];  // gone or moved away: never looked at again
        if (head < 0) occ &= ~bit;
        continue;
      }
      const double x = cand_[i].load;
      const bool allowed =
          (t.allowed_doms[(to / 64) % ATLAS_DOM_WORDS] >> (to % 64)) & 1;
      if (x > 0 && x < 2 * limit && x <= max_load && allowed) {
        *link = next_[i];
        if (head < 0) occ &= ~bit;
        load_[from] -= x;
        load_[to] += x;
        node_load_[domains_[from].node] -= x;
        node_load_[domains_[to].node] += x;
        gexcess_[from] -= x;
        gexcess_[to] += x;
        nexcess_[from] -= x;
        nexcess_[to] += x;
        // Written in place (built on the stack and copied, the copy's
        // 16-byte loads waited for the 8-byte stores: a tenth of a move).
        Migration& m = plan_.migrations.emplace_back();
        m.uid = t.uid;
        m.pid = t.pid;
        m.from = from;
        m.to = to;
        m.load = x;
        return true;
      }
      link = &next_[i];
    }
    return false;
  };
  // The occupied buckets, nearest `want` first (at equal distance the
  // heavier), up to `top`: found by bit scans, so empty buckets cost
  // nothing.
  const int top = BucketOf(2 * limit);
  int up = NextOccupied(from, want, top);
  int down = PrevOccupied(from, want - 1);
  while (up >= 0 || down >= 0) {
    if (up >= 0 && (down < 0 || up - want <= want - down)) {
      if (take(up)) return true;
      up = NextOccupied(from, up + 1, top);
    } else {
      if (take(down)) return true;
      down = PrevOccupied(from, down - 1);
    }
  }
  return false;
}

// Orders of domains by an excess, as one integer per domain (a list is
// sorted, and a place in it found, by comparing integers; not by reading
// two excesses through the domains' ids and breaking ties): the excess's
// bits made to order as integers, the lowest kIdBits of them replaced by
// the domain (so ties, and excesses within 2^-36 of each other, order by
// id). (Compared as doubles through the ids, perf put a sixth of a pass
// of 1k tasks in 128 domains in those comparisons; as integers, the passes
// of 1k tasks in 64-128 domains took 0.96-0.98 of the time, the rest no
// difference: results/planner-20261207.)
constexpr int kIdBits = 16;
constexpr uint64_t kIdMask = (uint64_t{1} << kIdBits) - 1;
constexpr int kMaxKeyedDomains = 1 << kIdBits;

int DomainOf(uint64_t key) { return static_cast<int>(key & kIdMask); }

// x's bits, ordered as x is (for numbers; -0 before +0).
uint64_t OrderedBits(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  return bits >> 63 ? ~bits : bits | (uint64_t{1} << 63);
}

// Most excess first; least excess first.
struct MostFirst {
  const double* ex;
  static uint64_t Key(double x, int d) {
    return (~OrderedBits(x) & ~kIdMask) | static_cast<uint64_t>(d);
  }
  uint64_t operator()(int d) const { return Key(ex[d], d); }
};
struct LeastFirst {
  const double* ex;
  static uint64_t Key(double x, int d) {
    return (OrderedBits(x) & ~kIdMask) | static_cast<uint64_t>(d);
  }
  uint64_t operator()(int d) const { return Key(ex[d], d); }
};

// Puts domain d into `list` (keys, ascending) with its key.
template <typename Key>
void InsertSorted(std::vector<uint64_t>& list, int d, Key key) {
  const uint64_t k = key(d);
  list.insert(std::lower_bound(list.begin(), list.end(), k), k);
}

// list[i]'s domain after a change that can only move it later in the
// `key` order: shifted down to its place with its new key, or taken out
// unless `keep` (a move's source and target were found at their
// positions). Its place is found by galloping (1, 2, 4, ... places on),
// then a binary search without branches on the comparisons: a target
// moves a place or two, a source of many about half way down its list
// (walked place by place, that walk and its mispredicted end cost as much
// as the move itself).
template <typename Key>
void Demote(std::vector<uint64_t>& list, size_t i, bool keep, Key key) {
  if (!keep) {
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
    return;
  }
  const uint64_t k = key(DomainOf(list[i]));
  uint64_t* const first = list.data() + i;
  const size_t rest = list.size() - i - 1;  // places after it
  // It goes after first[1, lo] and before first[hi + 1] (if any).
  size_t lo = 0, step = 1;
  while (lo + step <= rest && first[lo + step] < k) {
    lo += step;
    step *= 2;
  }
  // Between: first[lo + 1, lo + n], n < step.
  const uint64_t* base = first + lo + 1;
  size_t n = std::min(step - 1, rest - lo);
  while (n > 1) {
    const size_t half = n / 2;
    base = base[half] < k ? base + half : base;
    n -= half;
  }
  uint64_t* const end =
      const_cast<uint64_t*>(base) + (n == 1 && *base < k);  // after it
  std::copy(first + 1, end, first);
  end[-1] = k;
}

void Balancer::BalanceNodes() {
  if (nr_nodes_ < 2) return;
  const int nd = static_cast<int>(domains_.size());
  const Eigen::VectorXd& node_cap = node_cap_;
  // Whether the most loaded node pushes to the least loaded one: if not,
  // no move (the lists below cost more than all else of such a pass).
  auto pushes = [&](int* push, int* pull) {
    double most = -std::numeric_limits<double>::infinity();
    double least = std::numeric_limits<double>::infinity();
    for (int n = 0; n < nr_nodes_; ++n) {
      const double imbalance = node_load_[n] - avg_ * node_cap[n];
      if (imbalance > most) most = imbalance, *push = n;
      if (imbalance < least) least = imbalance, *pull = n;
    }
    return most > NodeThreshold(*push) && -least > NodeThreshold(*pull);
  };
  int push = 0, pull = 0;
  if (!pushes(&push, &pull)) return;
  for (int n = 0; n < nr_nodes_; ++n) {
    over_[n].clear();
    under_[n].clear();
  }
  // Built once; each move re-files its two domains.
  const MostFirst most{gexcess_.data()};
  const LeastFirst least{gexcess_.data()};
  for (int d = 0; d < nd; ++d) {
    if (gexcess_[d] > 0) over_[domains_[d].node].push_back(most(d));
    if (gexcess_[d] < 0) under_[domains_[d].node].push_back(least(d));
  }
  for (int n = 0; n < nr_nodes_; ++n) {
    std::sort(over_[n].begin(), over_[n].end());
    std::sort(under_[n].begin(), under_[n].end());
  }
  do {
    const double push_excess = node_load_[push] - avg_ * node_cap[push];
    const double pull_deficit = avg_ * node_cap[pull] - node_load_[pull];
    // Source: the pushing node's domains above their share; target: the
    // pulling node's domains below it. A move must also shrink the two
    // domains' imbalance (so the machine-wide sum never grows).
    size_t si = 0, ti = 0;
    const bool moved = MoveFromTo(
        over_[push], under_[pull],
        [&](int s, int t) {
          return std::min(
              {push_excess, pull_deficit, gexcess_[s], -gexcess_[t]});
        },
        [](int, int) { return std::numeric_limits<double>::infinity(); }, &si,
        &ti);
    if (!moved) return;
    // As in BalanceInsideNodes: s and t move down their own lists, or one
    // overshoots into its node's list of the other kind.
    const int s = DomainOf(over_[push][si]), t = DomainOf(under_[pull][ti]);
    Demote(over_[push], si, gexcess_[s] > 0, most);
    Demote(under_[pull], ti, gexcess_[t] < 0, least);
    if (gexcess_[s] < 0) InsertSorted(under_[push], s, least);
    if (gexcess_[t] > 0) InsertSorted(over_[pull], t, most);
  } while (pushes(&push, &pull));
}

void Balancer::BalanceInsideNodes() {
  // The pass's moves used up by the node phase: no lists to build.
  if (static_cast<int>(plan_.migrations.size()) >= params_.max_migrations)
    return;
  const int nd = static_cast<int>(domains_.size());
  // Per node, its domains above their node's share by more than the
  // threshold, most excess first (over_), and below it, least excess first
  // (under_). Moves inside a node keep its load: its average is fixed.
  // Each node's load per unit of capacity, as the node phase left it.
  std::vector<double>& node_avg = node_avg_;
  const MostFirst most{nexcess_.data()};
  const LeastFirst least{nexcess_.data()};
  // Each domain is written at its node's lists' ends, which advance when
  // it belongs there (no branch: each test is taken for a third to a half
  // of the domains of uniform load; 1k tasks in 128 domains took 0.89-0.95
  // of the time).
  std::vector<int>& nr_over = nr_over_;
  std::vector<int>& nr_under = nr_under_;
  nr_over.assign(nr_nodes_, 0);
  nr_under.assign(nr_nodes_, 0);
  for (int n = 0; n < nr_nodes_; ++n) {
    over_[n].resize(nd);
    under_[n].resize(nd);
    node_avg[n] = NodeAvg(n);
  }
  for (int d = 0; d < nd; ++d) {
    const int n = domains_[d].node;
    const double ex = load_[d] - node_avg[n] * capacity_[d];
    const double th = DomainThreshold(d, node_avg[n]);
    nexcess_[d] = ex;
    threshold_[d] = th;
    over_[n][nr_over[n]] = MostFirst::Key(ex, d);
    nr_over[n] += ex > th;
    under_[n][nr_under[n]] = LeastFirst::Key(ex, d);
    nr_under[n] += -ex > th;
  }
  for (int n = 0; n < nr_nodes_; ++n) {
    over_[n].resize(nr_over[n]);
    under_[n].resize(nr_under[n]);
  }
  // The nodes with a source and a target.
  std::vector<int>& live = live_nodes_;
  live.clear();
  for (int n = 0; n < nr_nodes_; ++n) {
    if (over_[n].empty() || under_[n].empty()) continue;
    std::sort(over_[n].begin(), over_[n].end());
    std::sort(under_[n].begin(), under_[n].end());
    live.push_back(n);
  }
  // Each move in the node whose most loaded domain is the most loaded of
  // all (node after node, the first one's domains could take every move
  // and the next one's wait a pass: 1k tasks in 128 domains of uniform
  // load made 32 moves in node 0 and none in node 1, which held the
  // machine's most loaded domain). That domain may have nothing to move
  // (not a source, or its listed tasks used up): the move then comes from
  // the next of its node's sources that can give, not from another node.
  while (!live.empty()) {
    size_t k = 0;
    for (size_t j = 1; j < live.size(); ++j) {
      if (over_[live[j]][0] < over_[live[k]][0]) k = j;
    }
    std::vector<uint64_t>& from = over_[live[k]];
    std::vector<uint64_t>& to = under_[live[k]];
    // Moving x changes the machine-wide imbalance of s and t by
    // |gs - x| + |gt + x| - |gs| - |gt|, which is <= 0 iff x <= gs - gt
    // (domains of one node can have different capacities, so the
    // node-relative limit alone does not ensure it).
    size_t si = 0, ti = 0;
    const bool moved = MoveFromTo(
        from, to,
        [&](int s, int t) { return std::min(nexcess_[s], -nexcess_[t]); },
        [&](int s, int t) { return gexcess_[s] - gexcess_[t]; }, &si, &ti);
    if (moved) {
      // The move lowered s's excess and raised t's: each moves down its
      // own list from where it was, or leaves it; rarely, one overshoots
      // into the other list (it was not in it: the two conditions exclude
      // each other).
      const int s = DomainOf(from[si]), t = DomainOf(to[ti]);
      Demote(from, si, nexcess_[s] > threshold_[s], most);
      Demote(to, ti, -nexcess_[t] > threshold_[t], least);
      if (-nexcess_[s] > threshold_[s]) InsertSorted(to, s, least);
      if (nexcess_[t] > threshold_[t]) InsertSorted(from, t, most);
    }
    // No move fits in this node (or none is left to the pass: then none
    // fits anywhere), or it has no source or target left.
    if (!moved || from.empty() || to.empty()) {
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(k));
    }
  }
}

template <typename Limit, typename MaxLoad>
bool Balancer::MoveFromTo(const std::vector<uint64_t>& from,
                          const std::vector<uint64_t>& to, Limit limit,
                          MaxLoad max_load, size_t* fi, size_t* ti) {
  if (static_cast<int>(plan_.migrations.size()) >= params_.max_migrations)
    return false;
  // A source's move limit only shrinks down the targets' list, so a source
  // that fits none of its first targets fits the others only through a
  // cpumask that excludes those: kTargetsPerSource bounds the search (the
  // last, failing round of a pass was O(sources x targets) moves).
  constexpr size_t kTargetsPerSource = 4;
  for (size_t i = 0; i < from.size(); ++i) {
    const int src = DomainOf(from[i]);
    for (size_t k = 0; k < to.size() && k < kTargetsPerSource; ++k) {
      const int dst = DomainOf(to[k]);
      if (MoveOne(src, dst, limit(src, dst), max_load(src, dst))) {
        *fi = i;
        *ti = k;
        return true;
      }
    }
  }
  return false;
}

Plan Balancer::Run() {
  const int nd = static_cast<int>(domains_.size());
  if (nd == 0 || nd > kMaxKeyedDomains ||
      static_cast<int>(snapshot_.domains.size()) != nd) {
    return plan_;
  }
  domain_frac_ = params_.domain_imbalance_pct / 100;
  load_.resize(nd);
  capacity_.resize(nd);
  double runnable = 0;
  for (int d = 0; d < nd; ++d) {
    capacity_[d] = domains_[d].capacity;
    nr_nodes_ = std::max(nr_nodes_, domains_[d].node + 1);
    runnable += snapshot_.domains[d].runnable;
  }
  // Weights count only once the machine is saturated.
  plan_.saturated = runnable >= capacity_.sum();
  for (int d = 0; d < nd; ++d) {
    load_[d] = plan_.saturated ? snapshot_.domains[d].load
                               : snapshot_.domains[d].runnable;
  }
  const double total_cap = capacity_.sum();
  avg_ = total_cap > 0 ? load_.sum() / total_cap : 0;
  plan_.loads_before.assign(load_.data(), load_.data() + nd);
  // Per node (kept up to date by every move).
  node_load_.setZero(nr_nodes_);
  node_cap_.setZero(nr_nodes_);
  for (int d = 0; d < nd; ++d) {
    node_load_[domains_[d].node] += load_[d];
    node_cap_[domains_[d].node] += capacity_[d];
  }
  MarkSources();
  ScanTasks();
  plan_.weight_cap = cap_ / ATLAS_WEIGHT_SCALE;  // infinity stays
  plan_.tasks = nr_tasks_;
  if (avg_ > 0) {
    gexcess_.resize(nd);
    nexcess_.resize(nd);
    threshold_.resize(nd);
    for (int d = 0; d < nd; ++d) gexcess_[d] = load_[d] - GlobalShare(d);
    if (over_.size() < static_cast<size_t>(nr_nodes_)) {
      over_.resize(nr_nodes_);
      under_.resize(nr_nodes_);
    }
    plan_.migrations.reserve(std::max(params_.max_migrations, 0));
    FileSourceTasks();
    BalanceNodes();
    BalanceInsideNodes();
  }
  plan_.loads_after.assign(load_.data(), load_.data() + nd);
  return std::move(plan_);
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
