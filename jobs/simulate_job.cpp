#include "jobs/simulate_job.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "analysis/study_simulator.hpp"
#include "core/error.hpp"
#include "io/bids_events.hpp"
#include "io/corpus_file.hpp"
#include "io/feature_file.hpp"
#include "io/h5_matrix.hpp"
#include "io/responses_file.hpp"
#include "io/truth_file.hpp"
#include "jobs/simulate_bids.hpp"
#include "jobs/sound_table.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {
namespace {

// Voxels per generation block: fixes the random streams, whatever the ranks.
constexpr std::size_t kSimBlock = 1024;
// Corpus clips generated and written per round on each rank.
constexpr std::size_t kCorpusChunk = 65536;
// Width of the corpus's fixed-length id strings.
constexpr std::size_t kIdWidth = 32;

void write_features(const analysis::StudySimulator& sim, io::H5File& f) {
  io::write_clips(f, sim.clip_ids(), sim.clip_genres(), sim.genre_names());
  for (std::size_t s = 0; s < analysis::study_spaces().size(); ++s)
    io::write_clip_embeddings(f, analysis::study_spaces()[s].name, sim.features()[s]);
}

// The datasets of a subject's responses and truth files, before the voxels.
void create_subject(const analysis::StudySimulator& sim, const analysis::SubjectModel& model,
                    std::size_t voxels, io::H5File& fy, io::H5File& ft) {
  io::ResponsesShape shape;
  shape.runs.assign(sim.train_run_labels().begin(), sim.train_run_labels().end());
  shape.test_rows = sim.test().rows();
  shape.reps = sim.test().repetitions;
  shape.voxels = voxels;
  shape.test_ids = sim.test().clip_ids;
  shape.roi_names = sim.roi_names();
  io::create_responses(fy, shape);
  std::vector<std::string> names;
  for (const auto& s : analysis::study_spaces()) names.push_back(s.name);
  const bool paper = sim.params().preset == analysis::Preset::paper;
  io::create_truth(ft, names, model.basis, voxels, sim.params().values(), paper ? "paper" : "easy");
}

// The subject's voxels, block by block, each rank its own blocks; also into
// the published arrays when `bids` is given.
void write_voxels(const analysis::StudySimulator& sim, const analysis::SubjectModel& model,
                  std::size_t voxels, io::H5File& fy, io::H5File& ft, BidsSubject* bids,
                  const mpi::Comm& comm) {
  const mpi::Blocks blocks(voxels, kSimBlock);
  const auto ranks = static_cast<std::size_t>(comm.size());
  const auto mine = blocks.owned_by(static_cast<std::size_t>(comm.rank()), ranks);
  for (std::size_t round = 0; round < blocks.rounds(ranks); ++round) {
    const bool active = round < mine.size();
    const mpi::Range v = active ? blocks.block(mine[round]) : mpi::Range{};
    const analysis::VoxelBlock block = mpi::agree_on(comm, [&] {
      return active ? sim.simulate(model, mine[round], v) : analysis::VoxelBlock{};
    });
    io::write_responses(fy, v.begin, block.train, block.test, block.reps, block.roi);
    io::write_truth(ft, v.begin,
                    {block.drivers, block.snr, block.noise_ceiling, block.unread, block.loadings});
    if (bids) mpi::agree_on(comm, [&] { bids->write(v.begin, block); });
  }
}

// The stimulus clips first (their clip-level embeddings, so a prediction
// can be identified among the corpus), then `count` synthetic clips
// "sim.NNNNNNNN" from the same stimulus model; genre, instrument and mood
// tags for all, and each clip's sound (rendered at `audio`'s rate and
// length on demand).
void write_corpus(const analysis::StudySimulator& sim, const std::string& space, std::size_t count,
                  const AudioOptions& audio, io::H5File& f, const mpi::Comm& comm) {
  const analysis::ClipEmbeddings& stimuli = sim.features()[analysis::space_bit(space)];
  const std::size_t n_stim = stimuli.ids.size(), dim = stimuli.dim;
  io::create_corpus(f, n_stim + count, dim, kIdWidth,
                    {{"genre", sim.genre_names()},
                     {"instrument", analysis::instrument_names()},
                     {"mood", analysis::StudySimulator::mood_names()}});
  create_sound_table(f, n_stim + count, audio.rate, audio.seconds);
  f.write_attribute("/", "space", space);
  // The stimuli, written by the root.
  const bool root = comm.is_root();
  io::RowMajor<float> stim = io::RowMajor<float>::Zero(root ? long(n_stim) : 0, long(dim));
  for (Eigen::Index c = 0; c < stim.rows(); ++c)
    for (std::size_t w = 0; w < stimuli.windows; ++w)
      for (std::size_t j = 0; j < dim; ++j)
        stim(c, long(j)) += stimuli.window(std::size_t(c), w)[j] / float(stimuli.windows);
  const auto tag = [&](const std::vector<int>& values) {
    return root ? std::vector<std::int32_t>(values.begin(), values.end())
                : std::vector<std::int32_t>{};
  };
  io::write_corpus_rows(
      f, 0, stim, root ? stimuli.ids : std::vector<std::string>{},
      {tag(sim.clip_genres()), tag(sim.clip_instruments()), tag(sim.clip_moods())});
  std::vector<analysis::ClipSound> sounds;
  for (std::size_t c = 0; root && c < n_stim; ++c) sounds.push_back(sim.stimulus_sound(c));
  write_sound_rows(f, 0, sounds);
  // The synthetic clips, each rank its share in chunks.
  const mpi::Range mine = mpi::even_part(count, static_cast<std::size_t>(comm.size()),
                                         static_cast<std::size_t>(comm.rank()));
  const std::size_t chunks = (mine.size() + kCorpusChunk - 1) / kCorpusChunk;
  const std::size_t rounds = comm.allreduce(chunks, mpi::Op::max);
  for (std::size_t r = 0; r < rounds; ++r) {
    const std::size_t first = std::min(mine.end, mine.begin + r * kCorpusChunk);
    const std::size_t n = std::min(mine.end, first + kCorpusChunk) - first;
    const analysis::CorpusChunk chunk = sim.corpus(space, first, n);
    std::vector<std::string> ids;
    char id[kIdWidth];
    for (std::size_t i = 0; i < n; ++i) {
      std::snprintf(id, sizeof id, "sim.%08zu", first + i);
      ids.emplace_back(id);
    }
    io::write_corpus_rows(f, n_stim + first, chunk.embeddings, ids,
                          {{chunk.genre.begin(), chunk.genre.end()},
                           {chunk.instrument.begin(), chunk.instrument.end()},
                           {chunk.mood.begin(), chunk.mood.end()}});
    write_sound_rows(f, n_stim + first, chunk.sound);
  }
}

nlohmann::json simulator_parameters(const analysis::SimulatorParams& p) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : p.values()) out[name] = value;
  return out;
}

