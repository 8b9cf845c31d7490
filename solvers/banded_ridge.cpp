#include "solvers/banded_ridge.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "solvers/ridge_cv.hpp"

namespace b2m::solvers {

std::vector<Eigen::VectorXd> simplex_grid(std::size_t bands, std::size_t steps) {
  if (bands < 1 || steps < 1)
    throw ConfigError("banded ridge: the simplex grid needs bands and steps >= 1");
  // Every composition of `steps` into `bands` parts, by odometer.
  std::vector<std::vector<std::size_t>> parts;
  std::vector<std::size_t> k(bands, 0);
  for (;;) {
    std::size_t used = 0;
    for (std::size_t b = 0; b + 1 < bands; ++b) used += k[b];
    if (used <= steps) {
      k[bands - 1] = steps - used;
      parts.push_back(k);
    }
    std::size_t b = 0;
    while (b + 1 < bands && k[b] == steps) k[b++] = 0;
    if (b + 1 >= bands) break;
    ++k[b];
  }
  // Fewer bands first (the vertices, then for three bands the edges), then
  // the larger weight on the earlier band.
  const auto used_bands = [](const std::vector<std::size_t>& p) {
    return std::count_if(p.begin(), p.end(), [](std::size_t v) { return v > 0; });
  };
  std::stable_sort(parts.begin(), parts.end(), [&](const auto& a, const auto& b) {
    if (used_bands(a) != used_bands(b)) return used_bands(a) < used_bands(b);
    return a > b;
  });
  std::vector<Eigen::VectorXd> grid;
  for (const auto& p : parts) {
    Eigen::VectorXd g(static_cast<Eigen::Index>(bands));
    for (std::size_t b = 0; b < bands; ++b) g(Eigen::Index(b)) = double(p[b]) / double(steps);
    grid.push_back(g);
  }
  return grid;
}

unsigned band_support(const Eigen::VectorXd& g) {
  unsigned mask = 0;
  for (Eigen::Index b = 0; b < g.size(); ++b)
    if (g(b) > 0) mask |= 1u << b;
  return mask;
}

Eigen::Index weighted_width(const std::vector<mpi::Range>& bands, const Eigen::VectorXd& g) {
  if (Eigen::Index(bands.size()) != g.size())
    throw ConfigError("banded ridge: " + std::to_string(g.size()) + " band weights for " +
                      std::to_string(bands.size()) + " bands");
  Eigen::Index width = 0;
  for (std::size_t b = 0; b < bands.size(); ++b)
    if (g(Eigen::Index(b)) > 0) width += Eigen::Index(bands[b].size());
  return width;
}

Matrix<double> weighted_bands(const ConstMatrixRef<double>& x, const std::vector<mpi::Range>& bands,
                              const Eigen::VectorXd& g) {
  Matrix<double> out(x.rows(), weighted_width(bands, g));
  Eigen::Index at = 0;
  for (std::size_t b = 0; b < bands.size(); ++b) {
    const double weight = g(Eigen::Index(b));
    if (!(weight > 0)) continue;
    const auto cols = Eigen::Index(bands[b].size());
    out.middleCols(at, cols) = std::sqrt(weight) * x.middleCols(Eigen::Index(bands[b].begin), cols);
    at += cols;
  }
  return out;
}

BandedChoice::BandedChoice(std::size_t bands, Eigen::Index width) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Pick none;
  none.candidate.assign(std::size_t(width), -1);
  none.alpha = Eigen::VectorXd::Constant(width, nan);
  none.cv_score = Eigen::VectorXd::Constant(width, nan);
  none.mse = Eigen::VectorXd::Constant(width, std::numeric_limits<double>::infinity());
  picks_.assign((std::size_t{1} << bands) - 1, none);
}

void BandedChoice::offer(std::size_t candidate, unsigned support, const Scores& mse,
                         const Scores& r2, std::size_t folds, const std::vector<double>& alphas) {
  for (unsigned mask = 1; mask <= picks_.size(); ++mask) {
    if ((support & ~mask) != 0) continue;  // uses a band outside the subset
    Pick& pick = picks_[mask - 1];
    for (Eigen::Index j = 0; j < mse.cols(); ++j) {
      if (std::isnan(mse(0, j))) continue;
      const Eigen::Index best = best_alpha(mse.col(j));
      if (!(mse(best, j) < pick.mse(j))) continue;
      pick.mse(j) = mse(best, j);
      pick.candidate[std::size_t(j)] = std::int32_t(candidate);
      pick.alpha(j) = alphas[std::size_t(best)];
      pick.cv_score(j) = r2(best, j) / double(folds);
    }
  }
}

}  // namespace b2m::solvers
