// Significance of test correlations for the quick summaries of `encode`:
// one-sided Fisher-z p-values and Benjamini-Hochberg q-values. (The stats
// stage adds permutation nulls; this is the parametric first look.)
#pragma once

#include <vector>

namespace b2m::analysis {

// P(r >= observed | rho = 0) for a Pearson r over n (effective) samples,
// from atanh(r) * sqrt(n - 3) ~ N(0, 1). NaN r gives NaN.
[[nodiscard]] double fisher_p_value(double r, double n);

// Effective sample count of a correlation between two autocorrelated
// series (Bartlett): n / (1 + 2 sum_{k=1..max_lag} rho_x(k) rho_y(k)),
// never more than n. fMRI responses and smooth predictions are
// autocorrelated, and the plain n makes the test far too liberal.
[[nodiscard]] double effective_samples(const double* x, const double* y, std::size_t n,
                                       std::size_t max_lag);

// Benjamini-Hochberg q-values; NaN p-values stay NaN and are not counted.
[[nodiscard]] std::vector<double> fdr_q_values(const std::vector<double>& p);

}  // namespace b2m::analysis
