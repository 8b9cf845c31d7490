// Exclusive run locks: one run at a time writes an output.
//
// A stage takes `<out>.lock` for every file it will write before it looks at
// any of them (existing output, `.partial`, checkpoint, scratch), and holds
// it until it ends. The lock is flock(2) on that file: the kernel drops it
// when its holder dies, however it dies, so a killed or requeued run never
// blocks the run that resumes its work. The file holds who took it (host,
// pid, Slurm job, start time, command), for the message a second run gets.
//
// On a parallel file system flock must be coherent across nodes: Lustre
// needs the `flock` mount option (`localflock` is per node only), GPFS and
// NFSv4 provide it. The lock file is removed when released; a run that
// opened it just before then finds, once it holds the lock, that the path
// no longer names its file, and opens it again.
#pragma once

#include <string>
#include <vector>

namespace b2m::io {

class RunLock {
 public:
  // Takes the lock of `path` (the lock file is `path + ".lock"`), recording
  // `command` as the holder's command. Throws ConfigError naming the holder
  // if another run has it, Error with the system's reason if the lock file
  // cannot be made (a read-only or missing directory).
  RunLock(const std::string& path, const std::string& command);
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock() noexcept;

  [[nodiscard]] const std::string& lock_path() const { return lock_path_; }

 private:
  std::string lock_path_;
  int fd_ = -1;
};

// Locks of all `paths`, taken in order (the same order in every run, so two
// runs never each hold a part). Raises the open-files limit to its hard
// maximum when there are many.
class RunLocks {
 public:
  RunLocks() = default;
  RunLocks(const std::vector<std::string>& paths, const std::string& command);

 private:
  std::vector<RunLock> locks_;
};

}  // namespace b2m::io
