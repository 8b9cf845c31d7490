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
// For results computed to be written: HDF5 datasets are row-major.
template <class T>
using RowMajorMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Validation scores of many targets: candidates (alphas) x targets,
// row-major, the layout in which encode's checkpoint stores a fold's scores
// ([fold, alpha, voxel]), so a block's scores are written as computed.
using Scores = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

}  // namespace b2m::solvers
