// The `b2m` command: one verb per pipeline stage. Each verb parses its
// options into a plain struct and calls the stage's driver, which is what
// the tests call too.
#include <cstdio>
#include <cxxopts.hpp>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/version.hpp"
#include "io/provenance.hpp"
#include "jobs/decode_job.hpp"
#include "jobs/design_job.hpp"
#include "jobs/encode_job.hpp"
#include "jobs/retrieve_job.hpp"
#include "jobs/simulate_job.hpp"
#include "mpi/agree.hpp"
#include "mpi/environment.hpp"

namespace {

using b2m::ConfigError;

const char* const kUsage =
    "usage: b2m <command> [options]   (b2m <command> --help for its options)\n"
    "commands:\n"
    "  simulate   simulate a study on the real ds003720 design\n"
    "  design     align clip embeddings to the TR grid (FIR delays) into a design file\n"
    "  encode     voxelwise ridge encoding models, cross-validated per voxel\n"
    "  decode     voxels -> embeddings (kernel ridge), identification accuracy\n"
    "  retrieve   cosine top-k of decoded embeddings in a corpus, class agreement\n";

std::vector<int> parse_ints(const std::vector<std::string>& items, const char* what) {
  std::vector<int> out;
  for (const auto& s : items) {
    try {
      out.push_back(std::stoi(s));
    } catch (const std::exception&) {
      throw ConfigError(std::string("bad value '") + s + "' for " + what);
    }
  }
  return out;
}

// Parses; prints help and returns false if it was asked for.
bool parse(cxxopts::Options& spec, int argc, char** argv, cxxopts::ParseResult& result) {
  spec.add_options()("h,help", "show this help");
  try {
    result = spec.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    throw ConfigError(std::string(spec.program()) + ": " + e.what());
  }
  if (result.count("help")) {
    if (b2m::mpi::world_rank() == 0) std::printf("%s\n", spec.help().c_str());
    return false;
  }
  if (!result.unmatched().empty())
    throw ConfigError(std::string(spec.program()) + ": unexpected argument '" +
                      result.unmatched()[0] + "'");
  return true;
}

template <class T>
T required(const cxxopts::ParseResult& r, const char* name, const char* verb) {
  if (!r.count(name)) throw ConfigError(std::string(verb) + ": --" + name + " is required");
  return r[name].as<T>();
}

std::optional<b2m::jobs::SimulateOptions> parse_simulate(int argc, char** argv,
                                                         const std::string& command_line) {
  cxxopts::Options spec("b2m simulate", "Simulate a study on the real ds003720 design");
  spec.add_options()("events", "BIDS func directory with the events files",
                     cxxopts::value<std::string>())("out-dir", "output directory",
                                                    cxxopts::value<std::string>())(
      "subjects", "number of subjects", cxxopts::value<int>()->default_value("5"))(
      "voxels", "voxels per subject", cxxopts::value<std::size_t>()->default_value("20000"))(
      "seed", "random seed", cxxopts::value<std::uint64_t>()->default_value("1"))(
      "tr", "repetition time (s)", cxxopts::value<double>()->default_value("1.5"))(
      "corpus", "also write corpus.h5 with this many synthetic clips (plus the stimuli)",
      cxxopts::value<std::size_t>()->default_value("0"))(
      "corpus-space", "embedding space of the corpus",
      cxxopts::value<std::string>()->default_value("mulan_music"));
  cxxopts::ParseResult r;
  if (!parse(spec, argc, argv, r)) return std::nullopt;
  b2m::jobs::SimulateOptions o;
  o.events_dir = required<std::string>(r, "events", "simulate");
  o.out_dir = required<std::string>(r, "out-dir", "simulate");
  o.subjects = r["subjects"].as<int>();
  o.voxels = r["voxels"].as<std::size_t>();
  o.seed = r["seed"].as<std::uint64_t>();
  o.tr = r["tr"].as<double>();
  o.corpus = r["corpus"].as<std::size_t>();
  o.corpus_space = r["corpus-space"].as<std::string>();
  o.command_line = command_line;
  return o;
}

void add_alignment_options(cxxopts::Options& spec) {
  spec.add_options()("features", "feature file with clip embeddings",
                     cxxopts::value<std::string>())("space", "feature space in the feature file",
                                                    cxxopts::value<std::string>())(
      "events", "BIDS func directory with the events files", cxxopts::value<std::string>())(
      "delays", "FIR delays in TRs",
      cxxopts::value<std::vector<std::string>>()->default_value("1,2,3,4"))(
      "tr", "repetition time (s)", cxxopts::value<double>()->default_value("1.5"))(
      "corpus", "also write corpus.h5 with this many synthetic clips (plus the stimuli)",
      cxxopts::value<std::size_t>()->default_value("0"))(
      "corpus-space", "embedding space of the corpus",
      cxxopts::value<std::string>()->default_value("mulan_music"));
}

b2m::jobs::AlignmentOptions alignment_options(const cxxopts::ParseResult& r) {
  b2m::jobs::AlignmentOptions a;
  if (r.count("features")) a.features = r["features"].as<std::string>();
  if (r.count("space")) a.space = r["space"].as<std::string>();
  if (r.count("events")) a.events_dir = r["events"].as<std::string>();
  a.delays = parse_ints(r["delays"].as<std::vector<std::string>>(), "--delays");
  a.tr = r["tr"].as<double>();
  return a;
}

std::optional<b2m::jobs::DesignOptions> parse_design(int argc, char** argv,
                                                     const std::string& command_line) {
  cxxopts::Options spec("b2m design", "Align clip embeddings into a design file");
  add_alignment_options(spec);
  spec.add_options()("out", "output design file", cxxopts::value<std::string>());
  cxxopts::ParseResult r;
  if (!parse(spec, argc, argv, r)) return std::nullopt;
  b2m::jobs::DesignOptions o;
  o.alignment = alignment_options(r);
  required<std::string>(r, "features", "design");
  required<std::string>(r, "space", "design");
  required<std::string>(r, "events", "design");
  o.out = required<std::string>(r, "out", "design");
  o.command_line = command_line;
  return o;
}

std::optional<b2m::jobs::EncodeOptions> parse_encode(int argc, char** argv,
                                                     const std::string& command_line) {
  cxxopts::Options spec("b2m encode", "Voxelwise ridge encoding models");
  spec.add_options()("responses", "responses file(s), one per subject",
                     cxxopts::value<std::vector<std::string>>())("design", "aligned design file",
                                                                 cxxopts::value<std::string>())(
      "out", "output file; with several subjects it must contain {subject}",
      cxxopts::value<std::string>())("folds", "cross-validation folds (grouped by run)",
                                     cxxopts::value<std::size_t>()->default_value("5"))(
      "alphas", "explicit alpha grid (comma separated)", cxxopts::value<std::vector<double>>())(
      "n-alphas", "log-spaced alphas", cxxopts::value<std::size_t>()->default_value("20"))(
      "alpha-min", "smallest alpha", cxxopts::value<double>()->default_value("1"))(
      "alpha-max", "largest alpha", cxxopts::value<double>()->default_value("1e7"))(
      "precision", "single or double", cxxopts::value<std::string>()->default_value("double"))(
      "block-size", "voxels per block (unit of work and checkpoint)",
      cxxopts::value<std::size_t>()->default_value("2048"))(
      "fold-groups",
      "rank groups that split the folds (must divide the ranks; 0: chosen from the problem size)",
      cxxopts::value<std::size_t>()->default_value("0"))(
      "factor-memory",
      "MB of fold factors held at once: folds that fit are scored in one pass over the responses",
      cxxopts::value<std::size_t>()->default_value("256"))(
      "no-zscore", "use the data as given (no per-run z-scoring)")("save-weights",
                                                                   "also write /weights [p, V]")(
      "overwrite", "replace a complete output made with other parameters")(
      "summary", "write the cross-subject summary table here (TSV)", cxxopts::value<std::string>());
  add_alignment_options(spec);
  spec.parse_positional({"responses"});
  spec.positional_help("[RESPONSES.h5 ...]");
  cxxopts::ParseResult r;
  if (!parse(spec, argc, argv, r)) return std::nullopt;
  b2m::jobs::EncodeOptions o;
  o.responses = required<std::vector<std::string>>(r, "responses", "encode");
  if (r.count("design")) o.design = r["design"].as<std::string>();
  o.alignment = alignment_options(r);
  o.out = required<std::string>(r, "out", "encode");
  o.folds = r["folds"].as<std::size_t>();
  if (r.count("alphas")) o.alphas = r["alphas"].as<std::vector<double>>();
  o.n_alphas = r["n-alphas"].as<std::size_t>();
  o.alpha_min = r["alpha-min"].as<double>();
  o.alpha_max = r["alpha-max"].as<double>();
  const std::string precision = r["precision"].as<std::string>();
  if (precision != "single" && precision != "double")
    throw ConfigError("encode: --precision must be single or double, got '" + precision + "'");
  o.precision =
      precision == "single" ? b2m::jobs::Precision::single : b2m::jobs::Precision::double_;
  o.block_size = r["block-size"].as<std::size_t>();
  o.fold_groups = r["fold-groups"].as<std::size_t>();
  o.factor_memory_mb = r["factor-memory"].as<std::size_t>();
  o.zscore = r.count("no-zscore") == 0;
  o.save_weights = r.count("save-weights") > 0;
  o.overwrite = r.count("overwrite") > 0;
  if (r.count("summary")) o.summary_path = r["summary"].as<std::string>();
  o.command_line = command_line;
  return o;
}

std::optional<b2m::jobs::DecodeOptions> parse_decode(int argc, char** argv,
                                                     const std::string& command_line) {
  cxxopts::Options spec("b2m decode",
                        "Decode embeddings from voxels (kernel ridge per subject and space)");
  spec.add_options()("responses", "responses file(s), one per subject",
                     cxxopts::value<std::vector<std::string>>())(
      "features", "feature file with the clip embeddings (the targets)",
      cxxopts::value<std::string>())("space", "target space(s) in the feature file",
                                     cxxopts::value<std::vector<std::string>>())(
      "events", "BIDS func directory with the events files", cxxopts::value<std::string>())(
      "out", "output file; {subject} and {space} are filled in", cxxopts::value<std::string>())(
      "tr", "repetition time in seconds", cxxopts::value<double>()->default_value("1.5"))(
      "delay", "hemodynamic delay added to every window, seconds",
      cxxopts::value<double>()->default_value("4.5"))(
      "per-clip", "one sample per clip presentation (targets: mean of the clip's windows)")(
      "folds", "cross-validation folds (grouped by run)",
      cxxopts::value<std::size_t>()->default_value("5"))(
      "alphas", "explicit alpha grid (comma separated)", cxxopts::value<std::vector<double>>())(
      "n-alphas", "log-spaced alphas", cxxopts::value<std::size_t>()->default_value("20"))(
      "alpha-min", "smallest alpha", cxxopts::value<double>()->default_value("1"))(
      "alpha-max", "largest alpha", cxxopts::value<double>()->default_value("1e9"))(
      "roi", "use only the voxels of these ROIs (names of /voxels/roi)",
      cxxopts::value<std::vector<std::string>>())(
      "roi-models", "one model per ROI; average the top K by CV correlation",
      cxxopts::value<std::size_t>()->default_value("0"))(
      "roi-memory", "MB of voxels a rank holds at once for its ROI models",
      cxxopts::value<std::size_t>()->default_value("256"))(
      "top-voxels", "use the N voxels with the best encoding cv_score",
      cxxopts::value<std::size_t>()->default_value("0"))(
      "encode-result", "encode output whose /voxels/cv_score ranks the voxels",
      cxxopts::value<std::string>())("save-weights",
                                     "also write voxel-space weights /weights [voxels, dim]")(
      "kernel-layout", "auto, replicated or distributed (block-cyclic on the ScaLAPACK grid)",
      cxxopts::value<std::string>()->default_value("auto"))(
      "eigensolver", "auto, lapack or scalapack",
      cxxopts::value<std::string>()->default_value("auto"))(
      "grid", "ScaLAPACK process grid RxC (default: most nearly square)",
      cxxopts::value<std::string>())("block", "ScaLAPACK block size",
                                     cxxopts::value<int>()->default_value("64"))(
      "overwrite", "replace a complete output made with other parameters")(
      "summary", "write the summary table here (TSV)", cxxopts::value<std::string>());
  spec.parse_positional({"responses"});
  spec.positional_help("[RESPONSES.h5 ...]");
  cxxopts::ParseResult r;
  if (!parse(spec, argc, argv, r)) return std::nullopt;
  b2m::jobs::DecodeOptions o;
  o.responses = required<std::vector<std::string>>(r, "responses", "decode");
  o.features = required<std::string>(r, "features", "decode");
  o.spaces = required<std::vector<std::string>>(r, "space", "decode");
  o.events_dir = required<std::string>(r, "events", "decode");
  o.out = required<std::string>(r, "out", "decode");
  o.tr = r["tr"].as<double>();
  o.delay_s = r["delay"].as<double>();
  o.per_clip = r.count("per-clip") > 0;
  o.folds = r["folds"].as<std::size_t>();
  if (r.count("alphas")) o.alphas = r["alphas"].as<std::vector<double>>();
  o.n_alphas = r["n-alphas"].as<std::size_t>();
  o.alpha_min = r["alpha-min"].as<double>();
  o.alpha_max = r["alpha-max"].as<double>();
  if (r.count("roi")) o.rois = r["roi"].as<std::vector<std::string>>();
  o.roi_models_top = r["roi-models"].as<std::size_t>();
  o.roi_memory_mb = r["roi-memory"].as<std::size_t>();
  o.top_voxels = r["top-voxels"].as<std::size_t>();
  if (r.count("encode-result")) o.encode_result = r["encode-result"].as<std::string>();
  o.save_weights = r.count("save-weights") > 0;
  const std::string solver = r["eigensolver"].as<std::string>();
  if (solver == "auto")
    o.eigen.backend = b2m::solvers::EigenBackend::automatic;
  else if (solver == "lapack")
    o.eigen.backend = b2m::solvers::EigenBackend::lapack;
  else if (solver == "scalapack")
    o.eigen.backend = b2m::solvers::EigenBackend::scalapack;
  else
    throw ConfigError("decode: --eigensolver must be auto, lapack or scalapack, got '" + solver +
                      "'");
  if (r.count("grid")) {
    const std::string g = r["grid"].as<std::string>();
    const auto x = g.find('x');
    const auto rows = x == std::string::npos
                          ? std::vector<int>{}
                          : parse_ints({g.substr(0, x), g.substr(x + 1)}, "--grid");
    if (rows.size() != 2 || rows[0] < 1 || rows[1] < 1)
      throw ConfigError("decode: --grid must look like 2x2, got '" + g + "'");
    o.eigen.grid_rows = rows[0];
    o.eigen.grid_cols = rows[1];
  }
  o.eigen.block = r["block"].as<int>();
  if (o.eigen.block < 1) throw ConfigError("decode: --block must be positive");
  const std::string layout = r["kernel-layout"].as<std::string>();
  if (layout == "auto")
    o.kernel_layout = b2m::jobs::KernelLayout::automatic;
  else if (layout == "replicated")
    o.kernel_layout = b2m::jobs::KernelLayout::replicated;
  else if (layout == "distributed")
    o.kernel_layout = b2m::jobs::KernelLayout::distributed;
  else
    throw ConfigError("decode: --kernel-layout must be auto, replicated or distributed, got '" +
                      layout + "'");
  o.overwrite = r.count("overwrite") > 0;
  if (r.count("summary")) o.summary_path = r["summary"].as<std::string>();
  o.command_line = command_line;
  return o;
}

std::optional<b2m::jobs::RetrieveOptions> parse_retrieve(int argc, char** argv,
                                                         const std::string& command_line) {
  cxxopts::Options spec("b2m retrieve",
                        "Retrieve corpus clips for decoded embeddings (cosine top-k)");
  spec.add_options()("predictions", "b2m decode output(s)",
                     cxxopts::value<std::vector<std::string>>())(
      "corpus", "corpus file: /embeddings [N, d], /ids [N], /tags/<tag> [N]",
      cxxopts::value<std::string>())("out", "output file; {name} is the prediction file's name",
                                     cxxopts::value<std::string>())(
      "k", "clips retrieved per query", cxxopts::value<std::size_t>()->default_value("10"))(
      "per-window", "one query per test window (default: per test clip, the mean of its windows)")(
      "chunk", "corpus rows per read and GEMM",
      cxxopts::value<std::size_t>()->default_value("4096"))(
      "overwrite", "replace a complete output made with other parameters")(
      "summary", "write the summary table here (TSV)", cxxopts::value<std::string>());
  spec.parse_positional({"predictions"});
  spec.positional_help("[DECODED.h5 ...]");
  cxxopts::ParseResult r;
  if (!parse(spec, argc, argv, r)) return std::nullopt;
  b2m::jobs::RetrieveOptions o;
  o.predictions = required<std::vector<std::string>>(r, "predictions", "retrieve");
  o.corpus = required<std::string>(r, "corpus", "retrieve");
  o.out = required<std::string>(r, "out", "retrieve");
  o.k = r["k"].as<std::size_t>();
  o.per_window = r.count("per-window") > 0;
  o.chunk = r["chunk"].as<std::size_t>();
  o.overwrite = r.count("overwrite") > 0;
  if (r.count("summary")) o.summary_path = r["summary"].as<std::string>();
  o.command_line = command_line;
  return o;
}

void write_text(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) throw b2m::InputError("cannot write " + path);
  const bool ok = std::fputs(text.c_str(), f) >= 0;
  if (std::fclose(f) != 0 || !ok) throw b2m::InputError("writing " + path + " failed");
}

