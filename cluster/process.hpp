// Child processes of the sweep tools: Slurm's commands (output captured)
// and the tasks themselves (output appended to their log).
#pragma once

#include <string>
#include <utility>
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

// How run_logged starts its child.
struct ChildOptions {
  std::string dir;  // working directory (empty: this one)
  // Environment: variables whose names start with one of `drop_prefixes`
  // are left out (a child of an MPI rank must not take itself for one),
  // then `set` is added.
  std::vector<std::string> drop_prefixes;
  std::vector<std::pair<std::string, std::string>> set;
  // Seconds before the child's process group is sent SIGTERM (then SIGKILL
  // 5 s later); 0: no limit. With a limit the child leads a process group
  // of its own, so whatever it started ends with it.
  double timeout_s = 0;
};

// The status run_logged returns for a child it ended at its time limit.
inline constexpr int kTimedOut = 124;

// Runs `argv` with stdout and stderr appended to `log` and waits; SIGTERM,
// SIGINT and SIGHUP received meanwhile are passed on to it (Slurm's time
// limit and scancel reach the task). Returns its exit code, 128 + the
// signal that ended it, or kTimedOut.
[[nodiscard]] int run_logged(const std::vector<std::string>& argv, const std::string& log,
                             const ChildOptions& options);

// The last 1,000 characters of a child's log, for an error message ("" if
// it cannot be read).
[[nodiscard]] std::string log_tail(const std::string& path);

// The signal passed on by run_logged since the start, 0 if none.
[[nodiscard]] int forwarded_signal();

// The exit status as the shell gives it.
[[nodiscard]] int shell_status(int wait_status);

}  // namespace b2m::cluster
