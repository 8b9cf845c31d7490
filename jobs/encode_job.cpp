#include "jobs/encode_job.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "analysis/feature_alignment.hpp"
#include "analysis/scores.hpp"
#include "analysis/significance.hpp"
#include "analysis/zscore.hpp"
#include "core/error.hpp"
#include "io/output_file.hpp"
#include "jobs/study_files.hpp"
#include "jobs/subjects.hpp"
#include "jobs/summary_json.hpp"
#include "mpi/agree.hpp"
#include "mpi/rank_grid.hpp"
#include "solvers/ridge_cost.hpp"
#include "solvers/ridge_cv.hpp"

namespace b2m::jobs {
namespace {

using solvers::Matrix;
using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The design every subject shares, plus what it was made from.
struct LoadedDesign {
  analysis::Design design;
  std::string source;
  std::vector<std::string> inputs;
};

Matrix<double> read_matrix(const io::H5File& f, const std::string& dataset) {
  const io::Shape s = f.shape(dataset);
  if (s.size() != 2)
    throw InputError(f.path() + ":" + dataset + ": expected a 2-D dataset, got " +
                     std::to_string(s.size()) + "-D");
  const std::vector<double> flat = f.read_all<double>(dataset);
  for (std::size_t i = 0; i < flat.size(); ++i)
    if (!std::isfinite(flat[i]))
      throw InputError(f.path() + ":" + dataset + ": non-finite value at row " +
                       std::to_string(i / s[1]) + ", column " + std::to_string(i % s[1]));
  return Eigen::Map<const RowMajor>(flat.data(), static_cast<Eigen::Index>(s[0]),
                                    static_cast<Eigen::Index>(s[1]));
}

LoadedDesign load_design(const EncodeOptions& o, const mpi::Comm& comm) {
  LoadedDesign out;
  if (!o.design.empty() == !o.alignment.features.empty())
    throw ConfigError("encode: give either --design or --features (with --space and --events)");
  if (!o.design.empty()) {
    mpi::agree_on(comm, [&] {
      const io::H5File f(o.design, io::Access::read, comm);
      out.design.train_x = read_matrix(f, "/train/X");
      out.design.test_x = read_matrix(f, "/test/X");
      if (out.design.train_x.cols() != out.design.test_x.cols())
        throw InputError(o.design + ": /train/X has " + std::to_string(out.design.train_x.cols()) +
                         " features but /test/X has " + std::to_string(out.design.test_x.cols()));
    });
    out.source = o.design;
    out.inputs = {o.design};
  } else {
    if (o.alignment.space.empty() || o.alignment.events_dir.empty())
      throw ConfigError("encode: --features needs --space and --events");
    out.design = align_design(o.alignment, comm);
    out.source = o.alignment.features + " [" + o.alignment.space + "]";
    out.inputs = mpi::agree_on(comm, [&] { return events_files(o.alignment.events_dir); });
    out.inputs.insert(out.inputs.begin(), o.alignment.features);
  }
  return out;
}

struct ResponsesLayout {
  std::size_t n = 0, m = 0, voxels = 0;
  std::vector<mpi::Range> runs;
};

ResponsesLayout inspect(const io::H5File& f, const analysis::Design& d,
                        const std::string& design_source) {
  ResponsesLayout out;
  const io::Shape train = f.shape("/train/Y");
  const io::Shape test = f.shape("/test/Y");
  const io::Shape run = f.shape("/train/run");
  const auto shape_text = [](const io::Shape& s) {
    std::string t = "[";
    for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
    return t + "]";
  };
  if (train.size() != 2 || test.size() != 2 || run.size() != 1)
    throw InputError(f.path() + ": expected /train/Y [n, V], /test/Y [m, V], /train/run [n]; got " +
                     shape_text(train) + ", " + shape_text(test) + ", " + shape_text(run));
  out.n = train[0];
  out.voxels = train[1];
  out.m = test[0];
  if (test[1] != out.voxels)
    throw InputError(f.path() + ": /train/Y has " + std::to_string(out.voxels) +
                     " voxels but /test/Y has " + std::to_string(test[1]));
  if (run[0] != out.n)
    throw InputError(f.path() + ": /train/run has " + std::to_string(run[0]) + " rows, /train/Y " +
                     std::to_string(out.n));
  if (static_cast<std::size_t>(d.train_x.rows()) != out.n)
    throw InputError("training rows differ: " + f.path() + ":/train/Y has " +
                     std::to_string(out.n) + ", design " + design_source + " has " +
                     std::to_string(d.train_x.rows()));
  if (static_cast<std::size_t>(d.test_x.rows()) != out.m)
    throw InputError("test rows differ: " + f.path() + ":/test/Y has " + std::to_string(out.m) +
                     ", design " + design_source + " has " + std::to_string(d.test_x.rows()));
  if (out.voxels == 0 || out.m < 2)
    throw InputError(f.path() + ": no voxels or fewer than 2 test rows");
  out.runs = run_ranges(f.read_all<std::int64_t>("/train/run"), f.path() + ":/train/run");
  return out;
}

// Per-voxel results of one block slice.
struct SliceResult {
  std::vector<double> alpha, cv_score, r_test, r2_test, p_test;
  std::vector<std::uint8_t> valid;
};

const char* const kResultSets[] = {"/voxels/alpha", "/voxels/cv_score", "/voxels/r_test",
                                   "/voxels/r2_test", "/voxels/p_test"};
// Lags (in test rows) of the autocorrelation correction of p_test.
constexpr std::size_t kMaxLag = 20;

// The refit's factors. With several fold groups one group factorizes them,
// the first with fewer folds than the others (fold group g holds folds g,
// g + G, ...), and broadcasts them to its fold peers, so that no group does
// more factorizations than the busiest one already does.
solvers::RidgeRefit shared_refit(const Matrix<double>& x_train, const Matrix<double>& x_test,
                                 bool keep_weights, const mpi::RankGrid& grid, std::size_t folds,
                                 const mpi::Comm& comm) {
  const std::size_t groups = grid.fold_groups();
  if (groups == 1) return solvers::RidgeRefit(x_train, x_test, keep_weights);
  const std::size_t owner = solvers::refit_owner(folds, groups);
  solvers::RidgeFactor f;
  mpi::agree_on(comm, [&] {
    if (grid.fold_group() == owner) f = solvers::ridge_factor(x_train, x_test, keep_weights);
  });
  const Eigen::Index n = x_train.rows(), p = x_train.cols(), m = x_test.rows();
  const Eigen::Index k = std::min(n, p);
  if (grid.fold_group() != owner) {
    f.lambda.resize(k);
    f.right.resize(k, n);
    f.left.resize(m, k);
    if (keep_weights) f.weights_left.resize(p, k);
  }
  const auto root = static_cast<int>(owner);  // fold peers are ranked by fold group
  const mpi::Comm& peers = grid.fold_peers();
  peers.bcast(f.lambda.data(), static_cast<std::size_t>(f.lambda.size()), root);
  peers.bcast(f.right.data(), static_cast<std::size_t>(f.right.size()), root);
  peers.bcast(f.left.data(), static_cast<std::size_t>(f.left.size()), root);
  if (keep_weights)
    peers.bcast(f.weights_left.data(), static_cast<std::size_t>(f.weights_left.size()), root);
  return solvers::RidgeRefit(std::move(f), keep_weights);
}

// Validation scores of this rank's folds for one block, summed over the
// fold peers (every fold's scores on every peer).
template <class T>
void cv_scores(const std::vector<solvers::RidgeFold>& folds, const Matrix<T>& y,
               const std::vector<double>& alphas, const mpi::Comm& fold_peers, Eigen::MatrixXd& mse,
               Eigen::MatrixXd& r2) {
  mse.setZero(static_cast<Eigen::Index>(alphas.size()), y.cols());
  r2.setZero(static_cast<Eigen::Index>(alphas.size()), y.cols());
  for (const auto& fold : folds) fold.accumulate<T>(y, alphas, mse, r2);
  fold_peers.allreduce_in_place(mse.data(), static_cast<std::size_t>(mse.size()), mpi::Op::sum);
  fold_peers.allreduce_in_place(r2.data(), static_cast<std::size_t>(r2.size()), mpi::Op::sum);
}

// Relative error of a float validation MSE on data of unit variance. The
// rounding error of a residual scales with the data, not with the residual,
// so the relative error of the MSE grows as 1 / sqrt(unexplained fraction).
// Measured: up to 2e-8 on noise voxels at p = 512; 1e-6 leaves a 50x margin.
constexpr double kFloatMseError = 1e-6;

// Single precision: rescores// Single precision: rescores in double the voxels whose best alphas
// are within float rounding of each other (from the raw, not yet standardized columns), so that
// single and double runs choose the same alpha. Fold peers see the same summed errors and so agree
// on the voxels to rescore.
void rescore_near_ties(const std::vector<solvers::RidgeFold>& folds, std::size_t total_folds,
                       const Matrix<float>& y_raw, bool zscore, const std::vector<mpi::Range>& runs,
                       const std::vector<double>& alphas, const mpi::Comm& fold_peers,
                       Eigen::MatrixXd& mse, Eigen::MatrixXd& r2) {
  Eigen::VectorXd tolerance(mse.cols());
  for (Eigen::Index j = 0; j < mse.cols(); ++j) {
    Eigen::Index best = 0;
    mse.col(j).minCoeff(&best);
    const double unexplained = std::max(1e-6, 1.0 - r2(best, j) / double(total_folds));
    tolerance(j) = kFloatMseError / std::sqrt(unexplained);
  }
  const std::vector<Eigen::Index> ties = solvers::near_ties(mse, tolerance);
  if (ties.empty()) return;
  Matrix<double> y(y_raw.rows(), static_cast<Eigen::Index>(ties.size()));
  for (std::size_t i = 0; i < ties.size(); ++i)
    y.col(static_cast<Eigen::Index>(i)) = y_raw.col(ties[i]).cast<double>();
  if (zscore) analysis::zscore_within<double>(y, runs);
  Eigen::MatrixXd tie_mse, tie_r2;
  cv_scores<double>(folds, y, alphas, fold_peers, tie_mse, tie_r2);
  for (std::size_t i = 0; i < ties.size(); ++i) {
    mse.col(ties[i]) = tie_mse.col(static_cast<Eigen::Index>(i));
    r2.col(ties[i]) = tie_r2.col(static_cast<Eigen::Index>(i));
  }
}

template <class T>
void encode_subject(const EncodeOptions& o, const Subject& subject, const LoadedDesign& loaded,
                    const std::vector<double>& alphas, const io::Provenance& provenance,
                    const mpi::Comm& comm) {
  auto responses = mpi::agree_on(comm, [&] {
    return std::make_unique<io::H5File>(subject.responses, io::Access::read, comm);
  });
  const ResponsesLayout layout =
      mpi::agree_on(comm, [&] { return inspect(*responses, loaded.design, loaded.source); });
  const std::vector<mpi::Range> folds = mpi::agree_on(comm, [&] {
    try {
      return solvers::contiguous_folds(layout.runs, o.folds);
    } catch (const InputError& e) {
      throw InputError(subject.responses + ": " + e.what());
    }
  });
  if (o.fold_groups > o.folds)
    throw ConfigError("encode: --fold-groups (" + std::to_string(o.fold_groups) +
                      ") cannot exceed --folds (" + std::to_string(o.folds) + ")");
  const std::size_t p = static_cast<std::size_t>(loaded.design.train_x.cols());
  const mpi::RankGrid grid(
      comm, o.fold_groups != 0
                ? o.fold_groups
                : solvers::plan_fold_groups(layout.n, layout.m, folds, p, alphas.size(),
                                            layout.voxels, static_cast<std::size_t>(comm.size())));

  // The design, standardized like the responses. The factorizations are
  // always done in double (ridge_factor.hpp).
  Matrix<double> x_train = loaded.design.train_x;
  Matrix<double> x_test = loaded.design.test_x;
  const std::vector<mpi::Range> all_test = {{0, layout.m}};
  if (o.zscore) {
    analysis::zscore_within<double>(x_train, layout.runs);
    analysis::zscore_within<double>(x_test, all_test);
  }

  io::OutputFile out(subject.out, provenance, comm);
  io::H5File& f = out.file();
  const mpi::Blocks blocks(layout.voxels, o.block_size);
  if (!out.resumed()) {
    for (const char* set : kResultSets) f.create<double>(set, {layout.voxels});
    f.create<std::uint8_t>("/voxels/valid", {layout.voxels});
    f.write_attribute("/voxels", "alphas", alphas);
    if (o.save_weights) f.create<T>("/weights", {p, layout.voxels});
    f.create<std::uint8_t>("/progress/blocks_done", {blocks.count()});
    f.flush();
  }
  const std::vector<std::uint8_t> done = f.read_all<std::uint8_t>("/progress/blocks_done");

  // Factorizations: this rank's folds, and the refit on all training rows.
  std::vector<solvers::RidgeFold> my_folds;
  for (std::size_t k = grid.fold_group(); k < folds.size(); k += grid.fold_groups())
    my_folds.emplace_back(x_train, folds[k]);
  const solvers::RidgeRefit refit =
      shared_refit(x_train, x_test, o.save_weights, grid, folds.size(), comm);
  x_train.resize(0, 0);
  x_test.resize(0, 0);

  std::vector<std::size_t> todo;
  for (std::size_t b : blocks.owned_by(grid.voxel_group(), grid.voxel_groups()))
    if (!done[b]) todo.push_back(b);
  const std::size_t rounds = comm.allreduce(todo.size(), mpi::Op::max);
  Eigen::MatrixXd mse, r2;
  Matrix<T> prediction, weights;
  for (std::size_t round = 0; round < rounds; ++round) {
    const bool active = round < todo.size();
    const mpi::Range block = active ? blocks.block(todo[round]) : mpi::Range{};
    const auto width = static_cast<Eigen::Index>(block.size());
    // Read and check the block (every rank joins the collective reads).
    // Each collective read is agreed on before the next starts, and the
    // values are checked only once every rank is past both reads: a rank
    // that failed early must not leave its peers inside a collective.
    Matrix<T> y_train, y_test, y_raw;
    mpi::agree_on(comm, [&] { y_train = read_block<T>(*responses, "/train/Y", layout.n, block); });
    mpi::agree_on(comm, [&] { y_test = read_block<T>(*responses, "/test/Y", layout.m, block); });
    mpi::agree_on(comm, [&] {
      check_finite(y_train, subject.responses + ":/train/Y", block);
      check_finite(y_test, subject.responses + ":/test/Y", block);
    });
    if constexpr (std::is_same_v<T, float>) y_raw = y_train;
    std::vector<bool> varies(static_cast<std::size_t>(width), true);
    if (o.zscore) {
      varies = analysis::zscore_within<T>(y_train, layout.runs);
      analysis::zscore_within<T>(y_test, all_test);
    } else {
      for (Eigen::Index j = 0; j < width; ++j)
        varies[static_cast<std::size_t>(j)] = (y_train.col(j).array() != y_train(0, j)).any();
    }

    // Validation scores of this rank's folds, summed over the fold group.
    cv_scores<T>(my_folds, y_train, alphas, grid.fold_peers(), mse, r2);
    if constexpr (std::is_same_v<T, float>)
      rescore_near_ties(my_folds, folds.size(), y_raw, o.zscore, layout.runs, alphas,
                        grid.fold_peers(), mse, r2);

    // Refit and test scores for this rank's share of the block.
    const mpi::Range share =
        active ? mpi::even_part(block.size(), grid.fold_groups(), grid.fold_group()) : mpi::Range{};
    SliceResult res;
    Eigen::VectorXd alpha(static_cast<Eigen::Index>(share.size()));
    for (std::size_t i = 0; i < share.size(); ++i) {
      const auto j = static_cast<Eigen::Index>(share.begin + i);
      const bool valid = varies[static_cast<std::size_t>(j)];
      Eigen::Index best = 0;
      mse.col(j).minCoeff(&best);  // first minimum on ties, as numpy's argmin
      res.valid.push_back(valid ? 1 : 0);
      alpha(static_cast<Eigen::Index>(i)) = valid ? alphas[static_cast<std::size_t>(best)] : kNaN;
      res.alpha.push_back(alpha(static_cast<Eigen::Index>(i)));
      res.cv_score.push_back(valid ? r2(best, j) / double(folds.size()) : kNaN);
    }
    const auto s0 = static_cast<Eigen::Index>(share.begin);
    const auto sw = static_cast<Eigen::Index>(share.size());
    refit.fit<T>(y_train.middleCols(s0, sw), alpha, prediction,
                 o.save_weights ? &weights : nullptr);
    const Eigen::VectorXd r = analysis::pearson_r<T>(prediction, y_test.middleCols(s0, sw));
    const Eigen::VectorXd r2_test = analysis::r_squared<T>(prediction, y_test.middleCols(s0, sw));
    for (Eigen::Index i = 0; i < sw; ++i) {
      const bool valid = res.valid[static_cast<std::size_t>(i)] != 0;
      res.r_test.push_back(valid ? r(i) : kNaN);
      res.r2_test.push_back(valid ? r2_test(i) : kNaN);
      const Eigen::VectorXd pred = prediction.col(i).template cast<double>();
      const Eigen::VectorXd truth = y_test.col(s0 + i).template cast<double>();
      const double n_eff =
          analysis::effective_samples(pred.data(), truth.data(), layout.m, kMaxLag);
      res.p_test.push_back(valid ? analysis::fisher_p_value(r(i), n_eff) : kNaN);
    }

    // Write this rank's slice, then mark the block done once it is on disk.
    const io::Shape at = {block.begin + share.begin};
    const io::Shape count = {share.size()};
    const std::vector<double>* columns[] = {&res.alpha, &res.cv_score, &res.r_test, &res.r2_test,
                                            &res.p_test};
    for (std::size_t k = 0; k < 5; ++k)
      f.write<double>(kResultSets[k], at, count, columns[k]->data());
    f.write<std::uint8_t>("/voxels/valid", at, count, res.valid.data());
    if (o.save_weights) {
      using RM = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
      const RM w = weights;
      f.write<T>("/weights", {0, block.begin + share.begin}, {share.empty() ? 0 : p, share.size()},
                 w.data());
    }
    f.flush();
    const bool marker = active && grid.fold_group() == 0;
    const std::uint8_t one = 1;
    f.write<std::uint8_t>("/progress/blocks_done", {marker ? todo[round] : 0}, {marker ? 1u : 0u},
                          &one);
    f.flush();
  }
  out.commit();
}

EncodeSummary summarize(const Subject& subject, const std::string& space, const mpi::Comm& comm) {
  return mpi::agree_on(comm, [&] {
    const io::H5File result(subject.out, io::Access::read, comm);
    const io::H5File responses(subject.responses, io::Access::read, comm);
    const std::vector<double> r = result.read_all<double>("/voxels/r_test");
    std::vector<double> alpha = result.read_all<double>("/voxels/alpha");
    const std::vector<double> p = result.read_all<double>("/voxels/p_test");
    EncodeSummary s;
    s.subject = subject.name;
    s.space = space;
    s.voxels = r.size();
    const std::vector<double> q = analysis::fdr_q_values(p);
    s.significant = static_cast<std::size_t>(
        std::count_if(q.begin(), q.end(), [](double v) { return v < 0.05; }));
    s.constant_voxels = static_cast<std::size_t>(
        std::count_if(alpha.begin(), alpha.end(), [](double v) { return std::isnan(v); }));
    const auto median = [](std::vector<double> v) {
      v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
      if (v.empty()) return kNaN;
      std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
      return v[v.size() / 2];
    };
    s.median_r = median(r);
    s.median_r_auditory = kNaN;
    if (responses.exists("/voxels/roi") && responses.has_attribute("/voxels/roi", "names")) {
      const auto names = responses.read_strings_attribute("/voxels/roi", "names");
      const auto roi = responses.read_all<std::int64_t>("/voxels/roi");
      const auto a1 = std::find_if(names.begin(), names.end(), [](const std::string& n) {
        return n.find("auditory") != std::string::npos || n == "A1";
      });
      if (a1 != names.end() && roi.size() == r.size()) {
        std::vector<double> in_roi;
        for (std::size_t i = 0; i < r.size(); ++i)
          if (roi[i] == a1 - names.begin()) in_roi.push_back(r[i]);
        s.median_r_auditory = median(in_roi);
      }
    }
    alpha.erase(std::remove_if(alpha.begin(), alpha.end(), [](double x) { return std::isnan(x); }),
                alpha.end());
    std::sort(alpha.begin(), alpha.end());
    s.alpha_low = alpha.empty() ? kNaN : alpha[alpha.size() * 5 / 100];
    s.alpha_high =
        alpha.empty() ? kNaN : alpha[std::min(alpha.size() - 1, alpha.size() * 95 / 100)];
    return s;
  });
}

nlohmann::json to_json(const EncodeSummary& s) {
  return {{"subject", s.subject},
          {"space", s.space},
          {"voxels", s.voxels},
          {"constant", s.constant_voxels},
          {"significant", s.significant},
          {"median_r_auditory", json_number(s.median_r_auditory)},
          {"median_r", json_number(s.median_r)},
          {"alpha_low", json_number(s.alpha_low)},
          {"alpha_high", json_number(s.alpha_high)},
          {"reused", s.reused}};
}

EncodeSummary from_json(const nlohmann::json& j) {
  EncodeSummary s;
  s.subject = j.at("subject");
  s.space = j.at("space");
  s.voxels = j.at("voxels");
  s.constant_voxels = j.at("constant");
  s.significant = j.at("significant");
  s.median_r_auditory = number_or_nan(j.at("median_r_auditory"));
  s.median_r = number_or_nan(j.at("median_r"));
  s.alpha_low = number_or_nan(j.at("alpha_low"));
  s.alpha_high = number_or_nan(j.at("alpha_high"));
  s.reused = j.at("reused");
  return s;
}

}  // namespace

std::vector<EncodeSummary> run_encode(const EncodeOptions& o, const mpi::Comm& world) {
  const std::vector<Subject> subjects = subjects_of(o.responses, o.out, "encode");
  const std::vector<double> alphas =
      alpha_grid(o.alphas, o.n_alphas, o.alpha_min, o.alpha_max, "encode");
  if (o.block_size < 1) throw ConfigError("encode: --block-size must be positive");
  const LoadedDesign loaded = load_design(o, world);
  const std::string space = o.alignment.space.empty() ? loaded.source : o.alignment.space;
  mpi::agree_on(world, [&] {
    std::vector<std::string> outputs, inputs = loaded.inputs;
    for (const Subject& subject : subjects) {
      outputs.push_back(subject.out);
      inputs.push_back(subject.responses);
    }
    refuse_overwriting_inputs(outputs, inputs, "encode");
  });

  // Ranks split into subject groups; each group runs its subjects in turn.
  const std::size_t groups =
      subject_groups(subjects.size(), static_cast<std::size_t>(world.size()));
  const mpi::GroupSplit split = mpi::split_into_groups(world, groups);
  nlohmann::json mine = nlohmann::json::array();
  for (std::size_t i = split.group; i < subjects.size(); i += groups) {
    const Subject& subject = subjects[i];
    const auto start = std::chrono::steady_clock::now();
    io::Provenance provenance;
    provenance.command_line = o.command_line;
    provenance.parameters = {{"stage", "encode"},
                             {"design", loaded.source},
                             {"folds", o.folds},
                             {"alphas", alphas},
                             {"precision", o.precision == Precision::single ? "single" : "double"},
                             {"block_size", o.block_size},
                             {"zscore", o.zscore},
                             {"save_weights", o.save_weights},
                             {"delays", o.alignment.delays},
                             {"tr", o.alignment.tr}};
    std::vector<std::string> inputs = loaded.inputs;
    inputs.insert(inputs.begin(), subject.responses);

    provenance.inputs = io::checksum_inputs(inputs, split.comm);
    const io::OutputState state = io::existing_output(subject.out, provenance, split.comm);
    if (state == io::OutputState::complete_different && !o.overwrite)
      throw ConfigError(subject.out +
                        " exists from a run with other parameters or inputs; "
                        "remove it or pass --overwrite");
    const bool reuse = state == io::OutputState::complete_same;
    if (!reuse) {
      if (o.precision == Precision::single)
        encode_subject<float>(o, subject, loaded, alphas, provenance, split.comm);
      else
        encode_subject<double>(o, subject, loaded, alphas, provenance, split.comm);
    }
    EncodeSummary s = summarize(subject, space, split.comm);
    s.reused = reuse;
    if (split.comm.is_root()) {
      mine.push_back(to_json(s));
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("encode: %s %s in %.1f s (%d ranks) -> %s\n", subject.name.c_str(),
                  reuse ? "already complete" : "done", seconds, split.comm.size(),
                  subject.out.c_str());
      std::fflush(stdout);
    }
  }
  std::vector<EncodeSummary> rows;
  for (const std::string& part : world.allgather(mine.dump()))
    for (const auto& j : nlohmann::json::parse(part)) rows.push_back(from_json(j));
  std::sort(rows.begin(), rows.end(),
            [](const EncodeSummary& a, const EncodeSummary& b) { return a.subject < b.subject; });
  return rows;
}

std::string format_summary(const std::vector<EncodeSummary>& rows) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-12s %-14s %8s %8s %12s %12s %9s %21s\n", "subject", "space",
                "voxels", "constant", "significant", "median_r_A1", "median_r", "alpha_5-95%");
  out << line;
  for (const auto& s : rows) {
    char alpha[64];
    std::snprintf(alpha, sizeof alpha, "%.3g-%.3g", s.alpha_low, s.alpha_high);
    std::snprintf(line, sizeof line, "%-12s %-14s %8zu %8zu %12zu %12.3f %9.3f %21s\n",
                  s.subject.c_str(), s.space.c_str(), s.voxels, s.constant_voxels, s.significant,
                  s.median_r_auditory, s.median_r, alpha);
    out << line;
  }
  return out.str();
}

std::string format_summary_tsv(const std::vector<EncodeSummary>& rows) {
  std::ostringstream out;
  out << "subject\tspace\tvoxels\tconstant\tsignificant_q05\tmedian_r_auditory\tmedian_r\t"
         "alpha_p5\talpha_p95\n";
  for (const auto& s : rows)
    out << s.subject << '\t' << s.space << '\t' << s.voxels << '\t' << s.constant_voxels << '\t'
        << s.significant << '\t' << s.median_r_auditory << '\t' << s.median_r << '\t' << s.alpha_low
        << '\t' << s.alpha_high << '\n';
  return out.str();
}

}  // namespace b2m::jobs
