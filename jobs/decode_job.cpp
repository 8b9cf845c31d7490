#include "jobs/decode_job.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <sstream>

#include "analysis/decode_samples.hpp"
#include "analysis/identification.hpp"
#include "analysis/scores.hpp"
#include "analysis/stimulus_timeline.hpp"
#include "analysis/zscore.hpp"
#include "core/error.hpp"
#include "io/bids_events.hpp"
#include "io/npy.hpp"
#include "io/output_file.hpp"
#include "jobs/study_files.hpp"
#include "jobs/subjects.hpp"
#include "jobs/summary_json.hpp"
#include "mpi/agree.hpp"
#include "mpi/rank_grid.hpp"
#include "solvers/alpha_grid.hpp"
#include "solvers/distributed_kernel_ridge_cv.hpp"
#include "solvers/kernel_ridge_cv.hpp"
#include "solvers/lapack.hpp"
#include "solvers/ridge_cv.hpp"

namespace b2m::jobs {
namespace {

using solvers::Matrix;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Voxels per collective read of the responses (at most, and at least where
// the chunk is sized to the memory).
constexpr std::size_t kReadColumns = 4096;
constexpr std::size_t kMinReadColumns = 256;

struct Unit {
  Subject subject;
  std::string space;
  std::string out;
};

struct Study {
  std::vector<io::RunEvents> train_runs;
  analysis::TestLayout test;
  std::vector<std::string> event_files;
};

// The responses' shape, checked against the test events.
ResponsesLayout inspect(const io::H5File& f, const analysis::TestLayout& test) {
  ResponsesLayout out = read_responses_layout(f);
  if (out.m != test.rows())
    throw InputError(f.path() + ": /test/Y has " + std::to_string(out.m) +
                     " rows, but the test events give " + std::to_string(test.clip_ids.size()) +
                     " clips x " + std::to_string(test.trs_per_clip) +
                     " TRs = " + std::to_string(test.rows()));
  return out;
}

// ROI labels and names of a responses file.
struct Atlas {
  std::vector<std::int64_t> label;  // per voxel
  std::vector<std::string> names;   // label value -> name
};

Atlas read_atlas(const io::H5File& f) {
  if (!f.exists("/voxels/roi") || !f.has_attribute("/voxels/roi", "names"))
    throw InputError(f.path() + ": ROI selection needs /voxels/roi with a 'names' attribute");
  Atlas a{f.read_all<std::int64_t>("/voxels/roi"),
          f.read_strings_attribute("/voxels/roi", "names")};
  for (std::int64_t l : a.label)
    if (l < 0 || static_cast<std::size_t>(l) >= a.names.size())
      throw InputError(f.path() + ":/voxels/roi: label " + std::to_string(l) + " has no name (" +
                       std::to_string(a.names.size()) + " names)");
  return a;
}

std::int64_t roi_label(const Atlas& atlas, const std::string& name, const std::string& where) {
  const auto found = std::find(atlas.names.begin(), atlas.names.end(), name);
  if (found == atlas.names.end()) {
    std::string known;
    for (const auto& n : atlas.names) known += (known.empty() ? "" : ", ") + n;
    throw InputError(where + ": no ROI named '" + name + "' (ROIs: " + known + ")");
  }
  return found - atlas.names.begin();
}

// The voxels a model uses (sorted), and with ROI models the model of each
// selected voxel (index into `models`).
struct Selection {
  std::vector<std::size_t> voxels;
  std::vector<std::size_t> model_of;  // ROI models only, per selected voxel
  std::vector<std::string> models;    // ROI model names
};

Selection select_voxels(const DecodeOptions& o, const io::H5File& responses, std::size_t v,
                        const mpi::Comm& comm) {
  Selection s;
  if (o.top_voxels > 0) {
    const io::H5File encoded(o.encode_result, io::Access::read, comm);
    const std::vector<double> score = encoded.read_all<double>("/voxels/cv_score");
    if (score.size() != v)
      throw InputError(o.encode_result + ":/voxels/cv_score has " + std::to_string(score.size()) +
                       " voxels, " + responses.path() + " has " + std::to_string(v));
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < v; ++i)
      if (std::isfinite(score[i])) order.push_back(i);
    if (order.size() < o.top_voxels)
      throw InputError(o.encode_result + ": asked for the top " + std::to_string(o.top_voxels) +
                       " voxels, only " + std::to_string(order.size()) + " have a finite cv_score");
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
    order.resize(o.top_voxels);
    std::sort(order.begin(), order.end());
    s.voxels = order;
    return s;
  }
  if (o.rois.empty() && o.roi_models_top == 0) {
    s.voxels.resize(v);
    std::iota(s.voxels.begin(), s.voxels.end(), std::size_t{0});
    return s;
  }
  const Atlas atlas = read_atlas(responses);
  if (atlas.label.size() != v)
    throw InputError(responses.path() + ":/voxels/roi has " + std::to_string(atlas.label.size()) +
                     " labels for " + std::to_string(v) + " voxels");
  std::vector<std::int64_t> wanted;
  for (const auto& name : o.rois) wanted.push_back(roi_label(atlas, name, responses.path()));
  if (wanted.empty())
    for (std::size_t l = 0; l < atlas.names.size(); ++l)
      wanted.push_back(static_cast<std::int64_t>(l));
  std::vector<std::size_t> count(atlas.names.size(), 0);
  for (std::int64_t l : atlas.label) ++count[static_cast<std::size_t>(l)];
  std::vector<long> model(atlas.names.size(), -1);
  for (std::int64_t l : wanted) {
    const auto li = static_cast<std::size_t>(l);
    if (count[li] == 0) {
      if (!o.rois.empty())
        throw InputError(responses.path() + ": ROI '" + atlas.names[li] + "' has no voxels");
      continue;  // an atlas label without voxels gets no model
    }
    if (model[li] < 0) {
      model[li] = static_cast<long>(s.models.size());
      s.models.push_back(atlas.names[li]);
    }
  }
  for (std::size_t i = 0; i < v; ++i) {
    const long m = model[static_cast<std::size_t>(atlas.label[i])];
    if (m < 0) continue;
    s.voxels.push_back(i);
    if (o.roi_models_top > 0) s.model_of.push_back(static_cast<std::size_t>(m));
  }
  if (o.roi_models_top > s.models.size())
    throw ConfigError("decode: --roi-models " + std::to_string(o.roi_models_top) + " but only " +
                      std::to_string(s.models.size()) + " ROIs have voxels in " + responses.path());
  if (o.roi_models_top == 0) s.models.clear();
  return s;
}

// The selected voxels one rank reads (sorted file columns), the columns of
// the file scanned for them, and where the first sits among all selected
// voxels (meaningful for even shares, whose voxels are consecutive there).
struct Share {
  std::vector<std::size_t> voxels;
  std::vector<std::size_t> model_of;  // ROI shares: each voxel's model
  mpi::Range span;
  std::size_t first = 0;
};

// For a whole model: the selected voxels in the rank's even part of the file.
Share even_share(const Selection& sel, const ResponsesLayout& layout, const mpi::Comm& comm) {
  Share s;
  s.span = mpi::even_part(layout.voxels, static_cast<std::size_t>(comm.size()),
                          static_cast<std::size_t>(comm.rank()));
  const auto begin = std::lower_bound(sel.voxels.begin(), sel.voxels.end(), s.span.begin);
  const auto end = std::lower_bound(sel.voxels.begin(), sel.voxels.end(), s.span.end);
  s.voxels.assign(begin, end);
  s.first = static_cast<std::size_t>(begin - sel.voxels.begin());
  return s;
}

// For ROI models: the voxels of `models` (ascending), scanned over the file
// columns from the first to the last of them.
Share roi_share(const Selection& sel, const std::vector<std::size_t>& models) {
  Share s;
  for (std::size_t i = 0; i < sel.voxels.size(); ++i)
    if (std::binary_search(models.begin(), models.end(), sel.model_of[i])) {
      s.voxels.push_back(sel.voxels[i]);
      s.model_of.push_back(sel.model_of[i]);
    }
  if (!s.voxels.empty()) s.span = {s.voxels.front(), s.voxels.back() + 1};
  return s;
}

// The ROI models this rank fits (model % ranks), in batches whose inputs
// (every sample of their voxels, in double) stay within `budget` bytes; a
// model larger than that is a batch of its own. Holding all of a rank's ROI
// voxels at once took 3.5 GB at V = 60,000 on one rank.
std::vector<std::vector<std::size_t>> roi_batches(const Selection& sel, std::size_t samples,
                                                  std::size_t budget, const mpi::Comm& comm) {
  std::vector<std::size_t> voxels(sel.models.size(), 0);
  for (std::size_t m : sel.model_of) ++voxels[m];
  std::vector<std::vector<std::size_t>> batches;
  std::size_t bytes = 0;
  for (std::size_t model = static_cast<std::size_t>(comm.rank()); model < sel.models.size();
       model += static_cast<std::size_t>(comm.size())) {
    const std::size_t need = voxels[model] * samples * sizeof(double);
    if (batches.empty() || bytes + need > budget) {
      batches.emplace_back();
      bytes = 0;
    }
    batches.back().push_back(model);
    bytes += need;
  }
  return batches;
}

// Reads a rank's share of the voxels in chunks of `columns` columns and
// hands each to `use(train, test, first)`: the chunk sample-averaged and
// standardized (training samples within each run, test samples together),
// `first` being its first column among all selected voxels. Every rank calls
// `use` equally often, with empty chunks too, so `use` may run collectives.
// Collective.
template <class Use>
void for_each_chunk(const io::H5File& responses, const ResponsesLayout& layout, const Share& mine,
                    const analysis::DecodeSamples& samples, const std::vector<mpi::Range>& runs,
                    const mpi::Comm& comm, std::size_t columns, Use&& use) {
  const std::size_t chunks = (mine.span.size() + columns - 1) / columns;
  const std::size_t rounds = comm.allreduce(chunks, mpi::Op::max);
  auto next = mine.voxels.begin();
  std::size_t first = mine.first;
  for (std::size_t c = 0; c < rounds; ++c) {
    const mpi::Range cols =
        c < chunks ? mpi::Range{mine.span.begin + c * columns,
                                std::min(mine.span.end, mine.span.begin + (c + 1) * columns)}
                   : mpi::Range{};
    Matrix<float> y_train, y_test;
    mpi::agree_on(comm,
                  [&] { y_train = read_block<float>(responses, "/train/Y", layout.n, cols); });
    mpi::agree_on(comm, [&] { y_test = read_block<float>(responses, "/test/Y", layout.m, cols); });
    mpi::agree_on(comm, [&] {
      check_finite(y_train, responses.path() + ":/train/Y", cols);
      check_finite(y_test, responses.path() + ":/test/Y", cols);
    });
    std::vector<Eigen::Index> keep;
    for (; next != mine.voxels.end() && *next < cols.end; ++next)
      keep.push_back(static_cast<Eigen::Index>(*next - cols.begin));
    Matrix<double> train = analysis::average_rows<float>(y_train(Eigen::all, keep), samples.train);
    Matrix<double> test = analysis::average_rows<float>(y_test(Eigen::all, keep), samples.test);
    y_train.resize(0, 0);
    y_test.resize(0, 0);
    static_cast<void>(analysis::zscore_within<double>(train, runs));
    static_cast<void>(analysis::zscore_within<double>(test, {{0, samples.test.size()}}));
    use(static_cast<const Matrix<double>&>(train), static_cast<const Matrix<double>&>(test), first);
    first += keep.size();
  }
}

// The voxels of a batch of ROI models (roi_share), as for_each_chunk gives
// them, held whole: training and test inputs (samples x voxels) and each
// column's model. A whole model streams its kernels instead.
struct Inputs {
  Matrix<double> train, test;
  std::vector<std::size_t> model_of;
};

Inputs read_roi_inputs(const io::H5File& responses, const ResponsesLayout& layout,
                       const Share& mine, const analysis::DecodeSamples& samples,
                       const std::vector<mpi::Range>& runs, const mpi::Comm& comm) {
  Inputs in;
  const auto count = static_cast<Eigen::Index>(mine.voxels.size());
  in.train.resize(static_cast<Eigen::Index>(samples.train.size()), count);
  in.test.resize(static_cast<Eigen::Index>(samples.test.size()), count);
  in.model_of = mine.model_of;
  Eigen::Index filled = 0;
  for_each_chunk(responses, layout, mine, samples, runs, comm, kReadColumns,
                 [&](const Matrix<double>& train, const Matrix<double>& test, std::size_t) {
                   in.train.middleCols(filled, train.cols()) = train;
                   in.test.middleCols(filled, test.cols()) = test;
                   filled += train.cols();
                 });
  return in;
}

// Sample row ranges of the training runs (samples are in run order).
std::vector<mpi::Range> sample_runs(const std::vector<analysis::DecodeSample>& samples) {
  std::vector<mpi::Range> runs;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (i == 0 || samples[i].run != samples[i - 1].run) runs.push_back({i, i});
    runs.back().end = i + 1;
  }
  return runs;
}

// K = X X^T over all ranks' selected voxels, and the cross kernel of the
// test samples, accumulated chunk by chunk (lower triangle by rank updates,
// then mirrored), so that no rank holds its voxels whole: memory does not
// grow with V. Collective.
void stream_kernels(const io::H5File& responses, const ResponsesLayout& layout,
                    const Selection& sel, const analysis::DecodeSamples& samples,
                    const std::vector<mpi::Range>& runs, const mpi::Comm& comm, Matrix<double>& k,
                    Matrix<double>& k_test) {
  const auto n = static_cast<Eigen::Index>(samples.train.size());
  k.setZero(n, n);
  k_test.setZero(static_cast<Eigen::Index>(samples.test.size()), n);
  for_each_chunk(responses, layout, even_share(sel, layout, comm), samples, runs, comm,
                 kReadColumns,
                 [&](const Matrix<double>& train, const Matrix<double>& test, std::size_t) {
                   if (train.cols() == 0) return;
                   k.selfadjointView<Eigen::Lower>().rankUpdate(train);
                   k_test.noalias() += test * train.transpose();
                 });
  Matrix<double> full = k.selfadjointView<Eigen::Lower>();
  k = std::move(full);
  comm.allreduce_in_place(k.data(), static_cast<std::size_t>(k.size()), mpi::Op::sum);
  comm.allreduce_in_place(k_test.data(), static_cast<std::size_t>(k_test.size()), mpi::Op::sum);
}

// The lower triangle of K as process (prow, pcol) of k's grid holds it: per
// panel of nb local columns, the local rows from `first` on (below them the
// panel's tiles reach the diagonal; above, they are wholly in the upper
// triangle, which the distributed solver never reads). Packed one panel
// after another, the triangle is half the local tiles, and so half of what
// every chunk's reduction sends.
struct Panel {
  int col, global_col, width, first;
  std::size_t offset;  // in the packed buffer; the panel's leading dimension is rows - first
};

struct LowerTiles {
  int prow = 0, rows = 0;  // the process row, its local rows
  std::vector<Panel> panels;
  std::size_t size = 0;  // packed values
};

LowerTiles lower_tiles(const solvers::DistributedMatrix& k, int prow, int pcol) {
  const solvers::BlacsGrid& grid = k.grid();
  const int n = k.rows(), nb = k.block();
  LowerTiles t;
  t.prow = prow;
  t.rows = solvers::DistributedMatrix::local_count(n, nb, prow, grid.rows());
  const int cols = solvers::DistributedMatrix::local_count(n, nb, pcol, grid.cols());
  for (int lj = 0; lj < cols; lj += nb) {
    const int gj = solvers::DistributedMatrix::global_index(lj, nb, pcol, grid.cols());
    int first = 0;
    while (first < t.rows &&
           solvers::DistributedMatrix::global_index(first, nb, prow, grid.rows()) +
                   std::min(nb, t.rows - first) <=
               gj)
      first += nb;
    first = std::min(first, t.rows);
    const int width = std::min(nb, cols - lj);
    t.panels.push_back({lj, gj, width, first, t.size});
    t.size += std::size_t(t.rows - first) * std::size_t(width);
  }
  return t;
}

// This rank's contribution, from its chunk `x` (samples x voxels), to the
// packed lower tiles `t`, written to `part` (reused from chunk to chunk: a
// fresh buffer per chunk cost a page fault per 4 KB).
void kernel_tiles(const Matrix<double>& x, const LowerTiles& t, const solvers::DistributedMatrix& k,
                  std::vector<double>& part) {
  const solvers::BlacsGrid& grid = k.grid();
  const int nb = k.block();
  part.resize(t.size);
  const auto ld = static_cast<int>(x.outerStride());
  const auto voxels = static_cast<int>(x.cols());
  if (voxels == 0) {
    std::fill(part.begin(), part.end(), 0.0);
    return;
  }
  for (const Panel& p : t.panels) {
    const int height = t.rows - p.first;
    double* out = part.data() + p.offset;
    const double* right = x.data() + p.global_col;
    if (grid.rows() == 1) {  // every row is local: the panel is one product
      solvers::lapack::gemm_nt(height, p.width, voxels, x.data() + p.first, ld, right, ld, 0.0, out,
                               height);
      continue;
    }
    for (int li = p.first; li < t.rows; li += nb) {
      const int gi = solvers::DistributedMatrix::global_index(li, nb, t.prow, grid.rows());
      solvers::lapack::gemm_nt(std::min(nb, t.rows - li), p.width, voxels, x.data() + gi, ld, right,
                               ld, 0.0, out + (li - p.first), height);
    }
  }
}

// The same kernels with K block-cyclic on k's grid: each chunk's
// contribution to a process's lower tiles is reduced onto that process, so
// no rank holds an n x n matrix. Collective. A chunk (read in float, kept in
// double: 12 bytes a value) is held to about the rank's share of K, so that
// memory per rank falls with the ranks here too; at 4,096 columns it was
// the peak (575 MB per rank at 2 ranks on 60,000 voxels). The price is
// more reductions: each chunk sends about n^2 / 2 values whatever its width.
void stream_kernels(const io::H5File& responses, const ResponsesLayout& layout,
                    const Selection& sel, const analysis::DecodeSamples& samples,
                    const std::vector<mpi::Range>& runs, const mpi::Comm& comm,
                    solvers::DistributedMatrix& k, Matrix<double>& k_test) {
  const solvers::BlacsGrid& grid = k.grid();
  k_test.setZero(static_cast<Eigen::Index>(samples.test.size()), k.rows());
  const double share = 8.0 * double(k.rows()) * double(k.rows()) / double(comm.size());
  const double column = 12.0 * double(layout.n + layout.m);
  const auto columns = static_cast<std::size_t>(
      std::clamp(share / column, double(kMinReadColumns), double(kReadColumns)));
  std::vector<LowerTiles> tiles;  // per owner
  for (int owner = 0; owner < comm.size(); ++owner)
    tiles.push_back(lower_tiles(k, owner / grid.cols(), owner % grid.cols()));
  std::vector<double> part;
  for_each_chunk(responses, layout, even_share(sel, layout, comm), samples, runs, comm, columns,
                 [&](const Matrix<double>& train, const Matrix<double>& test, std::size_t) {
                   if (train.cols() > 0) k_test.noalias() += test * train.transpose();
                   for (int owner = 0; owner < comm.size(); ++owner) {
                     const LowerTiles& t = tiles[static_cast<std::size_t>(owner)];
                     kernel_tiles(train, t, k, part);
                     comm.reduce_in_place(part.data(), part.size(), mpi::Op::sum, owner);
                     if (owner != comm.rank()) continue;
                     for (const Panel& p : t.panels)
                       k.local().block(p.first, p.col, t.rows - p.first, p.width) +=
                           Eigen::Map<const Matrix<double>>(part.data() + p.offset,
                                                            t.rows - p.first, p.width);
                   }
                 });
  comm.allreduce_in_place(k_test.data(), static_cast<std::size_t>(k_test.size()), mpi::Op::sum);
}

// Standardized targets and the statistics to undo it.
struct Targets {
  Matrix<double> z;
  Eigen::RowVectorXd mean, sd;
  [[nodiscard]] Matrix<double> original(const Matrix<double>& zs) const {
    return (zs.array().rowwise() * sd.array()).rowwise() + mean.array();
  }
};

Targets standardize(const Matrix<double>& y) {
  Targets t;
  t.mean = y.colwise().mean();
  const Matrix<double> centred = y.rowwise() - t.mean;
  t.sd = (centred.colwise().squaredNorm() / double(y.rows())).cwiseSqrt();
  for (Eigen::Index j = 0; j < t.sd.size(); ++j)
    if (!(t.sd(j) > 0)) t.sd(j) = 1.0;  // a constant target is predicted by its mean
  t.z = centred.array().rowwise() / t.sd.array();
  return t;
}

// What a fitted decoder produced, in standardized target units.
struct Fit {
  Matrix<double> test_z, cv_z;  // test predictions, cross-validated train predictions
  Eigen::VectorXd alpha;        // per dimension (NaN with ROI models: see roi_alpha)
  // ROI models only:
  std::vector<double> roi_cv_r;
  std::vector<std::uint8_t> roi_top;
  Matrix<double> roi_alpha;  // ROI models x dimensions
};

double mean_cv_r(const Matrix<double>& cv, const Matrix<double>& y) {
  const Eigen::VectorXd r = analysis::pearson_r<double>(cv, y);
  double sum = 0;
  std::size_t count = 0;
  for (Eigen::Index j = 0; j < r.size(); ++j)
    if (std::isfinite(r(j))) {
      sum += r(j);
      ++count;
    }
  return count ? sum / double(count) : kNaN;
}

// One model on all selected voxels, from the solution on their kernels
// (stream_kernels) and the test kernel.
Fit fit_whole(const solvers::KernelRidgeCv& cv, const Matrix<double>& k_test,
              Matrix<double>* dual) {
  Fit f;
  f.test_z = k_test * cv.dual;
  f.cv_z = cv.cv_prediction;
  f.alpha = cv.alpha;
  if (dual != nullptr) *dual = cv.dual;
  return f;
}

// Whether the whole-brain kernel is kept block-cyclic (--kernel-layout).
// Automatically with several ranks, unless LAPACK eigensolves are asked
// for: memory per rank then falls as 1 / ranks (the replicated solver holds
// about 4 n^2 doubles on every rank), and the time is the replicated
// layout's at 2 ranks (70.6 vs 68.6 s at V = 60,000, n = 4,920); beyond one
// rank per fold the farmed solves stop scaling and the grid does not. Not
// where the smallest training kernel (`smallest_train` rows) is too small
// to give every process of the grid a row.
bool distributed_kernel(const DecodeOptions& o, int smallest_train, const mpi::Comm& comm) {
  switch (o.kernel_layout) {
    case KernelLayout::replicated:
      return false;
    case KernelLayout::distributed:
      return true;
    case KernelLayout::automatic:
      break;
  }
  const auto [rows, cols] = o.eigen.grid_shape(comm.size());
  return comm.size() > 1 && o.eigen.backend != solvers::EigenBackend::lapack &&
         solvers::fills_grid(smallest_train, rows, cols);
}

// Ranking of ROI models: higher mean CV r first (NaN last), then the lower
// index, so that every rank orders them alike.
double rank_key(double r) {
  return std::isfinite(r) ? r : -2.0;
}
bool ranks_before(const std::vector<double>& cv_r, std::size_t a, std::size_t b) {
  const double ra = rank_key(cv_r[a]), rb = rank_key(cv_r[b]);
  return ra > rb || (ra == rb && a < b);
}

// One model per ROI, farmed over ranks: rank r fits ROIs r, r + ranks, ...
// batch by batch (roi_batches) from their voxels, which it alone read, so no
// kernel travels between ranks. ridge_cv_fit solves the smaller of the
// primal and dual problems: an ROI of a few hundred voxels factorizes a Gram
// matrix of that order per fold, not the n x n kernel. The top-k ROIs by mean
// CV r are averaged; a rank keeps the predictions of its own best k only,
// which include its share of the overall best k.
Fit fit_roi_models(const io::H5File& responses, const ResponsesLayout& layout, const Selection& sel,
                   const analysis::DecodeSamples& samples, const std::vector<mpi::Range>& runs,
                   const Targets& y, const std::vector<mpi::Range>& folds,
                   const std::vector<double>& alphas, const DecodeOptions& o,
                   const mpi::Comm& comm) {
  const std::size_t models = sel.models.size(), top = o.roi_models_top;
  const auto ranks = static_cast<std::size_t>(comm.size());
  const auto n = static_cast<Eigen::Index>(samples.train.size());
  const auto m = static_cast<Eigen::Index>(samples.test.size());
  const Eigen::Index d = y.z.cols();
  const auto batches =
      roi_batches(sel, samples.train.size() + samples.test.size(), o.roi_memory_mb << 20, comm);
  const std::size_t rounds = comm.allreduce(batches.size(), mpi::Op::max);
  std::vector<double> cv_r(models, 0.0);
  Matrix<double> roi_alpha = Matrix<double>::Zero(static_cast<Eigen::Index>(models), d);
  struct Kept {
    Matrix<double> test_z, cv_z;
  };
  std::map<std::size_t, Kept> kept;  // this rank's best `top` models so far
  for (std::size_t b = 0; b < rounds; ++b) {
    const std::vector<std::size_t> batch =
        b < batches.size() ? batches[b] : std::vector<std::size_t>{};
    const Inputs in =
        read_roi_inputs(responses, layout, roi_share(sel, batch), samples, runs, comm);
    mpi::agree_on(comm, [&] {
      for (std::size_t model : batch) {
        std::vector<Eigen::Index> cols;
        for (std::size_t j = 0; j < in.model_of.size(); ++j)
          if (in.model_of[j] == model) cols.push_back(static_cast<Eigen::Index>(j));
        const Matrix<double> x = in.train(Eigen::all, cols);
        const Matrix<double> x_test = in.test(Eigen::all, cols);
        solvers::RidgeCvFit fit = solvers::ridge_cv_fit(x, x_test, y.z, folds, alphas);
        cv_r[model] = mean_cv_r(fit.cv_prediction, y.z);
        roi_alpha.row(static_cast<Eigen::Index>(model)) = fit.alpha.transpose();
        kept[model] = {std::move(fit.test_prediction), std::move(fit.cv_prediction)};
        if (kept.size() > top)  // drop the one ranked last
          kept.erase(std::max_element(kept.begin(), kept.end(), [&](const auto& a, const auto& b) {
            return ranks_before(cv_r, a.first, b.first);
          }));
      }
    });
  }
  // Each model's entries were set by one rank.
  comm.allreduce_in_place(cv_r.data(), cv_r.size(), mpi::Op::sum);
  comm.allreduce_in_place(roi_alpha.data(), static_cast<std::size_t>(roi_alpha.size()),
                          mpi::Op::sum);
  std::vector<std::size_t> order(models);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return ranks_before(cv_r, a, b); });
  Fit f;
  f.roi_cv_r = cv_r;
  f.roi_alpha = std::move(roi_alpha);
  f.roi_top.assign(models, 0);
  f.test_z.setZero(m, d);
  f.cv_z.setZero(n, d);
  for (std::size_t i = 0; i < top; ++i) {
    const std::size_t model = order[i];
    f.roi_top[model] = 1;
    if (model % ranks == static_cast<std::size_t>(comm.rank())) {
      const Kept& k = kept.at(model);
      f.test_z += k.test_z;
      f.cv_z += k.cv_z;
    }
  }
  comm.allreduce_in_place(f.test_z.data(), static_cast<std::size_t>(f.test_z.size()), mpi::Op::sum);
  comm.allreduce_in_place(f.cv_z.data(), static_cast<std::size_t>(f.cv_z.size()), mpi::Op::sum);
  f.test_z /= double(top);
  f.cv_z /= double(top);
  f.alpha = Eigen::VectorXd::Constant(d, kNaN);
  return f;
}

