#include "jobs/encode_passes.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>

#include "analysis/scores.hpp"
#include "analysis/significance.hpp"
#include "analysis/zscore.hpp"
#include "jobs/factor_spill.hpp"
#include "jobs/study_files.hpp"
#include "mpi/agree.hpp"
#include "solvers/ridge_cost.hpp"
#include "solvers/ridge_cv.hpp"

namespace b2m::jobs {
namespace {

using solvers::Matrix;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Per-voxel results of one block slice.
struct SliceResult {
  std::vector<double> alpha, cv_score, r_test, r2_test, p_test;
  std::vector<std::uint8_t> valid;
};

const char* const kResultSets[] = {"/voxels/alpha", "/voxels/cv_score", "/voxels/r_test",
                                   "/voxels/r2_test", "/voxels/p_test"};
// Lags (in test rows) of the autocorrelation correction of p_test.
constexpr std::size_t kMaxLag = 20;

// Sends the factor `f` from `root` to every rank of `peers`, whose `f` takes
// its shape.
void bcast_factor(const mpi::Comm& peers, solvers::RidgeFactor& f, int root) {
  FactorShape shape = factor_shape(f);
  peers.bcast(shape.data(), shape.size(), root);
  if (peers.rank() != root) resize_factor(f, shape);
  for (auto* part : {&f.right_t, &f.left, &f.weights_left})
    peers.bcast(part->data(), static_cast<std::size_t>(part->size()), root);
  peers.bcast(f.lambda.data(), static_cast<std::size_t>(f.lambda.size()), root);
}

// One subject's passes (encode_passes.hpp).
template <class T>
class SubjectPasses {
 public:
  SubjectPasses(const EncodeOptions& o, const Subject& subject, const ResponsesLayout& layout,
                const std::vector<mpi::Range>& folds, const std::vector<double>& alphas,
                const mpi::RankGrid& grid, io::OutputFile& out, const io::H5File& responses,
                const mpi::Comm& comm, std::size_t p)
      : o_(o),
        subject_(subject),
        layout_(layout),
        folds_(folds),
        alphas_(alphas),
        grid_(grid),
        out_(out),
        responses_(responses),
        comm_(comm),
        p_(static_cast<Eigen::Index>(p)),
        blocks_(layout.voxels, o.block_size),
        spill_(out.partial_path() + ".factors." + std::to_string(comm.rank())) {
    for (std::size_t k = grid.fold_group(); k < folds.size(); k += grid.fold_groups())
      my_folds_.push_back(k);
    const std::size_t voxel_groups = grid.voxel_groups();
    shares_ = solvers::plan_fold_shares(layout.n, layout.m, folds, p, alphas.size(),
                                        (layout.voxels + voxel_groups - 1) / voxel_groups,
                                        grid.fold_groups());
  }

  void create_datasets() {
    const auto p = static_cast<std::size_t>(p_);
    io::H5File& f = out_.file();
    for (const char* set : kResultSets) f.create<double>(set, {layout_.voxels});
    f.create<std::uint8_t>("/voxels/valid", {layout_.voxels});
    f.write_attribute("/voxels", "alphas", alphas_);
    if (o_.save_weights) f.create<T>("/weights", {p, layout_.voxels});
    f.create<std::uint8_t>("/progress/blocks_done", {blocks_.count()});
    f.flush();
    io::H5File& c = out_.checkpoint();
    const std::size_t folds = folds_.size(), n_alphas = alphas_.size();
    c.create<double>("/cv/mse", {folds, n_alphas, layout_.voxels});
    c.create<double>("/cv/r2", {folds, n_alphas, layout_.voxels});
    c.create<std::uint8_t>("/cv/done", {folds, blocks_.count()});
    c.flush();
  }

  // Reads what a resumed run has done; returns whether any rank has work.
  bool plan() {
    const std::vector<std::uint8_t> done =
        out_.file().read_all<std::uint8_t>("/progress/blocks_done");
    fold_done_ = out_.checkpoint().read_all<std::uint8_t>("/cv/done");
    for (std::size_t b : blocks_.owned_by(grid_.voxel_group(), grid_.voxel_groups()))
      if (!done[b]) todo_.push_back(b);
    rounds_ = comm_.allreduce(todo_.size(), mpi::Op::max);
    return rounds_ > 0;
  }

