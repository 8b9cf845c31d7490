#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/summary_table.hpp"
#include "mpi/comm.hpp"
#include "tests/support/temp_dir.hpp"

namespace b2m::io {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

SummaryTable table() {
  SummaryTable t({text("subject"), count("voxels"), real("median_r"), real("alpha", "%.3g")});
  t.add(
      {{"subject", "sub-01"}, {"voxels", 10000}, {"median_r", number(0.4567)}, {"alpha", 2070.5}});
  t.add({{"subject", "sub-10"}, {"voxels", 5}, {"median_r", number(kNaN)}, {"alpha", 1e7}});
  return t;
}

TEST(SummaryTable, TextPadsColumnsToTheirWidestCellTextLeftNumbersRight) {
  EXPECT_EQ(table().text(),
            "subject voxels median_r    alpha\n"
            "sub-01   10000    0.457 2.07e+03\n"
            "sub-10       5      nan    1e+07\n");
}

TEST(SummaryTable, TsvPrintsNumbersAsStreamsDoAndNaNAsNan) {
  EXPECT_EQ(table().tsv(),
            "subject\tvoxels\tmedian_r\talpha\n"
            "sub-01\t10000\t0.4567\t2070.5\n"
            "sub-10\t5\tnan\t1e+07\n");
}

TEST(SummaryTable, JsonKeepsTheRowsWithNullForNaN) {
  const nlohmann::json rows = nlohmann::json::parse(table().json());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("voxels"), 10000);
  EXPECT_TRUE(rows[1].at("median_r").is_null());
  EXPECT_TRUE(std::isnan(number_or_nan(rows[1].at("median_r"))));
}

TEST(SummaryTable, MeanSdCellsAndTheirTsvColumns) {
  SummaryTable t({text("space"), mean_sd("identification")});
  t.add({{"space", "mulan"}, {"identification", {0.8766, 0.0151}}});
  EXPECT_EQ(t.text(), "space identification\nmulan 0.877 +- 0.015\n");
  EXPECT_EQ(t.tsv(), "space\tidentification_mean\tidentification_sd\nmulan\t0.8766\t0.0151\n");
}

TEST(SummaryTable, ARowWithoutAColumnIsRefused) {
  SummaryTable t({text("subject"), count("voxels")});
  EXPECT_THROW(t.add({{"subject", "sub-01"}}), Error);
}

TEST(WriteSummary, TsvOrJsonByNameWholeAndWithoutAPartialFile) {
  const mpi::Comm self = mpi::Comm::self();
  const testing::TempDir dir(self);
  write_summary(table(), dir.file("out/summary.tsv"));  // the directory is made
  EXPECT_EQ(testing::read_text(dir.file("out/summary.tsv")), table().tsv());
  write_summary(table(), dir.file("out/summary.json"));
  EXPECT_EQ(nlohmann::json::parse(testing::read_text(dir.file("out/summary.json"))).size(), 2u);
  EXPECT_FALSE(std::filesystem::exists(dir.file("out/summary.tsv.partial")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("out/summary.json.partial")));
}

TEST(WriteFileAtomically, ReplacesWholeAndNamesThePathWhenItCannot) {
  const mpi::Comm self = mpi::Comm::self();
  const testing::TempDir dir(self);
  write_file_atomically(dir.file("a.txt"), {"first ", "version"});
  write_file_atomically(dir.file("a.txt"), {"second"});
  EXPECT_EQ(testing::read_text(dir.file("a.txt")), "second");
  // A directory that is a file: the error names the path.
  write_file_atomically(dir.file("plain"), {"x"});
  try {
    write_file_atomically(dir.file("plain/b.txt"), {"y"});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("plain/b.txt")), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace b2m::io
