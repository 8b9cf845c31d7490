#include "cluster/cost.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "io/serial_h5.hpp"
#include "solvers/matrix.hpp"
#include "solvers/ridge_cost.hpp"
#include "solvers/symmetric_eigen.hpp"

// OpenBLAS's thread count (cblas.h of OpenBLAS): the probe times one core.
extern "C" int openblas_get_num_threads(void);
extern "C" void openblas_set_num_threads(int);

namespace b2m::cluster {
namespace {

template <class F>
double best_seconds(int repeats, F&& f) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

// The values of option `name` in a task's command line (-k, --folds).
std::vector<std::string> option(const Task& task, const std::string& name) {
  const std::string flag = (name.size() == 1 ? "-" : "--") + name;
  std::vector<std::string> out;
  for (std::size_t i = 1; i + 1 < task.args.size(); ++i)
    if (task.args[i] == flag) out.push_back(task.args[i + 1]);
  return out;
}

bool has_flag(const Task& task, const std::string& name) {
  return std::find(task.args.begin(), task.args.end(), "--" + name) != task.args.end();
}

// A number from the command line, or `fallback` where it is not one.
double number_or(const std::string& text, double fallback) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  return end != text.c_str() && *end == '\0' ? v : fallback;
}

std::size_t count_or(const Task& task, const std::string& name, std::size_t fallback) {
  const auto v = option(task, name);
  return v.empty() ? fallback : std::size_t(std::max(1.0, number_or(v.back(), double(fallback))));
}

std::size_t list_length(const std::string& list) {
  return std::size_t(std::count(list.begin(), list.end(), ',')) + 1;
}

double file_bytes(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0.0 : double(size);
}

// TRs per 15 s clip at the dataset's 1.5 s TR: decode samples are clips.
constexpr double kTrsPerClip = 10;

}  // namespace

Machine probe_machine() {
  Machine m;
  // One core, as a rank with OPENBLAS_NUM_THREADS=1 (cpus_per_task scales it).
  const int threads = openblas_get_num_threads();
  openblas_set_num_threads(1);
  const Eigen::Index n = 512;
  const solvers::Matrix<double> a = solvers::Matrix<double>::Random(n, n);
  const solvers::Matrix<double> b = solvers::Matrix<double>::Random(n, n);
  solvers::Matrix<double> c(n, n);
  const double gemm = best_seconds(3, [&] { c.noalias() = a * b; });
  m.gemm_flops = 2.0 * double(n) * double(n) * double(n) / gemm;
  // Large enough for the eigensolver's blocked code to reach its pace on
  // the sizes that matter (folds of hundreds to thousands of rows).
  const Eigen::Index k = 512;
  solvers::Matrix<double> s = a.topLeftCorner(k, k) * a.topLeftCorner(k, k).transpose();
  const double eigen = best_seconds(2, [&] {
    solvers::Matrix<double> copy = s;
    static_cast<void>(solvers::symmetric_eigen(copy));
  });
  m.eigen_weight = eigen * m.gemm_flops / (double(k) * double(k) * double(k));
  openblas_set_num_threads(threads);
  return m;
}

const std::vector<std::size_t>& Sizer::shape(const std::string& file, const std::string& dataset) {
  const std::string key = file + "\n" + dataset;
  const auto found = shapes_.find(key);
  if (found != shapes_.end()) return found->second;
  std::vector<std::size_t> dims;
  std::error_code ec;
  if (std::filesystem::is_regular_file(file, ec)) {
    try {
      dims = io::SerialH5(file).shape(dataset).value_or(std::vector<std::size_t>());
    } catch (const Error&) {
      dims.clear();  // unreadable now: the stage itself will say why
    }
  }
  return shapes_[key] = dims;
}

double Sizer::size(const std::string& key, double fallback, std::string& unsized) const {
  const auto found = spec_.sizes.find(key);
  if (found != spec_.sizes.end()) return found->second;
  if (unsized.empty()) unsized = "no input file or [sizes] " + key;
  return fallback;
}