  // 1. Factorizations, in double (ridge_factor.hpp). At large p the design is
  // parked in the scratch file while the eigensolver holds a Gram matrix and
  // its vectors, so that the three (each about 130-160 MB at p = 4,096) are
  // never in memory together; the refit consumes it.
  void factorize(Matrix<double> x_train, const Matrix<double>& x_test) {
    const auto eigen_parked = [&](Matrix<double> gram) {
      // Parking costs writing and reading X: worth it only when X, the Gram
      // matrix and its vectors would exceed --factor-memory together (at
      // p = 4,096, not at p = 512).
      const double bytes = double(sizeof(double)) * double(2 * gram.size() + x_train.size());
      const bool park = bytes > double(o_.factor_memory_mb) * 1e6;
      if (park) spill_.park(design_key(), x_train);
      solvers::SymmetricEigen eig = solvers::symmetric_eigen(gram);
      gram.resize(0, 0);
      if (park) spill_.restore(design_key(), x_train);
      return eig;
    };
    // The refit's factors. With several fold groups one group factorizes
    // them, the first with fewer folds than the others (fold group g holds
    // folds g, g + G, ...), and broadcasts them to its fold peers, so that no
    // group does more factorizations than the busiest one already does.
    const std::size_t groups = grid_.fold_groups();
    const std::size_t owner = groups == 1 ? 0 : solvers::refit_owner(folds_.size(), groups);
    solvers::RidgeFactor f;
    // One agreement for all of a rank's factorizations: the refit's owner must
    // go on to the refit without waiting for the other groups' folds (a
    // synchronization there cost 15 s of 118 at p = 4,096 on 2 ranks).
    mpi::agree_on(comm_, [&] {
      for (std::size_t k : my_folds_) {
        if (!needs_factor(k)) continue;
        const mpi::Range val = folds_[k];
        solvers::SymmetricEigen eig = eigen_parked(solvers::ridge_gram(x_train, val));
        // (a view made before parking would point at the freed storage)
        const auto x_val = x_train.middleRows(static_cast<Eigen::Index>(val.begin),
                                              static_cast<Eigen::Index>(val.size()));
        spill_.put(k, solvers::ridge_factor(x_train, val, x_val, std::move(eig), false));
      }
      if (grid_.fold_group() != owner) {
        x_train.resize(0, 0);
        return;
      }
      solvers::SymmetricEigen eig = eigen_parked(solvers::ridge_gram(x_train, {}));
      f = solvers::ridge_factor(std::move(x_train), x_test, std::move(eig), o_.save_weights);
    });
    // Fold peers are ranked by fold group.
    const mpi::Comm& peers = grid_.fold_peers();
    if (groups > 1) bcast_factor(peers, f, static_cast<int>(owner));
    spill_.put(refit_key(), f);
    f = {};
    // The folds whose scoring other groups share (plan_fold_shares).
    const std::size_t me = grid_.fold_group();
    for (std::size_t k = 0; k < folds_.size(); ++k) {
      const std::vector<double>& share = shares_[k];
      bool shared = false;
      for (std::size_t g = 0; g < groups; ++g) shared = shared || (g != k % groups && share[g] > 0);
      if (!shared || !needs_pass(k)) continue;
      if (k % groups == me) f = spill_.get(k);
      bcast_factor(peers, f, static_cast<int>(k % groups));
      if (k % groups != me && share[me] > 0) spill_.put(k, f);
      f = {};
    }
  }