// Options are parsed on every rank; a bad option fails on all ranks together.
template <class Parse>
auto parse_everywhere(const b2m::mpi::Comm& comm, Parse&& parse_options) {
  return b2m::mpi::agree_on(comm, std::forward<Parse>(parse_options));
}

int simulate(int argc, char** argv, const std::string& command_line) {
  const auto comm = b2m::mpi::Comm::world();
  const auto o = parse_everywhere(comm, [&] { return parse_simulate(argc, argv, command_line); });
  if (o) b2m::jobs::run_simulate(*o, comm);
  return 0;
}

int design(int argc, char** argv, const std::string& command_line) {
  const auto comm = b2m::mpi::Comm::world();
  const auto o = parse_everywhere(comm, [&] { return parse_design(argc, argv, command_line); });
  if (o) b2m::jobs::run_design(*o, comm);
  return 0;
}

int encode(int argc, char** argv, const std::string& command_line) {
  const auto comm = b2m::mpi::Comm::world();
  const auto parsed =
      parse_everywhere(comm, [&] { return parse_encode(argc, argv, command_line); });
  if (!parsed) return 0;
  const b2m::jobs::EncodeOptions& o = *parsed;
  const auto rows = b2m::jobs::run_encode(o, comm);
  if (comm.is_root()) {
    const std::string table = b2m::jobs::format_summary(rows);
    std::printf("\n%s", table.c_str());
    if (!o.summary_path.empty()) write_text(o.summary_path, b2m::jobs::format_summary_tsv(rows));
  }
  return 0;
}

