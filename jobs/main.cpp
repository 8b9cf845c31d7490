// The `b2m` command: one verb per pipeline stage (the table in verbs.hpp).
#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "core/version.hpp"
#include "io/provenance.hpp"
#include "jobs/sweep_main.hpp"
#include "jobs/verbs.hpp"
#include "mpi/agree.hpp"
#include "mpi/environment.hpp"

namespace {

std::string usage() {
  std::string text =
      "usage: b2m <command> [options]   (b2m <command> --help for its options)\ncommands:\n";
  text += "  sweep      whole studies on Slurm: plan, submit, status, resume (b2m sweep --help)\n";
  for (const b2m::jobs::Verb& v : b2m::jobs::kVerbs) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-10s %s\n", v.name, v.help);
    text += line;
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  // The sweep tools run without MPI (sweep_main.hpp).
  if (argc >= 2 && std::string(argv[1]) == "sweep")
    return b2m::jobs::sweep_main(argc - 1, argv + 1);
  return b2m::mpi::run_main(argc, argv, [](int n, char** args) {
    const std::string first = n < 2 ? "" : args[1];
    if (n < 2 || first == "--help" || first == "-h") {
      if (b2m::mpi::world_rank() == 0) std::printf("%s", usage().c_str());
      return n < 2 ? 2 : 0;
    }
    if (first == "--version") {
      if (b2m::mpi::world_rank() == 0) std::printf("b2m %s\n", b2m::kVersion);
      return 0;
    }
    const auto world = b2m::mpi::Comm::world();
    const b2m::jobs::cli::Arguments verb_args{n - 1, args + 1, b2m::io::join_command_line(n, args)};
    for (const b2m::jobs::Verb& v : b2m::jobs::kVerbs)
      if (first == v.name) return v.command(verb_args, world);
    return b2m::mpi::agree_on(world, [&]() -> int {
      throw b2m::ConfigError("unknown command '" + first + "'\n" + usage());
    });
  });
}
