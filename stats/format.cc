// SPDX-License-Identifier: GPL-2.0-only
#include "stats/format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "stats/fields.h"

namespace atlas {
namespace {

using nlohmann::json;

double Num(const json& j, const char* key) {
  if (!j.is_object()) return 0;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  const double v = it->get<double>();
  return std::isfinite(v) ? v : 0;
}

bool Flag(const json& j, const char* key) {
  if (!j.is_object()) return false;
  const auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

const json& Obj(const json& j, const char* key) {
  static const json kEmpty = json::object();
  if (!j.is_object()) return kEmpty;
  const auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

const json& Arr(const json& j, const char* key) {
  static const json kEmpty = json::array();
  if (!j.is_object()) return kEmpty;
  const auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// "0-3,8" from [0,1,2,3,8].
std::string CpuList(const json& cpus) {
  std::vector<int> ids;
  if (cpus.is_array()) {
    for (const json& c : cpus) {
      if (c.is_number_integer()) ids.push_back(c.get<int>());
    }
  }
  std::sort(ids.begin(), ids.end());
  std::string out;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    absl::StrAppend(&out, out.empty() ? "" : ",", ids[i]);
    if (j > i) absl::StrAppend(&out, "-", ids[j]);
    i = j + 1;
  }
  return out;
}

std::string IdList(const json& arr) {
  std::vector<std::string> ids;
  if (arr.is_array()) {
    for (const json& v : arr) {
      if (v.is_number_integer()) ids.push_back(std::to_string(v.get<int>()));
    }
  }
  return ids.empty() ? "-" : absl::StrJoin(ids, " ");
}

// Dict entries ("0", "1", ..., "10") in numeric order.
std::vector<std::pair<int, const json*>> ById(const json& dict) {
  std::vector<std::pair<int, const json*>> out;
  for (auto it = dict.begin(); it != dict.end(); ++it) {
    int id = 0;
    if (std::sscanf(it.key().c_str(), "%d", &id) == 1) {
      out.emplace_back(id, &it.value());
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

// A bar of `width` cells for value/scale, '#' up to 1.0 of scale.
std::string Bar(double value, double scale, int width) {
  const int n = scale > 0 ? static_cast<int>(std::lround(
                                std::clamp(value / scale, 0.0, 1.0) * width))
                          : 0;
  return absl::StrCat("|", std::string(n, '#'), std::string(width - n, ' '),
                      "|");
}

// The non-zero paths of one stage, largest share first.
std::string Paths(const json& top, const char* prefix) {
  const json& pct = Obj(top, "event_pct");
  const json& events = Obj(top, "events");
  std::vector<std::pair<double, std::string>> paths;
  const size_t plen = std::string(prefix).size();
  for (auto it = pct.begin(); it != pct.end(); ++it) {
    if (it.key().rfind(prefix, 0) != 0 || !it->is_number()) continue;
    if (Num(events, it.key().c_str()) <= 0) continue;
    paths.emplace_back(it->get<double>(), it.key().substr(plen));
  }
  std::sort(paths.begin(), paths.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out;
  for (const auto& [p, name] : paths) {
    absl::StrAppendFormat(&out, " %s %.1f%%", name, p);
  }
  return out.empty() ? " -" : out;
}

// A cell of a field's column (stats/fields.h) for `item`, or, with a null
// item, the column's header padded to the cell's width.
std::string Cell(const StatsField& f, const json* item) {
  const bool list = std::string(f.type).rfind("Array", 0) == 0;
  char buf[128];
  if (list) {
    std::snprintf(buf, sizeof(buf), f.column_format,
                  item ? CpuList(Arr(*item, f.name)).c_str() : f.column);
    return buf;
  }
  std::snprintf(buf, sizeof(buf), f.column_format,
                item ? Num(*item, f.name) : 0.0);
  if (item) return buf;
  const std::string cell = buf;
  const size_t w = std::max(cell.size(), std::strlen(f.column));
  return std::string(w - std::strlen(f.column), ' ') + f.column;
}

// The columns of `fields` for one row (item) or the header (null).
std::string Columns(const StatsField* fields, size_t n, const json* item) {
  std::string out;
  for (const StatsField* f = fields; f != fields + n; ++f) {
    if (f->column == nullptr) continue;
    absl::StrAppend(&out, " ", Cell(*f, item));
  }
  return out;
}

}  // namespace

std::string RenderTable(const json& top) {
  std::string out;
  absl::StrAppendFormat(
      &out,
      "scx_atlas %s  up %.0fs  period %.2fs  busy %.1f%%  load %.2f "
      "(%.2f/cpu)  slice %.0fus\n",
      Str(top, "mode"), Num(top, "uptime_s"), Num(top, "period_s"),
      Num(top, "cpu_busy_pct"), Num(top, "total_load"),
      Num(top, "load_per_cpu"), Num(top, "slice_us"));
  absl::StrAppendFormat(
      &out, "dispatch %.0f:%s\nselect   %.0f:%s\nenqueue  %.0f:%s\n",
      Num(top, "dispatch_total"), Paths(top, "dispatch_"),
      Num(top, "select_total"), Paths(top, "sel_"), Num(top, "enqueue_total"),
      Paths(top, "enq_"));
  absl::StrAppendFormat(
      &out,
      "balance  %.0f passes (last %.0fus: read %.0f, balance %.0f, write "
      "%.0f; %.0f tasks, %.0f requested)  migrations %.0f "
      "applied, %.0f rejected  greedy: direct [%s] kick [%s]\n",
      Num(top, "balance_passes"), Num(top, "last_pass_us"),
      Num(top, "last_pass_read_us"), Num(top, "last_pass_balance_us"),
      Num(top, "last_pass_write_us"), Num(top, "last_pass_tasks"),
      Num(top, "last_pass_requested"), Num(top, "migrations_applied"),
      Num(top, "migrations_rejected"),
      IdList(Arr(top, "direct_greedy_domains")),
      IdList(Arr(top, "kick_greedy_domains")));

  if (const std::string last = Str(top, "last_exit"); !last.empty()) {
    absl::StrAppendFormat(&out, "restarts %.0f (last: %s)\n",
                          Num(top, "restarts"), last);
  }
  if (Str(top, "mode") == "user") {
    const json& ev = Obj(top, "events");
    absl::StrAppendFormat(
        &out,
        "user     queued %.0f  dispatched %.0f  kernel %.0f  self %.0f  "
        "stale %.0f  failed %.0f  congested %.0f  | held %.0f  running %.0f  "
        "page faults %.0f  heap allocs %.0f\n",
        Num(ev, "user_queued"), Num(ev, "user_dispatch"),
        Num(ev, "user_kernel_dispatch"), Num(ev, "user_self"),
        Num(ev, "user_cancelled"), Num(ev, "user_failed"),
        Num(ev, "user_congested"), Num(top, "user_scheduled"),
        Num(top, "user_running"), Num(top, "page_faults"),
        Num(top, "heap_allocs"));
  }
  const auto nodes = ById(Obj(top, "nodes"));
  if (nodes.size() > 1) {
    absl::StrAppendFormat(&out, "%-5s%s\n", "node",
                          Columns(kNodeFields, kNrNodeFields, nullptr));
    for (const auto& [id, n] : nodes) {
      absl::StrAppendFormat(&out, "%-5d%s\n", id,
                            Columns(kNodeFields, kNrNodeFields, n));
    }
  }
  const auto doms = ById(Obj(top, "domains"));
  double scale = 1;  // a bar is full at one task's worth per CPU, or more
  for (const auto& [id, d] : doms)
    scale = std::max(scale, Num(*d, "load_norm"));
  absl::StrAppendFormat(&out, "%-4s%s  %s\n", "dom",
                        Columns(kDomainFields, kNrDomainFields, nullptr),
                        absl::StrFormat("load/cpu (full = %.2f)", scale));
  for (const auto& [id, d] : doms) {
    absl::StrAppendFormat(&out, "%-4d%s  %s%s%s\n", id,
                          Columns(kDomainFields, kNrDomainFields, d),
                          Bar(Num(*d, "load_norm"), scale, 24),
                          Flag(*d, "direct_greedy") ? " D" : "",
                          Flag(*d, "kick_greedy") ? " K" : "");
  }
  return out;
}

std::string RenderOpenMetrics(const json& top) {
  std::string out;
  auto number = [](double v) {
    return std::isfinite(v) ? absl::StrFormat("%.17g", v) : std::string("0");
  };
  auto family = [&](const std::string& name, const char* type,
                    const char* help) {
    absl::StrAppend(&out, "# TYPE ", name, " ", type, "\n# HELP ", name, " ",
                    help, "\n");
  };
  family("atlas", "info", "scx_atlas scheduling mode");
  absl::StrAppend(&out, "atlas_info{mode=\"",
                  Str(top, "mode").empty() ? "unknown" : Str(top, "mode"),
                  "\"} 1\n");
  // Every top field that names a series (stats/fields.h), then the events.
  for (size_t i = 0; i < kNrTopFields; ++i) {
    const StatsField& f = kTopFields[i];
    if (f.kind == MetricKind::kNone) continue;
    const double v = Num(top, f.name) * f.scale;
    if (f.kind == MetricKind::kCounter) {
      family(f.metric, "counter", f.desc);
      absl::StrAppend(&out, f.metric, "_total ", number(v), "\n");
    } else {
      family(f.metric, "gauge", f.desc);
      absl::StrAppend(&out, f.metric, " ", number(v), "\n");
    }
  }
  family("atlas_events", "counter", "BPF event counters by decision path");
  const json& events = Obj(top, "events");
  for (auto it = events.begin(); it != events.end(); ++it) {
    absl::StrAppend(&out, "atlas_events_total{event=\"", it.key(), "\"} ",
                    number(it->is_number() ? it->get<double>() : 0), "\n");
  }

  // Each node's and domain's fields that name a series, labelled.
  auto per = [&](const char* what, const char* dict, const StatsField* fields,
                 size_t n) {
    const auto items = ById(Obj(top, dict));
    for (const StatsField* f = fields; f != fields + n; ++f) {
      if (f->kind == MetricKind::kNone) continue;
      const std::string name = absl::StrCat("atlas_", what, "_", f->metric);
      family(name, "gauge", f->desc);
      for (const auto& [id, item] : items) {
        std::string labels = absl::StrCat(what, "=\"", id, "\"");
        if (std::string(what) == "domain") {
          absl::StrAppend(&labels, ",node=\"",
                          static_cast<int>(Num(*item, "node")), "\"");
        }
        const double v = std::string(f->type) == "Bool"
                             ? (Flag(*item, f->name) ? 1.0 : 0.0)
                             : Num(*item, f->name) * f->scale;
        absl::StrAppend(&out, name, "{", labels, "} ", number(v), "\n");
      }
    }
  };
  per("node", "nodes", kNodeFields, kNrNodeFields);
  per("domain", "domains", kDomainFields, kNrDomainFields);
  out += "# EOF\n";
  return out;
}

}  // namespace atlas
