#include "cluster/status.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>

#include "cluster/process.hpp"
#include "core/exit_code.hpp"
#include "core/version.hpp"
#include "io/checksum.hpp"
#include "io/provenance.hpp"
#include "io/serial_h5.hpp"

namespace b2m::cluster {
namespace {

class Outputs {
 public:
  explicit Outputs(const StateDir& state)
      : state_(state),
        records_(state.read_cache("outputs")),
        sums_(state.read_cache("checksums")) {}
  ~Outputs() {
    try {
      if (dirty_) {
        state_.write_cache("outputs", records_);
        state_.write_cache("checksums", sums_);
      }
    } catch (const Error&) {
      // a cache is a shortcut: the next status rebuilds it
    }
  }
  Outputs(const Outputs&) = delete;
  Outputs& operator=(const Outputs&) = delete;

  // The current checksum of `path` ("" if it cannot be read).
  std::string checksum(const std::string& path) {
    const std::string key = stat_key(path);
    if (key.empty()) return {};
    auto& entry = sums_[path];
    if (entry.is_object() && entry.value("stat", "") == key) return entry.value("xxh3", "");
    std::string sum;
    try {
      sum = io::file_checksum(path);
    } catch (const Error&) {
      return {};
    }
    entry = {{"stat", key}, {"xxh3", sum}};
    dirty_ = true;
    return sum;
  }

  // Whether the task's output is done, and if not, why.
  TaskState judge(const Task& task, std::string& why) {
    const std::string key = stat_key(task.out);
    if (key.empty()) return TaskState::todo;
    auto& record = records_[task.out];
    if (!record.is_object() || record.value("stat", "") != key) {
      record = read_record(task.out);
      record["stat"] = key;
      dirty_ = true;
    }
    if (record.value("complete", "") != "yes") {
      why = "its output is not a complete b2m file";
      return TaskState::stale;
    }
    if (record.value("version", "") != kVersion) {
      why = "made by b2m " + record.value("version", "?") + ", this is " + kVersion;
      return TaskState::stale;
    }
    std::vector<const char*> argv;
    for (const std::string& a : task.args) argv.push_back(a.c_str());
    const std::string tail = " " + io::join_command_line(int(argv.size()), argv.data());
    const std::string command = record.value("command", "");
    if (command.size() <= tail.size() ||
        command.compare(command.size() - tail.size(), tail.size(), tail) != 0) {
      why = "made by another command: " + command;
      return TaskState::stale;
    }
    for (const auto& in : record.value("inputs", nlohmann::json::array())) {
      const std::string path = in.value("path", "");
      if (checksum(path) != in.value("xxh3_128", "")) {
        why = "its input " + path + " changed since it was made";
        return TaskState::stale;
      }
    }
    return TaskState::done;
  }

 private:
  static nlohmann::json read_record(const std::string& path) {
    nlohmann::json r = nlohmann::json::object();
    try {
      const io::SerialH5 file(path);
      r["complete"] = file.root_attribute("complete").value_or("");
      r["version"] = file.root_attribute("b2m_version").value_or("");
      r["command"] = file.root_attribute("command_line").value_or("");
      r["inputs"] = nlohmann::json::parse(file.root_attribute("inputs").value_or("[]"));
    } catch (const std::exception&) {
      r["complete"] = "";  // unreadable: not done
    }
    return r;
  }

  const StateDir& state_;
  nlohmann::json records_;
  nlohmann::json sums_;
  bool dirty_ = false;
};

// The last error b2m reported in the log, else the last line that
// mentions an error (the launcher's), else the last line.
std::string last_error_line(const std::string& log) {
  std::ifstream in(log);
  std::string line, last, error, b2m_error;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    last = line;
    if (line.rfind("b2m: error", 0) == 0 || line.rfind("b2m sweep: error", 0) == 0)
      b2m_error = line;
    if (line.find("error") != std::string::npos || line.find("Error") != std::string::npos)
      error = line;
  }
  return !b2m_error.empty() ? b2m_error : !error.empty() ? error : last;
}

// Whether another run holds the task's output lock (its holder is alive):
// the holder's description, or "".
std::string lock_holder(const Task& task, const Queue& queue) {
  std::ifstream in(task.out + ".lock");
  std::string record;
  if (!in || !std::getline(in, record) || record.empty()) return {};
  const auto field = [&](const std::string& name) {
    const std::size_t at = record.find(name + " ");
    if (at == std::string::npos) return std::string();
    const std::size_t from = at + name.size() + 1;
    return record.substr(from, record.find_first_of(",:", from) - from);
  };
  const std::string job = field("Slurm job");
  if (!job.empty()) return queue.count(job) ? record : std::string();
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const std::string pid = field("pid");
  if (field("host") != host || pid.empty()) return {};
  const pid_t p = pid_t(std::stol(pid));
  return kill(p, 0) == 0 || errno == EPERM ? record : std::string();
}

bool bad_input_status(int status) {
  return status == kExitUsage || status == kExitBadInput;
}

std::string describe_exit(int status) {
  switch (status) {
    case kExitFailure:
      return "exit 1: a fault (I/O, a lost rank, a numerical failure)";
    case kExitUsage:
      return "exit 2: bad command line or configuration";
    case kExitBadInput:
      return "exit 3: bad input";
    case kExitLocked:
      return "exit 4: its output was being written by another run";
    default:
      break;
  }
  if (status > 128) {
    const int sig = status - 128;
    return "exit " + std::to_string(status) + ": killed by signal " + std::to_string(sig) + " (" +
           strsignal(sig) + ")";
  }
  return "exit " + std::to_string(status);
}

}  // namespace

