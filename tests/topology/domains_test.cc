// SPDX-License-Identifier: GPL-2.0-only
#include "topology/domains.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "topology/hwloc_loader.h"

namespace atlas {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<int> Range(int lo, int hi) {
  std::vector<int> out;
  for (int i = lo; i <= hi; ++i) out.push_back(i);
  return out;
}

Topology Synthetic(const std::string& description) {
  absl::StatusOr<Topology> t = LoadSyntheticTopology(description);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Topology{};
}

std::vector<Domain> Build(const Topology& t, DomainOptions options = {}) {
  absl::StatusOr<std::vector<Domain>> d = BuildDomains(t, options);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *d : std::vector<Domain>{};
}

std::string BuildError(const Topology& t, DomainOptions options) {
  absl::StatusOr<std::vector<Domain>> d = BuildDomains(t, options);
  EXPECT_FALSE(d.ok());
  return d.ok() ? "" : std::string(d.status().message());
}

TEST(Domains, TwoSocketServerOneDomainPerL3) {
  // 2 packages x 1 node x 2 L3 x 4 cores x SMT2 = 32 CPUs.
  Topology t = Synthetic("pack:2 numa:1 l3:2 core:4 pu:2");
  ASSERT_EQ(t.cpus.size(), 32u);
  EXPECT_THAT(t.nodes, ElementsAre(0, 1));
  EXPECT_TRUE(t.smt_enabled());
  EXPECT_THAT(t.SmtSiblings(0), ElementsAre(0, 1));
  EXPECT_THAT(t.SmtSiblings(13), ElementsAre(12, 13));
  std::vector<Domain> d = Build(t);
  ASSERT_EQ(d.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(d[i].id, i);
    EXPECT_EQ(d[i].cpus, Range(8 * i, 8 * i + 7));
    EXPECT_EQ(d[i].node, i / 2);
    EXPECT_EQ(d[i].kind, CpuKind::kUniform);
    EXPECT_EQ(d[i].capacity, 8 * kMaxCapacity);
  }
}

TEST(Domains, CacheLevelTwoSplitsByL2) {
  Topology t = Synthetic("pack:1 l3:1 l2:4 core:2 pu:1");
  EXPECT_EQ(Build(t).size(), 1u);
  DomainOptions options;
  options.cache_level = 2;
  std::vector<Domain> d = Build(t, options);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_THAT(d[3].cpus, ElementsAre(6, 7));
}

TEST(Domains, SingleL3LaptopWithoutSmt) {
  Topology t = Synthetic("pack:1 l3:1 core:4 pu:1");
  EXPECT_FALSE(t.smt_enabled());
  EXPECT_THAT(t.SmtSiblings(2), ElementsAre(2));
  std::vector<Domain> d = Build(t);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].cpus, Range(0, 3));
}

TEST(Domains, ExplicitCpumasksTakeTheirNodes) {
  Topology t = Synthetic("pack:2 numa:1 l3:1 core:4 pu:1");
  DomainOptions options;
  options.cpumasks = "4-5,0-1+3,2,6-7";
  std::vector<Domain> d = Build(t, options);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_THAT(d[0].cpus, ElementsAre(0, 1, 3));
  EXPECT_EQ(d[0].node, 0);
  EXPECT_THAT(d[1].cpus, ElementsAre(2));
  EXPECT_THAT(d[2].cpus, ElementsAre(4, 5));
  EXPECT_EQ(d[2].node, 1);  // scx_rusty would say 0
  EXPECT_EQ(d[3].node, 1);
  EXPECT_EQ(d[0].capacity, 3 * kMaxCapacity);
}

TEST(Domains, ExplicitCpumaskErrors) {
  Topology t = Synthetic("pack:2 numa:1 l3:1 core:4 pu:1");
  DomainOptions options;
  options.cpumasks = "0-3,3-7";
  EXPECT_THAT(BuildError(t, options), HasSubstr("overlap on CPU 3"));
  options.cpumasks = "0-3,4-6";
  EXPECT_THAT(BuildError(t, options),
              HasSubstr("CPUs 7 are online but in no domain"));
  options.cpumasks = "0-7,8";
  EXPECT_THAT(BuildError(t, options), HasSubstr("CPU 8 in '8' is not present"));
  options.cpumasks = "0-2,3-5,6-7";
  EXPECT_THAT(BuildError(t, options), HasSubstr("spans NUMA nodes 0 and 1"));
  options.cpumasks = "0-3,7-4";
  EXPECT_THAT(BuildError(t, options), HasSubstr("bad CPU range '7-4'"));
  options.cpumasks = "0-3,,4-7";
  EXPECT_THAT(BuildError(t, options), HasSubstr("empty domain in '0-3,,4-7'"));
  options.cpumasks = "0-3,4-x";
  EXPECT_THAT(BuildError(t, options), HasSubstr("bad CPU range '4-x'"));
}

TEST(Domains, BadCacheLevel) {
  DomainOptions options;
  options.cache_level = 4;
  EXPECT_THAT(BuildError(Synthetic("pack:1 core:2 pu:1"), options),
              HasSubstr("must be 2 or 3"));
}

