#include "analysis/zscore.hpp"

#include <cmath>

#include "solvers/ordered_sum.hpp"

namespace b2m::analysis {

template <class T>
std::vector<bool> zscore_within(solvers::MatrixRef<T> m, const std::vector<mpi::Range>& ranges) {
  std::vector<bool> varies(static_cast<std::size_t>(m.cols()), false);
  for (const auto& r : ranges) {
    auto rows =
        m.middleRows(static_cast<Eigen::Index>(r.begin), static_cast<Eigen::Index>(r.size()));
    for (Eigen::Index j = 0; j < rows.cols(); ++j) {
      auto col = rows.col(j);
      // In double (float sums over thousands of rows lose digits) and in a
      // fixed order (see solvers/ordered_sum.hpp).
      double mean = 0, var = 0;
      solvers::ordered_moments(col.data(), static_cast<std::size_t>(col.size()), mean, var);
      if (var > 0 && std::isfinite(var)) {
        const double scale = 1.0 / std::sqrt(var);
        col = ((col.template cast<double>().array() - mean) * scale).template cast<T>().matrix();
        varies[static_cast<std::size_t>(j)] = true;
      } else {
        col.setZero();
      }
    }
  }
  return varies;
}

template std::vector<bool> zscore_within<double>(solvers::MatrixRef<double>,
                                                 const std::vector<mpi::Range>&);
template std::vector<bool> zscore_within<float>(solvers::MatrixRef<float>,
                                                const std::vector<mpi::Range>&);

}  // namespace b2m::analysis
