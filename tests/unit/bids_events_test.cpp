#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "analysis/stimulus_timeline.hpp"
#include "core/error.hpp"
#include "io/bids_events.hpp"
#include "tests/support/temp_dir.hpp"

namespace b2m::io {
namespace {

const std::string kFunc = testing::source_dir() + "/data/ds003720/func";
const std::set<std::string> kGenres = {"blues", "classical", "country", "disco",  "hiphop",
                                       "jazz",  "metal",     "pop",     "reggae", "rock"};

TEST(BidsEvents, ParsesTheBrokenQuotingAndCrlfOfTrainingRun4) {
  const RunEvents run = read_events_file(kFunc + "/task-Training_run-04_events.tsv");
  ASSERT_EQ(run.events.size(), 41u);
  for (const auto& e : run.events) {
    EXPECT_TRUE(kGenres.count(e.genre)) << "genre '" << e.genre << "'";
    EXPECT_DOUBLE_EQ(e.duration, 15.0);
  }
  EXPECT_DOUBLE_EQ(run.events.back().onset, 600.0);
  EXPECT_EQ(run.events.back().genre, "metal");
  EXPECT_EQ(run.events.back().clip_id(), "metal.00097");
}

TEST(BidsEvents, RealDesignHasTheStudysClipCounts) {
  const auto train = read_task_events(kFunc, "Training");
  const auto test = read_task_events(kFunc, "Test");
  ASSERT_EQ(train.size(), 12u);
  ASSERT_EQ(test.size(), 6u);
  EXPECT_EQ(analysis::unique_clips(train).size(), 480u);
  // The first clip of each training run repeats the last of the previous run.
  for (std::size_t r = 1; r < train.size(); ++r)
    EXPECT_EQ(train[r].events.front().clip_id(), train[r - 1].events.back().clip_id());
  const analysis::TestLayout layout = analysis::test_layout(test, 1.5);
  EXPECT_EQ(layout.clip_ids.size(), 60u);
  EXPECT_EQ(layout.repetitions, 4u);
  EXPECT_EQ(layout.trs_per_clip, 10u);
  EXPECT_EQ(layout.rows(), 600u);
  std::map<std::string, int> per_genre;
  for (const auto& id : layout.clip_ids) ++per_genre[id.substr(0, id.find('.'))];
  for (const auto& g : kGenres) EXPECT_EQ(per_genre[g], 6) << g;
}

TEST(BidsEvents, BadFilesNameTheFileAndLine) {
  const auto comm = mpi::Comm::self();
  const testing::TempDir dir(comm);
  const std::string missing_column = dir.file("task-Training_run-01_events.tsv");
  std::ofstream(missing_column) << "onset\tduration\tgenre\n0\t15\tpop\n";
  try {
    static_cast<void>(read_events_file(missing_column));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(missing_column), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("track"), std::string::npos);
  }
  const std::string bad_number = dir.file("bad.tsv");
  std::ofstream(bad_number) << "onset\tduration\tgenre\ttrack\n0\t15\tpop\t3\nabc\t15\tpop\t4\n";
  try {
    static_cast<void>(read_events_file(bad_number));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.tsv:3"), std::string::npos) << e.what();
  }
  const std::string empty = dir.file("empty.tsv");
  std::ofstream(empty) << "onset\tduration\tgenre\ttrack\n";
  EXPECT_THROW(static_cast<void>(read_events_file(empty)), InputError);
  EXPECT_THROW(static_cast<void>(read_task_events(dir.file("nowhere"), "Training")), InputError);
}

// The message of the InputError `read` raises ("" if none).
template <class F>
std::string input_error(F&& read) {
  try {
    read();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(BidsEvents, HeaderCaseQuotesAndAByteOrderMarkAreRead) {
  const auto comm = mpi::Comm::self();
  const testing::TempDir dir(comm);
  const std::string path = dir.file("run.tsv");
  std::ofstream(path)
      << "\xEF\xBB\xBFOnset\t\"Duration\"\tGENRE\tTrack\n0\t15\t'pop'\t'3'\n15\t15\tjazz\t4\n";
  const RunEvents run = read_events_file(path);
  ASSERT_EQ(run.events.size(), 2u);
  EXPECT_EQ(run.events[0].clip_id(), "pop.00003");
  EXPECT_EQ(run.events[1].clip_id(), "jazz.00004");
}

TEST(BidsEvents, OverlapsRepeatedColumnsAndMissingRunsAreRefused) {
  const auto comm = mpi::Comm::self();
  const testing::TempDir dir(comm);
  const std::string overlap = dir.file("overlap.tsv");
  std::ofstream(overlap) << "onset\tduration\tgenre\ttrack\n0\t15\tpop\t3\n10\t15\tjazz\t4\n";
  EXPECT_NE(input_error([&] {
              static_cast<void>(read_events_file(overlap));
            }).find(overlap + ": events overlap: pop.00003"),
            std::string::npos);
  const std::string twice = dir.file("twice.tsv");
  std::ofstream(twice) << "onset\tduration\tgenre\ttrack\tOnset\n0\t15\tpop\t3\t0\n";
  EXPECT_NE(input_error([&] {
              static_cast<void>(read_events_file(twice));
            }).find(twice + ":1: column 'onset' appears twice"),
            std::string::npos);
  // Runs 1, 2 and 4 of 4: run 3's events file is missing.
  for (int run : {1, 2, 4})
    std::ofstream(dir.file("task-Training_run-0" + std::to_string(run) + "_events.tsv"))
        << "onset\tduration\tgenre\ttrack\n0\t15\tpop\t3\n";
  EXPECT_NE(input_error([&] {
              static_cast<void>(read_task_events(dir.path(), "Training"));
            }).find("task-Training has runs 1..4 but no events file for run 3"),
            std::string::npos);
}

}  // namespace
}  // namespace b2m::io
