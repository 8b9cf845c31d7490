// Judging reconstructions against the clips they rebuild, in an embedder's
// space (issue 18; Brain2Music's evaluation of its reconstructions):
//
//   identification  per reconstruction i, the fraction of the other
//                   stimuli j with corr(rec_i, stim_i) > corr(rec_i, stim_j)
//                   (identification.hpp), on embeddings z-scored with a
//                   reference pool's per-dimension mean and sd, so that no
//                   loud dimension (a log energy) outweighs the rest;
//   tag agreement   per tag, the fraction of reconstructions a classifier
//                   fitted on the pool (tag_classifier.hpp) puts in the class
//                   it puts their stimulus in. The classifier's own held-out
//                   accuracy on the pool is the ceiling agreement is read
//                   against: what the embedder lets one tell apart at all;
//                   its pairing chance, what agreement a generator unrelated
//                   to its input gets with the same mix of classes.
#pragma once

#include <string>
#include <vector>

#include "analysis/tag_classifier.hpp"
#include "solvers/matrix.hpp"

namespace b2m::analysis {

// A tag of the pool's clips: a class per clip, in 0..classes-1.
struct PoolTag {
  std::string name;
  std::vector<int> labels;
  int classes = 0;
};

// What judge() finds for a set of reconstructions.
struct Verdict {
  std::vector<double> identification;  // per row
  double mean_identification = 0;
  // Per tag: the class of each reconstruction and of each stimulus, the
  // fraction of rows where they agree, and the agreement expected if the
  // rows were paired at random (sum over classes of the product of their
  // frequencies among reconstructions and among stimuli): the null of a
  // generator whose output is unrelated to its input, whatever the mix of
  // classes it makes.
  std::vector<std::vector<int>> reconstruction_class, stimulus_class;
  std::vector<double> agreement, pairing_chance;
};

class ReconstructionJudge {
 public:
  // `pool`: clips x dimensions. Fits a classifier per tag and measures its
  // accuracy by `folds`-fold cross-validation. ConfigError for a pool too
  // small for the dimension or a tag of one class.
  // Without `scale_by_pool`, identification correlates the raw
  // embeddings (as the paper correlated MuLan embeddings).
  ReconstructionJudge(const solvers::Matrix<double>& pool, const std::vector<PoolTag>& tags,
                      int folds = 5, bool scale_by_pool = true);

  [[nodiscard]] std::size_t tags() const { return classifiers_.size(); }
  // The held-out accuracy of tag t's classifier on the pool.
  [[nodiscard]] double ceiling(std::size_t t) const { return ceilings_.at(t); }
  // The class tag t's classifier gives each row of `x`.
  [[nodiscard]] std::vector<int> classify(std::size_t t, const solvers::Matrix<double>& x) const {
    return classifiers_.at(t).predict(x);
  }

  // Row i of `reconstructions` rebuilds row i of `stimuli` (at least two
  // rows, one dimension with the pool).
  [[nodiscard]] Verdict judge(const solvers::Matrix<double>& reconstructions,
                              const solvers::Matrix<double>& stimuli) const;

 private:
  [[nodiscard]] solvers::Matrix<double> scaled(const solvers::Matrix<double>& x) const;

  Eigen::RowVectorXd mean_, inv_sd_;
  std::vector<TagClassifier> classifiers_;
  std::vector<int> classes_;
  std::vector<double> ceilings_;
};

}  // namespace b2m::analysis