std::vector<double> to_vector(const Eigen::VectorXd& v) {
  return {v.data(), v.data() + v.size()};
}

std::string npy_path(const std::string& out, const std::string& what) {
  std::string stem = out;
  if (stem.size() > 3 && stem.compare(stem.size() - 3, 3, ".h5") == 0) stem.resize(stem.size() - 3);
  return stem + "_" + what + ".npy";
}

DecodeSummary decode_unit(const DecodeOptions& o, const Unit& unit,
                          const analysis::ClipEmbeddings& clips, const Study& study,
                          const std::vector<double>& alphas, const io::Provenance& provenance,
                          const mpi::Comm& comm) {
  auto responses = mpi::agree_on(comm, [&] {
    return std::make_unique<io::H5File>(unit.subject.responses, io::Access::read, comm);
  });
  const ResponsesLayout layout =
      mpi::agree_on(comm, [&] { return inspect(*responses, study.test); });
  std::vector<std::size_t> run_lengths;
  for (const mpi::Range& r : layout.runs) run_lengths.push_back(r.size());
  analysis::SampleOptions so;
  so.tr = o.tr;
  so.delay_s = o.delay_s;
  so.per_clip = o.per_clip;
  const analysis::DecodeSamples samples = mpi::agree_on(comm, [&] {
    return analysis::decode_samples(clips, study.train_runs, study.test, run_lengths, so,
                                    unit.subject.responses);
  });
  const std::vector<mpi::Range> runs = sample_runs(samples.train);
  const std::vector<mpi::Range> folds = mpi::agree_on(comm, [&] {
    try {
      return solvers::contiguous_folds(runs, o.folds);
    } catch (const InputError& e) {
      throw InputError(unit.subject.responses + ": " + e.what());
    }
  });
  const Selection sel =
      mpi::agree_on(comm, [&] { return select_voxels(o, *responses, layout.voxels, comm); });
  const Matrix<double> y_train = analysis::sample_targets(clips, samples.train, samples.per_clip);
  const Matrix<double> y_test = analysis::sample_targets(clips, samples.test, samples.per_clip);
  const Targets targets = standardize(y_train);

  Matrix<double> dual;
  Fit fit;
  if (o.roi_models_top > 0) {
    fit = fit_roi_models(*responses, layout, sel, samples, runs, targets, folds, alphas, o, comm);
  } else {
    Matrix<double> k_test;
    const auto n = static_cast<int>(samples.train.size());
    std::size_t largest_fold = 0;
    for (const mpi::Range& f : folds) largest_fold = std::max(largest_fold, f.size());
    if (distributed_kernel(o, n - static_cast<int>(largest_fold), comm)) {
      const auto [rows, cols] = o.eigen.grid_shape(comm.size());
      const solvers::BlacsGrid grid(comm, rows, cols);
      solvers::DistributedMatrix k(
          grid, n, n,
          solvers::fitting_block(n - static_cast<int>(largest_fold), o.eigen.block, rows, cols));
      stream_kernels(*responses, layout, sel, samples, runs, comm, k, k_test);
      fit = fit_whole(solvers::kernel_ridge_cv(std::move(k), targets.z, folds, alphas), k_test,
                      o.save_weights ? &dual : nullptr);
    } else {
      Matrix<double> k;
      stream_kernels(*responses, layout, sel, samples, runs, comm, k, k_test);
      fit = fit_whole(solvers::kernel_ridge_cv(k, targets.z, folds, alphas, comm, o.eigen), k_test,
                      o.save_weights ? &dual : nullptr);
    }
  }
  const Matrix<double> pred = targets.original(fit.test_z);
  const Matrix<double> cv_pred = targets.original(fit.cv_z);

  // Metrics.
  const Eigen::VectorXd cv_r = analysis::pearson_r<double>(cv_pred, y_train);
  const Eigen::VectorXd test_r = analysis::pearson_r<double>(pred, y_test);
  const std::vector<double> ident = analysis::identification_accuracy(pred, y_test);
  const Eigen::VectorXd emb_r = analysis::row_correlations(pred, y_test).diagonal();
  std::vector<std::string> genres;
  for (const auto& s : samples.test) genres.push_back(analysis::clip_genre(clips.ids[s.clip]));
  const std::set<std::string> genre_set(genres.begin(), genres.end());
  const std::vector<std::string> genre_names(genre_set.begin(), genre_set.end());
  std::vector<double> genre_ident;
  for (const auto& g : genre_names) {
    double sum = 0;
    std::size_t count = 0;
    for (std::size_t i = 0; i < genres.size(); ++i)
      if (genres[i] == g) {
        sum += ident[i];
        ++count;
      }
    genre_ident.push_back(sum / double(count));
  }
  DecodeSummary s;
  s.subject = unit.subject.name;
  s.space = unit.space;
  s.train_samples = samples.train.size();
  s.test_samples = samples.test.size();
  s.voxels = sel.voxels.size();
  s.identification = std::accumulate(ident.begin(), ident.end(), 0.0) / double(ident.size());
  s.embedding_correlation = emb_r.mean();
  s.mean_cv_r = mean_cv_r(cv_pred, y_train);

  // Outputs: the .npy copies first, then the HDF5 file, committed last.
  if (comm.is_root()) {
    io::write_npy(npy_path(unit.out, "test_prediction"), row_major(pred),
                  {static_cast<std::size_t>(pred.rows()), static_cast<std::size_t>(pred.cols())});
    io::write_npy(
        npy_path(unit.out, "train_cv_prediction"), row_major(cv_pred),
        {static_cast<std::size_t>(cv_pred.rows()), static_cast<std::size_t>(cv_pred.cols())});
  }
  io::OutputFile out(unit.out, provenance, comm);
  io::H5File& f = out.file();
  const auto shape = [](const Matrix<double>& m) {
    return io::Shape{static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols())};
  };
  f.write_all<double>("/test/prediction", shape(pred), row_major(pred));
  f.write_all<double>("/test/target", shape(y_test), row_major(y_test));
  f.write_all<double>("/train/cv_prediction", shape(cv_pred), row_major(cv_pred));
  f.write_all<double>("/train/target", shape(y_train), row_major(y_train));
  std::vector<std::int32_t> test_clip, test_window, train_clip, train_run;
  for (const auto& t : samples.test) {
    test_clip.push_back(static_cast<std::int32_t>(t.clip));
    test_window.push_back(static_cast<std::int32_t>(t.window));
  }
  for (const auto& t : samples.train) {
    train_clip.push_back(static_cast<std::int32_t>(t.clip));
    train_run.push_back(static_cast<std::int32_t>(t.run));
  }
  f.write_all<std::int32_t>("/test/clip", {test_clip.size()}, test_clip);
  f.write_all<std::int32_t>("/test/window", {test_window.size()}, test_window);
  f.write_all<std::int32_t>("/train/clip", {train_clip.size()}, train_clip);
  f.write_all<std::int32_t>("/train/run", {train_run.size()}, train_run);
  f.write_attribute("/", "clip_ids", clips.ids);
  f.write_all<double>("/test/identification", {ident.size()}, ident);
  f.write_all<double>("/test/embedding_r", {static_cast<std::size_t>(emb_r.size())},
                      to_vector(emb_r));
  f.write_all<double>("/dims/alpha", {static_cast<std::size_t>(fit.alpha.size())},
                      to_vector(fit.alpha));
  f.write_all<double>("/dims/cv_r", {static_cast<std::size_t>(cv_r.size())}, to_vector(cv_r));
  f.write_all<double>("/dims/test_r", {static_cast<std::size_t>(test_r.size())}, to_vector(test_r));
  f.write_attribute("/dims", "alphas", alphas);
  f.write_all<double>("/genres/identification", {genre_ident.size()}, genre_ident);
  f.write_attribute("/genres/identification", "names", genre_names);
  std::vector<std::int64_t> selected(sel.voxels.begin(), sel.voxels.end());
  f.write_all<std::int64_t>("/voxels/selected", {selected.size()}, selected);
  if (!sel.models.empty()) {
    f.write_all<double>("/rois/cv_r", {fit.roi_cv_r.size()}, fit.roi_cv_r);
    f.write_all<std::uint8_t>("/rois/top", {fit.roi_top.size()}, fit.roi_top);
    f.write_all<double>("/rois/alpha", shape(fit.roi_alpha), row_major(fit.roi_alpha));
    f.write_attribute("/rois/cv_r", "names", sel.models);
  }
  if (o.save_weights && o.roi_models_top == 0) {
    // Voxel-space weights W = X^T C, each rank its own voxels' rows, from a
    // second pass over the responses.
    const auto d = static_cast<std::size_t>(dual.cols());
    f.create<double>("/weights", {sel.voxels.size(), d});
    for_each_chunk(
        *responses, layout, even_share(sel, layout, comm), samples, runs, comm, kReadColumns,
        [&](const Matrix<double>& train, const Matrix<double>&, std::size_t first) {
          const Matrix<double> w = train.transpose() * dual;
          const std::vector<double> rows = row_major(w);
          f.write<double>("/weights", {first, 0},
                          {static_cast<std::size_t>(w.rows()), w.rows() ? d : 0}, rows.data());
        });
    f.write_attribute("/weights", "unit",
                      std::string("standardized targets per standardized voxel: embedding = "
                                  "mean + sd * (x_z W)"));
  }
  f.write_attribute("/", "identification_accuracy", std::vector<double>{s.identification});
  f.write_attribute("/", "embedding_correlation", std::vector<double>{s.embedding_correlation});
  f.write_attribute("/", "mean_cv_r", std::vector<double>{s.mean_cv_r});
  f.write_attribute("/", "samples",
                    std::vector<double>{double(s.train_samples), double(s.test_samples)});
  f.write_attribute("/", "voxels", std::vector<double>{double(s.voxels)});
  f.write_attribute("/", "space", unit.space);
  f.write_attribute("/", "subject", unit.subject.name);
  out.commit();
  return s;
}

