#include "analysis/roi_ensemble.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "core/error.hpp"

namespace b2m::analysis {
namespace {

double rank_key(double r) {
  return std::isfinite(r) ? r : -2.0;
}

}  // namespace

bool roi_ranks_before(const std::vector<double>& cv_r, std::size_t a, std::size_t b) {
  const double ra = rank_key(cv_r[a]), rb = rank_key(cv_r[b]);
  return ra > rb || (ra == rb && a < b);
}

RoiEnsemble::RoiEnsemble(std::size_t models, std::size_t top, Eigen::Index n, Eigen::Index n_test,
                         Eigen::Index d)
    : top_(top),
      n_(n),
      n_test_(n_test),
      cv_r_(models, 0.0),
      alpha_(solvers::Matrix<double>::Zero(static_cast<Eigen::Index>(models), d)) {
  if (top < 1 || top > models)
    throw ConfigError("ROI ensemble: the top " + std::to_string(top) + " of " +
                      std::to_string(models) + " models");
}

void RoiEnsemble::offer(std::size_t model, double cv_r, solvers::CvFit fit) {
  cv_r_.at(model) = cv_r;
  alpha_.row(static_cast<Eigen::Index>(model)) = fit.alpha.transpose();
  kept_[model] = {std::move(fit.test_prediction), std::move(fit.cv_prediction)};
  if (kept_.size() > top_)  // drop the one ranked last
    kept_.erase(std::max_element(kept_.begin(), kept_.end(), [&](const auto& a, const auto& b) {
      return roi_ranks_before(cv_r_, a.first, b.first);
    }));
}

RoiEnsemble::Result RoiEnsemble::combine(const mpi::Comm& comm) {
  // Each model's entries were set by one rank.
  comm.allreduce_in_place(cv_r_.data(), cv_r_.size(), mpi::Op::sum);
  comm.allreduce_in_place(alpha_.data(), static_cast<std::size_t>(alpha_.size()), mpi::Op::sum);
  std::vector<std::size_t> order(cv_r_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return roi_ranks_before(cv_r_, a, b); });
  Result out;
  out.top.assign(cv_r_.size(), 0);
  out.test.setZero(n_test_, alpha_.cols());
  out.cv.setZero(n_, alpha_.cols());
  for (std::size_t i = 0; i < top_; ++i) {
    const std::size_t model = order[i];
    out.top[model] = 1;
    const auto mine = kept_.find(model);
    if (mine == kept_.end()) continue;  // another rank's
    out.test += mine->second.test;
    out.cv += mine->second.cv;
  }
  comm.allreduce_in_place(out.test.data(), static_cast<std::size_t>(out.test.size()), mpi::Op::sum);
  comm.allreduce_in_place(out.cv.data(), static_cast<std::size_t>(out.cv.size()), mpi::Op::sum);
  out.test /= double(top_);
  out.cv /= double(top_);
  out.cv_r = cv_r_;
  out.alpha = alpha_;
  return out;
}

}  // namespace b2m::analysis
