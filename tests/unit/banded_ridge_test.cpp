// Banded ridge against the closed form: for every candidate and alpha the
// penalties lambda_b = alpha / g_b are solved directly, (X^T X + diag)^-1 X^T y,
// fold by fold, and the pick of each target and subset must be the grid
// point of least error. The candidates are scored as b2m partition scores
// them: ridge on the design weighted_bands makes, fold by fold.
#include "solvers/banded_ridge.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.hpp"
#include "solvers/ridge_cv.hpp"
#include "solvers/ridge_factor.hpp"
#include "tests/support/random.hpp"

namespace b2m::solvers {
namespace {

using testing::gaussian;

TEST(SimplexGrid, HoldsTheFacesVerticesFirst) {
  const auto two = simplex_grid(2, 4);
  ASSERT_EQ(two.size(), 5u);
  EXPECT_EQ(band_support(two[0]), 1u);
  EXPECT_EQ(band_support(two[1]), 2u);
  for (const auto& g : two) EXPECT_NEAR(g.sum(), 1.0, 1e-15);
  const auto three = simplex_grid(3, 3);
  ASSERT_EQ(three.size(), 10u);  // 3 vertices, 6 on edges, 1 inside
  std::size_t vertices = 0, edges = 0, inside = 0;
  for (std::size_t i = 0; i < three.size(); ++i) {
    const int used = __builtin_popcount(band_support(three[i]));
    (used == 1 ? vertices : used == 2 ? edges : inside) += 1;
    EXPECT_EQ(used, i < 3 ? 1 : i < 9 ? 2 : 3) << "grid point " << i;
  }
  EXPECT_EQ(vertices, 3u);
  EXPECT_EQ(edges, 6u);
  EXPECT_EQ(inside, 1u);
  EXPECT_THROW(static_cast<void>(simplex_grid(2, 0)), ConfigError);
}

// Closed-form banded ridge: weights for per-column penalties `penalty`
// (infinite: the column is left out).
Eigen::VectorXd solve(const Matrix<double>& x, const Eigen::VectorXd& y,
                      const Eigen::VectorXd& penalty) {
  std::vector<Eigen::Index> kept;
  for (Eigen::Index j = 0; j < penalty.size(); ++j)
    if (std::isfinite(penalty(j))) kept.push_back(j);
  Matrix<double> xs(x.rows(), Eigen::Index(kept.size()));
  for (std::size_t k = 0; k < kept.size(); ++k) xs.col(Eigen::Index(k)) = x.col(kept[k]);
  Matrix<double> a = xs.transpose() * xs;
  for (std::size_t k = 0; k < kept.size(); ++k)
    a(Eigen::Index(k), Eigen::Index(k)) += penalty(kept[k]);
  const Eigen::VectorXd ws = a.ldlt().solve(xs.transpose() * y);
  Eigen::VectorXd w = Eigen::VectorXd::Zero(x.cols());
  for (std::size_t k = 0; k < kept.size(); ++k) w(kept[k]) = ws(Eigen::Index(k));
  return w;
}

TEST(BandedRidge, PicksTheGridPointOfLeastErrorForEverySubset) {
  const Eigen::Index n = 120, pa = 6, pb = 4, width = 12;
  const Matrix<double> x = gaussian(n, pa + pb, 1);
  // Targets driven by band A, band B, both, and neither, plus noise.
  const Matrix<double> w = gaussian(pa + pb, width, 3);
  Matrix<double> y = gaussian(n, width, 4);
  for (Eigen::Index j = 0; j < width; ++j) {
    const int kind = int(j % 4);
    Eigen::VectorXd wj = w.col(j);
    if (kind == 1 || kind == 3) wj.head(pa).setZero();
    if (kind == 0 || kind == 3) wj.tail(pb).setZero();
    y.col(j) += 0.5 * x * wj;
  }
  const std::vector<mpi::Range> bands = {{0, std::size_t(pa)},
                                         {std::size_t(pa), std::size_t(pa + pb)}};
  const std::vector<mpi::Range> folds = {{0, 30}, {30, 60}, {60, 90}, {90, 120}};
  const std::vector<double> alphas = {0.3, 3, 30, 300};
  const std::vector<Eigen::VectorXd> candidates = simplex_grid(2, 4);
  BandedChoice choice(bands.size(), width);
  ASSERT_EQ(choice.subsets(), 3u);
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    const Matrix<double> xg = weighted_bands(x, bands, candidates[c]);
    ASSERT_EQ(xg.cols(), weighted_width(bands, candidates[c]));
    Scores mse = Scores::Zero(Eigen::Index(alphas.size()), width), r2 = mse;
    for (const mpi::Range& fold : folds) {
      const auto rows = xg.middleRows(Eigen::Index(fold.begin), Eigen::Index(fold.size()));
      const RidgeFold<double> scored(ridge_factor(xg, fold, rows, false), fold);
      scored.accumulate(y, alphas, mse, r2);
    }
    choice.offer(c, band_support(candidates[c]), mse, r2, folds.size(), alphas);
  }

