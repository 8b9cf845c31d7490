// The classifier b2m evaluate judges a reconstruction's tags with (genre,
// instrument, mood; issue 18): fitted on corpus clips' embeddings and their
// tags, so that agreement between a reconstruction and its stimulus is
// measured in what the embedder hears. Its own held-out accuracy is the
// ceiling that agreement is read against.
//
// A least-squares classifier: a standardized ridge regression
// (standardized_ridge.hpp) on the one-hot code of the class; the class of
// the largest predicted score wins.
#pragma once

#include <vector>

#include "analysis/standardized_ridge.hpp"
#include "solvers/matrix.hpp"

namespace b2m::analysis {

class TagClassifier {
 public:
  // Fits on the rows of `x` (n x d) with labels in 0..classes-1.
  // ConfigError for a label out of range, too few rows or a constant
  // dimension.
  TagClassifier(const solvers::Matrix<double>& x, const std::vector<int>& labels, int classes,
                double ridge = 1e-2);

  // The class of each row of `x`.
  [[nodiscard]] std::vector<int> predict(const solvers::Matrix<double>& x) const;

 private:
  int classes_;
  StandardizedRidge ridge_;
};

// The held-out accuracy of the classifier: row i is predicted by the fit
// on the rows of the other `folds` - 1 folds (i mod folds); the fraction
// right over all rows.
// The fewest rows cross_validated_accuracy can fit on with `dim` inputs:
// every fit holds the rows of all folds but one (the largest), and needs
// dim + 1 of them.
[[nodiscard]] std::size_t min_cross_validation_rows(std::size_t dim, int folds = 5);

[[nodiscard]] double cross_validated_accuracy(const solvers::Matrix<double>& x,
                                              const std::vector<int>& labels, int classes,
                                              int folds = 5);

}  // namespace b2m::analysis
