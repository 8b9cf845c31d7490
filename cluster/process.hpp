// Child processes of the sweep tools: Slurm's commands (output captured)
// and the tasks themselves (output appended to their log).
#pragma once

#include <string>
#include <vector>

namespace b2m::cluster {

struct Captured {
  int status = 0;  // exit code, or 128 + signal
  std::string out;
  std::string err;
};

// Runs `argv` (PATH searched) and captures its output; Error if it cannot
// be started.
[[nodiscard]] Captured capture(const std::vector<std::string>& argv);

// Runs `argv` in directory `dir` with stdout and stderr appended to `log`
// and waits; SIGTERM, SIGINT and SIGHUP received meanwhile are passed on to
// it (Slurm's time limit and scancel reach the task). Returns its exit
// code, or 128 + the signal that ended it.
[[nodiscard]] int run_logged(const std::vector<std::string>& argv, const std::string& log,
                             const std::string& dir);

// The signal passed on by run_logged since the start, 0 if none.
[[nodiscard]] int forwarded_signal();

// The exit status as the shell gives it.
[[nodiscard]] int shell_status(int wait_status);

}  // namespace b2m::cluster
