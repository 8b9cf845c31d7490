#include "jobs/evaluate_job.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "analysis/acoustic_embedding.hpp"
#include "analysis/summary_stats.hpp"
#include "core/error.hpp"
#include "io/checksum.hpp"
#include "jobs/generate_job.hpp"
#include "jobs/subjects.hpp"
#include "mpi/agree.hpp"
#include "mpi/partition.hpp"

namespace b2m::jobs {
namespace {

namespace fs = std::filesystem;

// What evaluate reads of a generate result.
struct Reconstructions {
  std::string path;
  std::vector<std::string> clips, files, checksums;  // per row; files in the result's folder
  std::string generator, space, subject;
};

// A 1-D string dataset of a generate result, whole.
std::vector<std::string> read_column(const io::H5File& f, const std::string& name) {
  const io::Shape n = f.shape(name);
  if (n.size() != 1) throw InputError(f.path() + ":" + name + ": expected one dimension");
  return f.read_strings(name, {0}, n);
}

Reconstructions read_reconstructions(const std::string& path, const mpi::Comm& comm) {
  const io::H5File f(path, io::Access::read, comm);
  return mpi::agree_on(comm, [&] {
    Reconstructions r;
    r.path = path;
    for (const char* name : {"/rows/clip", "/rows/file", "/rows/checksum"})
      if (!f.exists(name)) throw InputError(path + ": no " + name + ": not a b2m generate result");
    r.clips = read_column(f, "/rows/clip");
    r.files = read_column(f, "/rows/file");
    r.checksums = read_column(f, "/rows/checksum");
    if (r.files.size() != r.clips.size() || r.checksums.size() != r.clips.size())
      throw InputError(path + ": /rows/clip, /rows/file and /rows/checksum differ in length");
    std::vector<std::string> sorted = r.clips;
    std::sort(sorted.begin(), sorted.end());
    const auto twice = std::adjacent_find(sorted.begin(), sorted.end());
    if (twice != sorted.end())
      throw InputError(path + ": clip '" + *twice +
                       "' has two rows; identification needs one reconstruction per clip");
    if (r.clips.size() < 2)
      throw InputError(path + ": " + std::to_string(r.clips.size()) +
                       " reconstructions; identification needs at least two");
    for (const char* key : {"generator", "space", "subject"})
      if (f.has_attribute("/", key))
        (std::string(key) == "generator" ? r.generator
         : std::string(key) == "space"   ? r.space
                                         : r.subject) = f.read_string_attribute("/", key);
    return r;
  });
}

// The generator as a table shows it: the command with each path cut to its
// file name ("python3 audioldm_clap.py --steps 50"). Results are grouped by
// the whole command (the summary row's `generator_command`).
std::string generator_label(const std::string& generator) {
  std::istringstream words(generator);
  std::string label;
  for (std::string word; words >> word;)
    label += (label.empty() ? "" : " ") +
             (word.find('/') == std::string::npos ? word : fs::path(word).filename().string());
  return label;
}

// The reconstruction WAVs, each checked against the checksum generate
// recorded (a file replaced since is not the result's).
std::vector<ClipSource> reconstruction_clips(const Reconstructions& r, const mpi::Comm& comm) {
  const std::string dir = audio_folder(r.path);
  std::vector<ClipSource> clips;
  for (const std::string& file : r.files) clips.push_back(wav_clip(dir + "/" + file));
  const mpi::Range mine =
      mpi::even_part(clips.size(), std::size_t(comm.size()), std::size_t(comm.rank()));
  mpi::agree_on(comm, [&] {
    for (std::size_t i = mine.begin; i < mine.end; ++i) {
      if (!fs::exists(clips[i].file))
        throw InputError(r.path + ": row " + std::to_string(i) + "'s reconstruction " +
                         clips[i].file + " is missing");
      if (io::file_checksum(clips[i].file) != r.checksums[i])
        throw InputError(r.path + ": row " + std::to_string(i) + "'s reconstruction " +
                         clips[i].file +
                         " has changed since b2m generate wrote it (checksum); generate again");
    }
  });
  return clips;
}

// The run's shared state: the pool and the stimuli's embeddings, made when
// the first unit needs them (a rerun that skips every unit makes neither).
class Judging {
 public:
  Judging(const EvaluateOptions& o, StudyStimuli stimuli, std::vector<std::string> tags,
          std::size_t chance, std::unique_ptr<ClipEmbedder> embedder)
      : o_(o),
        stimuli_(std::move(stimuli)),
        tags_(std::move(tags)),
        chance_(chance),
        embedder_(std::move(embedder)) {}

