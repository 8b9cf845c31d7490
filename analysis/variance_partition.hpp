// Variance partitioning of two or three feature spaces (b2m partition): the
// R^2 of the models of every non-empty subset of the spaces, split into the
// regions of their Venn diagram (Lescroart et al. 2015; de Heer et al. 2017).
//
// Subsets and regions are bit masks over the spaces (bit b: space b), from
// 1 to 2^B - 1. Region T is the variance that exactly the spaces in T
// explain: a single space's region is its unique variance, the region of
// all spaces the variance they share. A subset's model explains every
// region it touches:
//
//   R^2(S) = sum over regions T with T & S != 0 of size(T).        (1)
//
// The 2^B - 1 equations have one exact solution (inclusion-exclusion; for
// two spaces unique_A = R^2(AB) - R^2(B), shared = R^2(A) + R^2(B) - R^2(AB)).
// On noisy R^2 some of those sizes come out negative, which no variance can
// be. The corrected sizes are the non-negative ones whose R^2 through (1)
// lie closest to the measured R^2 in squared error: the post hoc correction
// of de Heer et al. (2017). Both are reported.
#pragma once

#include <cstddef>
#include <vector>

#include "solvers/matrix.hpp"

namespace b2m::analysis {

class VariancePartition {
 public:
  // For `spaces` feature spaces (2 or 3; ConfigError otherwise).
  explicit VariancePartition(std::size_t spaces);

  [[nodiscard]] std::size_t spaces() const { return spaces_; }
  // 2^B - 1: the subsets, and the regions.
  [[nodiscard]] std::size_t masks() const { return masks_; }

  // Region sizes from subset R^2, both indexed by mask - 1. A NaN R^2 gives
  // NaN sizes.
  [[nodiscard]] std::vector<double> exact(const std::vector<double>& subset_r2) const;
  [[nodiscard]] std::vector<double> corrected(const std::vector<double>& subset_r2) const;

  // The R^2 of every subset that region sizes imply, by (1).
  [[nodiscard]] std::vector<double> subset_r2(const std::vector<double>& regions) const;

 private:
  std::size_t spaces_, masks_;
  solvers::Matrix<double> touches_;  // (1): touches_(S - 1, T - 1) = 1 if S & T
  solvers::Matrix<double> inverse_;
  // Per support (a mask over regions; bit T - 1 set: region T may be
  // non-zero), the least-squares solve of (1) on that support.
  std::vector<solvers::Matrix<double>> support_solve_;
};

}  // namespace b2m::analysis
