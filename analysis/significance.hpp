// Significance of test correlations for the quick summaries of `encode`:
// one-sided Fisher-z p-values and Benjamini-Hochberg q-values. (The stats
// stage adds permutation nulls; this is the parametric first look.)
#pragma once

#include <cstdint>
#include <vector>

#include "solvers/matrix.hpp"

namespace b2m::analysis {

// P(r >= observed | rho = 0) for a Pearson r over n (effective) samples,
// from atanh(r) * sqrt(n - 3) ~ N(0, 1). NaN r gives NaN.
[[nodiscard]] double fisher_p_value(double r, double n);

// P(r >= observed) for the correlation of two independent Gaussian vectors
// of length n, exactly: r sqrt((n - 2) / (1 - r^2)) follows Student's t
// with n - 2 degrees of freedom. This is the Brain2Music paper's null; it
// takes every test row as independent. NaN r, or n <= 2, gives NaN.
[[nodiscard]] double gaussian_null_p_value(double r, double n);

// P(T >= t) for Student's t with nu > 0 degrees of freedom (through the
// regularized incomplete beta function, DLMF 8.17.22's continued fraction).
[[nodiscard]] double student_t_upper(double t, double nu);

// The null of encode's p_test: b2m's Fisher z over the autocorrelation-
// corrected effective samples, or the paper's independent Gaussian vectors.
enum class TestNull { autocorrelation, gaussian };

// Effective sample count of a correlation between two autocorrelated
// series (Bartlett): n / (1 + 2 sum_k (N_k / n) rho_x(k) rho_y(k)), never
// more than n, over lags k = 1..max_lag. fMRI responses and smooth
// predictions are autocorrelated, and the plain n makes the test far too
// liberal. The series are cut into segments of `segment` rows (the last may
// be shorter) that are independent of each other: test rows are clips
// concatenated in id order, not in presentation order, so the noise of one
// clip's last TR says nothing about the next clip's first. N_k counts the
// pairs at lag k inside a segment, and rho(k) is estimated from those pairs
// only: pooling the pairs across clip boundaries diluted rho_y(k) and
// understated the variance of r by 18% on simulated null voxels.
[[nodiscard]] double effective_samples(const double* x, const double* y, std::size_t n,
                                       std::size_t max_lag, std::size_t segment);

// p_test of encode for each column: with the autocorrelation null,
// fisher_p_value of `r` (the columns' test correlations) over
// effective_samples of prediction and truth, whose rows are test clips of
// `segment` rows; with the Gaussian null, gaussian_null_p_value over the
// rows. NaN where `valid` is false. The lag products work in buffers sized
// once per call, not once per voxel.
template <class T>
[[nodiscard]] Eigen::VectorXd test_p_values(const solvers::ConstMatrixRef<T>& prediction,
                                            const solvers::ConstMatrixRef<T>& truth,
                                            const Eigen::VectorXd& r,
                                            const std::vector<std::uint8_t>& valid,
                                            std::size_t max_lag, std::size_t segment,
                                            TestNull null = TestNull::autocorrelation);

// Benjamini-Hochberg q-values; NaN p-values stay NaN and are not counted.
[[nodiscard]] std::vector<double> fdr_q_values(const std::vector<double>& p);

// A significance mask: 1 where values[v] < level (`below`) or > level
// (otherwise); NaN: 0.
[[nodiscard]] std::vector<std::uint8_t> threshold_mask(const std::vector<double>& values,
                                                       double level, bool below);

}  // namespace b2m::analysis