int decode(int argc, char** argv, const std::string& command_line) {
  const auto comm = b2m::mpi::Comm::world();
  const auto parsed =
      parse_everywhere(comm, [&] { return parse_decode(argc, argv, command_line); });
  if (!parsed) return 0;
  const b2m::jobs::DecodeOptions& o = *parsed;
  const auto rows = b2m::jobs::run_decode(o, comm);
  if (comm.is_root()) {
    std::printf("\n%s", b2m::jobs::format_decode_summary(rows).c_str());
    if (!o.summary_path.empty())
      write_text(o.summary_path, b2m::jobs::format_decode_summary_tsv(rows));
  }
  return 0;
}

int retrieve(int argc, char** argv, const std::string& command_line) {
  const auto comm = b2m::mpi::Comm::world();
  const auto parsed =
      parse_everywhere(comm, [&] { return parse_retrieve(argc, argv, command_line); });
  if (!parsed) return 0;
  const auto rows = b2m::jobs::run_retrieve(*parsed, comm);
  if (comm.is_root()) {
    std::printf("\n%s", b2m::jobs::format_retrieve_summary(rows).c_str());
    if (!parsed->summary_path.empty())
      write_text(parsed->summary_path, b2m::jobs::format_retrieve_summary_tsv(rows));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return b2m::mpi::run_main(argc, argv, [](int n, char** args) {
    const std::string command_line = b2m::io::join_command_line(n, args);
    if (n < 2 || std::string(args[1]) == "--help" || std::string(args[1]) == "-h") {
      if (b2m::mpi::world_rank() == 0) std::printf("%s", kUsage);
      return n < 2 ? 2 : 0;
    }
    if (std::string(args[1]) == "--version") {
      if (b2m::mpi::world_rank() == 0) std::printf("b2m %s\n", b2m::kVersion);
      return 0;
    }
    const std::string verb = args[1];
    if (verb == "simulate") return simulate(n - 1, args + 1, command_line);
    if (verb == "design") return design(n - 1, args + 1, command_line);
    if (verb == "encode") return encode(n - 1, args + 1, command_line);
    if (verb == "decode") return decode(n - 1, args + 1, command_line);
    if (verb == "retrieve") return retrieve(n - 1, args + 1, command_line);
    return b2m::mpi::agree_on(b2m::mpi::Comm::world(), [&]() -> int {
      throw ConfigError("unknown command '" + verb + "'\n" + kUsage);
    });
  });
}
