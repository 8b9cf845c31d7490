#include <gtest/gtest.h>

#include "analysis/feature_alignment.hpp"
#include "io/bids_events.hpp"
#include "tests/support/temp_dir.hpp"

namespace b2m::analysis {
namespace {

// One clip whose window w has the value w (dim 1).
ClipEmbeddings counting_clip(std::size_t windows, double window_s, double step_s) {
  ClipEmbeddings c;
  c.ids = {"pop.00001"};
  c.windows = windows;
  c.dim = 1;
  c.window_s = window_s;
  c.step_s = step_s;
  for (std::size_t w = 0; w < windows; ++w) c.values.push_back(static_cast<float>(w));
  return c;
}

TEST(TrFeatures, AveragesTheWindowsOverlappingEachTrSlot) {
  // MuLan-music: 4 windows of 10 s stepped by 1.5 s over a 15 s clip.
  const ClipEmbeddings clip = counting_clip(4, 10.0, 1.5);
  RunTimeline t;
  for (int k = 0; k < 10; ++k) {
    t.clip.push_back(0);
    t.clip_time.push_back(1.5 * k);
  }
  t.clip.push_back(-1);  // silence after the clip
  t.clip_time.push_back(0);
  const auto f = tr_features(clip, t, 1.5);
  // Slot [1.5k, 1.5k + 1.5) overlaps windows max(0, k-6) .. min(3, k).
  const double expected[] = {0.0, 0.5, 1.0, 1.5, 1.5, 1.5, 1.5, 2.0, 2.5, 3.0, 0.0};
  for (int k = 0; k < 11; ++k) EXPECT_DOUBLE_EQ(f(k, 0), expected[k]) << "TR " << k;
}

TEST(ApplyDelays, StacksShiftedCopiesDelayMajorWithZerosAtTheStart) {
  solvers::Matrix<double> f(4, 2);
  f << 1, 10, 2, 20, 3, 30, 4, 40;
  const auto d = apply_delays(f, {0, 2});
  ASSERT_EQ(d.cols(), 4);
  EXPECT_EQ(d.block(0, 0, 4, 2), f);
  EXPECT_EQ(d(0, 2), 0.0);
  EXPECT_EQ(d(1, 3), 0.0);
  EXPECT_EQ(d(2, 2), 1.0);
  EXPECT_EQ(d(3, 3), 20.0);
}

TEST(BuildDesign, RealDesignShapesRunsAndTestAveraging) {
  const std::string func = testing::source_dir() + "/data/ds003720/func";
  const auto train = io::read_task_events(func, "Training");
  const auto test = io::read_task_events(func, "Test");
  // One window per clip, value = position of the clip in the sorted list.
  std::vector<io::RunEvents> all = train;
  all.insert(all.end(), test.begin(), test.end());
  ClipEmbeddings clips;
  clips.ids = unique_clips(all);
  clips.windows = 1;
  clips.dim = 1;
  clips.window_s = 15;
  clips.step_s = 15;
  for (std::size_t c = 0; c < clips.ids.size(); ++c)
    clips.values.push_back(static_cast<float>(c % 17));
  const Design d = build_design(clips, train, test, 1.5, {0, 1});
  ASSERT_EQ(d.train_x.rows(), 4920);
  ASSERT_EQ(d.test_x.rows(), 600);
  ASSERT_EQ(d.train_x.cols(), 2);
  ASSERT_EQ(d.train_run.size(), 4920u);
  EXPECT_EQ(d.train_run.front(), 1);
  EXPECT_EQ(d.train_run.back(), 12);
  // Z-scored per run.
  for (int r = 0; r < 12; ++r) {
    const auto run = d.train_x.block(r * 410, 0, 410, 1);
    EXPECT_NEAR(run.mean(), 0.0, 1e-12);
    EXPECT_NEAR(run.squaredNorm() / 410.0, 1.0, 1e-12);
  }
  // Delay 1 is delay 0 shifted by one TR within a run, zero at the run start.
  EXPECT_EQ(d.train_x(410, 1), 0.0);
  EXPECT_DOUBLE_EQ(d.train_x(415, 1), d.train_x(414, 0));
  // Delay 0 of a one-window clip is constant over the clip's 10 test rows.
  for (int c = 0; c < 60; ++c)
    for (int k = 1; k < 10; ++k) EXPECT_DOUBLE_EQ(d.test_x(c * 10 + k, 0), d.test_x(c * 10, 0));
  EXPECT_EQ(d.test_clips.size(), 60u);
}

}  // namespace
}  // namespace b2m::analysis
