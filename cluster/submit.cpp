#include "cluster/submit.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "cluster/process.hpp"
#include "cluster/runner.hpp"
#include "io/provenance.hpp"

namespace b2m::cluster {
namespace {

std::size_t max_array_size() {
  try {
    const Captured c = capture({"scontrol", "show", "config"});
    const std::size_t at = c.out.find("MaxArraySize");
    if (c.status == 0 && at != std::string::npos) {
      const std::size_t eq = c.out.find('=', at);
      return std::max<std::size_t>(1, std::stoul(c.out.substr(eq + 1)));
    }
  } catch (const std::exception&) {
  }
  return 1001;
}

std::string quote(const std::string& s) {
  const char* argv[] = {s.c_str()};
  return io::join_command_line(1, argv);
}

// What runs task t: its command (with --overwrite where it replaces a
// stale output), ranks and the files it reads.
TaskCommand command_of(const Plan& plan, std::size_t t, const Selection& selection) {
  const Task& task = plan.tasks[t];
  const Resources& r = plan.spec.stages[task.stage].resources;
  TaskCommand c{task.id, task.args, r.tasks, r.cpus_per_task, read_files(plan, task)};
  if (selection.replace.count(t)) c.args.emplace_back("--overwrite");
  return c;
}

struct Array {
  std::size_t stage = 0;
  std::vector<std::vector<std::size_t>> elements;  // task indices
  int aligned_to = -1;                             // index of the array it follows element-wise
  std::vector<std::string> after;                  // live upstream elements (JOB_E)
  std::set<int> after_arrays;                      // arrays of this submission it waits for whole
  std::string name;                                // STAGE-N
  std::string job;                                 // once submitted
};

class Submitter {
 public:
  Submitter(const Plan& plan, const std::vector<TaskStatus>& status,
            const std::vector<Estimate>& estimates, const SubmitOptions& options)
      : plan_(plan),
        status_(status),
        estimates_(estimates),
        options_(options),
        state_(plan.spec.state) {}

  std::size_t run(const Selection& selection) {
    selection_ = &selection;
    const std::vector<std::size_t>& tasks = selection.tasks;
    std::vector<std::size_t> by_stage_start;
    std::map<std::size_t, std::vector<std::size_t>> per_stage;
    for (std::size_t t : tasks) per_stage[plan_.tasks[t].stage].push_back(t);
    const std::size_t limit = options_.dry_run ? 1001 : max_array_size();
    for (const auto& [stage, list] : per_stage) plan_stage(stage, list, limit);
    if (!options_.dry_run) state_.create();
    int sequence = existing_scripts();
    for (std::size_t a = 0; a < arrays_.size(); ++a) {
      Array& array = arrays_[a];
      array.name = plan_.spec.stages[array.stage].name + "-" + std::to_string(++sequence);
      const std::string base = plan_.spec.state + "/scripts/" + array.name;
      const std::string script = render(array, base + ".tasks.json");
      if (options_.dry_run) {
        std::printf("# ---- %s.sbatch (%zu elements)\n%s\n", base.c_str(), array.elements.size(),
                    script.c_str());
        continue;
      }
      write_task_file(base + ".tasks.json", task_file(array));
      write_file_atomically(base + ".sbatch", script);
      const Captured c = capture({"sbatch", "--parsable", base + ".sbatch"});
      if (c.status != 0)
        throw Error("sbatch " + base + ".sbatch failed (" + std::to_string(c.status) + "): " +
                    c.err + (a > 0 ? " (the arrays before it are submitted and recorded)" : ""));
      array.job = c.out.substr(0, c.out.find_first_of(";\n"));
      Submission s{array.job, plan_.spec.stages[array.stage].name, base + ".sbatch", {}};
      for (const auto& element : array.elements) {
        s.elements.emplace_back();
        for (std::size_t t : element) s.elements.back().push_back(plan_.tasks[t].id);
      }
      state_.add_submission(s);
      std::printf("submitted %s: job %s, %zu tasks in %zu array elements\n", array.name.c_str(),
                  array.job.c_str(), count(array), array.elements.size());
    }
    return arrays_.size();
  }

