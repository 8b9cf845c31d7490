#include "cluster/runner.hpp"

#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cluster/process.hpp"
#include "core/error.hpp"

namespace b2m::cluster {
namespace {

std::vector<std::string> launch_command(const TaskFile& file, const TaskCommand& task) {
  std::vector<std::string> argv;
  if (file.launcher == "srun") {
    // --kill-on-bad-exit: a rank that dies ends its peers (no hang);
    // --cpus-per-task is not inherited from sbatch by srun since Slurm 22.05.
    argv = {"srun", "--mpi=pmix", "--kill-on-bad-exit=1", "--ntasks=" + std::to_string(task.ranks),
            "--cpus-per-task=" + std::to_string(task.cpus_per_task)};
  } else {
    argv = {"mpirun", "-n", std::to_string(task.ranks), "--oversubscribe"};
    if (geteuid() == 0) argv.emplace_back("--allow-run-as-root");
  }
  argv.push_back(file.b2m);
  argv.insert(argv.end(), task.args.begin(), task.args.end());
  return argv;
}

std::string hostname() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

}  // namespace

bool worth_retrying(int status) {
  return status > 128;
}

void write_task_file(const std::string& path, const TaskFile& file) {
  nlohmann::json elements = nlohmann::json::array();
  for (const auto& element : file.elements) {
    nlohmann::json tasks = nlohmann::json::array();
    for (const TaskCommand& t : element)
      tasks.push_back({{"id", t.id},
                       {"args", t.args},
                       {"ranks", t.ranks},
                       {"cpus_per_task", t.cpus_per_task},
                       {"reads", t.reads}});
    elements.push_back(std::move(tasks));
  }
  write_file_atomically(path, nlohmann::json{{"state", file.state},
                                             {"dir", file.dir},
                                             {"b2m", file.b2m},
                                             {"launcher", file.launcher},
                                             {"retries", file.retries},
                                             {"elements", elements}}
                                  .dump(1));
}

TaskFile read_task_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read the task file " + path);
  try {
    const auto j = nlohmann::json::parse(in);
    TaskFile f;
    f.state = j.at("state");
    f.dir = j.at("dir");
    f.b2m = j.at("b2m");
    f.launcher = j.at("launcher");
    f.retries = j.at("retries");
    for (const auto& element : j.at("elements")) {
      f.elements.emplace_back();
      for (const auto& t : element)
        f.elements.back().push_back(
            {t.at("id"), t.at("args"), t.at("ranks"), t.at("cpus_per_task"), t.at("reads")});
    }
    return f;
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError("the task file " + path + " is not what b2m sweep wrote: " + e.what());
  }
}

int run_task(const TaskFile& file, const TaskCommand& task, const std::string& job) {
  const StateDir state(file.state);
  int status = 0;
  for (int attempt = 1; attempt <= 1 + file.retries; ++attempt) {
    Attempt a;
    a.task = task.id;
    a.job = job;
    a.number = attempt;
    a.host = hostname();
    a.start = now_seconds();
    a.log = state.log_path(task.id);
    a.inputs_stamp = failure_stamp(task.reads, task.args);
    state.write_attempt(a);
    const std::vector<std::string> argv = launch_command(file, task);
    {
      std::ofstream log(a.log, std::ios::app);
      std::string line;
      for (const std::string& s : argv) line += s + " ";
      log << "== b2m sweep: task " << task.id << " attempt " << attempt << " in " << job << " on "
          << a.host << ": " << line << "\n";
    }
    status = run_logged(argv, a.log, {file.dir, {}, {}, 0});
    a.end = now_seconds();
    a.status = status;
    state.write_attempt(a);
    if (status == 0 || !worth_retrying(status) || forwarded_signal() != 0) break;
  }
  return status;
}

int run_element(const TaskFile& file, std::size_t element, const std::string& job) {
  if (element >= file.elements.size())
    throw ConfigError("array element " + std::to_string(element) + " is not in the task file (" +
                      std::to_string(file.elements.size()) + " elements)");
  int first_failure = 0;
  for (const TaskCommand& task : file.elements[element]) {
    const int status = run_task(file, task, job);
    if (status != 0 && first_failure == 0) first_failure = status;
    if (forwarded_signal() != 0) break;  // the job is being ended: start nothing more
  }
  return first_failure;
}

}  // namespace b2m::cluster