TEST(Domains, LargeMachinesWithinLimits) {
  // 1024 CPUs: 4 packages x 2 nodes x 8 L3 x 8 cores x SMT2 = 64 domains.
  Topology t = Synthetic("pack:4 numa:2 l3:8 core:8 pu:2");
  ASSERT_EQ(t.cpus.size(), 1024u);
  std::vector<Domain> d = Build(t);
  ASSERT_EQ(d.size(), 64u);
  EXPECT_EQ(d[63].cpus, Range(1008, 1023));
  EXPECT_EQ(d[63].node, 7);
  // 512 CPUs in 128 domains: the limit itself.
  Topology t512 = Synthetic("pack:2 numa:2 l3:32 core:2 pu:2");
  EXPECT_EQ(Build(t512).size(), 128u);
}

TEST(Domains, TooManyDomainsOrCpus) {
  Topology t = Synthetic("pack:2 numa:2 l3:64 core:1 pu:2");  // 256 L3s
  EXPECT_THAT(BuildError(t, {}),
              HasSubstr("256 domains; scx_atlas supports at most 128"));
  Topology big = Synthetic("pack:4 l3:8 core:20 pu:2");  // 1280 CPUs
  EXPECT_THAT(BuildError(big, {}), HasSubstr("supports at most 1024"));
}

TEST(Domains, OfflineCpuInTheMiddleByHand) {
  Topology t;
  t.nr_cpu_ids = 4;
  for (int cpu : {0, 1, 3}) {
    CpuInfo info;
    info.cpu = cpu;
    info.core = static_cast<int>(t.cores.size());
    info.l3 = 0;
    t.cores.push_back({cpu});
    t.cpus.push_back(info);
  }
  t.nodes = {0};
  std::vector<Domain> d = Build(t);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_THAT(d[0].cpus, ElementsAre(0, 1, 3));
  DomainOptions options;
  options.cpumasks = "0-1,2-3";
  EXPECT_THAT(BuildError(t, options), HasSubstr("CPU 2 in '2-3' is offline"));
}

Topology Xml(const std::string& name) {
  absl::StatusOr<Topology> t =
      LoadXmlTopology("tests/topology/testdata/" + name);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Topology{};
}

TEST(Domains, HybridSplitsPerformanceAndEfficiencyCores) {
  // 2 P-cores with SMT2 (0-3) + 2 clusters of 4 E-cores sharing an L2
  // (4-7, 8-11), all under one L3; cpukinds rank the E-cores lower.
  Topology t = Xml("hybrid.xml");
  ASSERT_EQ(t.cpus.size(), 12u);
  EXPECT_THAT(t.SmtSiblings(1), ElementsAre(0, 1));
  EXPECT_THAT(t.SmtSiblings(6), ElementsAre(6));
  EXPECT_EQ(t.Find(0)->kind, CpuKind::kPerformance);
  EXPECT_EQ(t.Find(0)->capacity, kMaxCapacity);
  EXPECT_EQ(t.Find(11)->kind, CpuKind::kEfficiency);
  EXPECT_EQ(t.Find(11)->capacity, kMaxCapacity / 2);
  std::vector<Domain> d = Build(t);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].cpus, Range(0, 3));
  EXPECT_EQ(d[0].kind, CpuKind::kPerformance);
  EXPECT_EQ(d[0].capacity, 4 * kMaxCapacity);
  EXPECT_EQ(d[1].cpus, Range(4, 11));
  EXPECT_EQ(d[1].kind, CpuKind::kEfficiency);
  EXPECT_EQ(d[1].capacity, 8 * kMaxCapacity / 2);
  DomainOptions options;
  options.cache_level = 2;
  d = Build(t, options);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_THAT(d[1].cpus, ElementsAre(2, 3));
  EXPECT_EQ(d[2].cpus, Range(4, 7));
  EXPECT_EQ(d[3].kind, CpuKind::kEfficiency);
}

TEST(Domains, OfflineCpuInTheMiddleFromXml) {
  Topology t = Xml("offline_cpu.xml");
  EXPECT_EQ(t.nr_cpu_ids, 8);
  ASSERT_EQ(t.cpus.size(), 7u);
  EXPECT_EQ(t.Find(3), nullptr);
  std::vector<Domain> d = Build(t);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_THAT(d[0].cpus, ElementsAre(0, 1, 2));
  EXPECT_EQ(d[1].cpus, Range(4, 7));
  DomainOptions options;
  options.cpumasks = "0-3,4-7";
  EXPECT_THAT(BuildError(t, options), HasSubstr("CPU 3 in '0-3' is offline"));
}

TEST(CpuList, ParsesAndFormats) {
  absl::StatusOr<std::vector<int>> cpus = ParseCpuList("8,0-2,4+5,2");
  ASSERT_TRUE(cpus.ok()) << cpus.status();
  EXPECT_THAT(*cpus, ElementsAre(0, 1, 2, 4, 5, 8));
  EXPECT_EQ(FormatCpuList(*cpus), "0-2,4-5,8");
  EXPECT_FALSE(ParseCpuList("").ok());
  EXPECT_FALSE(ParseCpuList("-1").ok());
  EXPECT_FALSE(ParseCpuList("1024").ok());
}

TEST(Loader, BadSyntheticAndXmlAreErrors) {
  EXPECT_FALSE(LoadSyntheticTopology("pack:banana").ok());
  absl::StatusOr<Topology> xml = LoadXmlTopology("/nonexistent/topo.xml");
  ASSERT_FALSE(xml.ok());
  EXPECT_THAT(std::string(xml.status().message()),
              HasSubstr("/nonexistent/topo.xml"));
}

}  // namespace
}  // namespace atlas