  for (unsigned mask = 1; mask <= 3; ++mask) {
    const BandedChoice::Pick& pick = choice.subset(mask);
    for (Eigen::Index j = 0; j < width; ++j) {
      // Brute force over the candidates inside the subset and the alphas.
      double best = std::numeric_limits<double>::infinity();
      std::size_t best_c = 0;
      double best_alpha = 0;
      for (std::size_t c = 0; c < candidates.size(); ++c) {
        if ((band_support(candidates[c]) & ~mask) != 0) continue;
        for (double alpha : alphas) {
          Eigen::VectorXd penalty(pa + pb);
          for (std::size_t b = 0; b < 2; ++b)
            penalty.segment(Eigen::Index(bands[b].begin), Eigen::Index(bands[b].size()))
                .setConstant(alpha / candidates[c](Eigen::Index(b)));
          double error = 0;
          for (const mpi::Range& f : folds) {
            Matrix<double> xt(n - Eigen::Index(f.size()), pa + pb);
            Eigen::VectorXd yt(xt.rows());
            Eigen::Index r = 0;
            for (Eigen::Index i = 0; i < n; ++i)
              if (i < Eigen::Index(f.begin) || i >= Eigen::Index(f.end)) {
                xt.row(r) = x.row(i);
                yt(r++) = y(i, j);
              }
            const Eigen::VectorXd wf = solve(xt, yt, penalty);
            const auto rows = Eigen::Index(f.size());
            error += (y.col(j).segment(Eigen::Index(f.begin), rows) -
                      x.middleRows(Eigen::Index(f.begin), rows) * wf)
                         .squaredNorm() /
                     double(rows);
          }
          if (error < best * (1 - 1e-9)) {
            best = error;
            best_c = c;
            best_alpha = alpha;
          }
        }
      }
      EXPECT_EQ(pick.candidate[std::size_t(j)], std::int32_t(best_c))
          << "subset " << mask << " target " << j;
      EXPECT_EQ(pick.alpha(j), best_alpha) << "subset " << mask << " target " << j;
      EXPECT_NEAR(pick.mse(j), best, 1e-9 * best);
    }
  }
  // The subsets' picks: a single band only ever takes its vertex.
  for (Eigen::Index j = 0; j < width; ++j) {
    EXPECT_EQ(choice.subset(1).candidate[std::size_t(j)], 0);
    EXPECT_EQ(choice.subset(2).candidate[std::size_t(j)], 1);
    // The joint model is never worse in CV than either alone.
    EXPECT_LE(choice.subset(3).mse(j), choice.subset(1).mse(j));
    EXPECT_LE(choice.subset(3).mse(j), choice.subset(2).mse(j));
  }
}

}  // namespace
}  // namespace b2m::solvers
