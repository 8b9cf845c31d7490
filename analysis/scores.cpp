#include "analysis/scores.hpp"

#include "analysis/summary_stats.hpp"

#include <cmath>
#include <limits>

namespace b2m::analysis {

// Both scores work column by column in double, in buffers sized once per
// call (a fresh array per column was an allocation per voxel).
template <class T>
Eigen::VectorXd pearson_r(const solvers::ConstMatrixRef<T>& prediction,
                          const solvers::ConstMatrixRef<T>& truth) {
  Eigen::VectorXd r(prediction.cols());
  Eigen::ArrayXd p(prediction.rows()), t(prediction.rows()), pc(p.size()), tc(p.size());
  for (Eigen::Index j = 0; j < prediction.cols(); ++j) {
    p = prediction.col(j).template cast<double>().array();
    t = truth.col(j).template cast<double>().array();
    pc = p - p.mean();
    tc = t - t.mean();
    const double denominator = std::sqrt(pc.square().sum() * tc.square().sum());
    r(j) =
        denominator > 0 ? (pc * tc).sum() / denominator : std::numeric_limits<double>::quiet_NaN();
  }
  return r;
}

template <class T>
Eigen::VectorXd r_squared(const solvers::ConstMatrixRef<T>& prediction,
                          const solvers::ConstMatrixRef<T>& truth) {
  Eigen::VectorXd out(prediction.cols());
  Eigen::ArrayXd p(prediction.rows()), t(prediction.rows());
  for (Eigen::Index j = 0; j < prediction.cols(); ++j) {
    p = prediction.col(j).template cast<double>().array();
    t = truth.col(j).template cast<double>().array();
    const double sst = (t - t.mean()).square().sum();
    out(j) =
        sst > 0 ? 1.0 - (t - p).square().sum() / sst : std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

double mean_column_r(const solvers::Matrix<double>& prediction,
                     const solvers::Matrix<double>& truth) {
  const Eigen::VectorXd r = pearson_r<double>(prediction, truth);
  return mean_finite({r.data(), r.data() + r.size()});
}

#define B2M_SCORES(T)                                                       \
  template Eigen::VectorXd pearson_r<T>(const solvers::ConstMatrixRef<T>&,  \
                                        const solvers::ConstMatrixRef<T>&); \
  template Eigen::VectorXd r_squared<T>(const solvers::ConstMatrixRef<T>&,  \
                                        const solvers::ConstMatrixRef<T>&);
B2M_SCORES(double)
B2M_SCORES(float)
#undef B2M_SCORES

}  // namespace b2m::analysis
