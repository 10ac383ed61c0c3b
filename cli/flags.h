// SPDX-License-Identifier: GPL-2.0-only
//
// cli/flags.h: scx_atlas's flags (defined in cli/flags_common.cc,
// cli/flags_balanced.cc and cli/flags_user.cc) read into cli/options.h's
// Options, after absl::ParseCommandLine.
#ifndef SCX_ATLAS_CLI_FLAGS_H_
#define SCX_ATLAS_CLI_FLAGS_H_

#include "absl/status/statusor.h"
#include "cli/options.h"

namespace atlas {

// The flags' values and which were given; validated (cli/options.h).
absl::StatusOr<Options> OptionsFromFlags();

// Each file's flags.
void ReadCommonFlags(Options* o);
void ReadBalancedFlags(Options* o);
void ReadUserFlags(Options* o);

}  // namespace atlas

#endif  // SCX_ATLAS_CLI_FLAGS_H_
