// A sweep spec expanded into tasks: one b2m command each, with a stable id,
// its output path, the files it reads and the tasks it waits for.
//
// A stage's tasks are its subjects x the values of its grid; a stage whose
// options name an upstream stage's output ({encode}) gets one task per
// upstream task of the same subject (and the same values of its `match`
// options), so every upstream grid value it does not match multiplies it.
// A task's id hashes its stage, subject and values alone: the same spec
// gives the same ids, and a value added to a grid keeps every existing id.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cluster/spec.hpp"

namespace b2m::cluster {

struct Task {
  std::string id;  // 12 hex digits
  std::size_t stage = 0;
  std::string subject;
  // What tells it from the other tasks of its stage: its own grid values
  // (by option name) and those it inherits from upstream tasks (by
  // "stage.option"), in that order.
  std::vector<std::pair<std::string, std::string>> values;
  std::string key;                       // the values as a file name part
  std::vector<std::string> args;         // the verb and its options, --out included
  std::string out;                       // absolute
  std::vector<std::string> inputs;       // spec inputs it reads (absolute)
  std::vector<std::string> input_names;  // their names in [inputs]
  std::vector<std::size_t> after;        // the upstream tasks whose outputs it reads
};

struct Plan {
  Spec spec;
  std::vector<Task> tasks;                       // stage by stage
  std::vector<std::vector<std::size_t>> stages;  // task indices of each stage
};

// Every file a task reads: its spec inputs and its upstream tasks' outputs.
[[nodiscard]] std::vector<std::string> read_files(const Plan& plan, const Task& task);

// Checks a verb's command line (args[0] is the verb) as the verb would
// parse it; throws ConfigError with its message otherwise.
using VerbCheck = std::function<void(const std::vector<std::string>& args)>;

// Expands `spec`; SpecError for an unknown placeholder, a command line its
// verb refuses, or two tasks with one output.
[[nodiscard]] Plan expand(Spec spec, const VerbCheck& check);

}  // namespace b2m::cluster
