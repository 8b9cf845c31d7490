// Running tasks: the commands of an array element (`b2m sweep exec`, inside
// a Slurm job) or of a whole sweep on this machine (`b2m sweep run
// --local`). Each attempt is recorded in the state directory before it
// starts and when it ends; its output goes to the task's log.
#pragma once

#include <string>
#include <vector>

#include "cluster/state.hpp"

namespace b2m::cluster {

struct TaskCommand {
  std::string id;
  std::vector<std::string> args;  // the verb and its options
  int ranks = 1;
  int cpus_per_task = 1;
  std::vector<std::string> reads;  // files it reads (for inputs_stamp)
};

// What an array's elements run: written by submit beside the job script.
struct TaskFile {
  std::string state;     // the state directory
  std::string dir;       // tasks run here (the spec's directory)
  std::string b2m;       // the b2m binary
  std::string launcher;  // "srun" or "mpirun"
  int retries = 0;
  std::vector<std::vector<TaskCommand>> elements;
};

void write_task_file(const std::string& path, const TaskFile& file);
[[nodiscard]] TaskFile read_task_file(const std::string& path);

// Runs `task` up to 1 + retries times while it dies by a signal (its ranks
// killed, a node lost); never again after bad input. `job` names the array
// element (or local run) in the records. Returns its last exit status.
int run_task(const TaskFile& file, const TaskCommand& task, const std::string& job);

// Runs every task of element `element` in turn, each whatever the others
// did; returns 0 if all succeeded, else the first failure's status.
int run_element(const TaskFile& file, std::size_t element, const std::string& job);

// Whether a task that ended with `status` may succeed if run again as it is.
[[nodiscard]] bool worth_retrying(int status);

}  // namespace b2m::cluster
