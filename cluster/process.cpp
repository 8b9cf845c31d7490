#include "cluster/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace b2m::cluster {
namespace {

volatile sig_atomic_t g_child = 0;  // negative: a process group
volatile sig_atomic_t g_forwarded = 0;

void forward(int sig) {
  g_forwarded = sig;
  if (g_child != 0) kill(pid_t(g_child), sig);
}

// This process's environment as `o` changes it, as NAME=VALUE strings.
std::vector<std::string> child_environment(const ChildOptions& o) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool keep = true;
    for (const std::string& prefix : o.drop_prefixes) keep = keep && name.rfind(prefix, 0) != 0;
    for (const auto& [set, value] : o.set) keep = keep && name != set;
    if (keep) out.push_back(entry);
  }
  for (const auto& [name, value] : o.set) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> c_args(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const std::string& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_or_die(char* const* args, char* const* envp = environ) {
  execvpe(args[0], args, envp);
  const char* what = "cannot run the command: ";
  static_cast<void>(write(2, what, std::strlen(what)));
  static_cast<void>(write(2, args[0], std::strlen(args[0])));
  static_cast<void>(write(2, "\n", 1));
  _exit(127);
}

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw Error(std::string("waitpid failed: ") + std::strerror(errno));
  return shell_status(status);
}

// Waits for `pid`, the leader of its process group, ending the group once
// `timeout_s` have passed: SIGTERM, then SIGKILL 5 s later.
int wait_for(pid_t pid, double timeout_s) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto seconds = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  bool ended = false, killed = false;
  int status = 0;
  for (;;) {
    const pid_t got = waitpid(pid, &status, WNOHANG);
    if (got == pid) break;
    if (got < 0 && errno != EINTR)
      throw Error(std::string("waitpid failed: ") + std::strerror(errno));
    if (!ended && seconds() >= timeout_s) {
      kill(-pid, SIGTERM);
      ended = true;
    } else if (ended && !killed && seconds() >= timeout_s + 5) {
      kill(-pid, SIGKILL);
      killed = true;
    }
    usleep(2000);
  }
  return ended ? kTimedOut : shell_status(status);
}

}  // namespace

int shell_status(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

Captured capture(const std::vector<std::string>& argv) {
  std::vector<char*> args = c_args(argv);
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    throw Error("cannot run " + argv.at(0) + ": pipe: " + std::strerror(errno));
  const pid_t pid = fork();
  if (pid < 0) throw Error("cannot run " + argv.at(0) + ": fork: " + std::strerror(errno));
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    exec_or_die(args.data());
  }
  close(out[1]);
  close(err[1]);
  Captured c;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&c.out, &c.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[65536];
      const ssize_t got = read(fds[i].fd, buffer, sizeof buffer);
      if (got > 0) {
        sinks[i]->append(buffer, std::size_t(got));
      } else if (got == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  c.status = wait_for(pid);
  return c;
}

int run_logged(const std::vector<std::string>& argv, const std::string& log,
               const ChildOptions& options) {
  std::vector<char*> args = c_args(argv);
  const std::vector<std::string> environment = child_environment(options);
  std::vector<char*> envp = c_args(environment);
  const bool group = options.timeout_s > 0;
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw Error("cannot open the task log " + log + ": " + std::strerror(errno));
  struct sigaction action {};
  action.sa_handler = forward;
  sigemptyset(&action.sa_mask);
  sigset_t passed, before;
  sigemptyset(&passed);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    sigaction(sig, &action, nullptr);
    sigaddset(&passed, sig);
  }
  // Held back until the child is known: one that arrives meanwhile is
  // passed on once it is. The child starts with the default dispositions.
  sigprocmask(SIG_BLOCK, &passed, &before);
  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    sigprocmask(SIG_SETMASK, &before, nullptr);
    close(fd);
    throw Error("cannot run " + argv.at(0) + ": fork: " + std::strerror(error));
  }
  if (pid == 0) {
    struct sigaction plain {};
    plain.sa_handler = SIG_DFL;
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &plain, nullptr);
    sigprocmask(SIG_SETMASK, &before, nullptr);
    dup2(fd, 1);
    dup2(fd, 2);
    if (group) setpgid(0, 0);
    if (!options.dir.empty() && chdir(options.dir.c_str()) != 0) _exit(127);
    exec_or_die(args.data(), envp.data());
  }
  close(fd);
  if (group) setpgid(pid, pid);  // also here: no signal may reach it before the child runs
  g_child = group ? -pid : pid;
  if (g_forwarded) kill(pid_t(g_child), g_forwarded);  // a signal of an earlier task's run
  sigprocmask(SIG_SETMASK, &before, nullptr);
  const int status = group ? wait_for(pid, options.timeout_s) : wait_for(pid);
  g_child = 0;
  return status;
}

std::string log_tail(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  return text.size() > 1000 ? "..." + text.substr(text.size() - 1000) : text;
}

int forwarded_signal() {
  return g_forwarded;
}

}  // namespace b2m::cluster
