// SPDX-License-Identifier: GPL-2.0-only
#include "stats/protocol.h"

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "stats/report.h"

namespace atlas {

using nlohmann::json;

std::string DumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string StatsProtocol::Error(int err, std::string_view message) {
  return DumpJson({{"errno", err}, {"args", {{"resp", std::string(message)}}}});
}

absl::StatusOr<json> StatsProtocol::Cumulative() const {
  absl::StatusOr<StatsSample> sample = sampler_();
  if (!sample.ok()) return sample.status();
  return BuildReport(*sample, nullptr);
}

std::string StatsProtocol::Handle(std::string_view line,
                                  StatsClientState* client) const {
  const json req = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (req.is_discarded()) return Error(EINVAL, "malformed JSON");
  if (!req.is_object()) return Error(EINVAL, "a request is a JSON object");
  const auto name = req.find("req");
  if (name == req.end() || !name->is_string()) {
    return Error(EINVAL, "missing \"req\" (a string)");
  }
  const auto args = req.find("args");
  if (args != req.end() && !args->is_object()) {
    return Error(EINVAL, "\"args\" must be an object of strings");
  }
  auto arg = [&](const char* key, const char* fallback) -> std::string {
    if (args == req.end()) return fallback;
    const auto it = args->find(key);
    if (it == args->end()) return fallback;
    return it->is_string() ? it->get<std::string>() : std::string("\x01");
  };
  const std::string& what = name->get_ref<const std::string&>();
  if (what == "stats_meta") {
    return DumpJson({{"errno", 0}, {"args", {{"resp", StatsMeta()}}}});
  }
  if (what != "stats") {
    return Error(EINVAL, absl::StrCat("unknown request \"", what,
                                      "\" (known: stats, stats_meta)"));
  }
  const std::string target = arg("target", "top");
  if (target != "top") {
    return Error(EINVAL, absl::StrCat("unknown stats target \"", target,
                                      "\" (known: top)"));
  }
  const std::string cumulative = arg("cumulative", "0");
  if (cumulative != "0" && cumulative != "1") {
    return Error(EINVAL, "\"cumulative\" must be \"0\" or \"1\"");
  }
  absl::StatusOr<StatsSample> sample = sampler_();
  if (!sample.ok()) {
    return Error(EAGAIN, sample.status().message());
  }
  json resp;
  if (cumulative == "1") {
    resp = BuildReport(*sample, nullptr);
  } else {
    resp = BuildReport(*sample, client->prev ? &*client->prev : nullptr);
    client->prev = *std::move(sample);
  }
  return DumpJson({{"errno", 0}, {"args", {{"resp", std::move(resp)}}}});
}

}  // namespace atlas
