#include "cluster/state.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace b2m::cluster {
namespace fs = std::filesystem;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string stat_key(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return {};
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

std::string failure_stamp(const std::vector<std::string>& files,
                          const std::vector<std::string>& args) {
  std::string stamp;
  for (const std::string& f : files) stamp += f + "=" + stat_key(f) + ";";
  for (const std::string& a : args) stamp += "\n" + a;
  return stamp;
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp." + std::to_string(getpid());
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error("cannot write " + temp + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      const int error = errno;
      close(fd);
      unlink(temp.c_str());
      throw Error("cannot write " + temp + ": " + std::strerror(error));
    }
    done += std::size_t(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0 || rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    unlink(temp.c_str());
    throw Error("cannot write " + path + ": " + std::strerror(error));
  }
}

StateDir::StateDir(std::string path) : path_(std::move(path)) {}

void StateDir::create() const {
  for (const char* sub : {"", "scripts", "tasks", "logs", "cache"}) {
    std::error_code ec;
    fs::create_directories(fs::path(path_) / sub, ec);
    if (ec)
      throw Error("cannot create the sweep state directory " + (fs::path(path_) / sub).string() +
                  ": " + ec.message());
  }
}

std::vector<Submission> StateDir::submissions() const {
  std::vector<Submission> out;
  std::ifstream in(path_ + "/submissions.jsonl");
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    try {
      const auto j = nlohmann::json::parse(line);
      out.push_back({j.at("job"), j.at("stage"), j.at("script"),
                     j.at("elements").get<std::vector<std::vector<std::string>>>()});
    } catch (const nlohmann::json::exception& e) {
      // A line cut short by a crash while it was appended: the job it names
      // was submitted, but its elements are unknown. Say so and go on.
      std::fprintf(stderr, "b2m sweep: warning: %s/submissions.jsonl:%d unreadable (%s)\n",
                   path_.c_str(), number, e.what());
    }
  }
  return out;
}

void StateDir::add_submission(const Submission& s) const {
  const std::string line = nlohmann::json{{"job", s.job},
                                          {"stage", s.stage},
                                          {"script", s.script},
                                          {"elements", s.elements},
                                          {"time", now_seconds()}}
                               .dump() +
                           "\n";
  const std::string path = path_ + "/submissions.jsonl";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  const auto fail = [&](int error) {
    if (fd >= 0) close(fd);
    return Error("cannot record job " + s.job + " in " + path + ": " + std::strerror(error) +
                 " (the job is submitted: cancel it with scancel " + s.job +
                 ", or resume will submit its tasks again)");
  };
  if (fd < 0) throw fail(errno);
  // A line cut short by an earlier failure is ended first, so that it
  // spoils only itself; a failed write is cut back off.
  const off_t size = lseek(fd, 0, SEEK_END);
  char last = '\n';
  if (size > 0 && pread(fd, &last, 1, size - 1) != 1) throw fail(errno);
  const std::string text = (last == '\n' ? "" : "\n") + line;
  if (pwrite(fd, text.data(), text.size(), size) != ssize_t(text.size()) || fsync(fd) != 0) {
    const int error = errno;
    static_cast<void>(ftruncate(fd, size));
    throw fail(error);
  }
  close(fd);
}

std::map<std::string, std::vector<Attempt>> StateDir::attempts() const {
  std::map<std::string, std::vector<Attempt>> out;
  const std::string dir = path_ + "/tasks";
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  std::string text;
  while (const dirent* entry = readdir(d)) {
    const std::string name = entry->d_name;
    if (name.size() < 6 || name.compare(name.size() - 5, 5, ".json") != 0) continue;
    std::ifstream in(dir + "/" + name);
    std::stringstream buffer;
    buffer << in.rdbuf();
    try {
      const auto j = nlohmann::json::parse(buffer.str());
      Attempt a;
      a.task = j.at("task");
      a.job = j.at("job");
      a.number = j.at("attempt");
      a.host = j.value("host", "");
      a.start = j.value("start", 0.0);
      a.end = j.value("end", 0.0);
      a.status = j.value("status", -1);
      a.log = j.value("log", "");
      a.inputs_stamp = j.value("inputs_stamp", "");
      out[a.task].push_back(std::move(a));
    } catch (const nlohmann::json::exception&) {
      continue;  // being replaced right now (written by rename, never partly)
    }
  }
  closedir(d);
  for (auto& [task, list] : out)
    std::sort(list.begin(), list.end(),
              [](const Attempt& a, const Attempt& b) { return a.start < b.start; });
  return out;
}

void StateDir::write_attempt(const Attempt& a) const {
  const nlohmann::json j{
      {"task", a.task},     {"job", a.job},     {"attempt", a.number},
      {"host", a.host},     {"start", a.start}, {"end", a.end},
      {"status", a.status}, {"log", a.log},     {"inputs_stamp", a.inputs_stamp}};
  write_file_atomically(
      path_ + "/tasks/" + a.task + "." + a.job + "." + std::to_string(a.number) + ".json",
      j.dump());
}

std::string StateDir::log_path(const std::string& task) const {
  return path_ + "/logs/" + task + ".log";
}

nlohmann::json StateDir::read_cache(const std::string& name) const {
  std::ifstream in(path_ + "/cache/" + name + ".json");
  if (!in) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    return nlohmann::json::object();  // a cache is only a shortcut
  }
}

void StateDir::write_cache(const std::string& name, const nlohmann::json& value) const {
  std::error_code ec;
  fs::create_directories(path_ + "/cache", ec);  // a state directory from before caches
  write_file_atomically(path_ + "/cache/" + name + ".json", value.dump());
}

}  // namespace b2m::cluster
