// Ridge regression of several targets on standardized inputs, fitted from
// sums over rows, so that rows spread over ranks are joined by one
// allreduce of d x d and d x q numbers: what the synth generator's sound map
// and b2m evaluate's tag classifier both fit.
//
// With inputs x (d values a row) and targets y (q values a row), the fit
// standardizes each input over the rows (z = (x - mean) / sd) and solves
// (Z'Z / n + ridge I) W = Z'(Y - mean y) / n; a prediction is
// mean y + W' z.
#pragma once

#include <cstddef>

#include "mpi/comm.hpp"
#include "solvers/matrix.hpp"

namespace b2m::analysis {

class StandardizedRidge {
 public:
  StandardizedRidge(std::size_t inputs, std::size_t targets);

  // Adds rows: `x` (d x n columns) and `y` (q x n columns).
  void add(const solvers::Matrix<double>& x, const solvers::Matrix<double>& y);
  // Joins every rank's rows and solves (collective). ConfigError if fewer
  // rows than inputs + 1 were added, or an input is constant over them.
  void fit(const mpi::Comm& comm, double ridge);

  // The q predicted targets of one row of d inputs.
  [[nodiscard]] solvers::Vector<double> predict(const double* x) const;
  [[nodiscard]] std::size_t inputs() const { return std::size_t(sx_.size()); }
  [[nodiscard]] bool fitted() const { return weights_.size() > 0; }

 private:
  double rows_ = 0;
  solvers::Matrix<double> xx_, xy_;  // sums of x x' and x y'
  solvers::Vector<double> sx_, sy_;  // sums of x and y
  solvers::Vector<double> mean_x_, inv_sd_, mean_y_;
  solvers::Matrix<double> weights_;  // d x q, on the standardized inputs
};

}  // namespace b2m::analysis
