// Submitting a sweep: the tasks to run (chosen from their status), packed
// into array elements, one job array per stage (and per MaxArraySize
// elements), chained by dependencies: `aftercorr` where element i of a
// stage reads only outputs of element i of the array before it, `afterok`
// otherwise. Also runs a sweep on this machine instead (run --local).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "cluster/cost.hpp"
#include "cluster/plan.hpp"
#include "cluster/status.hpp"

namespace b2m::cluster {

struct SubmitOptions {
  bool resume = false;     // also failed tasks (not those that failed on unchanged bad input)
  bool overwrite = false;  // also stale tasks, their outputs replaced
  bool dry_run = false;    // print the scripts, submit nothing
  int retries = -1;        // -1: the spec's
  std::string b2m;         // the b2m binary the jobs run
};

// What submit chose, for its report.
struct Selection {
  std::vector<std::size_t> tasks;      // to run, in plan order
  std::set<std::size_t> replace;       // of those, stale ones run with --overwrite
  std::vector<std::string> held_back;  // why others that are not done are not run
};

[[nodiscard]] Selection select_tasks(const Plan& plan, const std::vector<TaskStatus>& status,
                                     const SubmitOptions& options);

// Submits the selected tasks (prints what it does); returns the number of
// arrays submitted. Refuses, before submitting anything, tasks whose spec
// inputs are missing.
std::size_t submit(const Plan& plan, const std::vector<TaskStatus>& status,
                   const Selection& selection, const std::vector<Estimate>& estimates,
                   const SubmitOptions& options);

// Runs the selected tasks here, one after another under mpirun; a task
// whose upstream task is neither done nor run successfully here first is
// skipped. Returns the number that failed or were skipped.
std::size_t run_local(const Plan& plan, const std::vector<TaskStatus>& status,
                      const Selection& selection, const SubmitOptions& options);

}  // namespace b2m::cluster
