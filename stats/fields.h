// SPDX-License-Identifier: GPL-2.0-only
//
// stats/fields.h: every field of the stats report ("top", and each node and
// domain in it), once: its name, scx_stats type and meaning, and the
// OpenMetrics series it is exported as, and for nodes and domains the
// column of the human table it is shown in. stats/report.cc builds the
// report's metadata (stats_meta, --help_stats) from these tables;
// stats/format.cc's OpenMetrics renderer exports every field that names a
// series, and its table shows every field that names a column. A test
// checks that the report has exactly these fields.
//
// Thread safety: constant data.
#ifndef SCX_ATLAS_STATS_FIELDS_H_
#define SCX_ATLAS_STATS_FIELDS_H_

#include <cstddef>

namespace atlas {

enum class MetricKind { kNone, kCounter, kGauge };

struct StatsField {
  const char* name;
  const char* type;  // scx_stats datum: U64, I64, F64, String, Bool, or
                     // "Array:U64", "Dict:String:U64", "Dict:U64:node"...
  const char* desc;
  // OpenMetrics: the series ("" = not exported; nodes' and domains' are
  // prefixed atlas_node_ / atlas_domain_), its kind, and the factor from
  // the report's unit to the series' (microseconds -> seconds: 1e-6).
  const char* metric = "";
  MetricKind kind = MetricKind::kNone;
  double scale = 1;
  // The --stats / atlas_stats table (nodes' and domains' rows): the
  // column's header and the printf format of its value (a double; an
  // array is a CPU list, "%-9s"), or null: not shown.
  const char* column = nullptr;
  const char* column_format = nullptr;
};

extern const StatsField kTopFields[];
extern const size_t kNrTopFields;
extern const StatsField kNodeFields[];
extern const size_t kNrNodeFields;
extern const StatsField kDomainFields[];
extern const size_t kNrDomainFields;
extern const StatsField kCgroupFields[];
extern const size_t kNrCgroupFields;

}  // namespace atlas

#endif  // SCX_ATLAS_STATS_FIELDS_H_
