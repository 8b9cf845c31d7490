#include "jobs/design_job.hpp"

#include "io/bids_events.hpp"
#include "io/design_file.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {
namespace {

std::optional<DesignOptions> parse(const cli::Arguments& args) {
  cli::Parser p("design", "Align clip embeddings into a design file");
  p.alignment();
  p.outputs("output design file", /*summary=*/false);
  const auto r = p.parse(args);
  if (!r) return std::nullopt;
  DesignOptions o;
  o.alignment = p.alignment(*r);
  for (const char* needed : {"features", "space", "events"})
    static_cast<void>(p.required<std::string>(*r, needed));
  o.output = p.outputs(*r, args);
  return o;
}

}  // namespace

void run_design(const DesignOptions& o, const mpi::Comm& world) {
  const analysis::DesignSource& a = o.alignment;
  std::vector<std::string> inputs =
      mpi::agree_on(world, [&] { return io::task_event_files(a.events_dir); });
  inputs.insert(inputs.begin(), a.features);
  Stage stage("design", {}, o.output, {{"space", a.space}, {"delays", a.delays}, {"tr", a.tr}});
  stage.run({{a.space, {o.output.out}, inputs}}, 1, world, [&](UnitRun& run) {
    const analysis::Design d = analysis::align_design(a, run.comm());
    io::OutputFile out = run.open();
    io::H5File& f = out.file();
    io::write_design(f, d);
    f.write_attribute("/", "space", a.space);
    f.write_attribute("/", "delays", std::vector<double>(a.delays.begin(), a.delays.end()));
    const nlohmann::json row = nlohmann::json::object();
    run.commit(out, row);
    return row;
  });
}

int design_command(const cli::Arguments& args, const mpi::Comm& world) {
  return cli::run_verb<DesignOptions>(args, world, parse, run_design);
}

void design_check(const cli::Arguments& args) {
  static_cast<void>(parse(args));
}

}  // namespace b2m::jobs