  // 2. Passes over this rank's blocks, each scoring a batch of its folds:
  // as many as --factor-memory holds (all of them at p = 512, one at a time
  // at p = 4,096), so that small problems read the responses once.
  // A fold whose scoring is shared is marked done for a block by its owner,
  // in the last pass that scores a piece of it, once every piece is on disk.
  void score_folds() {
    const std::size_t groups = grid_.fold_groups(), me = grid_.fold_group();
    std::vector<std::size_t> last_pass(folds_.size(), 0);
    std::vector<std::vector<std::size_t>> batches;
    for (std::size_t g = 0; g < groups; ++g) {
      std::vector<std::vector<std::size_t>> theirs = batches_of(g);
      for (std::size_t pass = 0; pass < theirs.size(); ++pass)
        for (std::size_t k : theirs[pass]) last_pass[k] = std::max(last_pass[k], pass);
      if (g == me) batches = std::move(theirs);
    }
    // Every rank joins every collective: the same number of passes, and in
    // each the same number of fold slots (empty ones write nothing).
    std::size_t slots = 0;
    for (const auto& batch : batches) slots = std::max(slots, batch.size());
    const std::size_t passes = comm_.allreduce(batches.size(), mpi::Op::max);
    slots = comm_.allreduce(slots, mpi::Op::max);
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
        Matrix<T> y = read_checked("/train/Y", layout_.n, block);
        if (o_.zscore) static_cast<void>(analysis::zscore_within<T>(y, layout_.runs));
        io::H5File& c = out_.checkpoint();
        for (std::size_t slot = 0; slot < slots; ++slot) {
          const bool scored =
              active && slot < batch.size() && !fold_done(batch[slot], todo_[round]);
          const std::size_t k = scored ? batch[slot] : 0;
          const mpi::Range cols =
              scored ? solvers::share_of_block(shares_[k], me, block) : mpi::Range{};
          const auto width = static_cast<Eigen::Index>(cols.size());
          Eigen::MatrixXd mse = Eigen::MatrixXd::Zero(long(alphas_.size()), width);
          Eigen::MatrixXd r2 = mse;
          if (width > 0)
            fold[slot].accumulate(
                y.middleCols(static_cast<Eigen::Index>(cols.begin - block.begin), width), alphas_,
                mse, r2);
          write_fold_scores(k, cols, mse, r2);
        }
        c.flush();
        for (std::size_t k = 0; k < folds_.size(); ++k) {
          const bool mark = round < todo_.size() && k % groups == me && pass == last_pass[k] &&
                            !fold_done(k, todo_[round]);
          const std::uint8_t one = 1;
          c.write<std::uint8_t>("/cv/done", {mark ? k : 0, mark ? todo_[round] : 0},
                                {mark ? 1u : 0u, mark ? 1u : 0u}, &one);
        }
      }
    }
    out_.checkpoint().flush();
  }

  // 3. Single precision: rescores in double the voxels whose best alphas are
  // within float rounding of each other (from the raw, not yet standardized
  // columns), so that single and double runs choose the same alpha. Fold
  // peers find the same voxels in the same order, each scores them on its
  // own folds, and the sums are added over the peers.
  void rescore_near_ties() {
    if constexpr (std::is_same_v<T, float>) {
      Matrix<double> chunk(static_cast<Eigen::Index>(layout_.n),
                           static_cast<Eigen::Index>(o_.block_size));
      std::size_t used = 0;
      const auto flush = [&] {
        if (used == 0) return;
        const auto width = static_cast<Eigen::Index>(used);
        if (o_.zscore)
          static_cast<void>(analysis::zscore_within<double>(chunk.leftCols(width), layout_.runs));
        Eigen::MatrixXd mse = Eigen::MatrixXd::Zero(long(alphas_.size()), width), r2 = mse;
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
        Eigen::MatrixXd mse, r2;
        summed_fold_scores(block, mse, r2);
        const Matrix<float> y_raw = read_checked("/train/Y", layout_.n, block);
        const Eigen::VectorXd tolerance = solvers::float_tie_tolerance(mse, r2, folds_.size());
        for (Eigen::Index j : solvers::near_ties(mse, tolerance)) {
          chunk.col(static_cast<Eigen::Index>(used++)) = y_raw.col(j).cast<double>();
          tie_voxels_.push_back(block.begin + static_cast<std::size_t>(j));
          if (used == o_.block_size) flush();
        }
      }
      flush();
      const mpi::Comm& peers = grid_.fold_peers();
      peers.allreduce_in_place(tie_mse_.data(), std::size_t(tie_mse_.size()), mpi::Op::sum);
      peers.allreduce_in_place(tie_r2_.data(), std::size_t(tie_r2_.size()), mpi::Op::sum);
    }
  }

