// Phase 4 of encode's passes (encode_passes.hpp): alphas, refit, test
// scores and results, block by block.
#include "analysis/noise_ceiling.hpp"
#include "analysis/scores.hpp"
#include "analysis/significance.hpp"
#include "analysis/zscore.hpp"
#include "jobs/encode_passes.hpp"
#include "solvers/ridge_cv.hpp"

namespace b2m::jobs {
namespace {

// Lags (in test rows) of the autocorrelation correction of p_test.
constexpr std::size_t kMaxLag = 20;

}  // namespace

template <class T>
VoxelResults EncodePasses<T>::finish() {
  VoxelResults mine;
  std::vector<std::size_t> voxels;
  finish_rounds(mine, voxels);
  read_done_blocks(mine, voxels);
  return gather_results(mine, voxels);
}

template <class T>
void EncodePasses<T>::finish_on_disk() {
  VoxelResults mine;
  std::vector<std::size_t> voxels;
  finish_rounds(mine, voxels);
}

template <class T>
void EncodePasses<T>::finish_rounds(VoxelResults& results, std::vector<std::size_t>& voxels) {
  const solvers::RidgeRefit<T> refit(solvers::in_precision<T>(spill_.get(refit_key())));
  for (std::size_t round = 0; round < rounds_; ++round) finish_round(round, refit, results, voxels);
}

// Each fold peer finishes its share of the block; the block is marked done
// once every share is on disk.
template <class T>
void EncodePasses<T>::finish_round(std::size_t round, const solvers::RidgeRefit<T>& refit,
                                   VoxelResults& results, std::vector<std::size_t>& voxels) {
  const bool active = round < todo_.size();
  const mpi::Range share = active ? finish_share(todo_[round]) : mpi::Range{};
  solvers::Matrix<T> y_train = read_checked(Split::train, share);
  solvers::Matrix<T> y_test = read_checked(Split::test, share);
  const auto width = static_cast<Eigen::Index>(share.size());
  std::vector<std::uint8_t> valid(share.size(), 1);
  if (settings_.zscore) {
    const std::vector<bool> varies = analysis::zscore_within<T>(y_train, layout_.runs);
    for (std::size_t j = 0; j < valid.size(); ++j) valid[j] = varies[j] ? 1 : 0;
    static_cast<void>(analysis::zscore_within<T>(y_test, {{0, layout_.m}}));
  } else {
    for (Eigen::Index j = 0; j < width; ++j)
      valid[std::size_t(j)] = (y_train.col(j).array() != y_train(0, j)).any() ? 1 : 0;
  }
  solvers::Scores mse, r2;
  checkpoint_.summed(share, mse, r2);
  use_rescored_ties(share, mse, r2);
  Eigen::VectorXd alpha(width), cv_score(width);
  solvers::choose_alphas(mse, r2, folds_.size(), alphas_, valid, alpha, cv_score);

  solvers::Matrix<T> prediction;
  solvers::RowMajorMatrix<T> weights;
  refit.fit(y_train, alpha, prediction, settings_.save_weights ? &weights : nullptr);
  const std::size_t clip_rows = layout_.test_clip_rows != 0 ? layout_.test_clip_rows : layout_.m;
  Eigen::VectorXd r = analysis::pearson_r<T>(prediction, y_test);
  Eigen::VectorXd r2_test = analysis::r_squared<T>(prediction, y_test);
  const Eigen::VectorXd p =
      analysis::test_p_values<T>(prediction, y_test, r, valid, kMaxLag, clip_rows, settings_.null);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (Eigen::Index j = 0; j < width; ++j)
    if (!valid[std::size_t(j)]) r(j) = r2_test(j) = nan;
  io::VoxelColumns columns{alpha.data(),   cv_score.data(), r.data(),
                           r2_test.data(), p.data(),        valid.data()};
  analysis::NoiseCeiling ceiling{Eigen::VectorXd::Constant(width, nan),
                                 Eigen::VectorXd::Constant(width, nan)};
  Eigen::VectorXd normalized = Eigen::VectorXd::Constant(width, nan);
  if (results_.has_ceiling()) {
    std::vector<solvers::Matrix<double>> reps;
    for (std::size_t k = 0; k < layout_.repetitions; ++k)
      reps.push_back(read_repetition(k, share).template cast<double>());
    if (width > 0) {
      ceiling = analysis::noise_ceiling(reps);
      normalized = analysis::normalized_r(r, ceiling.ceiling);
    }
    columns.explainable_variance = ceiling.explainable_variance.data();
    columns.noise_ceiling = ceiling.ceiling.data();
    columns.r_normalized = normalized.data();
  }

  // Write this rank's share, then mark the block done once it is on disk.
  results_.write(share, columns);
  if (settings_.save_weights) results_.write_weights<T>(share.begin, weights);
  if (settings_.save_predictions) results_.write_test_rows<T>(share.begin, prediction, y_test);
  results_file_.flush();
  const bool marker = active && grid_.fold_group() == 0;
  results_.mark_done(marker ? std::optional(todo_[round]) : std::nullopt);
  results_file_.flush();
  results.r.insert(results.r.end(), r.data(), r.data() + width);
  results.alpha.insert(results.alpha.end(), alpha.data(), alpha.data() + width);
  results.p.insert(results.p.end(), p.data(), p.data() + width);
  results.ceiling.insert(results.ceiling.end(), ceiling.ceiling.data(),
                         ceiling.ceiling.data() + width);
  for (std::size_t v = share.begin; v < share.end; ++v) voxels.push_back(v);
}

template VoxelResults EncodePasses<float>::finish();
template VoxelResults EncodePasses<double>::finish();
template void EncodePasses<float>::finish_on_disk();
template void EncodePasses<double>::finish_on_disk();
template void EncodePasses<float>::finish_round(std::size_t, const solvers::RidgeRefit<float>&,
                                                VoxelResults&, std::vector<std::size_t>&);
template void EncodePasses<double>::finish_round(std::size_t, const solvers::RidgeRefit<double>&,
                                                 VoxelResults&, std::vector<std::size_t>&);

}  // namespace b2m::jobs
