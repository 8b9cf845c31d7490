// A sweep's state directory: what was submitted (job ids and the tasks of
// each array element), what each attempt at a task did, the task logs and
// the caches that keep `status` fast. Layout (docs/sweep.md):
//
//   submissions.jsonl        one line per sbatch: job id, stage, elements
//   scripts/STAGE-N.sbatch   the job script, and STAGE-N.tasks.json, the
//                            commands of its elements
//   tasks/ID.JOB.A.json      attempt A of task ID in job JOB (JOBID_ELEMENT
//                            or local-PID): host, start, end, exit status
//   logs/ID.log              every attempt's output, appended
//   cache/*.json             input checksums and output records, by stat
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace b2m::cluster {

struct Submission {
  std::string job;  // Slurm job id of the array
  std::string stage;
  std::string script;
  std::vector<std::vector<std::string>> elements;  // task ids of each array element
};

struct Attempt {
  std::string task;
  std::string job;  // JOBID_ELEMENT, or local-PID
  int number = 1;
  std::string host;
  double start = 0;
  double end = 0;   // 0: not finished (running, or killed without a word)
  int status = -1;  // exit status once finished: 128 + n for signal n
  std::string log;
  std::string inputs_stamp;  // its failure_stamp when it started
};

class StateDir {
 public:
  explicit StateDir(std::string path);
  [[nodiscard]] const std::string& path() const { return path_; }
  // Creates the directories (Error naming what failed).
  void create() const;

  [[nodiscard]] std::vector<Submission> submissions() const;
  void add_submission(const Submission& s) const;

  // Every attempt recorded, by task id (oldest first).
  [[nodiscard]] std::map<std::string, std::vector<Attempt>> attempts() const;
  void write_attempt(const Attempt& a) const;
  [[nodiscard]] std::string log_path(const std::string& task) const;

  [[nodiscard]] nlohmann::json read_cache(const std::string& name) const;
  void write_cache(const std::string& name, const nlohmann::json& value) const;

 private:
  std::string path_;
};

// A file's identity as stat sees it (device, inode, size, modification
// time), "" if it does not exist: a cached fact about it holds while this does.
[[nodiscard]] std::string stat_key(const std::string& path);

// What a task's bad-input failure depends on: the identities of the files
// it reads and its command line. A task that failed on bad input or
// options is not rerun while this is unchanged.
[[nodiscard]] std::string failure_stamp(const std::vector<std::string>& files,
                                        const std::vector<std::string>& args);

// Writes `text` to `path` through a temporary name and a rename.
void write_file_atomically(const std::string& path, const std::string& text);

[[nodiscard]] double now_seconds();

}  // namespace b2m::cluster
