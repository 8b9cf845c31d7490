#include "analysis/decode_metrics.hpp"

#include <numeric>

#include "analysis/scores.hpp"

namespace b2m::analysis {

DecodeMetrics decode_metrics(const solvers::Matrix<double>& test_prediction,
                             const solvers::Matrix<double>& test_target,
                             const solvers::Matrix<double>& cv_prediction,
                             const solvers::Matrix<double>& train_target,
                             const std::vector<std::string>& genres) {
  DecodeMetrics m;
  m.cv_r = pearson_r<double>(cv_prediction, train_target);
  m.test_r = pearson_r<double>(test_prediction, test_target);
  m.identification = identification_accuracy(test_prediction, test_target);
  m.embedding_r = row_correlations(test_prediction, test_target).diagonal();
  m.genre_identification = group_means(m.identification, genres);
  m.mean_identification = std::accumulate(m.identification.begin(), m.identification.end(), 0.0) /
                          double(m.identification.size());
  m.mean_embedding_r = m.embedding_r.mean();
  m.mean_cv_r = mean_column_r(cv_prediction, train_target);
  return m;
}

}  // namespace b2m::analysis
