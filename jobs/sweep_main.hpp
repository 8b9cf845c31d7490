// `b2m sweep`: whole studies on Slurm (cluster/). It runs on a login node
// and talks to the stages only through their command lines and files, so
// it does not start MPI (which costs seconds there).
#pragma once

namespace b2m::jobs {

// argv[0] is "sweep". Returns the exit status (core/exit_code.hpp).
int sweep_main(int argc, char** argv);

}  // namespace b2m::jobs
