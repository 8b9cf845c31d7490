// The passes' setup, bookkeeping and I/O helpers (encode_passes.hpp); the
// phases are in encode_factorize.cpp, encode_scoring.cpp and
// encode_finish.cpp.
#include "jobs/encode_passes.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>

#include "core/error.hpp"
#include "mpi/agree.hpp"
#include "solvers/ridge_cost.hpp"
#include "solvers/ridge_factor.hpp"

namespace b2m::jobs {

std::vector<mpi::Range> subject_folds(const io::ResponsesLayout& layout, std::size_t folds,
                                      const std::string& path, const mpi::Comm& comm) {
  return mpi::agree_on(comm, [&] {
    try {
      return solvers::contiguous_folds(layout.runs, folds);
    } catch (const InputError& e) {
      throw InputError(path + ": " + e.what());
    }
  });
}

std::size_t fold_groups_for(std::size_t requested, const io::ResponsesLayout& layout,
                            const std::vector<mpi::Range>& folds, std::size_t p, std::size_t alphas,
                            const mpi::Comm& comm, const std::string& verb) {
  if (requested > folds.size())
    throw ConfigError(verb + ": --fold-groups (" + std::to_string(requested) +
                      ") cannot exceed --folds (" + std::to_string(folds.size()) + ")");
  return requested != 0 ? requested
                        : solvers::plan_fold_groups(layout.n, layout.m, folds, p, alphas,
                                                    layout.voxels, std::size_t(comm.size()));
}

template <class T>
EncodePasses<T>::EncodePasses(const EncodeSettings& settings, const io::H5File& responses,
                              const ResponseRows& rows, std::vector<mpi::Range> folds,
                              std::vector<double> alphas, const mpi::RankGrid& grid,
                              io::OutputFile& out, const mpi::Comm& comm, Eigen::Index features,
                              const std::string& group)
    : settings_(settings),
      responses_(responses),
      rows_(rows),
      layout_(rows.model),
      folds_(std::move(folds)),
      alphas_(std::move(alphas)),
      grid_(grid),
      out_(out),
      results_file_(group.empty() ? out.file() : out.checkpoint()),
      results_(results_file_, group),
      fresh_(group.empty() ? !out.resumed()
                           : !out.checkpoint().exists(group + "/progress/blocks_done")),
      checkpoint_(out.checkpoint(), group),
      comm_(comm),
      p_(features),
      blocks_(rows.model.voxels, settings.block_size),
      spill_(out.scratch_path(comm.rank())) {
  for (std::size_t k = grid.fold_group(); k < folds_.size(); k += grid.fold_groups())
    my_folds_.push_back(k);
  const std::size_t voxel_groups = grid.voxel_groups();
  shares_ = solvers::plan_fold_shares(
      layout_.n, layout_.m, folds_, static_cast<std::size_t>(p_), alphas_.size(),
      (layout_.voxels + voxel_groups - 1) / voxel_groups, grid.fold_groups());
}

template <class T>
solvers::DesignRidge::Parking EncodePasses<T>::parking() {
  return {[this](solvers::Matrix<double>& x) { spill_.park(design_key(), x); },
          [this](solvers::Matrix<double>& x) { spill_.restore(design_key(), x); },
          double(settings_.factor_memory_mb) * 1e6};
}

template <class T>
bool EncodePasses<T>::plan() {
  if (fresh_) {
    io::EncodeResultShape shape;
    shape.voxels = layout_.voxels;
    shape.blocks = blocks_.count();
    shape.alphas = alphas_;
    shape.ceiling = layout_.repetitions >= 2;
    shape.features = settings_.save_weights ? std::size_t(p_) : 0;
    shape.test_rows = settings_.save_predictions ? layout_.m : 0;
    shape.clip_rows = layout_.test_clip_rows;  // 0: the file does not say
    shape.carry_over_rows = layout_.carry_over_rows;
    results_.create<T>(shape);
    checkpoint_.create(folds_.size(), alphas_.size(), layout_.voxels, blocks_.count());
  }
  const std::vector<std::uint8_t> done = results_.blocks_done();
  fold_done_ = checkpoint_.done();
  for (std::size_t b : blocks_.owned_by(grid_.voxel_group(), grid_.voxel_groups()))
    (done[b] ? done_ : todo_).push_back(b);
  rounds_ = comm_.allreduce(todo_.size(), mpi::Op::max);
  return rounds_ > 0;
}

template <class T>
bool EncodePasses<T>::needs_pass(std::size_t k) const {
  return std::any_of(todo_.begin(), todo_.end(), [&](std::size_t b) { return !fold_done(k, b); });
}

template <class T>
bool EncodePasses<T>::needs_factor(std::size_t k) const {
  return std::is_same_v<T, float> ? !todo_.empty() : needs_pass(k);
}

template <class T>
solvers::Matrix<T> EncodePasses<T>::read_checked(Split split, mpi::Range cols) const {
  const bool train = split == Split::train;
  const char* dataset = train ? "/train/Y" : "/test/Y";
  const std::size_t rows = train ? rows_.file.n : rows_.file.m;
  solvers::Matrix<T> y;
  mpi::agree_on(comm_, [&] { y = io::read_columns<T>(responses_, dataset, rows, cols); });
  mpi::agree_on(comm_, [&] { io::check_finite(y, responses_.path() + ":" + dataset, cols); });
  return model_rows(std::move(y), split);
}

template <class T>
solvers::Matrix<T> EncodePasses<T>::model_rows(solvers::Matrix<T> y, Split split) const {
  if (!rows_.samples) return y;
  const auto& samples = split == Split::train ? rows_.samples->train : rows_.samples->test;
  if constexpr (std::is_same_v<T, double>)
    return analysis::average_rows<T>(y, samples);
  else
    return analysis::average_rows<T>(y, samples).template cast<T>();
}

template <class T>
solvers::Matrix<T> EncodePasses<T>::read_repetition(std::size_t k, mpi::Range cols) const {
  const std::string where = responses_.path() + ":/test/Y_reps[" + std::to_string(k) + "]";
  solvers::Matrix<T> y;
  mpi::agree_on(comm_, [&] {
    y = io::read_slice_columns<T>(responses_, "/test/Y_reps", k, rows_.file.m, cols);
  });
  mpi::agree_on(comm_, [&] { io::check_finite(y, where, cols); });
  return model_rows(std::move(y), Split::test);
}

template <class T>
void EncodePasses<T>::use_rescored_ties(mpi::Range cols, solvers::Scores& mse,
                                        solvers::Scores& r2) const {
  auto it = std::lower_bound(tie_voxels_.begin(), tie_voxels_.end(), cols.begin);
  for (; it != tie_voxels_.end() && *it < cols.end; ++it) {
    const auto j = static_cast<Eigen::Index>(*it - cols.begin);
    const auto t = static_cast<Eigen::Index>(it - tie_voxels_.begin());
    mse.col(j) = tie_mse_.col(t);
    r2.col(j) = tie_r2_.col(t);
  }
}

template <class T>
mpi::Range EncodePasses<T>::finish_share(std::size_t b) const {
  const mpi::Range block = blocks_.block(b);
  const mpi::Range part = mpi::even_part(block.size(), grid_.fold_groups(), grid_.fold_group());
  return {block.begin + part.begin, block.begin + part.end};
}

template <class T>
void EncodePasses<T>::read_done_blocks(VoxelResults& results, std::vector<std::size_t>& voxels) {
  const std::size_t rounds = comm_.allreduce(done_.size(), mpi::Op::max);
  std::vector<double> r, alpha, p, ceiling;
  for (std::size_t round = 0; round < rounds; ++round) {
    const mpi::Range share = round < done_.size() ? finish_share(done_[round]) : mpi::Range{};
    results_.read(share, r, alpha, p, ceiling);
    results.r.insert(results.r.end(), r.begin(), r.end());
    results.alpha.insert(results.alpha.end(), alpha.begin(), alpha.end());
    results.p.insert(results.p.end(), p.begin(), p.end());
    results.ceiling.insert(results.ceiling.end(), ceiling.begin(), ceiling.end());
    for (std::size_t v = share.begin; v < share.end; ++v) voxels.push_back(v);
  }
}

template <class T>
VoxelResults EncodePasses<T>::gather_results(const VoxelResults& mine,
                                             const std::vector<std::size_t>& voxels) const {
  const std::vector<std::size_t> where = comm_.gatherv(voxels.data(), voxels.size(), 0);
  const std::vector<double>* parts[] = {&mine.r, &mine.alpha, &mine.p, &mine.ceiling};
  VoxelResults all;
  std::vector<double>* whole[] = {&all.r, &all.alpha, &all.p, &all.ceiling};
  for (std::size_t k = 0; k < 4; ++k) {
    const std::vector<double> got = comm_.gatherv(parts[k]->data(), parts[k]->size(), 0);
    if (!comm_.is_root()) continue;
    whole[k]->assign(layout_.voxels, std::numeric_limits<double>::quiet_NaN());
    for (std::size_t i = 0; i < got.size(); ++i) (*whole[k])[where[i]] = got[i];
  }
  return all;
}

template <class T>
VoxelResults EncodePasses<T>::read_results() {
  VoxelResults mine;
  std::vector<std::size_t> voxels;
  read_done_blocks(mine, voxels);
  return gather_results(mine, voxels);
}

template class EncodePasses<float>;
template class EncodePasses<double>;

}  // namespace b2m::jobs