  [[nodiscard]] const StudyStimuli& stimuli() const { return stimuli_; }
  [[nodiscard]] const std::vector<std::string>& tags() const { return tags_; }
  [[nodiscard]] ClipEmbedder& embedder() { return *embedder_; }

  const EvaluationPool& pool(const mpi::Comm& comm) {
    if (!pool_) {
      PoolOptions p = o_.pool;
      p.chance = chance_;
      EvaluationPool pool = build_pool(p, stimuli_, tags_, *embedder_, comm);
      // The same on every rank; agreed so that the job ends cleanly.
      judge_ = mpi::agree_on(comm, [&] {
        const std::size_t need = analysis::min_cross_validation_rows(std::size_t(pool.pool.cols()));
        if (p.pool < need)
          throw ConfigError(
              "evaluate: --pool-clips " + std::to_string(p.pool) +
              " is too few for embeddings of " + std::to_string(pool.pool.cols()) +
              " values: the tag classifiers' 5-fold cross-validation needs at least " +
              std::to_string(need));
        try {
          return std::optional<analysis::ReconstructionJudge>(std::in_place, pool.pool, pool.tags,
                                                              5, !o_.unscaled);
        } catch (const ConfigError& e) {
          throw InputError(p.corpus + ", the pool of its first " + std::to_string(p.pool) +
                           " clips outside the study: " + e.what());
        }
      });
      pool_ = std::move(pool);
    }
    return *pool_;
  }
  const analysis::ReconstructionJudge& judge(const mpi::Comm& comm) {
    static_cast<void>(pool(comm));
    return *judge_;
  }

  // The embeddings of stimulus clips `ids` (rows in order); each clip's
  // WAV is embedded once per run.
  // (The unit has checked that the study has every id.)
  solvers::Matrix<double> stimulus_embeddings(const std::vector<std::string>& ids,
                                              const mpi::Comm& comm) {
    std::vector<std::string> missing;
    std::vector<ClipSource> clips;
    for (const std::string& id : ids)
      if (cache_.count(id) == 0 && std::find(missing.begin(), missing.end(), id) == missing.end()) {
        missing.push_back(id);
        clips.push_back(wav_clip(stimuli_.wav(id)));
      }
    const solvers::Matrix<double> fresh =
        embedder_->embed(clips, stimuli_.rate, stimuli_.seconds, comm);
    for (std::size_t i = 0; i < missing.size(); ++i)
      cache_[missing[i]] = fresh.row(Eigen::Index(i));
    solvers::Matrix<double> out(Eigen::Index(ids.size()),
                                fresh.cols() > 0 ? fresh.cols() : cache_.at(ids.front()).size());
    for (std::size_t i = 0; i < ids.size(); ++i) out.row(Eigen::Index(i)) = cache_.at(ids[i]);
    return out;
  }