// The summary of a complete output from an earlier run.
DecodeSummary read_summary(const Unit& unit, const mpi::Comm& comm) {
  return mpi::agree_on(comm, [&] {
    const io::H5File f(unit.out, io::Access::read, comm);
    DecodeSummary s;
    s.subject = unit.subject.name;
    s.space = unit.space;
    s.identification = f.read_double_attribute("/", "identification_accuracy").at(0);
    s.embedding_correlation = f.read_double_attribute("/", "embedding_correlation").at(0);
    s.mean_cv_r = f.read_double_attribute("/", "mean_cv_r").at(0);
    const auto n = f.read_double_attribute("/", "samples");
    s.train_samples = static_cast<std::size_t>(n.at(0));
    s.test_samples = static_cast<std::size_t>(n.at(1));
    s.voxels = static_cast<std::size_t>(f.read_double_attribute("/", "voxels").at(0));
    s.reused = true;
    return s;
  });
}

nlohmann::json to_json(const DecodeSummary& s) {
  return {{"subject", s.subject},
          {"space", s.space},
          {"train", s.train_samples},
          {"test", s.test_samples},
          {"voxels", s.voxels},
          {"identification", json_number(s.identification)},
          {"embedding_r", json_number(s.embedding_correlation)},
          {"cv_r", json_number(s.mean_cv_r)},
          {"reused", s.reused}};
}

