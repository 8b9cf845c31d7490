// Phases 2 and 3 of encode's passes (encode_passes.hpp): the validation
// scores of every fold, and the rescoring of float near-ties in double.
#include <algorithm>

#include "analysis/zscore.hpp"
#include "jobs/encode_passes.hpp"
#include "solvers/ridge_cost.hpp"
#include "solvers/ridge_cv.hpp"

namespace b2m::jobs {

// Passes over this rank's blocks, each scoring a batch of its folds: as
// many as --factor-memory holds (all of them at p = 512, one at a time at
// p = 4,096), so that small problems read the responses once. A fold whose
// scoring is shared is marked done for a block by its owner, in the last
// pass that scores a piece of it, once every piece is on disk.
template <class T>
void EncodePasses<T>::score_folds() {
  const std::size_t groups = grid_.fold_groups(), me = grid_.fold_group();
  std::vector<bool> wanted;
  std::vector<double> bytes;  // each fold's factors in the working precision
  for (std::size_t k = 0; k < folds_.size(); ++k) {
    wanted.push_back(needs_pass(k));
    bytes.push_back(double(factor_ranks_[k]) * double(layout_.n) * double(sizeof(T)));
  }
  const solvers::ScoringPasses plan = solvers::plan_scoring_passes(
      shares_, wanted, bytes, double(settings_.factor_memory_mb) * 1e6);
  const std::vector<std::vector<std::size_t>>& batches = plan.batches[me];
  const std::vector<std::size_t>& last_pass = plan.last_pass;
  // Every rank joins every collective: the same number of passes, and in
  // each the same number of fold slots (empty ones write nothing).
  std::size_t slots = 0;
  for (const auto& batch : batches) slots = std::max(slots, batch.size());
  const std::size_t passes = comm_.allreduce(batches.size(), mpi::Op::max);
  slots = comm_.allreduce(slots, mpi::Op::max);
  solvers::Scores mse, r2;
  for (std::size_t pass = 0; pass < passes; ++pass) {
    const std::vector<std::size_t> batch =
        pass < batches.size() ? batches[pass] : std::vector<std::size_t>{};
    std::vector<solvers::RidgeFold<T>> fold;
    for (std::size_t k : batch)
      fold.emplace_back(solvers::in_precision<T>(spill_.get(k)), folds_[k]);
    for (std::size_t round = 0; round < rounds_; ++round) {
      const bool active = round < todo_.size() &&
                          std::any_of(batch.begin(), batch.end(),
                                      [&](std::size_t k) { return !fold_done(k, todo_[round]); });
      const mpi::Range block = active ? blocks_.block(todo_[round]) : mpi::Range{};
      solvers::Matrix<T> y = read_checked(Split::train, block);
      if (settings_.zscore) static_cast<void>(analysis::zscore_within<T>(y, layout_.runs));
      for (std::size_t slot = 0; slot < slots; ++slot) {
        const bool scored = active && slot < batch.size() && !fold_done(batch[slot], todo_[round]);
        const std::size_t k = scored ? batch[slot] : 0;
        const mpi::Range cols =
            scored ? solvers::share_of_block(shares_[k], me, block) : mpi::Range{};
        const auto width = static_cast<Eigen::Index>(cols.size());
        mse.setZero(long(alphas_.size()), width);
        r2.setZero(long(alphas_.size()), width);
        if (width > 0)
          fold[slot].accumulate(
              y.middleCols(static_cast<Eigen::Index>(cols.begin - block.begin), width), alphas_,
              mse, r2);
        checkpoint_.write(k, cols.begin, mse, r2);
      }
      out_.checkpoint().flush();
      for (std::size_t k = 0; k < folds_.size(); ++k) {
        const bool mark = round < todo_.size() && k % groups == me && pass == last_pass[k] &&
                          !fold_done(k, todo_[round]);
        checkpoint_.mark_done(mark ? std::optional(std::pair{k, todo_[round]}) : std::nullopt);
      }
    }
  }
  out_.checkpoint().flush();
}

// Single precision: rescores in double the voxels whose best alphas are
// within float rounding of each other (from the raw, not yet standardized
// columns), so that single and double runs choose the same alpha. Fold
// peers find the same voxels in the same order, each scores them on its
// own folds, and the sums are added over the peers.
template <class T>
void EncodePasses<T>::rescore_near_ties() {
  if constexpr (std::is_same_v<T, float>) {
    solvers::Matrix<double> chunk(static_cast<Eigen::Index>(layout_.n),
                                  static_cast<Eigen::Index>(settings_.block_size));
    std::size_t used = 0;
    solvers::Scores mse, r2;
    const auto flush = [&] {
      if (used == 0) return;
      const auto width = static_cast<Eigen::Index>(used);
      if (settings_.zscore)
        static_cast<void>(analysis::zscore_within<double>(chunk.leftCols(width), layout_.runs));
      mse.setZero(long(alphas_.size()), width);
      r2.setZero(long(alphas_.size()), width);
      for (std::size_t k : my_folds_) {
        const solvers::RidgeFold<double> fold(spill_.get(k), folds_[k]);
        fold.accumulate(chunk.leftCols(width), alphas_, mse, r2);
      }
      const Eigen::Index at = tie_mse_.cols();
      tie_mse_.conservativeResize(mse.rows(), at + width);
      tie_r2_.conservativeResize(mse.rows(), at + width);
      tie_mse_.rightCols(width) = mse;
      tie_r2_.rightCols(width) = r2;
      used = 0;
    };
    for (std::size_t round = 0; round < rounds_; ++round) {
      const bool active = round < todo_.size();
      const mpi::Range block = active ? blocks_.block(todo_[round]) : mpi::Range{};
      solvers::Scores block_mse, block_r2;
      checkpoint_.summed(block, block_mse, block_r2);
      const solvers::Matrix<float> y_raw = read_checked(Split::train, block);
      const Eigen::VectorXd tolerance =
          solvers::float_tie_tolerance(block_mse, block_r2, folds_.size());
      for (Eigen::Index j : solvers::near_ties(block_mse, tolerance)) {
        chunk.col(static_cast<Eigen::Index>(used++)) = y_raw.col(j).cast<double>();
        tie_voxels_.push_back(block.begin + static_cast<std::size_t>(j));
        if (used == settings_.block_size) flush();
      }
    }
    flush();
    const mpi::Comm& peers = grid_.fold_peers();
    peers.allreduce_in_place(tie_mse_.data(), std::size_t(tie_mse_.size()), mpi::Op::sum);
    peers.allreduce_in_place(tie_r2_.data(), std::size_t(tie_r2_.size()), mpi::Op::sum);
  }
}

template void EncodePasses<float>::score_folds();
template void EncodePasses<double>::score_folds();
template void EncodePasses<float>::rescore_near_ties();
template void EncodePasses<double>::rescore_near_ties();

}  // namespace b2m::jobs
