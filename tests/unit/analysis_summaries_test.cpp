// The summaries and selections decode and encode report, against values
// computed by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "analysis/decode_metrics.hpp"
#include "analysis/encode_summary.hpp"
#include "analysis/scores.hpp"
#include "analysis/study_tables.hpp"
#include "analysis/summary_stats.hpp"
#include "analysis/target_scaling.hpp"
#include "analysis/voxel_selection.hpp"
#include "core/error.hpp"

namespace b2m::analysis {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(SummaryStats, NaNAwareMeansMediansAndPercentiles) {
  EXPECT_DOUBLE_EQ(mean_finite({1, kNaN, 3, std::numeric_limits<double>::infinity()}), 2.0);
  EXPECT_TRUE(std::isnan(mean_finite({kNaN})));
  EXPECT_DOUBLE_EQ(median_finite({5, kNaN, 1, 3}), 3.0);
  EXPECT_DOUBLE_EQ(median_finite({4, 1, 3, 2}), 3.0);  // the upper median
  EXPECT_TRUE(std::isnan(median_finite({})));
  std::vector<double> v;
  for (int i = 1; i <= 40; ++i) v.push_back(i);
  v.push_back(kNaN);
  const auto [lo, hi] = percentile_range(v, 5, 95);  // elements 40*5/100 = 2 and 38
  EXPECT_DOUBLE_EQ(lo, 3.0);
  EXPECT_DOUBLE_EQ(hi, 39.0);
  const auto [mean, sd] = mean_sd({2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_DOUBLE_EQ(mean, 5.0);
  EXPECT_DOUBLE_EQ(sd, std::sqrt(32.0 / 7.0));
  EXPECT_DOUBLE_EQ(mean_sd({3.0}).second, 0.0);
}

TEST(EncodeSummary, CountsSignificantAndConstantVoxelsAndTheAuditoryMedian) {
  // Voxels 0-3 strongly significant; 4 constant (NaN); 5-7 null.
  const std::vector<double> p = {1e-9, 1e-8, 1e-7, 1e-6, kNaN, 0.5, 0.7, 0.9};
  const std::vector<double> r = {0.9, 0.8, 0.7, 0.6, kNaN, 0.0, -0.1, 0.05};
  const std::vector<double> alpha = {10, 100, 100, 1000, kNaN, 1e7, 1e7, 1e7};
  const std::vector<std::int64_t> roi = {1, 1, 0, 0, 1, 1, 0, 0};
  const std::vector<std::int64_t> a1 = auditory_labels({"other", "primary auditory"});
  EXPECT_EQ(a1, std::vector<std::int64_t>{1});
  EXPECT_EQ(auditory_labels({"V1", "A1"}), std::vector<std::int64_t>{1});
  EXPECT_TRUE(auditory_labels({"V1"}).empty());
  // Destrieux: Heschl's gyrus in both hemispheres, not the planum temporale.
  EXPECT_EQ(auditory_labels({"lh.G_temp_sup-G_T_transv", "lh.G_temp_sup-Plan_tempo",
                             "rh.G_temp_sup-G_T_transv"}),
            (std::vector<std::int64_t>{0, 2}));
  const EncodeSummary s = summarize_encoding(r, alpha, p, {}, roi, a1);
  EXPECT_EQ(s.voxels, 8u);
  EXPECT_EQ(s.constant, 1u);
  EXPECT_EQ(s.significant, 4u);
  EXPECT_DOUBLE_EQ(s.median_r_auditory, 0.8);  // of 0.9, 0.8, 0.0 (NaN dropped)
  EXPECT_DOUBLE_EQ(s.median_r, 0.6);           // upper median of 7 finite values
  EXPECT_DOUBLE_EQ(s.alpha_p5, 10.0);
  EXPECT_DOUBLE_EQ(s.alpha_p95, 1e7);
  EXPECT_TRUE(std::isnan(summarize_encoding(r, alpha, p, {}, {}, {}).median_r_auditory));
  EXPECT_EQ(s.reliable, 0u);
  EXPECT_TRUE(std::isnan(s.median_r_normalized));
  // With ceilings: voxels below kReliableCeiling (and NaN) stay out.
  const std::vector<double> ceiling = {1.0, 0.8, 0.2, 0.5, kNaN, 0.39, 0.1, 0.9};
  const EncodeSummary c = summarize_encoding(r, alpha, p, ceiling, roi, a1);
  EXPECT_EQ(c.reliable, 4u);                     // voxels 0, 1, 3, 7
  EXPECT_DOUBLE_EQ(c.median_r_normalized, 1.0);  // of 0.9, 1.0, 1.2, 0.0556
}

TEST(TargetScaling, StandardizesColumnsAndUndoesIt) {
  solvers::Matrix<double> y(4, 3);
  y << 1, 5, 2,  //
      2, 5, 4,   //
      3, 5, 6,   //
      6, 5, 8;
  const StandardizedTargets t = standardize_targets(y);
  for (Eigen::Index j : {0, 2}) {
    EXPECT_NEAR(t.z.col(j).mean(), 0.0, 1e-15);
    EXPECT_NEAR(t.z.col(j).squaredNorm() / 4.0, 1.0, 1e-14);
  }
  EXPECT_EQ(t.sd(1), 1.0);  // a constant column keeps its mean
  EXPECT_LE((t.original(t.z) - y).cwiseAbs().maxCoeff(), 1e-14);
}

TEST(DecodeMetrics, GroupMeansAreSortedByLabel) {
  const GroupMeans g = group_means({1.0, 0.5, 0.0, 1.0}, {"rock", "jazz", "rock", "jazz"});
  EXPECT_EQ(g.labels, (std::vector<std::string>{"jazz", "rock"}));
  EXPECT_EQ(g.means, (std::vector<double>{0.75, 0.5}));
}

TEST(DecodeMetrics, PerfectPredictionsIdentifyEverySample) {
  solvers::Matrix<double> truth(4, 5);
  for (Eigen::Index i = 0; i < truth.size(); ++i) truth.data()[i] = std::sin(double(i * i));
  const DecodeMetrics m =
      decode_metrics(truth, truth, truth, truth, {"a", "a", "b", "b"}, {0, 1, 2, 3});
  EXPECT_DOUBLE_EQ(m.mean_identification, 1.0);
  EXPECT_NEAR(m.mean_embedding_r, 1.0, 1e-14);
  EXPECT_NEAR(m.mean_cv_r, 1.0, 1e-14);
  EXPECT_EQ(m.genre_identification.labels.size(), 2u);
}

TEST(DecodeMetrics, ClipLevelAveragesWindowsAndTheBaselineIgnoresTheBrain) {
  // Two windows per clip, clips 7, 3, 5 (in that order); each window's
  // prediction is its clip's target plus noise that cancels over the clip.
  solvers::Matrix<double> target(6, 4), pred(6, 4);
  const std::vector<std::size_t> clip = {7, 7, 3, 3, 5, 5};
  for (Eigen::Index i = 0; i < 6; ++i)
    for (Eigen::Index j = 0; j < 4; ++j) {
      const double c = double(clip[std::size_t(i)]);
      target(i, j) = 10 + std::sin(c * 4 + double(j));
      pred(i, j) = target(i, j) + ((i % 2 == 0) ? 3 : -3) * std::cos(c * 5 + double(j * j));
    }
  const solvers::Matrix<double> means = clip_means(pred, clip);
  ASSERT_EQ(means.rows(), 3);
  EXPECT_NEAR((means.row(1) - (pred.row(2) + pred.row(3)) / 2).norm(), 0.0, 1e-14);  // clip 3
  const DecodeMetrics m =
      decode_metrics(pred, target, target, target, {"a", "a", "a", "a", "a", "a"}, clip);
  ASSERT_EQ(m.clip_identification.size(), 3u);
  EXPECT_DOUBLE_EQ(m.mean_clip_identification, 1.0);  // the window noise cancels
  // The training mean predicts nothing, yet correlates with every target:
  // all rows share the offset 10 only in their mean, so r is what the
  // shared pattern gives (here the same as the row-wise r of mean vs rows).
  const solvers::Matrix<double> mean_row = target.colwise().mean();
  EXPECT_NEAR(m.baseline_embedding_r, row_correlations(mean_row, target).mean(), 1e-14);
  EXPECT_NEAR(m.mean_test_r, mean_column_r(pred, target), 1e-14);
}

TEST(StudyTables, Table2IsTheMeanAndSampleSdPerSpace) {
  io::SummaryTable rows({io::text("space"), io::real("identification"), io::real("embedding_r")});
  rows.add({{"space", "music"}, {"identification", 0.8}, {"embedding_r", 0.5}});
  rows.add({{"space", "mulan_text"}, {"identification", 0.7}, {"embedding_r", 0.4}});
  rows.add({{"space", "music"}, {"identification", 0.9}, {"embedding_r", 0.7}});
  const io::SummaryTable t = per_space_summary(rows);
  ASSERT_EQ(t.rows().size(), 2u);
  EXPECT_EQ(t.rows()[0].at("space"), "music");
  EXPECT_EQ(t.rows()[0].at("subjects"), 2);
  EXPECT_NEAR(t.rows()[0].at("identification")[0].get<double>(), 0.85, 1e-15);
  EXPECT_NEAR(t.rows()[0].at("identification")[1].get<double>(), std::sqrt(0.005), 1e-15);
  EXPECT_EQ(t.rows()[1].at("embedding_r")[1].get<double>(), 0.0);  // one subject
  // The paper's value beside b2m's where the paper has the space.
  EXPECT_TRUE(t.rows()[0].at("paper_identification")[0].is_null());
  EXPECT_EQ(t.rows()[1].at("paper_identification")[0].get<double>(), 0.817);
  EXPECT_EQ(t.rows()[1].at("paper_identification")[1].get<double>(), 0.014);
}

TEST(VoxelSelection, BestScoredVoxelsSkipNonFiniteAndKeepTheLowerIndexOnTies) {
  const std::vector<double> score = {0.1, kNaN, 0.5, 0.5, 0.9, -1.0};
  EXPECT_EQ(best_scored_voxels(score, 3, "enc.h5").voxels, (std::vector<std::size_t>{2, 3, 4}));
  EXPECT_EQ(best_scored_voxels(score, 2, "enc.h5").voxels, (std::vector<std::size_t>{2, 4}));
  EXPECT_THROW(static_cast<void>(best_scored_voxels(score, 6, "enc.h5")), InputError);
}

TEST(VoxelSelection, RoiVoxelsAndOneModelPerRoi) {
  const io::Atlas atlas{{0, 2, 2, 1, 0, 2}, {"V1", "A1", "STS", "empty"}};
  const VoxelSelection named = roi_voxels(atlas, {"STS", "A1"}, 0, "r.h5");
  EXPECT_EQ(named.voxels, (std::vector<std::size_t>{1, 2, 3, 5}));
  EXPECT_TRUE(named.models.empty());
  const VoxelSelection models = roi_voxels(atlas, {}, 2, "r.h5");  // "empty" gets no model
  EXPECT_EQ(models.models, (std::vector<std::string>{"V1", "A1", "STS"}));
  EXPECT_EQ(models.model_of, (std::vector<std::size_t>{0, 2, 2, 1, 0, 2}));
  EXPECT_THROW(static_cast<void>(roi_voxels(atlas, {"MT"}, 0, "r.h5")), InputError);
  EXPECT_THROW(static_cast<void>(roi_voxels(atlas, {"empty"}, 0, "r.h5")), InputError);
  EXPECT_THROW(static_cast<void>(roi_voxels(atlas, {}, 4, "r.h5")), ConfigError);
}

TEST(VoxelSelection, SharesCoverTheSelectionAndBatchesRespectTheBudget) {
  const io::Atlas atlas{{0, 1, 1, 0, 2, 2, 2, 1}, {"a", "b", "c"}};
  const VoxelSelection sel = roi_voxels(atlas, {"b", "c"}, 1, "r.h5");  // voxels 1,2,4,5,6,7
  std::vector<std::size_t> seen;
  for (std::size_t rank = 0; rank < 3; ++rank) {
    const VoxelShare s = even_share(sel, 8, 3, rank);
    EXPECT_EQ(s.first, seen.size()) << rank;  // consecutive among the selected voxels
    seen.insert(seen.end(), s.voxels.begin(), s.voxels.end());
  }
  EXPECT_EQ(seen, sel.voxels);
  const VoxelShare c = roi_share(sel, {1});  // model 1 is ROI "c"
  EXPECT_EQ(c.voxels, (std::vector<std::size_t>{4, 5, 6}));
  EXPECT_EQ(c.span.begin, 4u);
  EXPECT_EQ(c.span.end, 7u);
  // 10 samples x 8 bytes a voxel: ROI b (3 voxels) is 240 bytes, c 240.
  EXPECT_EQ(roi_batches(sel, 10, 500, 1, 0).size(), 1u);
  EXPECT_EQ(roi_batches(sel, 10, 300, 1, 0).size(), 2u);
  EXPECT_EQ(roi_batches(sel, 10, 100, 2, 1), (std::vector<std::vector<std::size_t>>{{1}}));
}

}  // namespace
}  // namespace b2m::analysis
