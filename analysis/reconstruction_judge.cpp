#include "analysis/reconstruction_judge.hpp"

#include <cmath>

#include "analysis/identification.hpp"
#include "core/error.hpp"

namespace b2m::analysis {

ReconstructionJudge::ReconstructionJudge(const solvers::Matrix<double>& pool,
                                         const std::vector<PoolTag>& tags, int folds,
                                         bool scale_by_pool) {
  if (pool.rows() < 2) throw ConfigError("ReconstructionJudge: the pool needs at least two clips");
  mean_ = pool.colwise().mean();
  const Eigen::RowVectorXd sd =
      ((pool.rowwise() - mean_).array().square().colwise().sum() / double(pool.rows())).sqrt();
  // A dimension constant over the pool carries nothing: weight 0.
  inv_sd_ = sd.unaryExpr([](double s) { return s > 0 ? 1 / s : 0.0; });
  if (!scale_by_pool) {
    mean_.setZero();
    inv_sd_.setOnes();
  }
  for (const PoolTag& t : tags) {
    try {
      classifiers_.emplace_back(pool, t.labels, t.classes);
      classes_.push_back(t.classes);
      ceilings_.push_back(cross_validated_accuracy(pool, t.labels, t.classes, folds));
    } catch (const ConfigError& e) {
      throw ConfigError("the " + t.name + " classifier: " + e.what());
    }
  }
}

solvers::Matrix<double> ReconstructionJudge::scaled(const solvers::Matrix<double>& x) const {
  return ((x.rowwise() - mean_).array().rowwise() * inv_sd_.array()).matrix();
}

Verdict ReconstructionJudge::judge(const solvers::Matrix<double>& reconstructions,
                                   const solvers::Matrix<double>& stimuli) const {
  if (reconstructions.rows() != stimuli.rows() || reconstructions.cols() != mean_.size() ||
      stimuli.cols() != mean_.size())
    throw ConfigError("ReconstructionJudge: " + std::to_string(reconstructions.rows()) + " x " +
                      std::to_string(reconstructions.cols()) + " reconstructions for " +
                      std::to_string(stimuli.rows()) + " x " + std::to_string(stimuli.cols()) +
                      " stimuli, pool dimension " + std::to_string(mean_.size()));
  Verdict v;
  v.identification = identification_accuracy(scaled(reconstructions), scaled(stimuli));
  double sum = 0;
  for (double a : v.identification) sum += a;
  v.mean_identification = sum / double(v.identification.size());
  for (std::size_t t = 0; t < classifiers_.size(); ++t) {
    v.reconstruction_class.push_back(classify(t, reconstructions));
    v.stimulus_class.push_back(classify(t, stimuli));
    const std::vector<int>& rec = v.reconstruction_class[t];
    const std::vector<int>& stim = v.stimulus_class[t];
    const double n = double(stim.size());
    std::size_t same = 0;
    std::vector<double> rec_count(std::size_t(classes_.at(t)), 0.0), stim_count = rec_count;
    for (std::size_t i = 0; i < stim.size(); ++i) {
      same += rec[i] == stim[i] ? 1 : 0;
      rec_count[std::size_t(rec[i])] += 1;
      stim_count[std::size_t(stim[i])] += 1;
    }
    v.agreement.push_back(double(same) / n);
    double pairing = 0;
    for (std::size_t k = 0; k < rec_count.size(); ++k) pairing += rec_count[k] * stim_count[k];
    v.pairing_chance.push_back(pairing / (n * n));
  }
  return v;
}

}  // namespace b2m::analysis
