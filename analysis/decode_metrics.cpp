#include "analysis/decode_metrics.hpp"

#include <map>
#include <numeric>

#include "analysis/scores.hpp"

namespace b2m::analysis {

DecodeMetrics decode_metrics(const solvers::Matrix<double>& test_prediction,
                             const solvers::Matrix<double>& test_target,
                             const solvers::Matrix<double>& cv_prediction,
                             const solvers::Matrix<double>& train_target,
                             const std::vector<std::string>& genres,
                             const std::vector<std::size_t>& test_clip) {
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
  m.mean_test_r = mean_column_r(test_prediction, test_target);
  const solvers::Matrix<double> clip_target = clip_means(test_target, test_clip);
  if (clip_target.rows() >= 2) {
    m.clip_identification =
        identification_accuracy(clip_means(test_prediction, test_clip), clip_target);
    m.mean_clip_identification =
        std::accumulate(m.clip_identification.begin(), m.clip_identification.end(), 0.0) /
        double(m.clip_identification.size());
  }
  const solvers::Matrix<double> mean_row = train_target.colwise().mean();
  m.baseline_embedding_r = row_correlations(mean_row, test_target).mean();
  return m;
}

solvers::Matrix<double> clip_means(const solvers::Matrix<double>& rows,
                                   const std::vector<std::size_t>& clip) {
  std::vector<std::size_t> order;
  std::map<std::size_t, std::size_t> slot;
  for (std::size_t c : clip)
    if (slot.emplace(c, order.size()).second) order.push_back(c);
  solvers::Matrix<double> sum =
      solvers::Matrix<double>::Zero(Eigen::Index(order.size()), rows.cols());
  std::vector<double> count(order.size(), 0.0);
  for (std::size_t i = 0; i < clip.size(); ++i) {
    sum.row(Eigen::Index(slot[clip[i]])) += rows.row(Eigen::Index(i));
    count[slot[clip[i]]] += 1;
  }
  for (std::size_t k = 0; k < order.size(); ++k) sum.row(Eigen::Index(k)) /= count[k];
  return sum;
}

}  // namespace b2m::analysis
