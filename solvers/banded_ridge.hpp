// Banded ridge regression (Nunez-Elizalde, Huth & Gallant 2019): the
// features come in bands (one per feature space), each with its own penalty,
//
//   min_w |y - sum_b X_b w_b|^2 + sum_b lambda_b |w_b|^2.
//
// As in himalaya's banded ridge, the penalties are parametrized by band
// weights g on the simplex and one alpha, lambda_b = alpha / g_b. Scaling
// band b's columns by sqrt(g_b) turns the problem into plain ridge at alpha
// (w_b = sqrt(g_b) v_b), so each candidate g is one ridge problem, solved
// and cross-validated by ridge_factor and RidgeFold as they are. A band of
// weight 0 drops out (lambda_b infinite).
//
// Candidates: himalaya draws g at random from a Dirichlet distribution;
// b2m takes the grid of every g with entries k / steps. The grid is
// reproducible and holds the simplex's faces, whose points are the models of
// the subsets of the bands: the vertices are the single-band ridge models
// and, for three bands, the edges the pairs. One pass over the candidates
// thus gives each target the cross-validated model of every subset of the
// bands, which variance partitioning needs (analysis/variance_partition.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "mpi/partition.hpp"
#include "solvers/matrix.hpp"

namespace b2m::solvers {

// Every point of the simplex in `bands` dimensions whose entries are
// multiples of 1 / steps, vertices first, in a fixed order.
[[nodiscard]] std::vector<Eigen::VectorXd> simplex_grid(std::size_t bands, std::size_t steps);

// The bands a candidate uses: bit b set when g_b > 0.
[[nodiscard]] unsigned band_support(const Eigen::VectorXd& g);

// The columns of candidate g's design: the widths of the bands of weight > 0.
[[nodiscard]] Eigen::Index weighted_width(const std::vector<mpi::Range>& bands,
                                          const Eigen::VectorXd& g);

// The design of candidate g: the columns of each band of x (`bands`, ranges
// of x's columns) scaled by sqrt(g_b); bands of weight 0 left out.
[[nodiscard]] Matrix<double> weighted_bands(const ConstMatrixRef<double>& x,
                                            const std::vector<mpi::Range>& bands,
                                            const Eigen::VectorXd& g);

// Per target and per subset of the bands (masks 1 .. 2^B - 1), the
// candidate and alpha of least cross-validated error among the candidates
// offered so far whose support lies inside the subset.
class BandedChoice {
 public:
  BandedChoice(std::size_t bands, Eigen::Index width);

  // Candidate `candidate` of support `support` scored over `folds` folds:
  // validation errors and R^2 summed over the folds (n_alphas x width, as
  // RidgeFold accumulates them). On equal errors the earlier offer stays.
  void offer(std::size_t candidate, unsigned support, const Scores& mse, const Scores& r2,
             std::size_t folds, const std::vector<double>& alphas);

  struct Pick {
    std::vector<std::int32_t> candidate;  // -1: nothing offered (or no variance)
    Eigen::VectorXd alpha, cv_score, mse;
  };
  // The picks of subset `mask` (1 .. 2^B - 1).
  [[nodiscard]] const Pick& subset(unsigned mask) const { return picks_.at(mask - 1); }
  [[nodiscard]] Pick& subset(unsigned mask) { return picks_.at(mask - 1); }
  [[nodiscard]] std::size_t subsets() const { return picks_.size(); }

 private:
  std::vector<Pick> picks_;
};

}  // namespace b2m::solvers
