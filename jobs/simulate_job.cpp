#include "jobs/simulate_job.hpp"

#include <cstdio>
#include <filesystem>

#include "analysis/study_simulator.hpp"
#include "core/error.hpp"
#include "io/output_file.hpp"
#include "jobs/study_files.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {
namespace {

// Voxels per generation block: fixes the random streams, whatever the ranks.
constexpr std::size_t kSimBlock = 1024;

using solvers::Matrix;

void write_features(const analysis::StudySimulator& sim, const std::string& path,
                    const io::Provenance& provenance, const mpi::Comm& comm) {
  if (io::existing_output(path, provenance, comm) == io::OutputState::complete_same) return;
  io::OutputFile out(path, provenance, comm);
  io::H5File& f = out.file();
  f.create_group("/clips");
  f.write_attribute("/clips", "ids", sim.clip_ids());
  std::vector<std::int32_t> genres(sim.clip_genres().begin(), sim.clip_genres().end());
  f.write_all<std::int32_t>("/clips/genre", {genres.size()}, genres);
  f.write_attribute("/clips/genre", "names", sim.genre_names());
  for (std::size_t s = 0; s < analysis::study_spaces().size(); ++s)
    write_clip_embeddings(f, analysis::study_spaces()[s].name, sim.features()[s]);
  out.commit();
}

void write_subject(const analysis::StudySimulator& sim, int subject, const std::string& responses,
                   const std::string& truth, std::size_t voxels, const io::Provenance& provenance,
                   const mpi::Comm& comm) {
  if (io::existing_output(responses, provenance, comm) == io::OutputState::complete_same &&
      io::existing_output(truth, provenance, comm) == io::OutputState::complete_same)
    return;
  const analysis::SubjectModel model = sim.subject_model(subject);
  const auto& spaces = analysis::study_spaces();
  const std::size_t n = sim.train_rows();
  const std::size_t m = sim.test().rows();
  const std::size_t reps = sim.test().repetitions;
  const std::size_t rank = analysis::StudySimulator::rank();

  io::OutputFile out_y(responses, provenance, comm);
  io::OutputFile out_t(truth, provenance, comm);
  io::H5File& fy = out_y.file();
  io::H5File& ft = out_t.file();
  fy.create<float>("/train/Y", {n, voxels});
  std::vector<std::int32_t> runs(sim.train_run_labels().begin(), sim.train_run_labels().end());
  fy.write_all<std::int32_t>("/train/run", {n}, runs);
  fy.create<float>("/test/Y", {m, voxels});
  fy.create<float>("/test/Y_reps", {reps, m, voxels});
  fy.write_attribute("/test", "ids", sim.test().clip_ids);
  fy.create<std::int32_t>("/voxels/roi", {voxels});
  fy.write_attribute("/voxels/roi", "names", analysis::simulated_roi_names());
  ft.create<std::uint8_t>("/drivers", {voxels});
  std::vector<std::string> names;
  for (const auto& s : spaces) names.push_back(s.name);
  ft.write_attribute("/drivers", "spaces", names);
  ft.create<float>("/snr", {voxels});
  ft.create<float>("/noise_ceiling", {voxels});
  for (std::size_t s = 0; s < spaces.size(); ++s) {
    const std::string g = "/spaces/" + spaces[s].name;
    std::vector<float> basis = row_major(model.basis[s]);
    ft.write_all<float>(g + "/basis", {spaces[s].dim, rank}, basis);
    ft.create<float>(g + "/loadings", {rank, voxels});
  }

  const mpi::Blocks blocks(voxels, kSimBlock);
  const auto mine =
      blocks.owned_by(static_cast<std::size_t>(comm.rank()), static_cast<std::size_t>(comm.size()));
  for (std::size_t round = 0; round < blocks.rounds(static_cast<std::size_t>(comm.size()));
       ++round) {
    const bool active = round < mine.size();
    const mpi::Range v = active ? blocks.block(mine[round]) : mpi::Range{};
    const analysis::VoxelBlock block =
        active ? sim.simulate(model, mine[round], v) : analysis::VoxelBlock{};
    const std::size_t w = v.size();
    const auto write2 = [&](io::H5File& f, const std::string& path, std::size_t rows,
                            const Matrix<float>& data) {
      const std::vector<float> flat = active ? row_major(data) : std::vector<float>();
      f.write<float>(path, {0, v.begin}, {active ? rows : 0, w}, flat.data());
    };
    write2(fy, "/train/Y", n, block.train);
    write2(fy, "/test/Y", m, block.test);
    for (std::size_t r = 0; r < reps; ++r) {
      const std::vector<float> flat = active ? row_major(block.reps[r]) : std::vector<float>();
      fy.write<float>("/test/Y_reps", {r, 0, v.begin},
                      {active ? std::size_t{1} : std::size_t{0}, m, w}, flat.data());
    }
    fy.write<std::int32_t>("/voxels/roi", {v.begin}, {w}, block.roi.data());
    ft.write<std::uint8_t>("/drivers", {v.begin}, {w}, block.drivers.data());
    ft.write<float>("/snr", {v.begin}, {w}, block.snr.data());
    ft.write<float>("/noise_ceiling", {v.begin}, {w}, block.noise_ceiling.data());
    for (std::size_t s = 0; s < spaces.size(); ++s)
      write2(ft, "/spaces/" + spaces[s].name + "/loadings", rank,
             active ? block.loadings[s] : Matrix<float>());
  }
  out_y.commit();
  out_t.commit();
}

// Corpus clips generated and written per round on each rank.
constexpr std::size_t kCorpusChunk = 65536;
// Width of the corpus's fixed-length id strings.
constexpr std::size_t kIdWidth = 32;

// <out>/corpus.h5: the stimulus clips first (their clip-level embeddings, so
// a prediction can be identified among the corpus), then `count` synthetic
// clips "sim.NNNNNNNN" from the same stimulus model; genre and mood tags
// for all.
void write_corpus(const analysis::StudySimulator& sim, const std::string& space, std::size_t count,
                  const std::string& path, const io::Provenance& provenance,
                  const mpi::Comm& comm) {
  if (io::existing_output(path, provenance, comm) == io::OutputState::complete_same) return;
  const std::size_t s = analysis::space_bit(space);
  const analysis::ClipEmbeddings& stimuli = sim.features()[s];
  const std::size_t n_stim = stimuli.ids.size(), dim = stimuli.dim, total = n_stim + count;
  io::OutputFile out(path, provenance, comm);
  io::H5File& f = out.file();
  f.create<float>("/embeddings", {total, dim});
  f.create_strings("/ids", {total}, kIdWidth);
  f.create<std::int32_t>("/tags/genre", {total});
  f.write_attribute("/tags/genre", "names", sim.genre_names());
  f.create<std::int32_t>("/tags/mood", {total});
  f.write_attribute("/tags/mood", "names", analysis::StudySimulator::mood_names());
  f.write_attribute("/", "space", space);
  // The stimuli, written by the root.
  const bool root = comm.is_root();
  std::vector<float> stim(n_stim * dim, 0.0f);
  for (std::size_t c = 0; c < n_stim; ++c)
    for (std::size_t w = 0; w < stimuli.windows; ++w)
      for (std::size_t j = 0; j < dim; ++j)
        stim[c * dim + j] += stimuli.window(c, w)[j] / float(stimuli.windows);
  std::vector<std::int32_t> stim_genre(sim.clip_genres().begin(), sim.clip_genres().end());
  f.write<float>("/embeddings", {0, 0}, {root ? n_stim : 0, dim}, stim.data());
  f.write_strings("/ids", {0}, {root ? n_stim : 0},
                  root ? stimuli.ids : std::vector<std::string>{});
  f.write<std::int32_t>("/tags/genre", {0}, {root ? n_stim : 0}, stim_genre.data());
  std::vector<std::int32_t> stim_mood(sim.clip_moods().begin(), sim.clip_moods().end());
  f.write<std::int32_t>("/tags/mood", {0}, {root ? n_stim : 0}, stim_mood.data());
  // The synthetic clips, each rank its share in chunks.
  const mpi::Range mine = mpi::even_part(count, static_cast<std::size_t>(comm.size()),
                                         static_cast<std::size_t>(comm.rank()));
  const std::size_t chunks = (mine.size() + kCorpusChunk - 1) / kCorpusChunk;
  const std::size_t rounds = comm.allreduce(chunks, mpi::Op::max);
  for (std::size_t r = 0; r < rounds; ++r) {
    const std::size_t first = std::min(mine.end, mine.begin + r * kCorpusChunk);
    const std::size_t n = std::min(mine.end, first + kCorpusChunk) - first;
    const analysis::CorpusChunk chunk = sim.corpus(space, first, n);
    const std::vector<float> rows = row_major(chunk.embeddings);
    std::vector<std::string> ids;
    char id[kIdWidth];
    for (std::size_t i = 0; i < n; ++i) {
      std::snprintf(id, sizeof id, "sim.%08zu", first + i);
      ids.emplace_back(id);
    }
    const std::vector<std::int32_t> genre(chunk.genre.begin(), chunk.genre.end());
    f.write<float>("/embeddings", {n_stim + first, 0}, {n, n ? dim : 0}, rows.data());
    f.write_strings("/ids", {n_stim + first}, {n}, ids);
    f.write<std::int32_t>("/tags/genre", {n_stim + first}, {n}, genre.data());
    const std::vector<std::int32_t> mood(chunk.mood.begin(), chunk.mood.end());
    f.write<std::int32_t>("/tags/mood", {n_stim + first}, {n}, mood.data());
  }
  out.commit();
}

std::string subject_name(int subject) {
  char text[16];
  std::snprintf(text, sizeof text, "sub-%02d", subject);
  return text;
}

}  // namespace