const char* state_name(TaskState s) {
  switch (s) {
    case TaskState::done:
      return "done";
    case TaskState::running:
      return "running";
    case TaskState::pending:
      return "pending";
    case TaskState::failed:
      return "failed";
    case TaskState::stale:
      return "stale";
    case TaskState::todo:
      return "todo";
  }
  return "?";
}

Queue read_queue() {
  const Captured c =
      capture({"squeue", "-h", "-r", "-u", std::to_string(getuid()), "-o", "%i|%T|%r"});
  if (c.status != 0) throw Error("squeue failed (" + std::to_string(c.status) + "): " + c.err);
  Queue q;
  std::istringstream in(c.out);
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t a = line.find('|'), b = line.rfind('|');
    if (a == std::string::npos || a == b) continue;
    q[line.substr(0, a)] = {line.substr(a + 1, b - a - 1), line.substr(b + 1)};
  }
  return q;
}

std::vector<TaskStatus> task_status(const Plan& plan, const StateDir& state, const Queue& queue) {
  Outputs outputs(state);
  const auto attempts = state.attempts();
  // The newest submission of each task: its array element.
  std::map<std::string, std::string> element_of;
  for (const Submission& s : state.submissions())
    for (std::size_t e = 0; e < s.elements.size(); ++e)
      for (const std::string& id : s.elements[e]) element_of[id] = s.job + "_" + std::to_string(e);

  std::vector<TaskStatus> out(plan.tasks.size());
  for (std::size_t i = 0; i < plan.tasks.size(); ++i) {
    const Task& task = plan.tasks[i];
    TaskStatus& st = out[i];
    const auto found = attempts.find(task.id);
    const Attempt* last = nullptr;
    bool live_attempt = false;
    if (found != attempts.end()) {
      st.attempts = int(found->second.size());
      for (const Attempt& a : found->second) {
        if (a.status == kExitLocked) continue;  // another run held it: not this task's doing
        last = &a;
        if (a.end == 0 && queue.count(a.job) && queue.at(a.job).state == "RUNNING")
          live_attempt = true;
      }
    }
    if (last) {
      st.log = last->log;
      st.job = last->job;
      st.exit_status = last->end > 0 ? last->status : -1;
    }
    std::string why;
    const TaskState output = outputs.judge(task, why);
    if (output == TaskState::done) {
      st.state = TaskState::done;
      continue;
    }
    if (live_attempt) {
      st.state = TaskState::running;
      st.detail = "in " + last->job + " on " + last->host;
      continue;
    }
    const auto element = element_of.find(task.id);
    if (element != element_of.end() && queue.count(element->second)) {
      const QueueEntry& q = queue.at(element->second);
      const bool started = last && last->job == element->second;
      st.job = element->second;
      if (!started) {
        st.state = TaskState::pending;
        st.detail =
            q.state == "PENDING" ? q.reason : "queued in running element " + element->second;
        continue;
      }
    }
    const std::string holder = lock_holder(task, queue);
    if (!holder.empty()) {
      st.state = TaskState::running;
      st.detail = "held by " + holder;
      continue;
    }
    if (output == TaskState::stale) {
      st.state = TaskState::stale;
      st.detail = why;
      continue;
    }
    if (last) {
      st.state = TaskState::failed;
      if (last->end == 0) {
        st.detail = "started in " + last->job + " on " + last->host +
                    " and never finished: killed (time limit, node failure or scancel)";
        st.retryable = true;
      } else if (last->status == 0) {
        st.detail = "exit 0 but its output is missing";
        st.retryable = true;
      } else {
        st.detail = describe_exit(last->status);
        st.retryable = !bad_input_status(last->status);
        st.bad_input_unchanged = bad_input_status(last->status) &&
                                 last->inputs_stamp == inputs_stamp(read_files(plan, task));
      }
      st.error_line = last_error_line(last->log);
      continue;
    }
    st.state = TaskState::todo;
    if (element != element_of.end())
      st.detail = "left the queue in " + element->second +
                  " before it started (an upstream task failed, or scancel)";
  }
  return out;
}

}  // namespace b2m::cluster