  // 4. Alphas, refit, test scores and results, block by block.
  void finish() {
    const solvers::RidgeRefit<T> refit(solvers::in_precision<T>(spill_.get(refit_key())));
    const std::vector<mpi::Range> all_test = {{0, layout_.m}};
    const auto n_folds = double(folds_.size());
    io::H5File& f = out_.file();
    Matrix<T> prediction, weights;
    for (std::size_t round = 0; round < rounds_; ++round) {
      const bool active = round < todo_.size();
      const mpi::Range block = active ? blocks_.block(todo_[round]) : mpi::Range{};
      // Each fold peer finishes its share of the block.
      const mpi::Range part =
          active ? mpi::even_part(block.size(), grid_.fold_groups(), grid_.fold_group())
                 : mpi::Range{};
      const mpi::Range share = {block.begin + part.begin, block.begin + part.end};
      Matrix<T> y_train = read_checked("/train/Y", layout_.n, share);
      Matrix<T> y_test = read_checked("/test/Y", layout_.m, share);
      const auto width = static_cast<Eigen::Index>(share.size());
      std::vector<bool> varies(share.size(), true);
      if (o_.zscore) {
        varies = analysis::zscore_within<T>(y_train, layout_.runs);
        static_cast<void>(analysis::zscore_within<T>(y_test, all_test));
      } else {
        for (Eigen::Index j = 0; j < width; ++j)
          varies[std::size_t(j)] = (y_train.col(j).array() != y_train(0, j)).any();
      }
      Eigen::MatrixXd mse, r2;
      summed_fold_scores(share, mse, r2);
      use_rescored_ties(share, mse, r2);

      SliceResult res;
      Eigen::VectorXd alpha(width);
      for (Eigen::Index j = 0; j < width; ++j) {
        const bool valid = varies[std::size_t(j)];
        const Eigen::Index best = solvers::best_alpha(mse.col(j));
        res.valid.push_back(valid ? 1 : 0);
        alpha(j) = valid ? alphas_[std::size_t(best)] : kNaN;
        res.alpha.push_back(alpha(j));
        res.cv_score.push_back(valid ? r2(best, j) / n_folds : kNaN);
      }
      refit.fit(y_train, alpha, prediction, o_.save_weights ? &weights : nullptr);
      const Eigen::VectorXd r = analysis::pearson_r<T>(prediction, y_test);
      const Eigen::VectorXd r2_test = analysis::r_squared<T>(prediction, y_test);
      for (Eigen::Index j = 0; j < width; ++j) {
        const bool valid = res.valid[std::size_t(j)] != 0;
        res.r_test.push_back(valid ? r(j) : kNaN);
        res.r2_test.push_back(valid ? r2_test(j) : kNaN);
        const Eigen::VectorXd pred = prediction.col(j).template cast<double>();
        const Eigen::VectorXd truth = y_test.col(j).template cast<double>();
        const double n_eff = analysis::effective_samples(
            pred.data(), truth.data(), layout_.m, kMaxLag,
            layout_.test_clip_rows != 0 ? layout_.test_clip_rows : layout_.m);
        res.p_test.push_back(valid ? analysis::fisher_p_value(r(j), n_eff) : kNaN);
      }

      // Write this rank's share, then mark the block done once it is on disk.
      const io::Shape at = {share.begin};
      const io::Shape count = {share.size()};
      const std::vector<double>* columns[] = {&res.alpha, &res.cv_score, &res.r_test, &res.r2_test,
                                              &res.p_test};
      for (std::size_t k = 0; k < 5; ++k)
        f.write<double>(kResultSets[k], at, count, columns[k]->data());
      f.write<std::uint8_t>("/voxels/valid", at, count, res.valid.data());
      if (o_.save_weights) {
        const std::vector<T> w = row_major(weights);
        f.write<T>("/weights", {0, share.begin},
                   {share.empty() ? 0 : std::size_t(weights.rows()), share.size()}, w.data());
      }
      f.flush();
      const bool marker = active && grid_.fold_group() == 0;
      const std::uint8_t one = 1;
      f.write<std::uint8_t>("/progress/blocks_done", {marker ? todo_[round] : 0},
                            {marker ? 1u : 0u}, &one);
      f.flush();
    }
  }