Estimate Sizer::estimate(const Plan& plan, const Task& task, const Machine& machine) {
  const StageSpec& stage = plan.spec.stages[task.stage];
  Estimate e;
  double flops = 0;
  const auto responses = option(task, "responses");
  const std::string resp = responses.empty() ? std::string() : responses.front();
  const auto spaces = option(task, "space");
  const std::string space = spaces.empty() ? std::string() : spaces.front();
  const auto features = option(task, "features");
  const std::string feature_file = features.empty() ? std::string() : features.front();
  // Each size from its file, else from [sizes], else a guess (noted).
  const auto dim_of = [&](std::size_t axis, const std::string& file, const std::string& set,
                          std::size_t rank, const std::string& key, double guess) {
    const auto& dims = shape(file, set);
    return dims.size() == rank ? double(dims[axis]) : size(key, guess, e.unsized);
  };
  const auto n = [&] { return dim_of(0, resp, "/train/Y", 2, "train_trs", 4800); };
  const auto m = [&] { return dim_of(0, resp, "/test/Y", 2, "test_trs", 600); };
  double voxels = 0;
  const auto dim = [&] {
    return dim_of(2, feature_file, "/spaces/" + space + "/embeddings", 3, "dims." + space, 128);
  };
  const auto windows = [&] {
    return dim_of(1, feature_file, "/spaces/" + space + "/embeddings", 3, "windows." + space, 1);
  };
  const std::size_t folds = count_or(task, "folds", 5);
  const auto alphas = option(task, "alphas");
  std::size_t listed = 0;  // --alphas a,b,c, possibly repeated
  for (const std::string& a : alphas) listed += list_length(a);
  const std::size_t n_alphas = alphas.empty() ? count_or(task, "n-alphas", 20) : listed;
  for (const std::string& in : task.inputs) e.bytes_read += file_bytes(in);
  if (stage.verb == "encode" || stage.verb == "decode" || stage.verb == "design")
    voxels = dim_of(1, resp, "/train/Y", 2, "voxels", 60000);

  if (stage.verb == "encode") {
    const auto design = option(task, "design");
    const auto& x = design.empty() ? shape("", "") : shape(design.front(), "/train/X");
    const auto delays = option(task, "delays");
    const double p = x.size() == 2
                         ? double(x[1])
                         : dim() * double(delays.empty() ? 4 : list_length(delays.back()));
    flops = solvers::encode_flops(std::size_t(n()), std::size_t(m()), std::size_t(p), folds,
                                  n_alphas, std::size_t(voxels), machine.eigen_weight);
    e.bytes_written = voxels * 8.0 * 8 + (has_flag(task, "save-weights") ? voxels * p * 8 : 0);
    if (e.bytes_read == 0) e.bytes_read = (n() + m()) * voxels * 4;
  } else if (stage.verb == "decode") {
    const auto top = option(task, "top-voxels");
    const double selected = top.empty() ? 0.0 : number_or(top.back(), 0.0);
    if (selected > 0) voxels = std::min(voxels, selected);  // 0: every voxel
    const double per = has_flag(task, "per-clip") ? 1.0 : windows();
    const double ns = n() / kTrsPerClip * per, ms = m() / kTrsPerClip * per;
    flops = solvers::kernel_ridge_flops(std::size_t(ns), std::size_t(ms), std::size_t(voxels),
                                        std::size_t(dim()), folds, n_alphas, machine.eigen_weight);
    if (!option(task, "roi-models").empty())  // one eigensolve per fold and ROI on a smaller kernel
      flops +=
          size("rois", 150, e.unsized) * double(folds) * machine.eigen_weight * ns * ns * ns * 0.5;
    e.bytes_written = ms * dim() * 8 * 3;
    if (e.bytes_read == 0) e.bytes_read = (n() + m()) * voxels * 4;
  } else if (stage.verb == "retrieve") {
    const auto corpus = option(task, "corpus");
    const auto& c = corpus.empty() ? shape("", "") : shape(corpus.front(), "/embeddings");
    const double rows = c.size() == 2 ? double(c[0]) : size("corpus", 100000, e.unsized);
    const double d = c.size() == 2 ? double(c[1]) : size("dims." + space, 128, e.unsized);
    // Queries: the test clips ([sizes] queries; ds003720 has 60).
    std::string guessed;
    const double queries = size("queries", 60, guessed);
    flops = 2.0 * queries * rows * d + rows * d * 2;
    e.bytes_written = queries * double(count_or(task, "k", 10)) * 40;
    if (c.empty()) e.bytes_read += rows * d * 4;
  } else if (stage.verb != "generate" && stage.verb != "evaluate") {
    flops = (n() + m()) * voxels * 10;  // design and others: about one pass over the data
  }
  const Resources& r = stage.resources;
  const double ranks = double(r.tasks) * double(r.cpus_per_task);
  e.seconds = machine.startup_s + 2.0 * e.bytes_read / machine.read_bytes_per_s +
              flops / (machine.gemm_flops * ranks);
  if (stage.verb == "generate") {
    // A model's time per clip, not FLOPs: [sizes] generate_seconds (20 s, a
    // diffusion or language model on one GPU); the built-ins take
    // milliseconds. One clip per test clip ([sizes] queries; 60).
    const auto generator = option(task, "generator");
    const bool builtin =
        !generator.empty() && (generator.back() == "retrieval" || generator.back() == "synth");
    std::string guessed;
    const double clips = size("queries", 60, guessed);
    e.seconds += clips * (builtin ? 0.05 : size("generate_seconds", 20, e.unsized)) /
                 std::max(1.0, double(r.tasks));
    e.bytes_written = clips * 16000 * 2 * 15;
  }
  if (stage.verb == "evaluate") {
    // Clips embedded per result: the classifiers' pool (rendered first),
    // and the chance clips, the stimuli and the reconstructions (one each
    // per test clip). The built-in embedder takes about 15 ms a 15 s clip
    // with its rendering; an external one [sizes] embed_seconds (0.2 s).
    std::string guessed;
    const double clips =
        double(count_or(task, "pool-clips", 1000)) + 3 * size("queries", 60, guessed);
    const bool builtin = option(task, "embedder").empty();
    e.seconds += clips * (builtin ? 0.015 : size("embed_seconds", 0.2, e.unsized)) / ranks;
    e.bytes_written = clips * 8 * 16;
  }
  e.core_hours = e.seconds * ranks / 3600.0;
  return e;
}

std::vector<Estimate> estimate_all(const Plan& plan, const Machine& machine) {
  Sizer sizer(plan.spec);
  std::vector<Estimate> out;
  out.reserve(plan.tasks.size());
  for (const Task& t : plan.tasks) out.push_back(sizer.estimate(plan, t, machine));
  return out;
}

}  // namespace b2m::cluster
