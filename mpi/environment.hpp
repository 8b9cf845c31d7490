// RAII for the MPI library, and the top-level error policy of every b2m
// program: an exception that escapes `main` is printed once by the rank that
// holds it, and the whole job is aborted with a non-zero code so no rank
// waits forever in a collective.
#pragma once

#include <functional>

namespace b2m::mpi {

class Environment {
 public:
  Environment(int& argc, char**& argv);
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  ~Environment() noexcept;
};

// Initializes MPI, runs `body`, and applies the error policy above.
// Returns the process exit code.
int run_main(int argc, char** argv, const std::function<int(int, char**)>& body);

// The rank in MPI_COMM_WORLD, or -1 before MPI_Init.
[[nodiscard]] int world_rank() noexcept;

}  // namespace b2m::mpi