DecodeSummary from_json(const nlohmann::json& j) {
  DecodeSummary s;
  s.subject = j.at("subject");
  s.space = j.at("space");
  s.train_samples = j.at("train");
  s.test_samples = j.at("test");
  s.voxels = j.at("voxels");
  s.identification = number_or_nan(j.at("identification"));
  s.embedding_correlation = number_or_nan(j.at("embedding_r"));
  s.mean_cv_r = number_or_nan(j.at("cv_r"));
  s.reused = j.at("reused");
  return s;
}

void check_options(const DecodeOptions& o) {
  if (o.spaces.empty()) throw ConfigError("decode: give at least one --space");
  if (o.features.empty()) throw ConfigError("decode: --features is required");
  if (o.events_dir.empty()) throw ConfigError("decode: --events is required");
  if (o.spaces.size() > 1 && o.out.find("{space}") == std::string::npos)
    throw ConfigError("decode: with several --space values, --out must contain {space}");
  if (o.top_voxels > 0 && o.encode_result.empty())
    throw ConfigError("decode: --top-voxels needs --encode-result");
  if (o.top_voxels > 0 && (o.roi_models_top > 0 || !o.rois.empty()))
    throw ConfigError("decode: --top-voxels cannot be combined with --roi or --roi-models");
  if (o.folds < 2) throw ConfigError("decode: --folds must be at least 2");
  if (o.save_weights && o.roi_models_top > 0)
    throw ConfigError(
        "decode: --save-weights is not available with --roi-models (one model per ROI)");
}

}  // namespace

