// One model per ROI, the k best by cross-validated correlation averaged
// (Brain2Music: 150 Destrieux ROIs, the top 6). The models are fitted
// wherever the caller farms them; each rank offers the ones it fitted and
// keeps the predictions of its own best k only, which include its share of
// the overall best k, so no rank holds every model's predictions.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "mpi/comm.hpp"
#include "solvers/matrix.hpp"
#include "solvers/ridge_solver.hpp"

namespace b2m::analysis {

// Ranking of ROI models: higher mean CV r first (NaN last), then the lower
// index, so that every rank orders them alike.
[[nodiscard]] bool roi_ranks_before(const std::vector<double>& cv_r, std::size_t a, std::size_t b);

class RoiEnsemble {
 public:
  // `models` ROI models of d targets, the best `top` averaged; n training
  // and n_test test samples.
  RoiEnsemble(std::size_t models, std::size_t top, Eigen::Index n, Eigen::Index n_test,
              Eigen::Index d);

  // A model this rank fitted, with its mean CV correlation.
  void offer(std::size_t model, double cv_r, solvers::CvFit fit);

  struct Result {
    solvers::Matrix<double> test, cv;  // mean predictions of the top models
    std::vector<double> cv_r;          // per model
    std::vector<std::uint8_t> top;     // per model: 1 if averaged
    solvers::Matrix<double> alpha;     // models x targets
  };
  // Every model's scores and alphas, and the average of the best `top`, on
  // every rank of `comm` (collective). Each model must have been offered
  // on exactly one rank.
  [[nodiscard]] Result combine(const mpi::Comm& comm);

 private:
  struct Kept {
    solvers::Matrix<double> test, cv;
  };
  std::size_t top_;
  Eigen::Index n_, n_test_;
  std::vector<double> cv_r_;
  solvers::Matrix<double> alpha_;
  std::map<std::size_t, Kept> kept_;  // this rank's best `top` so far
};

}  // namespace b2m::analysis
