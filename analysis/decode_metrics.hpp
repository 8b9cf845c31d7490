// Everything decode reports about one model's predictions: per dimension
// the CV and test correlations, per test sample the identification accuracy
// (Brain2Music) and the embedding correlation, identification per genre,
// and the means a summary row shows.
#pragma once

#include <string>
#include <vector>

#include "analysis/identification.hpp"
#include "solvers/matrix.hpp"

namespace b2m::analysis {

struct DecodeMetrics {
  Eigen::VectorXd cv_r, test_r;        // per dimension
  std::vector<double> identification;  // per test sample (chance 0.5)
  Eigen::VectorXd embedding_r;         // per test sample: corr(pred_i, true_i)
  GroupMeans genre_identification;     // identification per genre of the test samples
  double mean_identification = 0, mean_embedding_r = 0;
  double mean_cv_r = 0;    // over the dimensions with a finite CV r
  double mean_test_r = 0;  // over the dimensions with a finite test r
  // The clip level (what a generator is conditioned on): each test clip's
  // window predictions and targets averaged, identified among the clips.
  std::vector<double> clip_identification;  // per test clip, in first-sample order
  double mean_clip_identification = 0;
  // The embedding correlation of a prediction that ignores the brain: the
  // mean training target for every test sample. Embeddings share a large
  // mean, so corr(pred_i, true_i) is high even here.
  double baseline_embedding_r = 0;
};

// `genres`: the genre of each test sample; `test_clip`: its clip.
[[nodiscard]] DecodeMetrics decode_metrics(const solvers::Matrix<double>& test_prediction,
                                           const solvers::Matrix<double>& test_target,
                                           const solvers::Matrix<double>& cv_prediction,
                                           const solvers::Matrix<double>& train_target,
                                           const std::vector<std::string>& genres,
                                           const std::vector<std::size_t>& test_clip);

// Rows averaged per clip (`clip` of each row), clips in order of first row.
[[nodiscard]] solvers::Matrix<double> clip_means(const solvers::Matrix<double>& rows,
                                                 const std::vector<std::size_t>& clip);

}  // namespace b2m::analysis
