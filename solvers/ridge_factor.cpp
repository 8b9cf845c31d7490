#include "solvers/ridge_factor.hpp"

#include "solvers/lapack.hpp"

namespace b2m::solvers {
namespace {

// c = a b^T + beta c through BLAS (see lapack::gemm_nt). Measured: Eigen's
// product of a middle row block by another's transpose allocated about
// 150 MB of temporaries at p = 4,096.
template <class A, class B, class C>
void multiply_nt(const A& a, const B& b, double beta, C&& c) {
  lapack::gemm_nt(static_cast<int>(a.rows()), static_cast<int>(b.rows()),
                  static_cast<int>(a.cols()), a.data(), static_cast<int>(a.outerStride()), b.data(),
                  static_cast<int>(b.outerStride()), beta, c.data(),
                  static_cast<int>(c.outerStride()));
}

// The training rows of `x`: the `a` rows above the held-out range and the
// `below` rows under it.
struct TrainingRows {
  Eigen::Index a, below;
  [[nodiscard]] Eigen::Index count() const { return a + below; }
};

TrainingRows training_rows(Eigen::Index rows, mpi::Range held_out) {
  return {static_cast<Eigen::Index>(held_out.begin),
          rows - static_cast<Eigen::Index>(held_out.end)};
}

}  // namespace

// The primal needs X V (n x p) beside the eigenvectors; the dual's U is its
// own factor. So the dual is used up to a slightly larger eigenproblem: at
// p = 4,096 a fold of 4,100 rows then needs 130 MB less at a 0.3% larger
// eigensolve.
bool ridge_is_primal(Eigen::Index n_train, Eigen::Index p) {
  return static_cast<double>(n_train) > 1.1 * static_cast<double>(p);
}

Matrix<double> ridge_gram(const ConstMatrixRef<double>& x, mpi::Range held_out) {
  const TrainingRows t = training_rows(x.rows(), held_out);
  const auto top = x.topRows(t.a);
  const auto bottom = x.bottomRows(t.below);
  Matrix<double> gram;
  // Eigen's blocking divides by the inner size, so empty parts are skipped.
  if (ridge_is_primal(t.count(), x.cols())) {
    gram.setZero(x.cols(), x.cols());
    if (t.a > 0) gram.selfadjointView<Eigen::Lower>().rankUpdate(top.transpose());
    if (t.below > 0) gram.selfadjointView<Eigen::Lower>().rankUpdate(bottom.transpose());
  } else {
    gram.setZero(t.count(), t.count());
    if (t.a > 0) gram.topLeftCorner(t.a, t.a).selfadjointView<Eigen::Lower>().rankUpdate(top);
    if (t.below > 0)
      gram.bottomRightCorner(t.below, t.below).selfadjointView<Eigen::Lower>().rankUpdate(bottom);
    multiply_nt(bottom, top, 0.0, gram.bottomLeftCorner(t.below, t.a));
  }
  return gram;
}

RidgeFactor ridge_factor(const ConstMatrixRef<double>& x, mpi::Range held_out,
                         const ConstMatrixRef<double>& x_out, SymmetricEigen eig,
                         bool with_weights) {
  const TrainingRows t = training_rows(x.rows(), held_out);
  const auto top = x.topRows(t.a);
  const auto bottom = x.bottomRows(t.below);
  RidgeFactor f;
  f.lambda = eig.values.cwiseMax(0.0);
  if (ridge_is_primal(t.count(), x.cols())) {
    f.right_t.resize(t.count(), x.cols());
    f.right_t.topRows(t.a).noalias() = top * eig.vectors;
    f.right_t.bottomRows(t.below).noalias() = bottom * eig.vectors;
    f.left.noalias() = x_out * eig.vectors;
    if (with_weights) f.weights_left = std::move(eig.vectors);
  } else {
    Matrix<double> cross(x_out.rows(), t.count());  // X_out X^T
    multiply_nt(x_out, top, 0.0, cross.leftCols(t.a));
    multiply_nt(x_out, bottom, 0.0, cross.rightCols(t.below));
    f.left.noalias() = cross * eig.vectors;
    cross.resize(0, 0);
    if (with_weights) {
      f.weights_left.setZero(x.cols(), t.count());
      if (t.a > 0) f.weights_left.noalias() += top.transpose() * eig.vectors.topRows(t.a);
      if (t.below > 0)
        f.weights_left.noalias() += bottom.transpose() * eig.vectors.bottomRows(t.below);
    }
    f.right_t = std::move(eig.vectors);
  }
  return f;
}

RidgeFactor ridge_factor(Matrix<double>&& x, const ConstMatrixRef<double>& x_out,
                         SymmetricEigen eig, bool with_weights) {
  if (!ridge_is_primal(x.rows(), x.cols()))
    return ridge_factor(x, {}, x_out, std::move(eig), with_weights);
  RidgeFactor f;
  f.lambda = eig.values.cwiseMax(0.0);
  f.left.noalias() = x_out * eig.vectors;
  // right_t = X V has X's shape: computed into X's storage, a panel of rows
  // at a time, so the refit never holds X and X V together.
  constexpr Eigen::Index kPanel = 256;
  Matrix<double> panel;
  for (Eigen::Index r = 0; r < x.rows(); r += kPanel) {
    const Eigen::Index h = std::min(kPanel, x.rows() - r);
    panel.noalias() = x.middleRows(r, h) * eig.vectors;
    x.middleRows(r, h) = panel;
  }
  f.right_t = std::move(x);
  if (with_weights) f.weights_left = std::move(eig.vectors);
  return f;
}

FactorShape factor_shape(const RidgeFactor& f) {
  return {double(f.lambda.size()), double(f.right_t.rows()), double(f.left.rows()),
          double(f.weights_left.rows()), double(f.weights_left.cols())};
}

void resize_factor(RidgeFactor& f, const FactorShape& shape) {
  const auto dim = [&](std::size_t i) { return static_cast<Eigen::Index>(shape[i]); };
  f.lambda.resize(dim(0));
  f.right_t.resize(dim(1), dim(0));
  f.left.resize(dim(2), dim(0));
  f.weights_left.resize(dim(3), dim(4));
}

RidgeFactor ridge_factor(const ConstMatrixRef<double>& x, mpi::Range held_out,
                         const ConstMatrixRef<double>& x_out, bool with_weights) {
  Matrix<double> gram = ridge_gram(x, held_out);
  SymmetricEigen eig = symmetric_eigen(gram);
  return ridge_factor(x, held_out, x_out, std::move(eig), with_weights);
}

}  // namespace b2m::solvers