 private:
  [[nodiscard]] std::size_t refit_key() const { return folds_.size(); }
  [[nodiscard]] std::size_t design_key() const { return folds_.size() + 1; }
  // Memory of fold k's factors in the working precision.
  [[nodiscard]] double factor_bytes(std::size_t k) const {
    const auto n_train = static_cast<Eigen::Index>(layout_.n - folds_[k].size());
    const Eigen::Index rank = solvers::ridge_is_primal(n_train, p_) ? p_ : n_train;
    return double(rank) * double(layout_.n) * double(sizeof(T));
  }
  // The passes of fold group g: the folds it scores a piece of, in batches
  // of what --factor-memory holds.
  [[nodiscard]] std::vector<std::vector<std::size_t>> batches_of(std::size_t g) const {
    std::vector<std::vector<std::size_t>> batches;
    double held = 0;
    for (std::size_t k = 0; k < folds_.size(); ++k) {
      if (shares_[k][g] <= 0 || !needs_pass(k)) continue;
      const double bytes = factor_bytes(k);
      if (batches.empty() || held + bytes > double(o_.factor_memory_mb) * 1e6) {
        batches.emplace_back();
        held = 0;
      }
      batches.back().push_back(k);
      held += bytes;
    }
    return batches;
  }
  [[nodiscard]] bool fold_done(std::size_t k, std::size_t block) const {
    return fold_done_[k * blocks_.count() + block] != 0;
  }
  [[nodiscard]] bool needs_pass(std::size_t k) const {
    return std::any_of(todo_.begin(), todo_.end(), [&](std::size_t b) { return !fold_done(k, b); });
  }
  // Single precision rescores ties on every fold, whatever the checkpoint holds.
  [[nodiscard]] bool needs_factor(std::size_t k) const {
    return std::is_same_v<T, float> ? !todo_.empty() : needs_pass(k);
  }

  // Reads and checks rows x cols of a responses dataset. Each collective read
  // is agreed on before the values are checked: a rank that failed early must
  // not leave its peers inside a collective.
  Matrix<T> read_checked(const char* dataset, std::size_t rows, mpi::Range cols) const {
    Matrix<T> y;
    mpi::agree_on(comm_, [&] { y = read_block<T>(responses_, dataset, rows, cols); });
    mpi::agree_on(comm_, [&] { check_finite(y, subject_.responses + ":" + dataset, cols); });
    return y;
  }

  void write_fold_scores(std::size_t k, mpi::Range cols, const Eigen::MatrixXd& mse,
                         const Eigen::MatrixXd& r2) {
    const io::Shape at = {k, 0, cols.begin};
    const io::Shape count = {cols.empty() ? 0 : 1u, cols.empty() ? 0 : alphas_.size(), cols.size()};
    io::H5File& c = out_.checkpoint();
    c.write<double>("/cv/mse", at, count, row_major<double>(mse).data());
    c.write<double>("/cv/r2", at, count, row_major<double>(r2).data());
  }

