#include "jobs/design_job.hpp"

#include "io/output_file.hpp"
#include "jobs/study_files.hpp"

namespace b2m::jobs {

void run_design(const DesignOptions& o, const mpi::Comm& comm) {
  const AlignmentOptions& a = o.alignment;
  const analysis::Design d = align_design(a, comm);
  io::Provenance provenance;
  provenance.command_line = o.command_line;
  provenance.parameters = {
      {"stage", "design"}, {"space", a.space}, {"delays", a.delays}, {"tr", a.tr}};
  std::vector<std::string> inputs = events_files(a.events_dir);
  inputs.insert(inputs.begin(), a.features);
  provenance.inputs = io::checksum_inputs(inputs, comm);
  if (io::existing_output(o.out, provenance, comm) == io::OutputState::complete_same) return;
  io::OutputFile out(o.out, provenance, comm);
  io::H5File& f = out.file();
  const auto rows = [](const solvers::Matrix<double>& m) {
    return io::Shape{static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols())};
  };
  f.write_all<double>("/train/X", rows(d.train_x), row_major(d.train_x));
  f.write_all<double>("/test/X", rows(d.test_x), row_major(d.test_x));
  std::vector<std::int32_t> runs(d.train_run.begin(), d.train_run.end());
  f.write_all<std::int32_t>("/train/run", {runs.size()}, runs);
  f.write_attribute("/", "space", a.space);
  f.write_attribute("/", "delays", std::vector<double>(a.delays.begin(), a.delays.end()));
  f.write_attribute("/test", "ids", d.test_clips);
  out.commit();
}

}  // namespace b2m::jobs
