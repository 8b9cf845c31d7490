#include "jobs/factor_spill.hpp"

#include <array>

namespace b2m::jobs {
namespace {

// Each factor takes five consecutive keys: its shapes, then its arrays.
constexpr std::size_t kParts = 5;

}  // namespace

void FactorSpill::put(std::size_t key, const solvers::RidgeFactor& f) {
  const solvers::FactorShape shape = solvers::factor_shape(f);
  const std::size_t at = key * kParts;
  file_.put(at, shape.data(), shape.size());
  file_.put(at + 1, f.lambda.data(), static_cast<std::size_t>(f.lambda.size()));
  file_.put(at + 2, f.right_t.data(), static_cast<std::size_t>(f.right_t.size()));
  file_.put(at + 3, f.left.data(), static_cast<std::size_t>(f.left.size()));
  file_.put(at + 4, f.weights_left.data(), static_cast<std::size_t>(f.weights_left.size()));
}

solvers::RidgeFactor FactorSpill::get(std::size_t key) const {
  const std::size_t at = key * kParts;
  solvers::FactorShape shape{};
  file_.get(at, shape.data());
  solvers::RidgeFactor f;
  solvers::resize_factor(f, shape);
  file_.get(at + 1, f.lambda.data());
  file_.get(at + 2, f.right_t.data());
  file_.get(at + 3, f.left.data());
  file_.get(at + 4, f.weights_left.data());
  return f;
}

void FactorSpill::park(std::size_t key, solvers::Matrix<double>& m) {
  const std::array<double, 2> shape = {double(m.rows()), double(m.cols())};
  const std::size_t at = key * kParts;
  file_.put(at, shape.data(), shape.size());
  file_.put(at + 1, m.data(), static_cast<std::size_t>(m.size()));
  m.resize(0, 0);
}

void FactorSpill::restore(std::size_t key, solvers::Matrix<double>& m) const {
  const std::size_t at = key * kParts;
  std::array<double, 2> shape{};
  file_.get(at, shape.data());
  m.resize(static_cast<Eigen::Index>(shape[0]), static_cast<Eigen::Index>(shape[1]));
  file_.get(at + 1, m.data());
}

}  // namespace b2m::jobs
