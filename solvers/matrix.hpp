// Eigen types shared by the numerics. Column-major throughout: one voxel (or
// one target) is one contiguous column.
#pragma once

#include <Eigen/Dense>

namespace b2m::solvers {

template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <class T>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <class T>
using ConstMatrixRef = Eigen::Ref<const Matrix<T>>;
template <class T>
using MatrixRef = Eigen::Ref<Matrix<T>>;

}  // namespace b2m::solvers