 private:
  const EvaluateOptions& o_;
  StudyStimuli stimuli_;
  std::vector<std::string> tags_;
  std::size_t chance_;
  std::unique_ptr<ClipEmbedder> embedder_;
  std::optional<EvaluationPool> pool_;
  std::optional<analysis::ReconstructionJudge> judge_;
  std::map<std::string, Eigen::RowVectorXd> cache_;
};

std::vector<std::int32_t> int32(const std::vector<int>& v) {
  return {v.begin(), v.end()};
}

nlohmann::json evaluate_unit(UnitRun& run, Judging& judging) {
  const mpi::Comm& comm = run.comm();
  const std::string& path = run.unit().inputs.front();
  const Reconstructions r = read_reconstructions(path, comm);
  mpi::agree_on(comm, [&] {  // before the pool is made
    for (const std::string& id : r.clips) static_cast<void>(judging.stimuli().index(id, path));
  });
  const std::vector<ClipSource> clips = reconstruction_clips(r, comm);
  ClipEmbedder& embedder = judging.embedder();
  const EvaluationPool& pool = judging.pool(comm);
  const analysis::ReconstructionJudge& judge = judging.judge(comm);
  const StudyStimuli& stimuli = judging.stimuli();
  const solvers::Matrix<double> stim = judging.stimulus_embeddings(r.clips, comm);
  const solvers::Matrix<double> rec = embedder.embed(clips, stimuli.rate, stimuli.seconds, comm);
  const Eigen::Index n = Eigen::Index(r.clips.size());
  const solvers::Matrix<double> chance = pool.chance.topRows(n);
  const analysis::Verdict v = judge.judge(rec, stim);
  const analysis::Verdict c = judge.judge(chance, stim);

  io::OutputFile out = run.open();
  io::H5File& f = out.file();
  f.write_all_strings("/rows/clip", r.clips);
  f.write_all_strings("/rows/chance_clip", std::vector<std::string>(pool.chance_ids.begin(),
                                                                    pool.chance_ids.begin() + n));
  f.write_all<double>("/rows/identification", {r.clips.size()}, v.identification);
  f.write_all<double>("/rows/chance_identification", {r.clips.size()}, c.identification);
  nlohmann::json row = {{"result", file_stem(path)},
                        {"subject", r.subject},
                        {"space", r.space},
                        {"generator", generator_label(r.generator)},
                        {"generator_command", r.generator},
                        {"rows", r.clips.size()},
                        {"identification", io::number(v.mean_identification)},
                        {"chance_identification", io::number(c.mean_identification)}};
  for (std::size_t t = 0; t < judging.tags().size(); ++t) {
    const std::string& tag = judging.tags()[t];
    const std::string g = "/tags/" + tag;
    const std::size_t column = std::size_t(
        std::find(stimuli.tags.begin(), stimuli.tags.end(), tag) - stimuli.tags.begin());
    std::vector<std::int32_t> truth;
    for (const std::string& id : r.clips)
      truth.push_back(stimuli.labels[column][stimuli.index(id, path)]);
    f.write_all<std::int32_t>(g + "/reconstruction", {r.clips.size()},
                              int32(v.reconstruction_class[t]));
    f.write_all<std::int32_t>(g + "/stimulus", {r.clips.size()}, int32(v.stimulus_class[t]));
    f.write_all<std::int32_t>(g + "/chance", {r.clips.size()}, int32(c.reconstruction_class[t]));
    f.write_all<std::int32_t>(g + "/truth", {r.clips.size()}, truth);
    f.write_attribute(g, "names", stimuli.tag_names[column]);
    f.write_attribute(g, "agreement", std::vector<double>{v.agreement[t]});
    f.write_attribute(g, "chance_agreement", std::vector<double>{c.agreement[t]});
    f.write_attribute(g, "pairing_chance", std::vector<double>{v.pairing_chance[t]});
    f.write_attribute(g, "ceiling", std::vector<double>{judge.ceiling(t)});
    row[tag] = io::number(v.agreement[t]);
    row["chance_" + tag] = io::number(c.agreement[t]);
    row["ceiling_" + tag] = io::number(judge.ceiling(t));
    row["pairing_chance_" + tag] = io::number(v.pairing_chance[t]);  // in the files, not the table
  }
  f.write_attribute("/", "embedder", embedder.name());
  f.write_attribute("/", "pool_clips", std::vector<double>{double(pool.pool_ids.size())});
  for (const char* key : {"generator", "space", "subject"})
    f.write_attribute("/", key,
                      std::string(key) == "generator" ? r.generator
                      : std::string(key) == "space"   ? r.space
                                                      : r.subject);
  run.commit(out, row);
  return row;
}

std::optional<EvaluateOptions> parse(const cli::Arguments& args) {
  cli::Parser p("evaluate", "Reconstructions judged against their stimuli (README)");
  p.positional("reconstructions", "[GENERATED.h5 ...]");
  p.add()("reconstructions", "b2m generate results", cxxopts::value<std::vector<std::string>>())(
      "stimuli", "the study's audio.h5 (its WAVs in audio/ beside it)",
      cxxopts::value<std::string>())("corpus",
                                     "corpus.h5: the classifiers' pool and the chance clips",
                                     cxxopts::value<std::string>())(
      "corpus-audio", "a folder of <id>.wav, for a corpus without /sound",
      cxxopts::value<std::string>())(
      "embedder",
      "a command that keeps the embedder contract (README); default: b2m's acoustic embedder",
      cxxopts::value<std::string>())("embedder-timeout", "seconds an embedder call may take",
                                     cxxopts::value<double>()->default_value("3600"))(
      "pool-clips", "corpus clips outside the study the tag classifiers are fitted on",
      cxxopts::value<std::size_t>()->default_value("1000"))(
      "seed", "seed of the chance clips' draw",
      cxxopts::value<std::uint64_t>()->default_value("1"))(
      "unscaled",
      "identification on the raw embeddings, as the paper's (default: each dimension z-scored "
      "over the pool)")("subject-summary",
                        "write the table over subjects here (TSV, or JSON for *.json)",
                        cxxopts::value<std::string>());
  p.outputs(
      "each result's evaluation (.h5); {name} is the result's file name, {parent} its folder's");
  const auto r = p.parse(args);
  if (!r) return std::nullopt;
  EvaluateOptions o;
  o.reconstructions = p.required<std::vector<std::string>>(*r, "reconstructions");
  o.stimuli = p.required<std::string>(*r, "stimuli");
  o.pool.corpus = p.required<std::string>(*r, "corpus");
  o.pool.corpus_audio = p.optional<std::string>(*r, "corpus-audio", "");
  o.pool.pool = (*r)["pool-clips"].as<std::size_t>();
  o.pool.seed = (*r)["seed"].as<std::uint64_t>();
  o.embedder = p.optional<std::string>(*r, "embedder", "");
  o.unscaled = r->count("unscaled") > 0;
  o.embedder_timeout_s = (*r)["embedder-timeout"].as<double>();
  o.subject_summary = p.optional<std::string>(*r, "subject-summary", "");
  o.output = p.outputs(*r, args);
  // (an external embedder's dimension is known once it has run)
  const std::size_t need = analysis::min_cross_validation_rows(analysis::AcousticEmbedder::dim());
  if (o.embedder.empty() && o.pool.pool < need)
    throw ConfigError("evaluate: --pool-clips " + std::to_string(o.pool.pool) +
                      " is too few for the acoustic embedding's " +
                      std::to_string(analysis::AcousticEmbedder::dim()) +
                      " values: the tag classifiers' 5-fold cross-validation needs at least " +
                      std::to_string(need));
  if (o.pool.pool < 10)
    throw ConfigError("evaluate: --pool-clips must be at least 10 (5-fold cross-validation)");
  if (!(o.embedder_timeout_s > 0))
    throw ConfigError("evaluate: --embedder-timeout must be positive");
  if (o.reconstructions.size() > 1 && o.output.out.find("{name}") == std::string::npos &&
      o.output.out.find("{parent}") == std::string::npos)
    throw ConfigError("evaluate: with several results, --out must contain {name} or {parent}");
  return o;
}

}  // namespace

io::SummaryTable over_subjects(const io::SummaryTable& results,
                               const std::vector<std::string>& tags) {
  std::vector<io::Column> columns = {io::text("space"), io::text("generator"),
                                     io::count("subjects"), io::mean_sd("identification"),
                                     io::mean_sd("chance_identification")};
  std::vector<std::string> figures = {"identification", "chance_identification"};
  for (const std::string& tag : tags) {
    columns.push_back(io::mean_sd(tag));
    columns.push_back(io::mean_sd("chance_" + tag));
    columns.push_back(io::real("ceiling_" + tag));
    figures.push_back(tag);
    figures.push_back("chance_" + tag);
  }
  io::SummaryTable table(columns);
  std::vector<std::pair<std::string, std::string>> groups;
  std::map<std::pair<std::string, std::string>, std::vector<const nlohmann::json*>> members;
  for (const nlohmann::json& row : results.rows()) {
    const auto key = std::pair(row.value("space", ""),
                               row.value("generator_command", row.value("generator", "")));
    if (members.count(key) == 0) groups.push_back(key);
    members[key].push_back(&row);
  }
  for (const auto& key : groups) {
    std::set<std::string> subjects;
    for (const nlohmann::json* row : members[key]) subjects.insert(row->value("subject", ""));
    nlohmann::json out = {{"space", key.first},
                          {"generator", members[key].front()->value("generator", "")},
                          {"subjects", subjects.size()}};
    for (const std::string& figure : figures) {
      std::vector<double> values;
      for (const nlohmann::json* row : members[key])
        values.push_back(io::number_or_nan(row->at(figure)));
      const auto [mean, sd] = analysis::mean_sd(values);
      out[figure] = nlohmann::json::array({io::number(mean), io::number(sd)});
    }
    for (const std::string& tag : tags)
      out["ceiling_" + tag] = members[key].front()->at("ceiling_" + tag);
    table.add(out);
  }
  return table;
}

io::SummaryTable run_evaluate(const EvaluateOptions& o, const mpi::Comm& world) {
  StudyStimuli stimuli = read_stimuli(o.stimuli, world);
  std::vector<std::string> tags = judged_tags(o.pool.corpus, stimuli, world);
  // Chance clips for the longest result; each unit uses its first rows.
  std::size_t chance = 0;
  std::vector<Unit> units;
  for (const std::string& path : o.reconstructions) {
    const io::H5File f(path, io::Access::read, world);
    const std::size_t n = mpi::agree_on(world, [&] {
      if (!f.exists("/rows/clip"))
        throw InputError(path + ": no /rows/clip: not a b2m generate result");
      return read_column(f, "/rows/clip").size();
    });
    chance = std::max(chance, n);
    const std::string parent = fs::path(path).parent_path().filename().string();
    units.push_back({file_stem(path),
                     {fill(fill(o.output.out, "name", file_stem(path)), "parent", parent)},
                     {path, o.stimuli, o.pool.corpus}});
  }
  const std::string first_out = units.front().outputs.front();
  const std::string work =
      (fs::path(first_out).parent_path() / (fs::path(first_out).stem().string() + ".embedder"))
          .string();
  std::unique_ptr<ClipEmbedder> embedder =
      o.embedder.empty() ? acoustic_embedder()
                         : command_embedder(o.embedder, work, o.embedder_timeout_s);
  const std::string embedder_name = embedder->name();
  Judging judging(o, std::move(stimuli), tags, chance, std::move(embedder));

  std::vector<io::Column> columns = {io::text("result"),
                                     io::text("subject"),
                                     io::text("space"),
                                     io::text("generator"),
                                     io::count("rows"),
                                     io::real("identification"),
                                     io::real("chance_identification")};
  for (const std::string& tag : tags) {
    columns.push_back(io::real(tag));
    columns.push_back(io::real("chance_" + tag));
    columns.push_back(io::real("ceiling_" + tag));
  }
  Stage stage("evaluate", columns, o.output,
              {{"embedder", embedder_name},
               {"corpus_audio", o.pool.corpus_audio},
               {"pool_clips", o.pool.pool},
               {"seed", o.pool.seed},
               {"unscaled", o.unscaled}});
  // Every unit on all ranks: they share the pool and split each unit's clips.
  const io::SummaryTable results =
      stage.run(units, 1, world, [&](UnitRun& run) { return evaluate_unit(run, judging); });
  const io::SummaryTable table = over_subjects(results, tags);
  print_table(table, world);
  if (!o.subject_summary.empty())
    mpi::agree_on(world, [&] {
      if (world.is_root()) io::write_summary(table, o.subject_summary);
    });
  mpi::agree_on(world, [&] {
    std::error_code kept;  // a failed call's folder stays for a person to read
    if (world.is_root()) fs::remove(work, kept);
  });
  return results;
}

int evaluate_command(const cli::Arguments& args, const mpi::Comm& world) {
  return cli::run_verb<EvaluateOptions>(args, world, parse, run_evaluate);
}

void evaluate_check(const cli::Arguments& args) {
  static_cast<void>(parse(args));
}

}  // namespace b2m::jobs
