#include "jobs/generate_job.hpp"

#include <algorithm>
#include <filesystem>

#include "analysis/retrieval.hpp"
#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/decode_files.hpp"
#include "io/npy.hpp"
#include "jobs/generators.hpp"
#include "jobs/subjects.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {
namespace {

// What a unit reads of its decode result.
struct UnitQueries {
  analysis::Queries queries;             // one row per test clip
  std::vector<std::string> study_clips;  // every clip of the study
  std::string space, subject;
};

UnitQueries read_unit_queries(const std::string& path, const mpi::Comm& comm) {
  const io::H5File f(path, io::Access::read, comm);
  const io::DecodePredictions p = io::read_decode_predictions(f);
  UnitQueries u;
  u.queries = analysis::clip_queries(p.values, p.dim, p.clip, p.clip_ids, false, path);
  u.study_clips = p.clip_ids;
  for (const char* key : {"space", "subject"})
    if (f.has_attribute("/", key))
      (std::string(key) == "space" ? u.space : u.subject) = f.read_string_attribute("/", key);
  return u;
}

// The contract's embedding file: float32 [rows, d], and the rows' clip ids
// beside it, one a line.
void write_queries(const std::string& dir, const analysis::Queries& q) {
  const solvers::RowMajorMatrix<float> rows = q.embeddings;
  const std::string header =
      io::npy_header("<f4", {std::size_t(rows.rows()), std::size_t(rows.cols())});
  io::write_file_atomically(dir + "/queries.npy",
                            {header, std::string_view(reinterpret_cast<const char*>(rows.data()),
                                                      std::size_t(rows.size()) * sizeof(float))});
  std::string ids;
  for (const std::string& c : q.clip) ids += c + "\n";
  io::write_file_atomically(dir + "/queries.txt", {ids});
}

// Every rank's records, on every rank, in row order.
std::vector<RowRecord> gather_records(const std::vector<RowRecord>& mine, const mpi::Comm& comm) {
  nlohmann::json local = nlohmann::json::array();
  for (const RowRecord& r : mine) local.push_back(to_json(r));
  std::vector<RowRecord> all;
  for (int rank = 0; rank < comm.size(); ++rank) {
    std::string text = rank == comm.rank() ? local.dump() : std::string();
    comm.bcast(text, rank);
    for (const auto& j : nlohmann::json::parse(text)) all.push_back(row_record(j));
  }
  std::sort(all.begin(), all.end(),
            [](const RowRecord& a, const RowRecord& b) { return a.row < b.row; });
  return all;
}

// manifest.tsv: what a person or a script reads of the unit's audio.
std::string manifest(const std::vector<RowRecord>& records, const UnitQueries& u,
                     const std::string& generator) {
  std::string out =
      "row\tsubject\tspace\tclip\tfile\tchecksum\tgenerator\tseed\tattempts\twall_s\n";
  for (const RowRecord& r : records) {
    char wall[32];
    std::snprintf(wall, sizeof wall, "%.3f", r.seconds);
    out += std::to_string(r.row) + "\t" + u.subject + "\t" + u.space + "\t" + r.clip + "\t" +
           r.file + "\t" + r.checksum + "\t" + generator + "\t" + std::to_string(r.seed) + "\t" +
           std::to_string(r.attempts) + "\t" + wall + "\n";
  }
  return out;
}

void write_generated(io::H5File& f, const std::vector<RowRecord>& records, const UnitQueries& u,
                     const GenerateOptions& o) {
  std::vector<std::string> clip, file, checksum;
  std::vector<std::int64_t> seed;
  std::vector<std::int32_t> attempts;
  std::vector<double> seconds;
  std::vector<std::uint8_t> reused;
  for (const RowRecord& r : records) {
    clip.push_back(r.clip);
    file.push_back(r.file);
    checksum.push_back(r.checksum);
    seed.push_back(std::int64_t(r.seed));
    attempts.push_back(r.attempts);
    seconds.push_back(r.seconds);
    reused.push_back(r.reused ? 1 : 0);
  }
  const io::Shape n{records.size()};
  f.write_all_strings("/rows/clip", clip);
  f.write_all_strings("/rows/file", file);
  f.write_all_strings("/rows/checksum", checksum);
  f.write_all<std::int64_t>("/rows/seed", n, seed);
  f.write_all<std::int32_t>("/rows/attempts", n, attempts);
  f.write_all<double>("/rows/seconds", n, seconds);
  f.write_all<std::uint8_t>("/rows/reused", n, reused);
  f.write_attribute("/", "generator", o.generator);
  f.write_attribute("/", "space", u.space);
  f.write_attribute("/", "subject", u.subject);
  f.write_attribute("/", "rate", std::vector<double>{double(o.rate)});
  f.write_attribute("/", "seconds", std::vector<double>{o.seconds});
}

nlohmann::json generate_unit(UnitRun& run, const GenerateOptions& o) {
  const mpi::Comm& comm = run.comm();
  const std::string& input = run.unit().inputs.front();
  const std::string dir = audio_folder(run.unit().outputs.front());
  const UnitQueries u = mpi::agree_on(comm, [&] { return read_unit_queries(input, comm); });
  // The contract's inputs, and no call folder left by a killed run.
  mpi::agree_on(comm, [&] {
    if (!comm.is_root()) return;
    write_queries(dir, u.queries);
    std::filesystem::remove_all(dir + "/work");
  });
  std::unique_ptr<Generator> g;
  if (o.generator == "synth") {
    g = synth_generator(o.corpus, u.queries, comm);
  } else if (o.generator == "retrieval") {
    g = retrieval_generator(o.corpus, o.corpus_audio, u.queries,
                            o.include_stimuli ? std::vector<std::string>{} : u.study_clips, comm);
  } else {
    const std::string gpu = o.gpus.empty() ? "" : o.gpus[std::size_t(comm.rank()) % o.gpus.size()];
    g = command_generator(o.generator, o.timeout_s, gpu);
  }
  GeneratorCall base;
  base.embeddings = std::filesystem::absolute(dir + "/queries.npy").string();
  base.seed = o.seed;
  base.seconds = o.seconds;
  base.rate = o.rate;
  base.space = u.space;
  // Rows dealt round-robin: a row's audio depends on the row alone.
  std::vector<std::size_t> mine;
  for (std::size_t r = std::size_t(comm.rank()); r < u.queries.clip.size();
       r += std::size_t(comm.size()))
    mine.push_back(r);
  const std::string fingerprint = run.provenance().fingerprint();
  const std::vector<RowRecord> records = gather_records(
      mpi::agree_on(
          comm,
          [&] { return generate_rows(*g, base, mine, u.queries.clip, dir, o.farm, fingerprint); }),
      comm);
  // The first few failures in full (each carries the generator's output),
  // then the rows: 60 full reports would bury the message.
  std::string failures, rows;
  std::size_t failed = 0;
  for (const RowRecord& r : records) {
    if (r.ok) continue;
    if (++failed <= 3)
      failures += "\n  row " + std::to_string(r.row) + " (clip " + r.clip + ", " + dir + "/" +
                  r.file + ") after " + std::to_string(r.attempts) + " attempts: " + r.error;
    rows += (rows.empty() ? "" : ", ") + std::to_string(r.row);
  }
  if (failed > 0)
    throw Error("generate: " + std::to_string(failed) + " of " + std::to_string(records.size()) +
                " rows of " + input + " failed (rows " + rows +
                "); a rerun generates only those. The first:" + failures);
  mpi::agree_on(comm, [&] {
    if (comm.is_root())
      io::write_file_atomically(dir + "/manifest.tsv", {manifest(records, u, g->name())});
  });
  io::OutputFile out = run.open();
  write_generated(out.file(), records, u, o);
  std::size_t reused = 0;
  int attempts = 0;
  double seconds = 0;
  for (const RowRecord& r : records) {
    reused += r.reused ? 1 : 0;
    attempts += r.reused ? 0 : r.attempts;
    seconds += r.reused ? 0 : r.seconds;
  }
  const nlohmann::json row = {{"predictions", file_stem(input)},
                              {"rows", records.size()},
                              {"generated", records.size() - reused},
                              {"reused", reused},
                              {"attempts", attempts},
                              {"generator_s", seconds}};
  run.commit(out, row);
  return row;
}

std::optional<GenerateOptions> parse(const cli::Arguments& args) {
  cli::Parser p("generate", "Decoded embeddings -> audio through a generator (README)");
  p.positional("predictions", "[DECODED.h5 ...]");
  p.add()("predictions", "b2m decode output(s)", cxxopts::value<std::vector<std::string>>())(
      "generator",
      "retrieval (the best corpus match), synth (the synthesizer through a map learned on the "
      "corpus) or a command that keeps the generator contract (README)",
      cxxopts::value<std::string>())("corpus", "the built-in generators' corpus file",
                                     cxxopts::value<std::string>())(
      "corpus-audio", "retrieval: a folder of <id>.wav, for a corpus without /sound",
      cxxopts::value<std::string>())(
      "include-stimuli",
      "retrieval: the study's own clips may be retrieved (the paper's corpus held none)")(
      "seconds", "length of each reconstruction", cxxopts::value<double>()->default_value("15"))(
      "rate", "sample rate of each reconstruction", cxxopts::value<int>()->default_value("16000"))(
      "seed", "row r is generated with seed + r",
      cxxopts::value<std::uint64_t>()->default_value("1"))(
      "batch", "rows per generator call (a model loads once per call)",
      cxxopts::value<std::size_t>()->default_value("4"))(
      "retries", "further calls for a row whose file fails validation",
      cxxopts::value<int>()->default_value("2"))(
      "backoff", "seconds before the first retry; doubled before each further one",
      cxxopts::value<double>()->default_value("1"))(
      "timeout", "seconds an external generator call may take",
      cxxopts::value<double>()->default_value("3600"))(
      "gpus", "under mpirun: GPUs dealt to the ranks as CUDA_VISIBLE_DEVICES, e.g. 0,1,2,3",
      cxxopts::value<std::vector<std::string>>());
  p.outputs(
      "each prediction file's result (.h5; the WAVs go in the folder of the same name without "
      ".h5); {name} is the prediction file's name");
  const auto r = p.parse(args);
  if (!r) return std::nullopt;
  GenerateOptions o;
  o.predictions = p.required<std::vector<std::string>>(*r, "predictions");
  o.generator = p.required<std::string>(*r, "generator");
  o.corpus = p.optional<std::string>(*r, "corpus", "");
  o.corpus_audio = p.optional<std::string>(*r, "corpus-audio", "");
  o.include_stimuli = r->count("include-stimuli") > 0;
  o.seconds = (*r)["seconds"].as<double>();
  o.rate = (*r)["rate"].as<int>();
  o.seed = (*r)["seed"].as<std::uint64_t>();
  o.farm.batch = (*r)["batch"].as<std::size_t>();
  o.farm.retries = (*r)["retries"].as<int>();
  o.farm.backoff_s = (*r)["backoff"].as<double>();
  o.timeout_s = (*r)["timeout"].as<double>();
  if (r->count("gpus")) o.gpus = (*r)["gpus"].as<std::vector<std::string>>();
  o.output = p.outputs(*r, args);
  if (o.generator.empty()) throw ConfigError("generate: --generator is empty");
  if (builtin_generator(o.generator) && o.corpus.empty())
    throw ConfigError("generate: the " + o.generator + " generator needs --corpus");
  if (!o.corpus_audio.empty() && o.generator != "retrieval")
    throw ConfigError("generate: --corpus-audio is for the retrieval generator");
  if (!(o.seconds > 0 && o.seconds <= 600) || o.rate < 8000 || o.rate > 96000)
    throw ConfigError("generate: --seconds must lie in (0, 600] and --rate in 8000..96000");
  if (o.farm.batch < 1 || o.farm.retries < 0 || !(o.farm.backoff_s >= 0) || !(o.timeout_s > 0))
    throw ConfigError(
        "generate: --batch must be at least 1, --retries and --backoff at least 0, --timeout "
        "positive");
  if (o.output.out.size() < 4 || o.output.out.compare(o.output.out.size() - 3, 3, ".h5") != 0)
    throw ConfigError("generate: --out names the result file and must end in .h5, got '" +
                      o.output.out + "'");
  if (o.predictions.size() > 1 && o.output.out.find("{name}") == std::string::npos)
    throw ConfigError("generate: with several prediction files, --out must contain {name}");
  return o;
}

}  // namespace

