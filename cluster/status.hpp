// Where each task of a sweep stands, from the outputs themselves, the
// attempt records of the state directory and `squeue` (no Slurm
// accounting needed):
//
//   done     the output is complete, made by this b2m with the task's
//            command, from inputs whose checksums are unchanged
//   running  an attempt has started in a job squeue shows running, or
//            another run holds the output's run lock
//   pending  its array element waits in the queue
//   failed   its last attempt ended badly (exit status and last error
//            line), or started in a job that is gone (killed: time limit,
//            node failure, scancel)
//   stale    the output is complete but from another command or inputs
//   todo     never submitted, or its element left the queue unstarted
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cluster/plan.hpp"
#include "cluster/state.hpp"

namespace b2m::cluster {

enum class TaskState { done, running, pending, failed, stale, todo };
[[nodiscard]] const char* state_name(TaskState s);

struct TaskStatus {
  TaskState state = TaskState::todo;
  std::string detail;    // why: the queue's reason, the failure, the holder
  std::string job;       // the array element (JOB_ELEMENT) it is or was in
  int exit_status = -1;  // of its last attempt, -1 if none ended
  int attempts = 0;
  std::string log;         // its log, once it has run
  std::string error_line;  // the last error its log shows
  // Failed in a way that a rerun may get past (a signal, a kill, a fault
  // of the machine), not on bad input or configuration.
  bool retryable = false;
  // Failed on bad input, and its inputs have not changed since.
  bool bad_input_unchanged = false;
};

// The live jobs squeue shows, by "JOB_ELEMENT" (array elements) or "JOB".
struct QueueEntry {
  std::string state;   // PENDING, RUNNING, ...
  std::string reason;  // (Dependency), (Resources), ...
};
using Queue = std::map<std::string, QueueEntry>;

// The queue as squeue shows it now (Error if squeue fails).
[[nodiscard]] Queue read_queue();

// Judges every task (index as in plan.tasks). Reads and updates the
// state's caches of output records and input checksums.
[[nodiscard]] std::vector<TaskStatus> task_status(const Plan& plan, const StateDir& state,
                                                  const Queue& queue);

}  // namespace b2m::cluster