std::vector<DecodeSummary> run_decode(const DecodeOptions& o, const mpi::Comm& world) {
  check_options(o);
  const std::vector<double> alphas =
      solvers::AlphaGrid{o.alphas, o.n_alphas, o.alpha_min, o.alpha_max}.alphas();
  const std::vector<Subject> subjects = subjects_of(o.responses, o.out, "decode");
  std::vector<Unit> units;
  for (const Subject& s : subjects)
    for (const std::string& space : o.spaces)
      units.push_back({s, space, fill(s.out, "space", space)});

  const Study study = mpi::agree_on(world, [&] {
    Study st;
    st.train_runs = io::read_task_events(o.events_dir, "Training");
    const std::vector<io::RunEvents> test_runs = io::read_task_events(o.events_dir, "Test");
    st.test = analysis::test_layout(test_runs, o.tr);
    st.event_files = events_files(o.events_dir);
    return st;
  });
  const std::vector<analysis::ClipEmbeddings> clips = mpi::agree_on(world, [&] {
    const io::H5File file(o.features, io::Access::read, world);
    std::vector<analysis::ClipEmbeddings> out;
    for (const std::string& space : o.spaces) out.push_back(read_clip_embeddings(file, space));
    return out;
  });
  std::vector<std::string> shared_inputs = study.event_files;
  shared_inputs.insert(shared_inputs.begin(), o.features);
  if (!o.encode_result.empty()) shared_inputs.push_back(o.encode_result);
  mpi::agree_on(world, [&] {
    std::vector<std::string> outputs, inputs = shared_inputs;
    for (const Unit& u : units) {
      outputs.push_back(u.out);
      outputs.push_back(npy_path(u.out, "test_prediction"));
      outputs.push_back(npy_path(u.out, "train_cv_prediction"));
      inputs.push_back(u.subject.responses);
    }
    refuse_overwriting_inputs(outputs, inputs, "decode");
    for (std::size_t i = 0; i < units.size(); ++i)
      for (std::size_t j = i + 1; j < units.size(); ++j)
        if (units[i].out == units[j].out)
          throw ConfigError("decode: " + units[i].subject.name + "/" + units[i].space + " and " +
                            units[j].subject.name + "/" + units[j].space + " would both write " +
                            units[i].out);
  });

  const std::size_t groups = subject_groups(units.size(), static_cast<std::size_t>(world.size()));
  const mpi::GroupSplit split = mpi::split_into_groups(world, groups);
  nlohmann::json mine = nlohmann::json::array();
  for (std::size_t i = split.group; i < units.size(); i += groups) {
    const Unit& unit = units[i];
    const std::size_t space_index = static_cast<std::size_t>(
        std::find(o.spaces.begin(), o.spaces.end(), unit.space) - o.spaces.begin());
    const auto start = std::chrono::steady_clock::now();
    io::Provenance provenance;
    provenance.command_line = o.command_line;
    provenance.parameters = {{"stage", "decode"},
                             {"space", unit.space},
                             {"folds", o.folds},
                             {"alphas", alphas},
                             {"tr", o.tr},
                             {"delay_s", o.delay_s},
                             {"per_clip", o.per_clip},
                             {"rois", o.rois},
                             {"roi_models_top", o.roi_models_top},
                             {"top_voxels", o.top_voxels},
                             {"save_weights", o.save_weights}};
    std::vector<std::string> inputs = shared_inputs;
    inputs.insert(inputs.begin(), unit.subject.responses);
    provenance.inputs = io::checksum_inputs(inputs, split.comm);
    const io::OutputState state = io::existing_output(unit.out, provenance, split.comm);
    if (state == io::OutputState::complete_different && !o.overwrite)
      throw ConfigError(unit.out +
                        " exists from a run with other parameters or inputs; "
                        "remove it or pass --overwrite");
    const DecodeSummary s =
        state == io::OutputState::complete_same
            ? read_summary(unit, split.comm)
            : decode_unit(o, unit, clips[space_index], study, alphas, provenance, split.comm);
    if (split.comm.is_root()) {
      mine.push_back(to_json(s));
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("decode: %s %s %s in %.1f s (%d ranks) -> %s\n", unit.subject.name.c_str(),
                  unit.space.c_str(), s.reused ? "already complete" : "done", seconds,
                  split.comm.size(), unit.out.c_str());
      std::fflush(stdout);
    }
  }
  std::vector<DecodeSummary> rows;
  for (const std::string& part : world.allgather(mine.dump()))
    for (const auto& j : nlohmann::json::parse(part)) rows.push_back(from_json(j));
  std::sort(rows.begin(), rows.end(), [](const DecodeSummary& a, const DecodeSummary& b) {
    return std::tie(a.space, a.subject) < std::tie(b.space, b.subject);
  });
  return rows;
}

