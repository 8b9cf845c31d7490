#include "jobs/retrieve_job.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <memory>
#include <set>

#include "analysis/retrieval.hpp"
#include "analysis/stimulus_timeline.hpp"
#include "analysis/summary_stats.hpp"
#include "core/error.hpp"
#include "io/corpus_file.hpp"
#include "io/decode_files.hpp"
#include "io/retrieve_files.hpp"
#include "jobs/corpus_search.hpp"
#include "jobs/subjects.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {
namespace {

using solvers::Matrix;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The decoded queries, then the same queries from the true embeddings (the
// oracle: what a perfect decoder would retrieve), in one set so that one
// pass over the corpus scores both; and every clip id of the study.
struct QuerySet {
  analysis::Queries queries;  // predicted (first `decoded`), then oracle
  std::size_t decoded = 0;
  std::vector<std::string> study_clips;
};

QuerySet read_queries(const std::string& path, const io::CorpusLayout& corpus, bool per_window,
                      const mpi::Comm& comm) {
  const io::DecodePredictions p =
      io::read_decode_predictions(io::H5File(path, io::Access::read, comm));
  if (p.dim != corpus.dim)
    throw InputError("embedding dimensions differ: " + path + ":/test/prediction has d = " +
                     std::to_string(p.dim) + ", the corpus d = " + std::to_string(corpus.dim));
  QuerySet s;
  s.queries = analysis::clip_queries(p.values, p.dim, p.clip, p.clip_ids, per_window, path);
  const analysis::Queries oracle =
      analysis::clip_queries(p.targets, p.dim, p.clip, p.clip_ids, per_window, path);
  s.decoded = s.queries.clip.size();
  s.queries.clip.insert(s.queries.clip.end(), oracle.clip.begin(), oracle.clip.end());
  Matrix<float> both(s.queries.embeddings.rows() + oracle.embeddings.rows(), Eigen::Index(p.dim));
  both << s.queries.embeddings, oracle.embeddings;
  s.queries.embeddings = std::move(both);
  s.study_clips = p.clip_ids;
  return s;
}

// Queries [from, to) of a result (the decoded ones, or the oracle's).
CorpusHits part(const CorpusHits& all, std::size_t from, std::size_t to) {
  CorpusHits out = all;
  const auto cut = [&](auto& v) {
    v.assign(v.begin() + std::ptrdiff_t(from), v.begin() + std::ptrdiff_t(to));
  };
  cut(out.top);
  cut(out.identification);
  for (auto& tags : out.query_tags) cut(tags);
  return out;
}

// The result file's contents: the lists (-1, NaN and "" where a list is
// short), the queries and, per tag, the agreement of the retrieved rows.
io::RetrievalResult result_file(const io::CorpusLayout& corpus,
                                const std::vector<std::string>& clips, const CorpusHits& res,
                                std::size_t k) {
  io::RetrievalResult out;
  out.k = k;
  for (const auto& list : res.top)
    for (std::size_t j = 0; j < k; ++j) {
      const bool have = j < list.size();
      out.index.push_back(have ? list[j].candidate.index : -1);
      out.score.push_back(have ? list[j].candidate.score : kNaN);
      out.ids.push_back(have ? list[j].id : "");
    }
  out.id_width = res.id_width;
  out.clips = clips;
  out.identification = res.identification;
  for (std::size_t g = 0; g < corpus.tags.size(); ++g) {
    io::RetrievedTag tag{corpus.tags[g], {}, res.query_tags[g], {}};
    std::vector<std::vector<std::int32_t>> retrieved(clips.size());
    for (std::size_t query = 0; query < clips.size(); ++query)
      for (std::size_t j = 0; j < k; ++j) {
        const std::int32_t v = j < res.top[query].size() ? res.top[query][j].tags[g] : -1;
        retrieved[query].push_back(v);
        tag.retrieved.push_back(v);
      }
    tag.agreement = analysis::agreement_curve(retrieved, tag.query);
    out.tags.push_back(std::move(tag));
  }
  return out;
}

nlohmann::json retrieve_unit(UnitRun& run, const RetrieveOptions& o) {
  const mpi::Comm& comm = run.comm();
  auto file = mpi::agree_on(
      comm, [&] { return std::make_unique<io::H5File>(o.corpus, io::Access::read, comm); });
  const io::CorpusLayout corpus = mpi::agree_on(comm, [&] {
    io::CorpusLayout c = io::read_corpus_layout(*file);
    if (o.k > c.rows)
      throw InputError(o.corpus + ": k = " + std::to_string(o.k) + " is larger than the corpus (" +
                       std::to_string(c.rows) + " clips)");
    return c;
  });
  const QuerySet q = mpi::agree_on(
      comm, [&] { return read_queries(run.unit().inputs.front(), corpus, o.per_window, comm); });
  const std::size_t n = q.decoded;
  const CorpusHits all = search_corpus(
      *file, corpus, q.queries, o.exclude_stimuli ? q.study_clips : std::vector<std::string>{}, o.k,
      o.chunk, comm);
  const std::vector<std::string> clips(q.queries.clip.begin(), q.queries.clip.begin() + long(n));
  // (subject and space ride along in the summary row, for b2m stats)
  const ResultRecord decoded =
      mpi::agree_on(comm, [&] { return read_result_record(run.unit().inputs.front(), comm); });
  const CorpusHits res = part(all, 0, n), oracle = part(all, n, 2 * n);
  const io::RetrievalResult contents = result_file(corpus, clips, res, o.k);
  const io::RetrievalResult oracle_contents = result_file(corpus, clips, oracle, o.k);
  std::vector<double> genre, oracle_genre;
  double chance = kNaN;
  for (std::size_t g = 0; g < contents.tags.size(); ++g)
    if (contents.tags[g].name == "genre") {
      genre = contents.tags[g].agreement;
      oracle_genre = oracle_contents.tags[g].agreement;
      chance = analysis::chance_agreement(all.tag_counts[g], all.eligible, contents.tags[g].query);
    }
  io::OutputFile out = run.open();
  io::H5File& f = out.file();
  io::write_retrieval(f, contents);
  const double identification = analysis::mean_finite(res.identification);
  const double top1 = genre.empty() ? kNaN : genre.front();
  const double topk = genre.empty() ? kNaN : genre.back();
  const double oracle1 = oracle_genre.empty() ? kNaN : oracle_genre.front();
  const double oraclek = oracle_genre.empty() ? kNaN : oracle_genre.back();
  f.write_attribute("/", "corpus_size", std::vector<double>{double(corpus.rows)});
  f.write_attribute("/", "eligible_rows", std::vector<double>{all.eligible});
  f.write_attribute("/", "k", std::vector<double>{double(o.k)});
  f.write_attribute("/", "identification_accuracy", std::vector<double>{identification});
  f.write_attribute("/", "top1_genre_agreement", std::vector<double>{top1});
  f.write_attribute("/", "topk_genre_agreement", std::vector<double>{topk});
  f.write_attribute("/", "oracle_genre_agreement", oracle_genre);
  f.write_attribute("/", "chance_genre_agreement", std::vector<double>{chance});
  const nlohmann::json row = {{"predictions", run.unit().name},
                              {"queries", n},
                              {"corpus", std::size_t(all.eligible)},
                              {"top1_genre", io::number(top1)},
                              {"topk_genre", io::number(topk)},
                              {"identification", io::number(identification)},
                              {"oracle_top1_genre", io::number(oracle1)},
                              {"oracle_topk_genre", io::number(oraclek)},
                              {"chance_genre", io::number(chance)},
                              {"subject", decoded.text("subject")},
                              {"space", decoded.text("space")}};
  run.commit(out, row);
  return row;
}

std::optional<RetrieveOptions> parse(const cli::Arguments& args) {
  cli::Parser p("retrieve", "Retrieve corpus clips for decoded embeddings (cosine top-k)");
  p.positional("predictions", "[DECODED.h5 ...]");
  p.add()("predictions", "b2m decode output(s)", cxxopts::value<std::vector<std::string>>())(
      "corpus", "corpus file: /embeddings [N, d], /ids [N], /tags/<tag> [N]",
      cxxopts::value<std::string>())("k", "clips retrieved per query",
                                     cxxopts::value<std::size_t>()->default_value("10"))(
      "per-window", "one query per test window (default: per test clip, the mean of its windows)")(
      "chunk", "corpus rows per read and GEMM",
      cxxopts::value<std::size_t>()->default_value("4096"))(
      "exclude-stimuli",
      "never retrieve a clip of the study (the paper's corpus held none of its stimuli)");
  p.outputs("output file; {name} is the prediction file's name");
  const auto r = p.parse(args);
  if (!r) return std::nullopt;
  RetrieveOptions o;
  o.predictions = p.required<std::vector<std::string>>(*r, "predictions");
  o.corpus = p.required<std::string>(*r, "corpus");
  o.output = p.outputs(*r, args);
  o.k = (*r)["k"].as<std::size_t>();
  o.per_window = r->count("per-window") > 0;
  o.chunk = (*r)["chunk"].as<std::size_t>();
  o.exclude_stimuli = r->count("exclude-stimuli") > 0;
  return o;
}

}  // namespace

io::SummaryTable run_retrieve(const RetrieveOptions& o, const mpi::Comm& world) {
  if (o.predictions.empty())
    throw ConfigError("retrieve: give at least one decode output (--predictions)");
  if (o.corpus.empty()) throw ConfigError("retrieve: --corpus is required");
  if (o.output.out.empty()) throw ConfigError("retrieve: --out is required");
  if (o.k < 1) throw ConfigError("retrieve: -k must be at least 1");
  if (o.chunk < 1) throw ConfigError("retrieve: --chunk must be positive");
  if (o.predictions.size() > 1 && o.output.out.find("{name}") == std::string::npos)
    throw ConfigError("retrieve: with several prediction files, --out must contain {name}");
  std::vector<Unit> units;
  for (const std::string& p : o.predictions)
    units.push_back({file_stem(p), {fill(o.output.out, "name", file_stem(p))}, {p, o.corpus}});
  Stage stage(
      "retrieve",
      {io::text("predictions"), io::count("queries"), io::count("corpus"), io::real("top1_genre"),
       io::real("topk_genre"), io::real("identification"), io::real("oracle_top1_genre"),
       io::real("oracle_topk_genre"), io::real("chance_genre")},
      o.output, {{"k", o.k}, {"per_window", o.per_window}, {"exclude_stimuli", o.exclude_stimuli}});
  // Every unit on all ranks: the corpus is sharded over them.
  return stage.run(units, 1, world, [&](UnitRun& run) { return retrieve_unit(run, o); });
}

int retrieve_command(const cli::Arguments& args, const mpi::Comm& world) {
  return cli::run_verb<RetrieveOptions>(args, world, parse, run_retrieve);
}

void retrieve_check(const cli::Arguments& args) {
  static_cast<void>(parse(args));
}

}  // namespace b2m::jobs
