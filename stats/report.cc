// SPDX-License-Identifier: GPL-2.0-only
#include "stats/report.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "shared/intf.h"

namespace atlas {
namespace {

using nlohmann::json;

struct Field {
  const char* name;
  const char* type;  // scx_stats datum: U64, F64, String, Bool, or
                     // "Array:U64", "Dict:String:U64", "Dict:U64:node"...
  const char* desc;
};

// The report's fields. A test checks that BuildReport emits exactly these.
constexpr Field kTopFields[] = {
    {"mode", "String", "scheduling mode: balanced (BPF + planner) or user"},
    {"uptime_s", "F64", "seconds since the scheduler attached"},
    {"period_s", "F64",
     "seconds the deltas cover: since this client's previous request, or "
     "since the scheduler attached"},
    {"restarts", "U64", "reloads since start (e.g. after CPU hotplug)"},
    {"dispatch_total", "U64",
     "tasks dispatched from the domain queues (own domain + stolen)"},
    {"select_total", "U64", "select_cpu decisions"},
    {"enqueue_total", "U64", "enqueue decisions"},
    {"events", "Dict:String:U64",
     "every BPF event counter (shared/stats_table.h; scx_atlas --help_stats "
     "lists them)"},
    {"event_pct", "Dict:String:F64",
     "each select_cpu / enqueue / dispatch path as a percentage of its "
     "stage's total"},
    {"migrations_applied", "U64", "planner migrations applied by BPF"},
    {"migrations_rejected", "U64",
     "planner migrations rejected (cpumask excludes the target) or stale "
     "(the task is gone)"},
    {"balance_passes", "U64", "planner balance passes"},
    {"last_pass_us", "F64", "microseconds the last balance pass took"},
    {"last_pass_requested", "U64", "migrations the last pass requested"},
    {"last_pass_read_us", "F64",
     "of the last pass: microseconds reading the snapshot"},
    {"last_pass_balance_us", "F64",
     "of the last pass: microseconds in the balancer's math"},
    {"last_pass_write_us", "F64",
     "of the last pass: microseconds writing migration requests"},
    {"last_pass_tasks", "U64", "tasks in the last pass's snapshot"},
    {"slice_us", "F64",
     "time slice in microseconds: the tuner's (--slice_policy=util), or "
     "the largest, shared out by queue depth (--slice_policy=depth)"},
    {"cpu_busy_pct", "F64", "average CPU utilization over the period"},
    {"total_load", "F64",
     "machine load: sum over tasks of duty cycle x weight / 100 (1.0 = one "
     "always-runnable nice-0 task)"},
    {"load_per_cpu", "F64", "total_load / machine capacity in CPUs"},
    {"direct_greedy_domains", "Array:U64",
     "domains that may receive direct-greedy placements"},
    {"kick_greedy_domains", "Array:U64", "domains that may be kicked to steal"},
    {"user_scheduled", "U64",
     "user mode: tasks held by the userspace policy, not yet dispatched"},
    {"user_running", "U64", "user mode: tasks running on a CPU now"},
    {"page_faults", "I64",
     "user mode: page faults of the scheduling thread since warm-up (must "
     "stay 0); -1 in balanced mode"},
    {"heap_allocs", "I64",
     "user mode: allocations of the scheduling thread from the ordinary "
     "heap since warm-up (must stay 0: the locked arena serves it; "
     "mlockall hides these from page_faults); -1 in balanced mode"},
    {"nodes", "Dict:U64:node", "per NUMA node"},
    {"domains", "Dict:U64:domain", "per domain (LLC by default)"},
};

constexpr Field kNodeFields[] = {
    {"domains", "Array:U64", "the node's domains"},
    {"capacity", "F64", "CPUs (of the fastest kind)"},
    {"load", "F64", "sum of its domains' loads"},
    {"load_norm", "F64", "load / capacity"},
    {"imbalance_pct", "F64",
     "load_norm vs the machine's load per CPU, in percent (+ busier)"},
    {"runnable", "F64", "average number of runnable tasks"},
    {"nr_tasks", "U64", "tasks that belong to its domains"},
    {"util_pct", "F64", "average utilization of its CPUs over the period"},
};

constexpr Field kDomainFields[] = {
    {"node", "U64", "NUMA node"},
    {"cpus", "Array:U64", "CPU ids"},
    {"capacity", "F64", "CPUs (of the fastest kind)"},
    {"load", "F64", "sum over its tasks of duty cycle x weight / 100"},
    {"load_norm", "F64", "load / capacity"},
    {"imbalance_pct", "F64",
     "load_norm vs the machine's load per CPU, in percent (+ busier)"},
    {"load_change", "F64", "load now minus load at the last balance pass"},
    {"runnable", "F64", "average number of runnable tasks"},
    {"nr_tasks", "U64", "tasks that belong to it"},
    {"util_pct", "F64", "average utilization of its CPUs over the period"},
    {"direct_greedy", "Bool", "may receive direct-greedy placements"},
    {"kick_greedy", "Bool", "may be kicked to steal"},
};

// The stage whose total a counter is a share of, or null.
const char* StageOf(const char* name) {
  if (absl::StartsWith(name, "sel_")) return "select";
  if (absl::StartsWith(name, "enq_")) return "enqueue";
  if (absl::StartsWith(name, "dispatch_") &&
      std::strcmp(name, "dispatch_none") != 0) {
    return "dispatch";
  }
  return nullptr;
}

const char* kStatNames[ATLAS_NR_STATS] = {
#define ATLAS_STAT(id, name, help) #name,
#include "shared/stats_table.h"
#undef ATLAS_STAT
};

double Pct(double part, double whole) {
  return whole > 0 ? 100.0 * part / whole : 0.0;
}

json DataOf(const char* type) {
  // "U64" -> {"Datum": "U64"}; "Array:U64" -> {"Array": "U64"};
  // "Dict:U64:node" -> {"Dict": {"key": "U64", "datum": {"Struct": "node"}}}
  auto datum = [](const std::string& t) -> json {
    if (t == "U64" || t == "I64" || t == "F64" || t == "String" ||
        t == "Bool") {
      return t;
    }
    return json{{"Struct", t}};
  };
  std::vector<std::string> parts;
  std::string cur;
  for (const char* p = type;; ++p) {
    if (*p == ':' || *p == '\0') {
      parts.push_back(cur);
      cur.clear();
      if (*p == '\0') break;
    } else {
      cur += *p;
    }
  }
  if (parts[0] == "Array") return {{"Array", datum(parts[1])}};
  if (parts[0] == "Dict") {
    return {{"Dict", {{"key", parts[1]}, {"datum", datum(parts[2])}}}};
  }
  return {{"Datum", datum(parts[0])}};
}

template <size_t N>
json MetaOf(const char* name, const char* desc, bool top,
            const Field (&fields)[N]) {
  json f = json::object();
  for (const Field& field : fields) {
    f[field.name] = {{"data", DataOf(field.type)},
                     {"attrs", {{"desc", field.desc}}}};
  }
  json attrs = {{"desc", desc}};
  if (top) attrs["top"] = "true";
  return {{"name", name}, {"attrs", attrs}, {"fields", f}};
}

}  // namespace

json BuildReport(const StatsSample& now, const StatsSample* prev) {
  if (prev != nullptr &&
      (prev->started_ns != now.started_ns || prev->at_ns > now.at_ns ||
       prev->counters.size() != now.counters.size() ||
       prev->cpu_busy_ns.size() != now.cpu_busy_ns.size())) {
    prev = nullptr;  // another scheduler instance: start over
  }
  const uint64_t since = prev ? prev->at_ns : now.started_ns;
  const double period_s =
      now.at_ns > since ? static_cast<double>(now.at_ns - since) / 1e9 : 0;
  auto counter = [&](size_t i) -> uint64_t {
    const uint64_t c = i < now.counters.size() ? now.counters[i] : 0;
    const uint64_t p = prev ? prev->counters[i] : 0;
    return c >= p ? c - p : 0;
  };
  auto util = [&](const std::vector<int>& cpus) {
    double sum = 0;
    int n = 0;
    for (int c : cpus) {
      if (c < 0 || static_cast<size_t>(c) >= now.cpu_busy_ns.size()) continue;
      const uint64_t b = now.cpu_busy_ns[c];
      const uint64_t p = prev ? prev->cpu_busy_ns[c] : 0;
      sum += period_s > 0
                 ? static_cast<double>(b >= p ? b - p : 0) / (period_s * 1e9)
                 : 0;
      ++n;
    }
    return n ? std::min(100.0, 100.0 * sum / n) : 0.0;
  };

  json events = json::object(), event_pct = json::object();
  std::map<std::string, uint64_t> stage_total;
  for (size_t i = 0; i < ATLAS_NR_STATS; ++i) {
    events[kStatNames[i]] = counter(i);
    const char* stage = StageOf(kStatNames[i]);
    if (stage && !absl::StartsWith(kStatNames[i], "enq_kick")) {
      stage_total[stage] += counter(i);
    }
  }
  for (size_t i = 0; i < ATLAS_NR_STATS; ++i) {
    if (const char* stage = StageOf(kStatNames[i])) {
      event_pct[kStatNames[i]] = Pct(counter(i), stage_total[stage]);
    }
  }

  double total_load = 0, total_cap = 0;
  std::vector<int> all_cpus;
  int nr_nodes = 0;
  for (const DomainSample& d : now.domains) {
    total_load += d.load;
    total_cap += d.capacity;
    all_cpus.insert(all_cpus.end(), d.cpus.begin(), d.cpus.end());
    nr_nodes = std::max(nr_nodes, d.node + 1);
  }
  const double load_per_cpu = total_cap > 0 ? total_load / total_cap : 0;
  auto imbalance = [&](double load, double cap) {
    if (!(cap > 0) || !(load_per_cpu > 0)) return 0.0;
    return 100.0 * (load / cap - load_per_cpu) / load_per_cpu;
  };

  json domains = json::object();
  json direct = json::array(), kick = json::array();
  struct NodeSum {
    json doms = json::array();
    double cap = 0, load = 0, runnable = 0;
    uint64_t tasks = 0;
    std::vector<int> cpus;
  };
  std::vector<NodeSum> nodes(nr_nodes);
  for (size_t id = 0; id < now.domains.size(); ++id) {
    const DomainSample& d = now.domains[id];
    domains[std::to_string(id)] = {
        {"node", d.node},
        {"cpus", d.cpus},
        {"capacity", d.capacity},
        {"load", d.load},
        {"load_norm", d.capacity > 0 ? d.load / d.capacity : 0},
        {"imbalance_pct", imbalance(d.load, d.capacity)},
        {"load_change", d.load - d.load_at_last_pass},
        {"runnable", d.runnable},
        {"nr_tasks", d.nr_tasks},
        {"util_pct", util(d.cpus)},
        {"direct_greedy", d.direct_greedy},
        {"kick_greedy", d.kick_greedy},
    };
    if (d.direct_greedy) direct.push_back(id);
    if (d.kick_greedy) kick.push_back(id);
    if (d.node >= 0) {
      NodeSum& n = nodes[d.node];
      n.doms.push_back(id);
      n.cap += d.capacity;
      n.load += d.load;
      n.runnable += d.runnable;
      n.tasks += d.nr_tasks;
      n.cpus.insert(n.cpus.end(), d.cpus.begin(), d.cpus.end());
    }
  }
  json node_json = json::object();
  for (int n = 0; n < nr_nodes; ++n) {
    const NodeSum& s = nodes[n];
    node_json[std::to_string(n)] = {
        {"domains", s.doms},
        {"capacity", s.cap},
        {"load", s.load},
        {"load_norm", s.cap > 0 ? s.load / s.cap : 0},
        {"imbalance_pct", imbalance(s.load, s.cap)},
        {"runnable", s.runnable},
        {"nr_tasks", s.tasks},
        {"util_pct", util(s.cpus)},
    };
  }

  const uint64_t passes =
      now.balance_passes -
      (prev ? std::min(prev->balance_passes, now.balance_passes) : 0);
  return {
      {"mode", now.mode},
      {"uptime_s", now.at_ns > now.started_ns
                       ? static_cast<double>(now.at_ns - now.started_ns) / 1e9
                       : 0},
      {"period_s", period_s},
      {"restarts", now.restarts},
      {"dispatch_total", stage_total["dispatch"]},
      {"select_total", stage_total["select"]},
      {"enqueue_total", stage_total["enqueue"]},
      {"events", events},
      {"event_pct", event_pct},
      {"migrations_applied", counter(ATLAS_STAT_MIGRATE_APPLIED)},
      {"migrations_rejected", counter(ATLAS_STAT_MIGRATE_REJECTED) +
                                  counter(ATLAS_STAT_MIGRATE_STALE)},
      {"balance_passes", passes},
      {"last_pass_us", static_cast<double>(now.last_pass_ns) / 1e3},
      {"last_pass_requested", now.last_pass_requested},
      {"last_pass_read_us", static_cast<double>(now.last_pass_read_ns) / 1e3},
      {"last_pass_balance_us",
       static_cast<double>(now.last_pass_balance_ns) / 1e3},
      {"last_pass_write_us", static_cast<double>(now.last_pass_write_ns) / 1e3},
      {"last_pass_tasks", now.last_pass_tasks},
      {"slice_us", static_cast<double>(now.slice_ns) / 1e3},
      {"cpu_busy_pct", util(all_cpus)},
      {"total_load", total_load},
      {"load_per_cpu", load_per_cpu},
      {"direct_greedy_domains", direct},
      {"kick_greedy_domains", kick},
      {"user_scheduled", now.user_scheduled},
      {"user_running", now.user_running},
      {"page_faults", now.page_faults},
      {"heap_allocs", now.heap_allocs},
      {"nodes", node_json},
      {"domains", domains},
  };
}

json StatsMeta() {
  return {
      {"top", MetaOf("top", "scx_atlas statistics", true, kTopFields)},
      {"node", MetaOf("node", "one NUMA node", false, kNodeFields)},
      {"domain",
       MetaOf("domain", "one scheduling domain", false, kDomainFields)},
  };
}

std::string DescribeStats() {
  std::string out;
  auto section = [&](const char* name, const char* desc, const Field* begin,
                     const Field* end) {
    absl::StrAppend(&out, "[", name, "] ", desc, "\n");
    for (const Field* f = begin; f != end; ++f) {
      absl::StrAppend(
          &out, "  ", f->name,
          std::string(std::max<size_t>(1, 24 - std::strlen(f->name)), ' '), "(",
          f->type, ") ", f->desc, "\n");
    }
    out += "\n";
  };
  section("top", "scx_atlas statistics (counters are deltas)",
          std::begin(kTopFields), std::end(kTopFields));
  section("node", "one NUMA node (top.nodes)", std::begin(kNodeFields),
          std::end(kNodeFields));
  section("domain", "one scheduling domain (top.domains)",
          std::begin(kDomainFields), std::end(kDomainFields));
  out += "[events] BPF event counters (top.events)\n";
  const char* helps[ATLAS_NR_STATS] = {
#define ATLAS_STAT(id, name, help) help,
#include "shared/stats_table.h"
#undef ATLAS_STAT
  };
  for (size_t i = 0; i < ATLAS_NR_STATS; ++i) {
    absl::StrAppend(
        &out, "  ", kStatNames[i],
        std::string(std::max<size_t>(1, 24 - std::strlen(kStatNames[i])), ' '),
        helps[i], "\n");
  }
  return out;
}

}  // namespace atlas
