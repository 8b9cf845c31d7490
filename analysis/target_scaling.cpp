#include "analysis/target_scaling.hpp"

namespace b2m::analysis {

solvers::Matrix<double> StandardizedTargets::original(const solvers::Matrix<double>& zs) const {
  return (zs.array().rowwise() * sd.array()).rowwise() + mean.array();
}

StandardizedTargets standardize_targets(const solvers::Matrix<double>& y) {
  StandardizedTargets t;
  t.mean = y.colwise().mean();
  const solvers::Matrix<double> centred = y.rowwise() - t.mean;
  t.sd = (centred.colwise().squaredNorm() / double(y.rows())).cwiseSqrt();
  for (Eigen::Index j = 0; j < t.sd.size(); ++j)
    if (!(t.sd(j) > 0)) t.sd(j) = 1.0;
  t.z = centred.array().rowwise() / t.sd.array();
  return t;
}

}  // namespace b2m::analysis
