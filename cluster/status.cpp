#include "cluster/status.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
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
      // Only into an existing state directory: a plan makes none.
      if (dirty_ && std::filesystem::is_directory(state_.path())) {
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
    // A stale output replaced by resume --overwrite records that option too.
    std::string command = record.value("command", "");
    for (std::size_t at = command.find(" --overwrite"); at != std::string::npos;
         at = command.find(" --overwrite"))
      command.erase(at, 12);
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

// The flock locks held on this node, as "device:inode" (/proc/locks).
std::set<std::string> held_flocks() {
  std::set<std::string> out;
  std::ifstream in("/proc/locks");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string number, kind, mode, access, pid, where;
    if (!(fields >> number >> kind >> mode >> access >> pid >> where) || kind != "FLOCK") continue;
    // where = MAJOR:MINOR:INODE, the device numbers in hex
    unsigned major = 0, minor = 0;
    unsigned long long inode = 0;
    if (std::sscanf(where.c_str(), "%x:%x:%llu", &major, &minor, &inode) == 3)
      out.insert(std::to_string(makedev(major, minor)) + ":" + std::to_string(inode));
  }
  return out;
}

// Another run that holds the task's output lock: its record and its Slurm
// job ("" when it runs outside Slurm), or nothing. A lock file left by a
// killed holder is not held: the lock itself is looked at (in /proc/locks
// on this node, or through the holder's job in the queue), not the file.
std::optional<std::pair<std::string, std::string>> lock_holder(
    const Task& task, const Queue& queue, const std::set<std::string>& flocks) {
  const std::string path = task.out + ".lock";
  std::ifstream in(path);
  std::string record;
  if (!in || !std::getline(in, record) || record.empty()) return std::nullopt;
  const auto field = [&](const std::string& name) {
    const std::size_t at = record.find(name + " ");
    if (at == std::string::npos) return std::string();
    const std::size_t from = at + name.size() + 1;
    return record.substr(from, record.find_first_of(",:", from) - from);
  };
  const std::string job = field("Slurm job");
  if (!job.empty() && queue.count(job)) return std::make_pair(record, job);
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 &&
      flocks.count(std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)))
    return std::make_pair(record, std::string());
  return std::nullopt;
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
  const std::set<std::string> flocks = held_flocks();
  // The newest submission of each task: its array element.
  // The newest array element of each task, and that element's own log
  // (what its job script printed: sbatch's --output).
  std::map<std::string, std::string> element_of, element_log;
  for (const Submission& s : state.submissions()) {
    const std::string name = std::filesystem::path(s.script).stem().string();
    for (std::size_t e = 0; e < s.elements.size(); ++e)
      for (const std::string& id : s.elements[e]) {
        element_of[id] = s.job + "_" + std::to_string(e);
        element_log[id] = state.path() + "/logs/" + name + "-" + element_of[id] + ".out";
      }
  }

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
      // Not started yet in its running element, or its element is back in
      // the queue (requeued after a node failure, suspended): it will run.
      if (!started || q.state != "RUNNING") {
        st.state = TaskState::pending;
        st.detail = q.state == "PENDING"   ? q.reason
                    : q.state == "RUNNING" ? "queued in running element " + element->second
                                           : q.state;
        continue;
      }
    }
    if (const auto holder = lock_holder(task, queue, flocks)) {
      st.state = TaskState::running;
      st.detail = "held by " + holder->first;
      st.job = holder->second;
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
        st.bad_input_unchanged =
            bad_input_status(last->status) &&
            last->inputs_stamp == failure_stamp(read_files(plan, task), task.args);
      }
      st.error_line = last_error_line(last->log);
      continue;
    }
    st.state = TaskState::todo;
    if (element != element_of.end()) {
      // An element that ran without starting its tasks (its job script
      // failed) says why in its own log.
      const std::string log = element_log.at(task.id);
      std::error_code ec;
      if (std::filesystem::file_size(log, ec) > 0 && !ec) {
        st.log = log;
        st.error_line = last_error_line(log);
        st.detail = "its element " + element->second + " ran but did not start it";
      } else {
        st.detail = "left the queue in " + element->second +
                    " before it started (an upstream task failed, or scancel)";
      }
    }
  }
  return out;
}

}  // namespace b2m::cluster