std::string subject_name(int subject) {
  char text[16];
  std::snprintf(text, sizeof text, "sub-%02d", subject);
  return text;
}

std::optional<SimulateOptions> parse(const cli::Arguments& args) {
  cli::Parser p("simulate", "Simulate a study on the real ds003720 design");
  p.events();
  p.add()("out-dir", "output directory", cxxopts::value<std::string>())(
      "subjects", "number of subjects", cxxopts::value<int>()->default_value("5"))(
      "voxels", "voxels per subject", cxxopts::value<std::size_t>()->default_value("20000"))(
      "seed", "random seed", cxxopts::value<std::uint64_t>()->default_value("1"))(
      "corpus", "also write corpus.h5 with this many synthetic clips (plus the stimuli)",
      cxxopts::value<std::size_t>()->default_value("0"))(
      "corpus-space", "embedding space of the corpus",
      cxxopts::value<std::string>()->default_value("mulan_music"))(
      "bids",
      "also write the study as published: a BIDS tree with the dataset's preprocessed arrays",
      cxxopts::value<std::string>())(
      "bids-grid", "the BIDS tree's image grid, e.g. 96x96x68 (default: sized to --voxels)",
      cxxopts::value<std::string>())(
      "bids-drift", "largest coefficient of each run's linear and quadratic drift in the bold runs",
      cxxopts::value<double>()->default_value("30"))(
      "preset",
      "paper (the paper's structure, calibrated to its Table 2) or easy (b2m's first study: "
      "strong effects)",
      cxxopts::value<std::string>()->default_value("paper"))(
      "sim", "paper preset: set a generating parameter, NAME=VALUE (repeatable; see README)",
      cxxopts::value<std::vector<std::string>>())(
      "audio", "also write audio.h5 and a WAV per stimulus clip under audio/ (its sound)")(
      "audio-rate", "sample rate of the WAVs (and of corpus clips rendered on demand)",
      cxxopts::value<int>()->default_value("16000"))(
      "audio-seconds", "seconds of each WAV (and of corpus clips rendered on demand)",
      cxxopts::value<double>()->default_value("15"))(
      "overwrite", "replace complete outputs made with other parameters or inputs");
  const auto r = p.parse(args);
  if (!r) return std::nullopt;
  SimulateOptions o;
  o.events_dir = p.required<std::string>(*r, "events");
  o.out_dir = p.required<std::string>(*r, "out-dir");
  o.subjects = (*r)["subjects"].as<int>();
  o.voxels = (*r)["voxels"].as<std::size_t>();
  o.seed = (*r)["seed"].as<std::uint64_t>();
  o.tr = p.tr(*r);
  o.corpus = (*r)["corpus"].as<std::size_t>();
  o.corpus_space = (*r)["corpus-space"].as<std::string>();
  o.bids = p.optional<std::string>(*r, "bids", "");
  o.bids_drift = (*r)["bids-drift"].as<double>();
  if (!(o.bids_drift >= 0)) throw ConfigError("simulate: --bids-drift must be >= 0");
  if (r->count("bids-grid")) {
    unsigned nx = 0, ny = 0, nz = 0;
    char tail = 0;
    const std::string g = (*r)["bids-grid"].as<std::string>();
    if (std::sscanf(g.c_str(), "%ux%ux%u%c", &nx, &ny, &nz, &tail) != 3 || !nx || !ny || !nz)
      throw ConfigError("simulate: --bids-grid must look like 96x96x68, got '" + g + "'");
    o.bids_grid = {nx, ny, nz};
  }
  o.params.preset = analysis::preset_named((*r)["preset"].as<std::string>());
  if (r->count("sim"))
    for (const std::string& kv : (*r)["sim"].as<std::vector<std::string>>()) {
      const auto eq = kv.find('=');
      char* end = nullptr;
      const double value = eq == std::string::npos ? 0 : std::strtod(kv.c_str() + eq + 1, &end);
      if (eq == std::string::npos || end == kv.c_str() + eq + 1 || *end != '\0')
        throw ConfigError("simulate: --sim expects NAME=VALUE, got '" + kv + "'");
      o.params.set(kv.substr(0, eq), value);
    }
  o.audio.enabled = r->count("audio") > 0;
  o.audio.rate = (*r)["audio-rate"].as<int>();
  o.audio.seconds = (*r)["audio-seconds"].as<double>();
  if (o.audio.rate < 8000 || o.audio.rate > 96000 ||
      !(o.audio.seconds > 0 && o.audio.seconds <= 600))
    throw ConfigError(
        "simulate: --audio-rate must lie in 8000..96000 and --audio-seconds in (0, 600]");
  o.overwrite = r->count("overwrite") > 0;
  o.command_line = args.command_line;
  return o;
}

}  // namespace

