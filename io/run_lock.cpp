#include "io/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "core/error.hpp"

namespace b2m::io {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// Who holds the lock, as the message of a refused run shows it.
std::string holder_record(const std::string& command) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  char since[32] = {};
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &utc);
  std::string record = std::string("host ") + host + ", pid " + std::to_string(getpid());
  const std::string job = env_or("SLURM_ARRAY_JOB_ID", env_or("SLURM_JOB_ID", ""));
  if (!job.empty()) {
    record += ", Slurm job " + job;
    const std::string task = env_or("SLURM_ARRAY_TASK_ID", "");
    if (!task.empty()) record += "_" + task;
  }
  return record + ", since " + since + ": " + command;
}

std::string read_holder(int fd) {
  std::string text(4096, '\0');
  const ssize_t n = pread(fd, text.data(), text.size(), 0);
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  return text.empty() ? "a run that has not yet said who it is" : text;
}

// Whether `fd` is still the file `path` names (a holder that released the
// lock removed it; a new one may have been made since).
bool still_named(int fd, const std::string& path) {
  struct stat held {
  }, named{};
  return fstat(fd, &held) == 0 && stat(path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
         held.st_ino == named.st_ino;
}

void raise_open_files_limit(std::size_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted + 64) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);  // best effort: a refused open says why
}

}  // namespace

RunLock::RunLock(const std::string& path, const std::string& command) : lock_path_(path + ".lock") {
  const auto parent = std::filesystem::path(path).parent_path();
  std::error_code ignored;  // a directory that cannot be made fails the open below
  if (!parent.empty()) std::filesystem::create_directories(parent, ignored);
  for (;;) {
    fd_ = open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw Error("cannot create the lock file " + lock_path_ + ": " + std::strerror(errno));
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      const std::string holder = error == EWOULDBLOCK ? read_holder(fd_) : std::string();
      close(fd_);
      fd_ = -1;
      if (error != EWOULDBLOCK)
        throw Error("cannot lock " + lock_path_ + ": " + std::strerror(error) +
                    " (on Lustre, mount with -o flock)");
      throw LockedError(path + " is being written by another run (" + holder +
                        "); two runs on one output would corrupt it: wait for that run to end, "
                        "or write elsewhere (lock file " +
                        lock_path_ + ")");
    }
    if (still_named(fd_, lock_path_)) break;
    close(fd_);  // the previous holder removed it while this run opened it
  }
  const std::string record = holder_record(command) + "\n";
  if (ftruncate(fd_, 0) != 0 ||
      pwrite(fd_, record.data(), record.size(), 0) != static_cast<ssize_t>(record.size())) {
    const int error = errno;
    unlink(lock_path_.c_str());
    close(fd_);
    fd_ = -1;
    throw Error("cannot write the lock file " + lock_path_ + ": " + std::strerror(error));
  }
}

RunLock::RunLock(RunLock&& other) noexcept
    : lock_path_(std::move(other.lock_path_)), fd_(other.fd_) {
  other.fd_ = -1;
}

RunLock::~RunLock() noexcept {
  if (fd_ < 0) return;
  // Removed while still held, so no run can take a lock on a file that is
  // about to vanish (see still_named).
  unlink(lock_path_.c_str());
  close(fd_);
}

RunLocks::RunLocks(const std::vector<std::string>& paths, const std::string& command) {
  std::vector<std::string> sorted = paths;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  raise_open_files_limit(sorted.size());
  locks_.reserve(sorted.size());
  for (const std::string& path : sorted) locks_.emplace_back(path, command);
}

}  // namespace b2m::io