 private:
  static std::size_t count(const Array& a) {
    std::size_t n = 0;
    for (const auto& e : a.elements) n += e.size();
    return n;
  }

  int existing_scripts() const {
    int n = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(plan_.spec.state + "/scripts", ec))
      if (entry.path().extension() == ".sbatch") ++n;
    return n;
  }

  // Where each task of this submission went: array and element.
  std::map<std::size_t, std::pair<int, std::size_t>> placed_;

  void plan_stage(std::size_t stage, const std::vector<std::size_t>& tasks, std::size_t limit) {
    // Element-wise alignment: every task reads outputs of tasks submitted
    // now in exactly one element of one array, and that array is the same
    // for all of them.
    int aligned = -1;
    bool align = true;
    std::map<std::pair<int, std::size_t>, std::vector<std::size_t>> groups;
    for (std::size_t t : tasks) {
      std::set<std::pair<int, std::size_t>> fresh;
      for (std::size_t u : plan_.tasks[t].after)
        if (placed_.count(u)) fresh.insert(placed_.at(u));
      if (fresh.size() != 1 || (aligned >= 0 && fresh.begin()->first != aligned)) {
        align = false;
        break;
      }
      aligned = fresh.begin()->first;
      groups[*fresh.begin()].push_back(t);
    }
    // Aligned elements hold what their upstream elements decided: only if
    // each stays well within the time limit.
    const double cap = 0.5 * plan_.spec.stages[stage].resources.time_seconds;
    for (const auto& [where, list] : groups) {
      double total = 0;
      for (std::size_t t : list) total += estimates_[t].seconds;
      align = align && total <= cap;
    }
    if (align && aligned >= 0) {
      Array array;
      array.stage = stage;
      array.aligned_to = aligned;
      array.elements.resize(arrays_[std::size_t(aligned)].elements.size());
      for (auto& [where, list] : groups) array.elements[where.second] = list;
      add_dependencies(array, tasks, /*skip_fresh=*/true);
      push(std::move(array));
      return;
    }
    // Otherwise pack: tasks shorter than pack_seconds join an element
    // until its predicted time reaches pack_seconds (and stays under half
    // the time limit); longer ones run alone.
    Array array;
    array.stage = stage;
    double filled = 0;
    for (std::size_t t : tasks) {
      const double seconds = estimates_[t].seconds;
      const bool alone = seconds >= plan_.spec.pack_seconds;
      if (array.elements.empty() || alone || filled >= plan_.spec.pack_seconds ||
          filled + seconds > cap) {
        if (array.elements.size() == limit) {
          add_dependencies(array, tasks, false);
          push(std::move(array));
          array = Array();
          array.stage = stage;
        }
        array.elements.emplace_back();
        filled = 0;
      }
      array.elements.back().push_back(t);
      filled = alone ? plan_.spec.pack_seconds : filled + seconds;
    }
    add_dependencies(array, tasks, false);
    push(std::move(array));
  }

  void add_dependencies(Array& array, const std::vector<std::size_t>&, bool skip_fresh) {
    for (const auto& element : array.elements)
      for (std::size_t t : element)
        for (std::size_t u : plan_.tasks[t].after) {
          if (placed_.count(u)) {
            if (!skip_fresh) array.after_arrays.insert(placed_.at(u).first);
          } else if (status_[u].state == TaskState::pending ||
                     status_[u].state == TaskState::running) {
            array.after.push_back(status_[u].job);
          }
        }
    std::sort(array.after.begin(), array.after.end());
    array.after.erase(std::unique(array.after.begin(), array.after.end()), array.after.end());
  }

  void push(Array array) {
    const int index = int(arrays_.size());
    for (std::size_t e = 0; e < array.elements.size(); ++e)
      for (std::size_t t : array.elements[e]) placed_[t] = {index, e};
    arrays_.push_back(std::move(array));
  }

