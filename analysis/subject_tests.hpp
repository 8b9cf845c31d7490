// Tests across subjects of a figure reported as above chance
// (identification, genre agreement; b2m stats): is the subjects' mean
// above chance? Both tests are one-sided, on the differences
// d_i = x_i - chance_i (chance may differ per subject, e.g. the genre mix
// of a corpus):
//
//   t-test        the one-sample t of the d_i, n - 1 degrees of freedom
//                 (assumes the d_i are normal);
//   sign-flip     under H0 each d_i is symmetric about 0, so the 2^n sign
//                 patterns of the d_i are equally likely; p is the share
//                 whose mean is at least the observed one (exact up to 20
//                 subjects, else 2^20 patterns drawn at random). It assumes
//                 no normality, but with n subjects it cannot go below
//                 2^-n (1/32 for the study's 5).
#pragma once

#include <vector>

namespace b2m::analysis {

struct SubjectTest {
  std::size_t subjects = 0;
  double mean = 0, sd = 0;  // of the figure over subjects (sd: n - 1)
  double chance = 0;        // the mean chance level
  double t = 0, p_t = 0;    // NaN with fewer than 2 subjects or sd 0
  double p_sign_flip = 0;
};

[[nodiscard]] SubjectTest test_above_chance(const std::vector<double>& values,
                                            const std::vector<double>& chance);

}  // namespace b2m::analysis
