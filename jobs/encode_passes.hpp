// The passes of one subject's encode over its responses, after the inputs
// are checked and the output opened (encode_job.cpp). Only one fold's factors
// are in memory at a time, so the peak grows neither with the folds nor with
// V:
//
//   1. factorize (encode_factorize.cpp): this rank's folds and the refit,
//      through the solver interface (solvers/ridge_solver.hpp), each parked
//      in a scratch file as soon as it is made (the design is freed after
//      this);
//   2. passes over the responses (encode_scoring.cpp), each scoring as many
//      folds as --factor-memory holds: validation scores per fold and voxel,
//      written to the output's checkpoint (a killed run resumes per fold and
//      block). With several fold groups a group scores its own folds and may
//      hand pieces to groups with fewer factorizations (plan_fold_shares),
//      whose ranks receive those folds' factors;
//   3. single precision only (encode_scoring.cpp): voxels whose best alphas
//      are within float rounding are rescored in double, fold by fold;
//   4. one final pass (encode_finish.cpp): fold scores summed in fold order,
//      alpha chosen, refit, test scores, results written, block marked done;
//      the per-voxel results each rank made (or, resumed, finds done) are
//      gathered for the subject's summary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/decode_samples.hpp"
#include "analysis/significance.hpp"
#include "io/encode_files.hpp"
#include "io/h5_file.hpp"
#include "io/output_file.hpp"
#include "io/responses_file.hpp"
#include "jobs/factor_spill.hpp"
#include "mpi/partition.hpp"
#include "mpi/rank_grid.hpp"
#include "solvers/design_ridge.hpp"
#include "solvers/ridge_cv.hpp"
#include "solvers/ridge_solver.hpp"

namespace b2m::jobs {

// What a subject's passes are given.
struct EncodeSettings {
  std::size_t block_size = 2048;
  std::size_t factor_memory_mb = 256;  // fold factors held at once (MB)
  bool zscore = true;
  bool save_weights = false;
  bool save_predictions = false;  // the test rows predicted and observed, for b2m stats
  analysis::TestNull null = analysis::TestNull::autocorrelation;  // of p_test
};

// The training or the test set of a subject's responses.
enum class Split { train, test };

// The rows the models see: the responses' own rows, or (encode
// --window-samples) decoding samples, each the mean of its scans.
struct ResponseRows {
  io::ResponsesLayout file;                        // the responses as stored
  io::ResponsesLayout model;                       // the rows fitted and scored
  std::optional<analysis::DecodeSamples> samples;  // model rows as means of file rows
};

// The per-voxel results that summarize a subject (encode_summary.hpp), whole
// on the group's root after finish(); empty elsewhere. The ceiling is NaN
// without repetitions.
struct VoxelResults {
  std::vector<double> r, alpha, p, ceiling;
};

// The run-grouped folds of a subject's model rows (an InputError names its
// file `path`), agreed on over `comm`.
[[nodiscard]] std::vector<mpi::Range> subject_folds(const io::ResponsesLayout& layout,
                                                    std::size_t folds, const std::string& path,
                                                    const mpi::Comm& comm);

// The fold groups of a subject's passes: `requested`, or with 0 the count
// plan_fold_groups chooses for p features; a ConfigError naming `verb`
// when more are requested than there are folds.
[[nodiscard]] std::size_t fold_groups_for(std::size_t requested, const io::ResponsesLayout& layout,
                                          const std::vector<mpi::Range>& folds, std::size_t p,
                                          std::size_t alphas, const mpi::Comm& comm,
                                          const std::string& verb);

// Runs (or resumes) one subject's passes into `out`: into its result and
// checkpoint files, or, given a `group`, into that group of its checkpoint
// file (b2m partition runs one set of passes per candidate and keeps their
// results there until it writes its own). Collective over `comm`; T is the
// working precision of the per-voxel products.
template <class T>
class EncodePasses {
 public:
  EncodePasses(const EncodeSettings& settings, const io::H5File& responses,
               const ResponseRows& rows, std::vector<mpi::Range> folds, std::vector<double> alphas,
               const mpi::RankGrid& grid, io::OutputFile& out, const mpi::Comm& comm,
               Eigen::Index features, const std::string& group = "");