void run_simulate(const SimulateOptions& o, const mpi::Comm& comm) {
  if (o.subjects < 1) throw ConfigError("simulate: --subjects must be at least 1");
  if (o.voxels < 1) throw ConfigError("simulate: --voxels must be at least 1");
  if (o.corpus > 0) static_cast<void>(analysis::space_bit(o.corpus_space));  // a known space
  analysis::SimulatorParams params = o.params;
  params.voxels = o.voxels;  // the parcels' sizes
  const auto simulator = mpi::agree_on(comm, [&] {
    std::filesystem::create_directories(o.out_dir);
    analysis::StudyDesign design{io::read_task_events(o.events_dir, "Training"),
                                 io::read_task_events(o.events_dir, "Test"), o.tr};
    return std::make_unique<analysis::StudySimulator>(std::move(design), o.seed, params);
  });
  const analysis::StudySimulator& sim = *simulator;
  const std::vector<std::string> events =
      mpi::agree_on(comm, [&] { return io::task_event_files(o.events_dir); });
  const std::string dir = o.out_dir + "/";
  std::vector<Unit> units = {{"features", {dir + "features.h5"}, events}};
  if (o.corpus > 0)
    units.push_back({"corpus",
                     {dir + "corpus.h5"},
                     events,
                     {{"corpus", o.corpus},
                      {"corpus_space", o.corpus_space},
                      {"audio_rate", o.audio.rate},
                      {"audio_seconds", o.audio.seconds}}});
  if (o.audio.enabled) {
    Unit u{"audio",
           {dir + "audio.h5"},
           events,
           {{"audio_rate", o.audio.rate}, {"audio_seconds", o.audio.seconds}}};
    u.side_files = audio_files(sim, dir);
    units.push_back(std::move(u));
  }
  // The layout of the published arrays, when asked for.
  const auto arrays = mpi::agree_on(comm, [&] {
    return o.bids.empty() ? nullptr
                          : std::make_unique<analysis::ArrayLayout>(analysis::array_layout(
                                io::read_task_events(o.events_dir, "Training"),
                                io::read_task_events(o.events_dir, "Test"), o.tr));
  });
  const auto bids_subject = [&](int s) {
    return BidsSubject(o.bids, s, o.events_dir, *arrays,
                       {o.bids_grid, o.bids_drift, sim.roi_names()});
  };
  for (int s = 1; s <= o.subjects; ++s) {
    Unit u{subject_name(s),
           {dir + subject_name(s) + "_responses.h5", dir + subject_name(s) + "_truth.h5"},
           events,
           {{"subject", s}}};
    if (arrays) u.side_files = mpi::agree_on(comm, [&] { return bids_subject(s).files(); });
    units.push_back(std::move(u));
  }
  Stage stage("simulate", {}, {o.out_dir, o.overwrite, "", o.command_line},
              {{"subjects", o.subjects},
               {"voxels", o.voxels},
               {"seed", o.seed},
               {"tr", o.tr},
               {"bids", o.bids},
               {"bids_grid", o.bids_grid},
               {"bids_drift", o.bids_drift},
               {"simulator", simulator_parameters(params)}});
  stage.run(units, 1, comm, [&](UnitRun& run) {
    const nlohmann::json row = nlohmann::json::object();
    if (run.unit().parameters.contains("subject"))  // responses: float32 [rows, voxels]
      mpi::agree_on(run.comm(), [&] {
        if (!run.comm().is_root()) return;
        const double rows =
            double(sim.train_rows() + sim.test().rows() * (1 + sim.test().repetitions));
        io::check_free_space(run.unit().outputs.front(),
                             {{"responses", rows * double(o.voxels) * sizeof(float)}});
      });
    io::OutputFile out = run.open(0);
    if (run.unit().name == "features") {
      write_features(sim, out.file());
    } else if (run.unit().name == "corpus") {
      write_corpus(sim, o.corpus_space, o.corpus, o.audio, out.file(), run.comm());
    } else if (run.unit().name == "audio") {
      write_audio(sim, o.audio, dir, out.file(), run.comm());
    } else {
      const int subject = run.unit().parameters.at("subject").get<int>();
      const analysis::SubjectModel model = sim.subject_model(subject);
      io::OutputFile truth = run.open(1);
      create_subject(sim, model, o.voxels, out.file(), truth.file());
      std::unique_ptr<BidsSubject> bids;
      if (arrays) {
        bids = mpi::agree_on(run.comm(),
                             [&] { return std::make_unique<BidsSubject>(bids_subject(subject)); });
        bids->begin(o.voxels, run.comm());
      }
      write_voxels(sim, model, o.voxels, out.file(), truth.file(), bids.get(), run.comm());
      if (bids) bids->finish(run.comm());
      run.commit(truth, row);
    }
    run.commit(out, row);
    return row;
  });
}

int simulate_command(const cli::Arguments& args, const mpi::Comm& world) {
  return cli::run_verb<SimulateOptions>(args, world, parse, run_simulate);
}

void simulate_check(const cli::Arguments& args) {
  static_cast<void>(parse(args));
}

}  // namespace b2m::jobs
