#include "jobs/sweep_main.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cxxopts.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "cluster/cost.hpp"
#include "cluster/plan.hpp"
#include "cluster/runner.hpp"
#include "cluster/status.hpp"
#include "cluster/submit.hpp"
#include "core/exit_code.hpp"
#include "io/run_lock.hpp"
#include "jobs/verbs.hpp"

namespace b2m::jobs {
namespace {

using cluster::TaskState;

constexpr const char* kUsage =
    "usage: b2m sweep <command> SPEC.toml [options]   (docs/sweep.md)\n"
    "  plan SPEC [--json]                  tasks, outputs and predicted cost per stage\n"
    "  submit SPEC [--dry-run] [--retries N]  submit the tasks not done, queued or failed\n"
    "  status SPEC [--json] [--tasks]      done, running, pending, failed (with their errors)\n"
    "  resume SPEC [--dry-run] [--retries N] [--overwrite]  resubmit what is not done or queued\n"
    "  run SPEC --local [--retries N] [--overwrite]  the same sweep here, task after task "
    "(mpirun)\n"
    "  exec TASKFILE ELEMENT               (in a job script) run one array element's tasks\n";

// Each task's command line as its verb parses it.
void check_args(const std::vector<std::string>& args) {
  for (const Verb& v : kVerbs)
    if (args.front() == v.name) {
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      v.check(cli::Arguments{int(args.size()), argv.data(), ""});
      return;
    }
  std::string verbs;
  for (const Verb& v : kVerbs) verbs += std::string(verbs.empty() ? "" : ", ") + v.name;
  throw ConfigError("unknown verb '" + args.front() + "' (b2m has: " + verbs + ")");
}

std::string this_binary() {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("b2m") : path.string();
}

struct Context {
  cluster::Plan plan;
  cluster::StateDir state;
  cluster::SubmitOptions options;
};

// `check`: parse every task's command line with its verb's parser (plan,
// submit); status only reads what the plan says.
Context load(const std::string& spec_path, const cxxopts::ParseResult& r, bool check) {
  cluster::Plan plan = cluster::expand(
      cluster::read_spec(spec_path),
      check ? cluster::VerbCheck(check_args) : cluster::VerbCheck([](const auto&) {}));
  cluster::StateDir state(plan.spec.state);
  cluster::SubmitOptions o;
  o.dry_run = r.count("dry-run") > 0;
  o.overwrite = r.count("overwrite") > 0;
  o.retries = r.count("retries") ? r["retries"].as<int>() : -1;
  o.b2m = plan.spec.b2m.empty() ? this_binary() : plan.spec.b2m;
  return {std::move(plan), std::move(state), o};
}

// The queue, or none where Slurm does not answer (plan, local runs).
cluster::Queue queue_if_any(bool required) {
  try {
    return cluster::read_queue();
  } catch (const Error&) {
    if (required) throw;
    return {};
  }
}

// The stage column's width: the longest stage name (at least 10).
int stage_name_width(const cluster::Spec& spec) {
  std::size_t width = 10;
  for (const cluster::StageSpec& stage : spec.stages) width = std::max(width, stage.name.size());
  return int(width);
}

std::string hours(double seconds) {
  char text[32];
  if (seconds < 60)
    std::snprintf(text, sizeof text, "%.1f s", seconds);
  else if (seconds < 3600)
    std::snprintf(text, sizeof text, "%.1f min", seconds / 60);
  else
    std::snprintf(text, sizeof text, "%.1f h", seconds / 3600);
  return text;
}

std::string bytes(double b) {
  char text[32];
  if (b < 1e9)
    std::snprintf(text, sizeof text, "%.1f MB", b / 1e6);
  else if (b < 1e12)
    std::snprintf(text, sizeof text, "%.1f GB", b / 1e9);
  else
    std::snprintf(text, sizeof text, "%.2f TB", b / 1e12);
  return text;
}

int plan_command(const Context& c, const std::vector<cluster::TaskStatus>& status, bool json) {
  const cluster::Machine machine = cluster::probe_machine();
  const std::vector<cluster::Estimate> est = cluster::estimate_all(c.plan, machine);
  nlohmann::json out = {{"spec", c.plan.spec.file},
                        {"state", c.plan.spec.state},
                        {"machine",
                         {{"gemm_gflops", machine.gemm_flops / 1e9},
                          {"eigen_weight", machine.eigen_weight},
                          {"startup_s", machine.startup_s}}},
                        {"stages", nlohmann::json::array()},
                        {"tasks", nlohmann::json::array()}};
  const int width = stage_name_width(c.plan.spec);
  if (!json)
    std::printf("%-*s %-9s %7s %7s %7s %10s %10s %10s %10s %10s\n", width, "stage", "verb", "tasks",
                "done", "to do", "core-h", "task wall", "stage wall", "read", "written");
  double total_core_h = 0;
  std::set<std::string> unsized;
  for (std::size_t s = 0; s < c.plan.stages.size(); ++s) {
    const cluster::StageSpec& stage = c.plan.spec.stages[s];
    std::size_t done = 0;
    double core_h = 0, wall_sum = 0, wall_max = 0, read = 0, written = 0;
    for (std::size_t t : c.plan.stages[s]) {
      const cluster::Estimate& e = est[t];
      if (!e.unsized.empty()) unsized.insert(e.unsized);
      if (status[t].state == TaskState::done) {
        ++done;
        continue;
      }
      core_h += e.core_hours;
      wall_sum += e.seconds;
      wall_max = std::max(wall_max, e.seconds);
      read += e.bytes_read;
      written += e.bytes_written;
    }
    const std::size_t tasks = c.plan.stages[s].size(), todo = tasks - done;
    const int throttle = stage.throttle > 0 ? stage.throttle : c.plan.spec.throttle;
    const double concurrent = double(std::min<std::size_t>(todo, std::size_t(throttle)));
    const double stage_wall = todo ? std::max(wall_max, wall_sum / std::max(1.0, concurrent)) : 0;
    total_core_h += core_h;
    const double mean_wall = todo ? wall_sum / double(todo) : 0;
    out["stages"].push_back({{"stage", stage.name},
                             {"verb", stage.verb},
                             {"tasks", tasks},
                             {"done", done},
                             {"todo", todo},
                             {"core_hours", core_h},
                             {"task_wall_s", mean_wall},
                             {"stage_wall_s", stage_wall},
                             {"bytes_read", read},
                             {"bytes_written", written}});
    if (!json)
      std::printf("%-*s %-9s %7zu %7zu %7zu %10.2f %10s %10s %10s %10s\n", width,
                  stage.name.c_str(), stage.verb.c_str(), tasks, done, todo, core_h,
                  hours(mean_wall).c_str(), hours(stage_wall).c_str(), bytes(read).c_str(),
                  bytes(written).c_str());
  }
  for (std::size_t i = 0; i < c.plan.tasks.size(); ++i) {
    const cluster::Task& t = c.plan.tasks[i];
    nlohmann::json after = nlohmann::json::array();
    for (std::size_t a : t.after) after.push_back(c.plan.tasks[a].id);
    nlohmann::json values = nlohmann::json::object();
    for (const auto& [k, v] : t.values) values[k] = v;
    out["tasks"].push_back({{"id", t.id},
                            {"stage", c.plan.spec.stages[t.stage].name},
                            {"subject", t.subject},
                            {"values", values},
                            {"out", t.out},
                            {"args", t.args},
                            {"inputs", t.inputs},
                            {"after", after},
                            {"state", cluster::state_name(status[i].state)},
                            {"seconds", est[i].seconds},
                            {"core_hours", est[i].core_hours}});
  }
  if (json) {
    std::printf("%s\n", out.dump(1).c_str());
  } else {
    std::printf(
        "total: %.2f core-hours to do (GEMM %.1f GFLOP/s a core, eigensolver weight %.1f; "
        "state %s)\n",
        total_core_h, machine.gemm_flops / 1e9, machine.eigen_weight, c.plan.spec.state.c_str());
    for (const std::string& u : unsized)
      std::printf("note: sizes guessed where there was %s\n", u.c_str());
    std::size_t missing = 0;
    for (const cluster::Task& t : c.plan.tasks)
      for (const std::string& in : t.inputs) missing += std::filesystem::exists(in) ? 0 : 1;
    if (missing)
      std::printf("note: %zu task inputs are missing: submit refuses those tasks\n", missing);
  }
  return kExitOk;
}

int status_command(const Context& c, const std::vector<cluster::TaskStatus>& status,
                   const cxxopts::ParseResult& r) {
  const bool json = r.count("json") > 0, all = r.count("tasks") > 0;
  nlohmann::json out = {{"stages", nlohmann::json::array()}, {"tasks", nlohmann::json::array()}};
  const int width = stage_name_width(c.plan.spec);
  if (!json)
    std::printf("%-*s %7s %7s %8s %8s %7s %7s %7s\n", width, "stage", "tasks", "done", "running",
                "pending", "failed", "stale", "to do");
  for (std::size_t s = 0; s < c.plan.stages.size(); ++s) {
    std::map<TaskState, std::size_t> n;
    for (std::size_t t : c.plan.stages[s]) ++n[status[t].state];
    const std::string& name = c.plan.spec.stages[s].name;
    out["stages"].push_back({{"stage", name},
                             {"tasks", c.plan.stages[s].size()},
                             {"done", n[TaskState::done]},
                             {"running", n[TaskState::running]},
                             {"pending", n[TaskState::pending]},
                             {"failed", n[TaskState::failed]},
                             {"stale", n[TaskState::stale]},
                             {"todo", n[TaskState::todo]}});
    if (!json)
      std::printf("%-*s %7zu %7zu %8zu %8zu %7zu %7zu %7zu\n", width, name.c_str(),
                  c.plan.stages[s].size(), n[TaskState::done], n[TaskState::running],
                  n[TaskState::pending], n[TaskState::failed], n[TaskState::stale],
                  n[TaskState::todo]);
  }
  for (std::size_t i = 0; i < c.plan.tasks.size(); ++i) {
    const cluster::Task& t = c.plan.tasks[i];
    const cluster::TaskStatus& st = status[i];
    if (json) {
      out["tasks"].push_back({{"id", t.id},
                              {"stage", c.plan.spec.stages[t.stage].name},
                              {"subject", t.subject},
                              {"key", t.key},
                              {"out", t.out},
                              {"state", cluster::state_name(st.state)},
                              {"detail", st.detail},
                              {"job", st.job},
                              {"exit_status", st.exit_status},
                              {"attempts", st.attempts},
                              {"log", st.log},
                              {"error", st.error_line},
                              {"retryable", st.retryable}});
    } else if (all || st.state == TaskState::failed || st.state == TaskState::stale ||
               !st.error_line.empty()) {
      std::printf("%s %-8s %s %s %s%s\n", t.id.c_str(), cluster::state_name(st.state),
                  c.plan.spec.stages[t.stage].name.c_str(), t.subject.c_str(), t.key.c_str(),
                  st.detail.empty() ? "" : (": " + st.detail).c_str());
      if (!st.error_line.empty()) std::printf("    error: %s\n", st.error_line.c_str());
      if (!st.log.empty() && (st.state == TaskState::failed || !st.error_line.empty()))
        std::printf("    log: %s\n", st.log.c_str());
    }
  }
  if (json) std::printf("%s\n", out.dump(1).c_str());
  return kExitOk;
}

int submit_command(Context& c, const std::vector<cluster::TaskStatus>& status, bool resume) {
  c.options.resume = resume;
  const cluster::Selection sel = cluster::select_tasks(c.plan, status, c.options);
  for (const std::string& why : sel.held_back) std::printf("not submitted: %s\n", why.c_str());
  if (sel.tasks.empty()) {
    std::printf("nothing to submit\n");
    return kExitOk;
  }
  const std::vector<cluster::Estimate> est =
      cluster::estimate_all(c.plan, cluster::probe_machine());
  cluster::submit(c.plan, status, sel, est, c.options);
  return kExitOk;
}

int exec_command(int argc, char** argv) {
  if (argc != 3) throw ConfigError("usage: b2m sweep exec TASKFILE ELEMENT");
  const cluster::TaskFile file = cluster::read_task_file(argv[1]);
  const std::string element = argv[2];
  if (element.empty() || element.find_first_not_of("0123456789") != std::string::npos)
    throw ConfigError("b2m sweep exec: ELEMENT must be an array index, got '" + element + "'");
  const char* array_job = std::getenv("SLURM_ARRAY_JOB_ID");
  const char* job = std::getenv("SLURM_JOB_ID");
  const std::string name = array_job ? std::string(array_job) + "_" + element
                           : job     ? std::string(job)
                                     : "local-" + std::to_string(getpid());
  return cluster::run_element(file, std::stoul(element), name);
}

int dispatch(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::printf("%s", kUsage);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  const std::string command = argv[1];
  if (command == "exec") return exec_command(argc - 1, argv + 1);
  cxxopts::Options spec("b2m sweep " + command, "");
  spec.add_options()("spec", "", cxxopts::value<std::string>())("json", "")("tasks", "")(
      "dry-run", "")("overwrite", "")("local", "")("retries", "", cxxopts::value<int>());
  spec.parse_positional({"spec"});
  cxxopts::ParseResult r;
  try {
    r = spec.parse(argc - 1, argv + 1);
  } catch (const cxxopts::exceptions::exception& e) {
    throw ConfigError("b2m sweep " + command + ": " + e.what() + "\n" + kUsage);
  }
  if (!r.count("spec")) throw ConfigError("b2m sweep " + command + ": needs SPEC.toml\n" + kUsage);
  if (r.count("retries") && (r["retries"].as<int>() < 0 || r["retries"].as<int>() > 100))
    throw ConfigError("b2m sweep: --retries must be 0 to 100");
  Context c = load(r["spec"].as<std::string>(), r, command != "status");
  if (command == "plan") {  // from the outputs alone: no Slurm needed
    const auto status = cluster::task_status(c.plan, c.state, {});
    return plan_command(c, status, r.count("json") > 0);
  }
  // squeue is needed once anything was submitted: without it queued tasks
  // would look lost.
  const bool submitted = !c.state.submissions().empty();
  if (command == "status") {
    const auto status = cluster::task_status(c.plan, c.state, queue_if_any(submitted));
    return status_command(c, status, r);
  }
  if (command == "submit" || command == "resume" || command == "run") {
    const bool local = command == "run";
    if (local && !r.count("local"))
      throw ConfigError("b2m sweep run: only --local is supported (use submit for Slurm)");
    // One submitter at a time per sweep: two would both see a task as to do.
    // A dry run writes nothing, the lock included.
    std::optional<io::RunLock> lock;
    if (!c.options.dry_run) {
      c.state.create();
      lock.emplace(c.plan.spec.state + "/sweep", "b2m sweep " + command);
    }
    const auto status = cluster::task_status(c.plan, c.state, queue_if_any(!local || submitted));
    if (!local) return submit_command(c, status, command == "resume");
    c.options.resume = true;
    const cluster::Selection sel = cluster::select_tasks(c.plan, status, c.options);
    for (const std::string& why : sel.held_back) std::printf("not run: %s\n", why.c_str());
    const std::size_t failed = cluster::run_local(c.plan, status, sel, c.options);
    std::printf("%zu tasks run, %zu failed or skipped\n", sel.tasks.size(), failed);
    return failed ? kExitFailure : kExitOk;
  }
  throw ConfigError("b2m sweep: unknown command '" + command + "'\n" + kUsage);
}

}  // namespace

int sweep_main(int argc, char** argv) {
  try {
    return dispatch(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "b2m sweep: error: %s\n", e.what());
    return exit_code_of(std::current_exception());
  }
}

}  // namespace b2m::jobs