  // Creates the output's datasets (a fresh output) and reads what a resumed
  // run has done; returns whether any rank has work left.
  bool plan();
  // Where a design solver may park its design while an eigensolver runs:
  // this rank's scratch file, when the design, a Gram matrix and its vectors
  // would exceed --factor-memory together.
  [[nodiscard]] solvers::DesignRidge::Parking parking();
  // 1. The factorizations, from the solver (which the passes consume: it
  // is freed as soon as this rank needs it no more).
  void factorize(std::unique_ptr<solvers::SpectralSolver> solver);
  // 2. and 3.
  void score_folds();
  void rescore_near_ties();
  // 4.
  [[nodiscard]] VoxelResults finish();
  // 4. without gathering the results: they stay on disk only (b2m
  // partition reads each candidate's back block by block).
  void finish_on_disk();
  // Without work left (plan() false): the results of a complete partial
  // output, for the summary.
  [[nodiscard]] VoxelResults read_results();

 private:
  [[nodiscard]] std::size_t refit_key() const { return folds_.size(); }
  [[nodiscard]] std::size_t design_key() const { return folds_.size() + 1; }
  [[nodiscard]] bool fold_done(std::size_t k, std::size_t block) const {
    return fold_done_[k * blocks_.count() + block] != 0;
  }
  [[nodiscard]] bool needs_pass(std::size_t k) const;
  // Single precision rescores ties on every fold, whatever the checkpoint holds.
  [[nodiscard]] bool needs_factor(std::size_t k) const;

  // Reads and checks columns `cols` of /train/Y or /test/Y, as the
  // model's rows; every collective read is agreed on before the values are
  // checked, so a rank that failed early never leaves its peers inside a
  // collective.
  [[nodiscard]] solvers::Matrix<T> read_checked(Split split, mpi::Range cols) const;
  // The model's rows of file rows `y` of the training or test set.
  [[nodiscard]] solvers::Matrix<T> model_rows(solvers::Matrix<T> y, Split split) const;
  // The same for repetition k of /test/Y_reps.
  [[nodiscard]] solvers::Matrix<T> read_repetition(std::size_t k, mpi::Range cols) const;
  void use_rescored_ties(mpi::Range cols, solvers::Scores& mse, solvers::Scores& r2) const;
  // The factors of fold k (and of the refit) are sent from the group that
  // made them to the fold peers that score a share of them.
  void share_factors(solvers::RidgeFactor refit);
  // Phase 4 of one round: this rank's share of block `todo_[round]` (or an
  // empty share once it has none left), into `results`.
  void finish_round(std::size_t round, const solvers::RidgeRefit<T>& refit, VoxelResults& results,
                    std::vector<std::size_t>& voxels);
  // Every round of phase 4, this rank's results into `results`.
  void finish_rounds(VoxelResults& results, std::vector<std::size_t>& voxels);
  // The results of this rank's shares of blocks done by an earlier run.
  void read_done_blocks(VoxelResults& results, std::vector<std::size_t>& voxels);
  // Gathers every rank's (voxel, result) pairs onto the group's root.
  [[nodiscard]] VoxelResults gather_results(const VoxelResults& mine,
                                            const std::vector<std::size_t>& voxels) const;
  // The columns of block b that this rank finishes (its fold group's part).
  [[nodiscard]] mpi::Range finish_share(std::size_t b) const;

  const EncodeSettings settings_;
  const io::H5File& responses_;
  const ResponseRows& rows_;
  const io::ResponsesLayout& layout_;  // rows_.model
  const std::vector<mpi::Range> folds_;
  const std::vector<double> alphas_;
  const mpi::RankGrid& grid_;
  io::OutputFile& out_;
  io::H5File& results_file_;
  io::EncodeResults results_;
  const bool fresh_;  // the datasets are to be created
  io::ScoreCheckpoint checkpoint_;
  const mpi::Comm& comm_;
  const Eigen::Index p_;
  const mpi::Blocks blocks_;
  FactorSpill spill_;
  std::vector<std::size_t> my_folds_;        // the folds this rank factorizes
  std::vector<Eigen::Index> factor_ranks_;   // per fold: values its factors hold per row
  std::vector<std::vector<double>> shares_;  // folds x groups: who scores what
  std::vector<std::size_t> todo_, done_;     // this voxel group's blocks left and done
  std::size_t rounds_ = 0;
  std::vector<std::uint8_t> fold_done_;  // folds x blocks, from the checkpoint
  // Single precision: voxels rescored in double (ascending) and their scores.
  std::vector<std::size_t> tie_voxels_;
  solvers::Scores tie_mse_, tie_r2_;
};

}  // namespace b2m::jobs