std::string format_decode_summary(const std::vector<DecodeSummary>& rows) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-12s %-16s %7s %6s %8s %15s %12s %9s\n", "subject", "space",
                "train", "test", "voxels", "identification", "embedding_r", "cv_r");
  out << line;
  for (const auto& s : rows) {
    std::snprintf(line, sizeof line, "%-12s %-16s %7zu %6zu %8zu %15.3f %12.3f %9.3f\n",
                  s.subject.c_str(), s.space.c_str(), s.train_samples, s.test_samples, s.voxels,
                  s.identification, s.embedding_correlation, s.mean_cv_r);
    out << line;
  }
  // Table 2 of the paper: per space, mean +- sd over subjects.
  out << "\n";
  std::snprintf(line, sizeof line, "%-16s %9s %24s %24s\n", "space", "subjects",
                "identification (mean+-sd)", "embedding_r (mean+-sd)");
  out << line;
  std::vector<std::string> spaces;
  for (const auto& s : rows)
    if (std::find(spaces.begin(), spaces.end(), s.space) == spaces.end()) spaces.push_back(s.space);
  for (const auto& space : spaces) {
    std::vector<double> id, er;
    for (const auto& s : rows)
      if (s.space == space) {
        id.push_back(s.identification);
        er.push_back(s.embedding_correlation);
      }
    const auto stats = [](const std::vector<double>& v) {
      const double mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
      double ss = 0;
      for (double x : v) ss += (x - mean) * (x - mean);
      return std::pair{mean, v.size() > 1 ? std::sqrt(ss / double(v.size() - 1)) : 0.0};
    };
    const auto [mi, si] = stats(id);
    const auto [me, se] = stats(er);
    std::snprintf(line, sizeof line, "%-16s %9zu %15.3f +- %5.3f %15.3f +- %5.3f\n", space.c_str(),
                  id.size(), mi, si, me, se);
    out << line;
  }
  return out.str();
}

std::string format_decode_summary_tsv(const std::vector<DecodeSummary>& rows) {
  std::ostringstream out;
  out << "subject\tspace\ttrain_samples\ttest_samples\tvoxels\tidentification\tembedding_r\tmean_"
         "cv_r\n";
  for (const auto& s : rows)
    out << s.subject << '\t' << s.space << '\t' << s.train_samples << '\t' << s.test_samples << '\t'
        << s.voxels << '\t' << s.identification << '\t' << s.embedding_correlation << '\t'
        << s.mean_cv_r << '\n';
  return out.str();
}

}  // namespace b2m::jobs
