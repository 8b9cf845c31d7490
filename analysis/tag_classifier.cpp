#include "analysis/tag_classifier.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"

namespace b2m::analysis {

TagClassifier::TagClassifier(const solvers::Matrix<double>& x, const std::vector<int>& labels,
                             int classes, double ridge)
    : classes_(classes), ridge_(std::size_t(x.cols()), std::size_t(std::max(classes, 1))) {
  if (classes < 2) throw ConfigError("TagClassifier: needs at least two classes");
  if (std::size_t(x.rows()) != labels.size())
    throw ConfigError("TagClassifier: " + std::to_string(x.rows()) + " rows for " +
                      std::to_string(labels.size()) + " labels");
  solvers::Matrix<double> y = solvers::Matrix<double>::Zero(classes, x.rows());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= classes)
      throw ConfigError("TagClassifier: label " + std::to_string(labels[i]) + " outside 0.." +
                        std::to_string(classes - 1));
    y(labels[i], Eigen::Index(i)) = 1;
  }
  ridge_.add(x.transpose(), y);
  ridge_.fit(mpi::Comm::self(), ridge);
}

std::vector<int> TagClassifier::predict(const solvers::Matrix<double>& x) const {
  std::vector<int> out;
  const solvers::Matrix<double> rows = x.transpose();  // a row's values contiguous
  for (Eigen::Index i = 0; i < rows.cols(); ++i) {
    Eigen::Index best = 0;
    ridge_.predict(rows.col(i).data()).maxCoeff(&best);
    out.push_back(int(best));
  }
  return out;
}

std::size_t min_cross_validation_rows(std::size_t dim, int folds) {
  const std::size_t k = std::size_t(std::max(folds, 2));
  std::size_t rows = dim + 1;
  while (rows - (rows + k - 1) / k < dim + 1) ++rows;
  return rows;
}

double cross_validated_accuracy(const solvers::Matrix<double>& x, const std::vector<int>& labels,
                                int classes, int folds) {
  if (folds < 2 || std::size_t(x.rows()) < std::size_t(folds))
    throw ConfigError("cross_validated_accuracy: needs at least 2 folds and a row per fold");
  std::size_t right = 0;
  for (int f = 0; f < folds; ++f) {
    std::vector<Eigen::Index> train, test;
    for (Eigen::Index i = 0; i < x.rows(); ++i) (i % folds == f ? test : train).push_back(i);
    std::vector<int> train_labels;
    for (Eigen::Index i : train) train_labels.push_back(labels.at(std::size_t(i)));
    const TagClassifier c(x(train, Eigen::all), train_labels, classes);
    const std::vector<int> got = c.predict(x(test, Eigen::all));
    for (std::size_t j = 0; j < test.size(); ++j)
      right += got[j] == labels.at(std::size_t(test[j])) ? 1 : 0;
  }
  return double(right) / double(x.rows());
}

}  // namespace b2m::analysis
