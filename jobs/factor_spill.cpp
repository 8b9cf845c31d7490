#include "jobs/factor_spill.hpp"

#include <algorithm>

namespace b2m::jobs {
namespace {

// Each factor takes five consecutive keys: its arrays (the first unused).
// Shapes stay in memory: after a scratch failure (deferred, see
// io/spill_file.hpp) reads give zeros, and zero shapes would size nothing.
constexpr std::size_t kParts = 5;

}  // namespace

void FactorSpill::put(std::size_t key, const solvers::RidgeFactor& f) {
  const solvers::FactorShape shape = solvers::factor_shape(f);
  const std::size_t at = key * kParts;
  shapes_[at].assign(shape.begin(), shape.end());
  file_.put(at + 1, f.lambda.data(), static_cast<std::size_t>(f.lambda.size()));
  file_.put(at + 2, f.right_t.data(), static_cast<std::size_t>(f.right_t.size()));
  file_.put(at + 3, f.left.data(), static_cast<std::size_t>(f.left.size()));
  file_.put(at + 4, f.weights_left.data(), static_cast<std::size_t>(f.weights_left.size()));
}

solvers::RidgeFactor FactorSpill::get(std::size_t key) const {
  const std::size_t at = key * kParts;
  solvers::FactorShape shape{};
  const std::vector<double>& kept = shapes_.at(at);
  std::copy(kept.begin(), kept.end(), shape.begin());
  solvers::RidgeFactor f;
  solvers::resize_factor(f, shape);
  file_.get(at + 1, f.lambda.data());
  file_.get(at + 2, f.right_t.data());
  file_.get(at + 3, f.left.data());
  file_.get(at + 4, f.weights_left.data());
  return f;
}

void FactorSpill::park(std::size_t key, solvers::Matrix<double>& m) {
  const std::size_t at = key * kParts;
  shapes_[at] = {double(m.rows()), double(m.cols())};
  file_.put(at + 1, m.data(), static_cast<std::size_t>(m.size()));
  m.resize(0, 0);
}

void FactorSpill::restore(std::size_t key, solvers::Matrix<double>& m) const {
  const std::size_t at = key * kParts;
  const std::vector<double>& shape = shapes_.at(at);
  m.resize(static_cast<Eigen::Index>(shape[0]), static_cast<Eigen::Index>(shape[1]));
  file_.get(at + 1, m.data());
}

}  // namespace b2m::jobs
