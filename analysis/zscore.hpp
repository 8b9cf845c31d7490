// Standardizing responses and features, as voxelwise encoding models expect:
// each column centred and scaled to unit (population) variance within each
// run, so no intercept is needed and runs with different baselines mix.
#pragma once

#include <vector>

#include "mpi/partition.hpp"
#include "solvers/matrix.hpp"

namespace b2m::analysis {

// Z-scores every column of `m` within each row range. A column that is
// constant within a range becomes 0 there. Returns, per column, whether it
// had any variance at all (false = constant in every range).
template <class T>
std::vector<bool> zscore_within(solvers::MatrixRef<T> m, const std::vector<mpi::Range>& ranges);

}  // namespace b2m::analysis