  std::string job_of(int array) const {
    const Array& a = arrays_[std::size_t(array)];
    return a.job.empty() ? "<job of " + a.name + ">" : a.job;
  }

  std::string dependency(const Array& array) const {
    std::vector<std::string> parts;
    if (array.aligned_to >= 0) parts.push_back("aftercorr:" + job_of(array.aligned_to));
    std::string ok;
    for (int a : array.after_arrays) ok += ":" + job_of(a);
    for (const std::string& e : array.after) ok += ":" + e;
    if (!ok.empty()) parts.push_back("afterok" + ok);
    std::string out;
    for (const std::string& p : parts) out += (out.empty() ? "" : ",") + p;
    return out;
  }

  std::string render(const Array& array, const std::string& tasks_file) const {
    const StageSpec& s = plan_.spec.stages[array.stage];
    const Resources& r = s.resources;
    const int throttle = s.throttle > 0 ? s.throttle : plan_.spec.throttle;
    std::string text = "#!/bin/bash\n";
    const auto line = [&](const std::string& option) { text += "#SBATCH " + option + "\n"; };
    line("--job-name=b2m-" + plan_.spec.name + "-" + s.name);
    line("--array=0-" + std::to_string(array.elements.size() - 1) + "%" + std::to_string(throttle));
    if (!r.partition.empty()) line("--partition=" + r.partition);
    line("--time=" + r.time);
    line("--nodes=" + std::to_string(r.nodes));
    line("--ntasks=" + std::to_string(r.tasks));
    line("--cpus-per-task=" + std::to_string(r.cpus_per_task));
    if (!r.mem.empty()) line("--mem=" + r.mem);
    if (r.gpus > 0) line("--gres=gpu:" + std::to_string(r.gpus));
    line("--output=" + plan_.spec.state + "/logs/" + array.name + "-%A_%a.out");
    line("--chdir=" + plan_.spec.dir);  // relative paths in options: from the spec
    const std::string dep = dependency(array);
    if (!dep.empty()) {
      line("--dependency=" + dep);
      line("--kill-on-invalid-dep=yes");  // an upstream failure cancels, resume resubmits
    }
    text += "# " + std::to_string(count(array)) + " tasks of stage " + s.name + " (b2m sweep " +
            plan_.spec.file + "); each element runs its tasks from the task file in turn\n";
    text += "export OPENBLAS_NUM_THREADS=" + std::to_string(r.cpus_per_task) + "\n";
    text += "exec " + quote(options_.b2m) + " sweep exec " + quote(tasks_file) +
            " \"$SLURM_ARRAY_TASK_ID\"\n";
    return text;
  }

  TaskFile task_file(const Array& array) const {
    TaskFile f{plan_.spec.state,
               plan_.spec.dir,
               options_.b2m,
               "srun",
               options_.retries >= 0 ? options_.retries : plan_.spec.retries,
               {}};
    for (const auto& element : array.elements) {
      f.elements.emplace_back();
      for (std::size_t t : element) f.elements.back().push_back(command_of(plan_, t, *selection_));
    }
    return f;
  }

  const Plan& plan_;
  const std::vector<TaskStatus>& status_;
  const std::vector<Estimate>& estimates_;
  const SubmitOptions& options_;
  StateDir state_;
  std::vector<Array> arrays_;
  const Selection* selection_ = nullptr;
};

void check_inputs_exist(const Plan& plan, const std::vector<std::size_t>& tasks) {
  std::string missing;
  std::size_t n = 0;
  std::set<std::string> seen;
  for (std::size_t t : tasks) {
    const Task& task = plan.tasks[t];
    for (std::size_t i = 0; i < task.inputs.size(); ++i) {
      const std::string& in = task.inputs[i];
      std::error_code ec;
      if (std::filesystem::exists(in, ec) || !seen.insert(in).second) continue;
      if (++n <= 5) {
        const Origin& o = plan.spec.input_origins.at(task.input_names[i]);
        missing += "\n  " + o.file + ":" + std::to_string(o.line) + ": " + o.key + ": " + in +
                   " does not exist (needed by task " + task.id + ")";
      }
    }
  }
  if (n > 0)
    throw SpecError("missing inputs; nothing was submitted:" + missing +
                    (n > 5 ? "\n  ... and " + std::to_string(n - 5) + " more" : ""));
}

}  // namespace

