// SPDX-License-Identifier: GPL-2.0-only
#include "cli/flags.h"

#include <string>
#include <vector>

#include "absl/flags/internal/parse.h"

namespace atlas {

absl::StatusOr<Options> OptionsFromFlags() {
  Options o;
  ReadCommonFlags(&o);
  ReadBalancedFlags(&o);
  ReadUserFlags(&o);
  // Which mode-only flags were given (a default value given explicitly
  // counts too). absl offers this only in its internal parse header.
  for (const std::vector<std::string>* names :
       {&kBalancedOnlyFlags, &kUserOnlyFlags}) {
    for (const std::string& name : *names) {
      if (absl::flags_internal::WasPresentOnCommandLine(name)) {
        o.given.insert(name);
      }
    }
  }
  if (absl::Status s = Validate(o); !s.ok()) return s;
  return o;
}

}  // namespace atlas
