// SPDX-License-Identifier: GPL-2.0-only
#include "runtime/restarts.h"

#include "gtest/gtest.h"

namespace atlas {
namespace {

absl::Duration S(double s) { return absl::Seconds(s); }

TEST(RestartPacer, ALoneRestartReloadsAtOnce) {
  RestartPacer pacer;
  EXPECT_EQ(pacer.Next(S(10)), absl::ZeroDuration());
  // A minute later it is alone again.
  EXPECT_EQ(pacer.Next(S(70)), absl::ZeroDuration());
  EXPECT_EQ(pacer.Next(S(140)), absl::ZeroDuration());
}

TEST(RestartPacer, FastRestartsBackOffUpToTheMaximum) {
  RestartPacer pacer;
  const absl::Duration want[] = {
      absl::ZeroDuration(),     absl::Milliseconds(50),
      absl::Milliseconds(100),  absl::Milliseconds(200),
      absl::Milliseconds(400),  absl::Milliseconds(800),
      absl::Milliseconds(1600), absl::Seconds(2),
      absl::Seconds(2),
  };
  double t = 0;
  for (absl::Duration w : want) {
    EXPECT_EQ(pacer.Next(S(t)), w) << "at " << t;
    t += 0.01;
  }
}

TEST(RestartPacer, TooManyInAWindowGiveUp) {
  RestartLimits limits;
  limits.max_in_window = 5;
  limits.window = S(60);
  RestartPacer pacer(limits);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(pacer.Next(S(i)).has_value());
  EXPECT_FALSE(pacer.Next(S(5)).has_value());
  EXPECT_EQ(pacer.InWindow(), 6);
  // Once the window has moved past them, restarts are paced again.
  RestartPacer later(limits);
  for (int i = 0; i < 5; ++i) later.Next(S(i * 20));
  EXPECT_TRUE(later.Next(S(100)).has_value());
}

}  // namespace
}  // namespace atlas