std::string audio_folder(const std::string& result) {
  return result.substr(0, result.size() - 3);
}

bool builtin_generator(const std::string& name) {
  return name == "retrieval" || name == "synth";
}

io::SummaryTable run_generate(const GenerateOptions& o, const mpi::Comm& world) {
  std::vector<Unit> units;
  for (const std::string& p : o.predictions) {
    std::vector<std::string> inputs = {p};
    if (builtin_generator(o.generator)) inputs.push_back(o.corpus);
    units.push_back({file_stem(p), {fill(o.output.out, "name", file_stem(p))}, inputs});
  }
  Stage stage("generate",
              {io::text("predictions"), io::count("rows"), io::count("generated"),
               io::count("reused"), io::count("attempts"), io::real("generator_s")},
              o.output,
              {{"generator", o.generator},
               {"corpus_audio", o.corpus_audio},
               {"include_stimuli", o.include_stimuli},
               {"seconds", o.seconds},
               {"rate", o.rate},
               {"seed", o.seed}});
  // Every unit on all ranks: its rows are dealt over them.
  return stage.run(units, 1, world, [&](UnitRun& run) { return generate_unit(run, o); });
}

int generate_command(const cli::Arguments& args, const mpi::Comm& world) {
  return cli::run_verb<GenerateOptions>(args, world, parse, run_generate);
}

void generate_check(const cli::Arguments& args) {
  static_cast<void>(parse(args));
}

}  // namespace b2m::jobs
