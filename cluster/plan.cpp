#include "cluster/plan.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

namespace b2m::cluster {
namespace {

std::string task_id(const std::string& stage, const std::string& subject,
                    const std::vector<std::pair<std::string, std::string>>& values) {
  std::vector<std::pair<std::string, std::string>> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  std::string text = stage + '\0' + subject;
  for (const auto& [k, v] : sorted) text += '\0' + k + '=' + v;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(text.data(), text.size())));
  return std::string(hex, 12);
}

// The values as one path component: "space-mulan_music_encode.alpha-max-1e+07".
std::string key_of(const std::vector<std::pair<std::string, std::string>>& values) {
  std::string key;
  for (const auto& [k, v] : values) key += (key.empty() ? "" : "_") + k + "-" + v;
  for (char& c : key)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '+' &&
        c != '_')
      c = '_';
  return key.empty() ? "all" : key;
}

// Every combination of the stage's grid values, in grid order.
std::vector<std::vector<std::pair<std::string, std::string>>> grid_points(const StageSpec& s) {
  std::vector<std::vector<std::pair<std::string, std::string>>> points{{}};
  for (const Axis& axis : s.grid) {
    std::vector<std::vector<std::pair<std::string, std::string>>> next;
    for (const auto& p : points)
      for (const std::string& v : axis.values) {
        next.push_back(p);
        next.back().emplace_back(axis.name, v);
      }
    points = std::move(next);
  }
  return points;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

const std::string* value_of(const std::vector<std::pair<std::string, std::string>>& values,
                            const std::string& name) {
  for (const auto& [k, v] : values)
    if (k == name) return &v;
  return nullptr;
}

class Expander {
 public:
  Expander(Plan& plan, const VerbCheck& check) : plan_(plan), check_(check) {}

  void stage(std::size_t index) {
    const StageSpec& s = plan_.spec.stages[index];
    std::vector<std::string> subjects = plan_.spec.subjects;
    if (subjects.empty()) subjects.emplace_back();
    for (const auto& point : grid_points(s)) {
      const std::size_t before = plan_.tasks.size();
      for (const std::string& subject : subjects) joins(index, subject, point, 0, {}, {});
      // A grid value that no upstream task matches would silently give no
      // tasks: say which.
      if (plan_.tasks.size() == before && !s.upstream.empty()) {
        std::string values;
        for (const auto& [k, v] : point) values += " " + k + "=" + v;
        throw(s.grid.empty() ? s.origin : s.grid.front().origin)
            .error("no task of " + join_names(s.upstream) + " matches" +
                   (values.empty() ? std::string(" (no upstream task for any subject)") : values));
      }
    }
  }

 private:
  // Picks an upstream task for each upstream stage in turn (same subject,
  // same matched values, the same value wherever two of them inherit one).
  void joins(std::size_t index, const std::string& subject,
             const std::vector<std::pair<std::string, std::string>>& own, std::size_t u,
             std::vector<std::pair<std::string, std::string>> inherited,
             std::vector<std::size_t> after) {
    const StageSpec& s = plan_.spec.stages[index];
    if (u == s.upstream.size()) {
      add(index, subject, own, inherited, after);
      return;
    }
    const std::string& up = s.upstream[u];
    const std::size_t up_index = stage_index(up);
    for (std::size_t t : plan_.stages[up_index]) {
      const Task& candidate = plan_.tasks[t];
      if (candidate.subject != subject) continue;
      bool fits = true;
      std::vector<std::pair<std::string, std::string>> more = inherited;
      const StageSpec& us = plan_.spec.stages[up_index];
      for (const auto& [k, v] : candidate.values) {
        const bool own_value = std::any_of(us.grid.begin(), us.grid.end(),
                                           [&, &k = k](const Axis& a) { return a.name == k; });
        if (own_value && std::find(s.match.begin(), s.match.end(), k) != s.match.end()) {
          fits = fits && *value_of(own, k) == v;
          continue;
        }
        const std::string name = own_value ? up + "." + k : k;
        if (const std::string* held = value_of(more, name)) {
          fits = fits && *held == v;
        } else {
          more.emplace_back(name, v);
        }
      }
      if (!fits) continue;
      std::vector<std::size_t> with = after;
      with.push_back(t);
      joins(index, subject, own, u + 1, std::move(more), std::move(with));
    }
  }

  std::size_t stage_index(const std::string& name) const {
    for (std::size_t i = 0; i < plan_.spec.stages.size(); ++i)
      if (plan_.spec.stages[i].name == name) return i;
    return 0;  // read_spec checked every name
  }

  void add(std::size_t index, const std::string& subject,
           const std::vector<std::pair<std::string, std::string>>& own,
           const std::vector<std::pair<std::string, std::string>>& inherited,
           const std::vector<std::size_t>& after) {
    const Spec& spec = plan_.spec;
    const StageSpec& s = spec.stages[index];
    Task t;
    t.stage = index;
    t.subject = subject;
    t.values = own;
    t.values.insert(t.values.end(), inherited.begin(), inherited.end());
    t.id = task_id(s.name, subject, t.values);
    t.key = key_of(t.values);
    t.after = after;

    std::map<std::string, std::string> vars{
        {"results", spec.results}, {"stage", s.name}, {"key", t.key}, {"id", t.id}};
    if (!subject.empty()) vars["subject"] = subject;
    for (const auto& [name, path] : spec.inputs)
      if (subject.empty() && path.find("{subject}") != std::string::npos) {
        continue;  // named below only if used: then the missing subject is the error
      } else {
        vars[name] = substitute(path, vars, spec.input_origins.at(name));
      }
    for (std::size_t a : after) vars[spec.stages[plan_.tasks[a].stage].name] = plan_.tasks[a].out;
    const std::string out_template = !s.out.empty()    ? s.out
                                     : subject.empty() ? "{results}/{stage}/{key}.h5"
                                                       : "{results}/{stage}/{subject}/{key}.h5";
    t.out = substitute(out_template, vars, s.out_origin);
    if (!t.out.empty() && t.out.front() != '/')
      t.out = (std::filesystem::path(spec.dir) / t.out).lexically_normal().string();

    // Options see the inputs, the upstream outputs and the stage's own grid.
    std::map<std::string, std::string> option_vars = vars;
    option_vars.erase("key");
    option_vars.erase("id");
    for (const auto& [k, v] : own) option_vars[k] = v;
    std::map<std::string, std::string> inputs;  // path -> input name
    t.args.push_back(s.verb);
    const auto add_option = [&](const std::string& name, const std::string& raw, const Origin& o) {
      t.args.push_back((name.size() == 1 ? "-" : "--") + name);  // -k, --folds
      if (raw.empty() && &raw == &kFlag) return;
      for (const std::string& p : placeholders(raw))
        if (spec.input_origins.count(p) && option_vars.count(p)) inputs[option_vars[p]] = p;
      t.args.push_back(substitute(raw, option_vars, o));
    };
    for (const OptionSpec& o : s.options) {
      if (o.flag) add_option(o.name, kFlag, o.origin);
      for (const std::string& v : o.values) add_option(o.name, v, o.origin);
    }
    for (const Axis& axis : s.grid) add_option(axis.name, *value_of(own, axis.name), axis.origin);
    t.args.push_back("--out");
    t.args.push_back(t.out);
    for (const auto& [path, name] : inputs) {
      t.inputs.push_back(path);
      t.input_names.push_back(name);
    }

    const auto [at, fresh] = outputs_.emplace(t.out, plan_.tasks.size());
    if (!fresh) {
      const Task& other = plan_.tasks[at->second];
      throw s.out_origin.error("two tasks would write " + t.out + ": " + describe(other) + " and " +
                               describe(t) + " (put the swept values in `out`, e.g. {key})");
    }
    {
      try {
        check_(t.args);
      } catch (const Error& e) {
        std::string command;
        for (const std::string& a : t.args) command += " " + a;
        throw s.origin.error(std::string(e.what()) + " (in: b2m" + command + ")");
      }
    }
    plan_.stages[index].push_back(plan_.tasks.size());
    plan_.tasks.push_back(std::move(t));
  }

  std::string describe(const Task& t) const {
    std::string text = plan_.spec.stages[t.stage].name;
    if (!t.subject.empty()) text += " " + t.subject;
    for (const auto& [k, v] : t.values) text += " " + k + "=" + v;
    return "(" + text + ")";
  }

  static inline const std::string kFlag;
  Plan& plan_;
  const VerbCheck& check_;
  std::map<std::string, std::size_t> outputs_;
};

}  // namespace

std::vector<std::string> read_files(const Plan& plan, const Task& task) {
  std::vector<std::string> files = task.inputs;
  for (std::size_t a : task.after) files.push_back(plan.tasks[a].out);
  return files;
}

Plan expand(Spec spec, const VerbCheck& check) {
  Plan plan;
  plan.spec = std::move(spec);
  plan.stages.resize(plan.spec.stages.size());
  Expander expander(plan, check);
  for (std::size_t i = 0; i < plan.spec.stages.size(); ++i) expander.stage(i);
  return plan;
}

}  // namespace b2m::cluster
