#include "analysis/scores.hpp"

#include <cmath>
#include <limits>

namespace b2m::analysis {

template <class T>
Eigen::VectorXd pearson_r(const solvers::ConstMatrixRef<T>& prediction,
                          const solvers::ConstMatrixRef<T>& truth) {
  Eigen::VectorXd r(prediction.cols());
  for (Eigen::Index j = 0; j < prediction.cols(); ++j) {
    const Eigen::ArrayXd p = prediction.col(j).template cast<double>().array();
    const Eigen::ArrayXd t = truth.col(j).template cast<double>().array();
    const Eigen::ArrayXd pc = p - p.mean();
    const Eigen::ArrayXd tc = t - t.mean();
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
  for (Eigen::Index j = 0; j < prediction.cols(); ++j) {
    const Eigen::ArrayXd p = prediction.col(j).template cast<double>().array();
    const Eigen::ArrayXd t = truth.col(j).template cast<double>().array();
    const double sst = (t - t.mean()).square().sum();
    out(j) =
        sst > 0 ? 1.0 - (t - p).square().sum() / sst : std::numeric_limits<double>::quiet_NaN();
  }
  return out;
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
