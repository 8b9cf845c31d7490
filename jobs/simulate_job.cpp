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
  const auto mine = blocks.owned_by(static_cast<std::size_t>(comm.rank()),
                                    static_cast<std::size_t>(comm.size()));
  for (std::size_t round = 0; round < blocks.rounds(static_cast<std::size_t>(comm.size())); ++round) {
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
      fy.write<float>("/test/Y_reps", {r, 0, v.begin}, {active ? std::size_t{1} : std::size_t{0}, m, w}, flat.data());
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

std::string subject_name(int subject) {
  char text[16];
  std::snprintf(text, sizeof text, "sub-%02d", subject);
  return text;
}

}  // namespace

void run_simulate(const SimulateOptions& options, const mpi::Comm& comm) {
  if (options.subjects < 1) throw ConfigError("--subjects must be at least 1");
  if (options.voxels < 1) throw ConfigError("--voxels must be at least 1");
  const auto simulator = mpi::agree_on(comm, [&] {
    std::filesystem::create_directories(options.out_dir);
    analysis::StudyDesign design{io::read_task_events(options.events_dir, "Training"),
                                 io::read_task_events(options.events_dir, "Test"), options.tr};
    return std::make_unique<analysis::StudySimulator>(std::move(design), options.seed);
  });
  const analysis::StudySimulator& sim = *simulator;
  io::Provenance provenance;
  provenance.command_line = options.command_line;
  provenance.parameters = {{"stage", "simulate"}, {"subjects", options.subjects},
                           {"voxels", options.voxels}, {"seed", options.seed}, {"tr", options.tr}};
  provenance.inputs = io::checksum_inputs(events_files(options.events_dir), comm);
  const std::string dir = options.out_dir + "/";
  write_features(sim, dir + "features.h5", provenance, comm);
  for (int s = 1; s <= options.subjects; ++s) {
    io::Provenance p = provenance;
    p.parameters["subject"] = s;
    write_subject(sim, s, dir + subject_name(s) + "_responses.h5", dir + subject_name(s) + "_truth.h5",
                  options.voxels, p, comm);
    if (comm.is_root()) std::printf("simulate: %s done (%zu voxels)\n", subject_name(s).c_str(), options.voxels);
  }
}

}  // namespace b2m::jobs
