#include "analysis/subject_tests.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <tuple>

#include "analysis/significance.hpp"
#include "analysis/summary_stats.hpp"
#include "core/error.hpp"

namespace b2m::analysis {
namespace {

constexpr std::size_t kExactSubjects = 20;

// Share of sign patterns s of `d` with sum_i s_i d_i >= sum_i d_i.
double sign_flip_p(const std::vector<double>& d) {
  double observed = 0;
  for (double x : d) observed += x;
  // Sums are compared with a relative margin: a pattern that flips only
  // zeros ties with the observed sum exactly, others by round-off.
  const double margin = 1e-12 * (std::abs(observed) + 1);
  const auto flipped_sum = [&](std::uint64_t pattern) {
    double s = 0;
    for (std::size_t i = 0; i < d.size(); ++i) s += (pattern >> i & 1u) != 0 ? -d[i] : d[i];
    return s;
  };
  if (d.size() <= kExactSubjects) {
    const std::uint64_t patterns = std::uint64_t{1} << d.size();
    std::uint64_t at_least = 0;
    for (std::uint64_t s = 0; s < patterns; ++s) at_least += flipped_sum(s) >= observed - margin;
    return double(at_least) / double(patterns);
  }
  // Random patterns (the observed one counted as one of them).
  std::mt19937_64 rng(20260601);
  const std::uint64_t draws = std::uint64_t{1} << kExactSubjects;
  std::uint64_t at_least = 1;
  for (std::uint64_t k = 0; k < draws; ++k) {
    double s = 0;
    for (double x : d) s += (rng() & 1u) != 0 ? -x : x;
    at_least += s >= observed - margin;
  }
  return double(at_least) / double(draws + 1);
}

}  // namespace

SubjectTest test_above_chance(const std::vector<double>& values,
                              const std::vector<double>& chance) {
  if (values.size() != chance.size())
    throw ConfigError("test_above_chance: a chance level per value is needed");
  SubjectTest out;
  out.subjects = values.size();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (values.empty()) {
    out.mean = out.sd = out.chance = out.t = out.p_t = out.p_sign_flip = nan;
    return out;
  }
  std::vector<double> d;
  for (std::size_t i = 0; i < values.size(); ++i) d.push_back(values[i] - chance[i]);
  std::tie(out.mean, out.sd) = mean_sd(values);
  out.chance = mean_finite(chance);
  const auto [d_mean, d_sd] = mean_sd(d);
  const double n = double(d.size());
  out.t = d.size() >= 2 && d_sd > 0 ? d_mean / (d_sd / std::sqrt(n)) : nan;
  out.p_t = std::isnan(out.t) ? nan : student_t_upper(out.t, n - 1);
  out.p_sign_flip = sign_flip_p(d);
  return out;
}

}  // namespace b2m::analysis