  // The validation scores of columns `cols` summed over all folds, in fold
  // order, whatever the rank layout (collective).
  void summed_fold_scores(mpi::Range cols, Eigen::MatrixXd& mse, Eigen::MatrixXd& r2) const {
    const std::size_t folds = folds_.size(), n_alphas = alphas_.size(), w = cols.size();
    const io::Shape at = {0, 0, cols.begin};
    const io::Shape count = {w == 0 ? 0 : folds, w == 0 ? 0 : n_alphas, w};
    std::vector<double> m(folds * n_alphas * w), s(m.size());
    const io::H5File& c = out_.checkpoint();
    c.read<double>("/cv/mse", at, count, m.data());
    c.read<double>("/cv/r2", at, count, s.data());
    mse.setZero(long(n_alphas), long(w));
    r2.setZero(long(n_alphas), long(w));
    for (std::size_t k = 0; k < folds; ++k)
      for (std::size_t a = 0; a < n_alphas; ++a)
        for (std::size_t j = 0; j < w; ++j) {
          mse(long(a), long(j)) += m[(k * n_alphas + a) * w + j];
          r2(long(a), long(j)) += s[(k * n_alphas + a) * w + j];
        }
  }

  void use_rescored_ties(mpi::Range cols, Eigen::MatrixXd& mse, Eigen::MatrixXd& r2) const {
    auto it = std::lower_bound(tie_voxels_.begin(), tie_voxels_.end(), cols.begin);
    for (; it != tie_voxels_.end() && *it < cols.end; ++it) {
      const auto j = static_cast<Eigen::Index>(*it - cols.begin);
      const auto t = static_cast<Eigen::Index>(it - tie_voxels_.begin());
      mse.col(j) = tie_mse_.col(t);
      r2.col(j) = tie_r2_.col(t);
    }
  }

  const EncodeOptions& o_;
  const Subject& subject_;
  const ResponsesLayout& layout_;
  const std::vector<mpi::Range>& folds_;
  const std::vector<double>& alphas_;
  const mpi::RankGrid& grid_;
  io::OutputFile& out_;
  const io::H5File& responses_;
  const mpi::Comm& comm_;
  const Eigen::Index p_;
  const mpi::Blocks blocks_;
  FactorSpill spill_;
  std::vector<std::size_t> my_folds_;        // the folds this rank factorizes
  std::vector<std::vector<double>> shares_;  // folds x groups: who scores what
  std::vector<std::size_t> todo_;
  std::size_t rounds_ = 0;
  std::vector<std::uint8_t> fold_done_;  // folds x blocks, from the checkpoint
  // Single precision: voxels rescored in double (ascending) and their scores.
  std::vector<std::size_t> tie_voxels_;
  Eigen::MatrixXd tie_mse_, tie_r2_;
};

}  // namespace

template <class T>
void encode_passes(const EncodeOptions& o, const Subject& subject, const ResponsesLayout& layout,
                   const std::vector<mpi::Range>& folds, const std::vector<double>& alphas,
                   const mpi::RankGrid& grid, io::OutputFile& out, const io::H5File& responses,
                   analysis::Design design, const mpi::Comm& comm) {
  SubjectPasses<T> passes(o, subject, layout, folds, alphas, grid, out, responses, comm,
                          static_cast<std::size_t>(design.train_x.cols()));
  if (!out.resumed()) passes.create_datasets();
  if (!passes.plan()) return;
  {
    // The design, standardized like the responses; freed once factorized.
    Matrix<double> x_train = std::move(design.train_x);
    Matrix<double> x_test = std::move(design.test_x);
    if (o.zscore) {
      static_cast<void>(analysis::zscore_within<double>(x_train, layout.runs));
      static_cast<void>(analysis::zscore_within<double>(x_test, {{0, layout.m}}));
    }
    passes.factorize(std::move(x_train), x_test);
  }
  passes.score_folds();
  passes.rescore_near_ties();
  passes.finish();
}

template void encode_passes<float>(const EncodeOptions&, const Subject&, const ResponsesLayout&,
                                   const std::vector<mpi::Range>&, const std::vector<double>&,
                                   const mpi::RankGrid&, io::OutputFile&, const io::H5File&,
                                   analysis::Design, const mpi::Comm&);
template void encode_passes<double>(const EncodeOptions&, const Subject&, const ResponsesLayout&,
                                    const std::vector<mpi::Range>&, const std::vector<double>&,
                                    const mpi::RankGrid&, io::OutputFile&, const io::H5File&,
                                    analysis::Design, const mpi::Comm&);

}  // namespace b2m::jobs