Selection select_tasks(const Plan& plan, const std::vector<TaskStatus>& status,
                       const SubmitOptions& options) {
  Selection sel;
  std::set<std::size_t> chosen;
  for (std::size_t i = 0; i < plan.tasks.size(); ++i) {
    const TaskStatus& st = status[i];
    bool take = false;
    switch (st.state) {
      case TaskState::todo:
        take = true;
        break;
      case TaskState::failed:
        take = options.resume && !st.bad_input_unchanged;
        if (!options.resume)
          sel.held_back.push_back(plan.tasks[i].id + " failed: use b2m sweep resume");
        else if (st.bad_input_unchanged)
          sel.held_back.push_back(plan.tasks[i].id + " failed on bad input that has not changed (" +
                                  st.error_line + "): fix its input, then resume");
        break;
      case TaskState::stale:
        take = options.resume && options.overwrite;
        if (!take)
          sel.held_back.push_back(plan.tasks[i].id + " has an output made otherwise (" + st.detail +
                                  "): --overwrite replaces it");
        break;
      default:
        break;
    }
    // Its upstream tasks must be done, queued, or run now.
    for (std::size_t u : plan.tasks[i].after) {
      const TaskState us = status[u].state;
      if (take && !chosen.count(u) && us != TaskState::done && us != TaskState::pending &&
          us != TaskState::running) {
        take = false;
        sel.held_back.push_back(plan.tasks[i].id + " waits for " + plan.tasks[u].id +
                                ", which is " + state_name(us) + " and not run now");
      }
    }
    if (take) {
      chosen.insert(i);
      sel.tasks.push_back(i);
    }
  }
  return sel;
}

std::size_t submit(const Plan& plan, const std::vector<TaskStatus>& status,
                   const Selection& selection, const std::vector<Estimate>& estimates,
                   const SubmitOptions& options) {
  if (selection.tasks.empty()) return 0;
  check_inputs_exist(plan, selection.tasks);
  Submitter submitter(plan, status, estimates, options);
  return submitter.run(selection);
}

std::size_t run_local(const Plan& plan, const std::vector<TaskStatus>& status,
                      const Selection& selection, const SubmitOptions& options) {
  if (selection.tasks.empty()) return 0;
  check_inputs_exist(plan, selection.tasks);
  const StateDir state(plan.spec.state);
  state.create();
  TaskFile file{plan.spec.state,
                plan.spec.dir,
                options.b2m,
                "mpirun",
                options.retries >= 0 ? options.retries : plan.spec.retries,
                {}};
  const std::string job = "local-" + std::to_string(getpid());
  std::set<std::size_t> succeeded;
  std::size_t failed = 0;
  for (std::size_t t : selection.tasks) {
    const Task& task = plan.tasks[t];
    // Upstream tasks must be done before, or here: one queued on Slurm
    // would be read half-written.
    const auto ready = [&](std::size_t u) {
      return status[u].state == TaskState::done || succeeded.count(u) > 0;
    };
    if (!std::all_of(task.after.begin(), task.after.end(), ready)) {
      ++failed;
      std::printf("skipped %s: an upstream task is not done\n", task.id.c_str());
      continue;
    }
    const double start = now_seconds();
    const int code = run_task(file, command_of(plan, t, selection), job);
    std::printf("%s %s %s: %s in %.1f s\n", plan.spec.stages[task.stage].name.c_str(),
                task.subject.c_str(), task.key.c_str(),
                code == 0 ? "done" : ("failed (exit " + std::to_string(code) + ")").c_str(),
                now_seconds() - start);
    std::fflush(stdout);
    if (code == 0) {
      succeeded.insert(t);
    } else {
      ++failed;
    }
    if (forwarded_signal() != 0) break;
  }
  return failed;
}

}  // namespace b2m::cluster
