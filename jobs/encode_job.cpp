#include "jobs/encode_job.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "analysis/feature_alignment.hpp"
#include "analysis/significance.hpp"
#include "core/error.hpp"
#include "io/output_file.hpp"
#include "jobs/encode_passes.hpp"
#include "jobs/study_files.hpp"
#include "jobs/subjects.hpp"
#include "jobs/summary_json.hpp"
#include "mpi/agree.hpp"
#include "mpi/rank_grid.hpp"
#include "solvers/alpha_grid.hpp"
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
      // (checked against the test rows in inspect)
      if (f.has_attribute("/test", "ids"))
        out.design.test_clips = f.read_strings_attribute("/test", "ids");
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

ResponsesLayout inspect(const io::H5File& f, const analysis::Design& d,
                        const std::string& design_source) {
  ResponsesLayout out = read_responses_layout(f);
  if (static_cast<std::size_t>(d.train_x.rows()) != out.n)
    throw InputError("training rows differ: " + f.path() + ":/train/Y has " +
                     std::to_string(out.n) + ", design " + design_source + " has " +
                     std::to_string(d.train_x.rows()));
  if (static_cast<std::size_t>(d.test_x.rows()) != out.m)
    throw InputError("test rows differ: " + f.path() + ":/test/Y has " + std::to_string(out.m) +
                     ", design " + design_source + " has " + std::to_string(d.test_x.rows()));
  if (out.m < 2) throw InputError(f.path() + ": fewer than 2 test rows");
  // Test clips (for p_test): the responses' own ids, else the design's.
  if (out.test_clip_rows == 0 && !d.test_clips.empty())
    out.test_clip_rows = rows_per_clip(out.m, d.test_clips.size(), design_source);
  return out;
}

template <class T>
void encode_subject(const EncodeOptions& o, const Subject& subject, LoadedDesign loaded,
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

  io::OutputFile out(subject.out, provenance, comm, /*with_checkpoint=*/true);
  encode_passes<T>(o, subject, layout, folds, alphas, grid, out, *responses,
                   std::move(loaded.design), comm);
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
      solvers::AlphaGrid{o.alphas, o.n_alphas, o.alpha_min, o.alpha_max}.alphas();
  if (o.block_size < 1) throw ConfigError("encode: --block-size must be positive");
  // The design is handed to the first subject (which frees it once
  // factorized) and loaded again for each later one.
  std::optional<LoadedDesign> first_design = load_design(o, world);
  const std::string design_source = first_design->source;
  const std::vector<std::string> design_inputs = first_design->inputs;
  const std::string space = o.alignment.space.empty() ? design_source : o.alignment.space;
  mpi::agree_on(world, [&] {
    std::vector<std::string> outputs, inputs = design_inputs;
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
                             {"design", design_source},
                             {"folds", o.folds},
                             {"alphas", alphas},
                             {"precision", o.precision == Precision::single ? "single" : "double"},
                             {"block_size", o.block_size},
                             {"zscore", o.zscore},
                             {"save_weights", o.save_weights},
                             {"delays", o.alignment.delays},
                             {"tr", o.alignment.tr}};
    std::vector<std::string> inputs = design_inputs;
    inputs.insert(inputs.begin(), subject.responses);

    provenance.inputs = io::checksum_inputs(inputs, split.comm);
    const io::OutputState state = io::existing_output(subject.out, provenance, split.comm);
    if (state == io::OutputState::complete_different && !o.overwrite)
      throw ConfigError(subject.out +
                        " exists from a run with other parameters or inputs; "
                        "remove it or pass --overwrite");
    const bool reuse = state == io::OutputState::complete_same;
    const auto design = [&] {
      LoadedDesign d = first_design ? std::move(*first_design) : load_design(o, split.comm);
      first_design.reset();
      return d;
    };
    if (!reuse) {
      if (o.precision == Precision::single)
        encode_subject<float>(o, subject, design(), alphas, provenance, split.comm);
      else
        encode_subject<double>(o, subject, design(), alphas, provenance, split.comm);
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
