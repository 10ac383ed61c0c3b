// SPDX-License-Identifier: GPL-2.0-only
#include "stats/report.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "shared/intf.h"
#include "stats/fields.h"

namespace atlas {
namespace {

using nlohmann::json;

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

json MetaOf(const char* name, const char* desc, bool top,
            const StatsField* fields, size_t n) {
  json f = json::object();
  for (const StatsField* field_ptr = fields; field_ptr != fields + n;
       ++field_ptr) {
    const StatsField& field = *field_ptr;
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

  json cgroups = json::array();
  for (const CgroupSample& c : now.cgroups) {
    cgroups.push_back({{"id", c.id},
                       {"level", c.level},
                       {"weight", c.weight},
                       {"factor", c.factor},
                       {"runnable", c.runnable}});
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
      {"last_exit", now.last_exit},
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
      {"verified_insns", now.verified_insns},
      {"cgroups_tracked", now.cgroups_tracked},
      {"cgroups", cgroups},
      {"nodes", node_json},
      {"domains", domains},
  };
}

json StatsMeta() {
  return {
      {"top",
       MetaOf("top", "scx_atlas statistics", true, kTopFields, kNrTopFields)},
      {"node",
       MetaOf("node", "one NUMA node", false, kNodeFields, kNrNodeFields)},
      {"domain", MetaOf("domain", "one scheduling domain", false, kDomainFields,
                        kNrDomainFields)},
      {"cgroup", MetaOf("cgroup", "one cgroup (--cgroup_weights)", false,
                        kCgroupFields, kNrCgroupFields)},
  };
}

std::string DescribeStats() {
  std::string out;
  auto section = [&](const char* name, const char* desc,
                     const StatsField* begin, const StatsField* end) {
    absl::StrAppend(&out, "[", name, "] ", desc, "\n");
    for (const StatsField* f = begin; f != end; ++f) {
      absl::StrAppend(
          &out, "  ", f->name,
          std::string(std::max<size_t>(1, 24 - std::strlen(f->name)), ' '), "(",
          f->type, ") ", f->desc, "\n");
    }
    out += "\n";
  };
  section("top", "scx_atlas statistics (counters are deltas)", kTopFields,
          kTopFields + kNrTopFields);
  section("node", "one NUMA node (top.nodes)", kNodeFields,
          kNodeFields + kNrNodeFields);
  section("domain", "one scheduling domain (top.domains)", kDomainFields,
          kDomainFields + kNrDomainFields);
  section("cgroup", "one cgroup (top.cgroups)", kCgroupFields,
          kCgroupFields + kNrCgroupFields);
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