void run_simulate(const SimulateOptions& options, const mpi::Comm& comm) {
  if (options.subjects < 1) throw ConfigError("--subjects must be at least 1");
  if (options.voxels < 1) throw ConfigError("--voxels must be at least 1");
  if (options.corpus > 0)
    static_cast<void>(analysis::space_bit(options.corpus_space));  // known space
  const auto simulator = mpi::agree_on(comm, [&] {
    std::filesystem::create_directories(options.out_dir);
    analysis::StudyDesign design{io::read_task_events(options.events_dir, "Training"),
                                 io::read_task_events(options.events_dir, "Test"), options.tr};
    return std::make_unique<analysis::StudySimulator>(std::move(design), options.seed);
  });
  const analysis::StudySimulator& sim = *simulator;
  io::Provenance provenance;
  provenance.command_line = options.command_line;
  provenance.parameters = {{"stage", "simulate"},
                           {"subjects", options.subjects},
                           {"voxels", options.voxels},
                           {"seed", options.seed},
                           {"tr", options.tr}};
  provenance.inputs = io::checksum_inputs(events_files(options.events_dir), comm);
  const std::string dir = options.out_dir + "/";
  write_features(sim, dir + "features.h5", provenance, comm);
  if (options.corpus > 0) {
    io::Provenance p = provenance;
    p.parameters["corpus"] = options.corpus;
    p.parameters["corpus_space"] = options.corpus_space;
    write_corpus(sim, options.corpus_space, options.corpus, dir + "corpus.h5", p, comm);
    if (comm.is_root())
      std::printf("simulate: corpus of %zu clips (+ the stimuli) done\n", options.corpus);
  }
  for (int s = 1; s <= options.subjects; ++s) {
    io::Provenance p = provenance;
    p.parameters["subject"] = s;
    write_subject(sim, s, dir + subject_name(s) + "_responses.h5",
                  dir + subject_name(s) + "_truth.h5", options.voxels, p, comm);
    if (comm.is_root())
      std::printf("simulate: %s done (%zu voxels)\n", subject_name(s).c_str(), options.voxels);
  }
}

}  // namespace b2m::jobs
