#include "cluster/spec.hpp"

#include <toml++/toml.h>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>

#include "io/path_template.hpp"

namespace b2m::cluster {
namespace fs = std::filesystem;

SpecError Origin::error(const std::string& what) const {
  return SpecError(file + ":" + std::to_string(line) + ": " + key + ": " + what);
}

std::vector<std::string> placeholders(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t open = text.find('{'); open != std::string::npos;
       open = text.find('{', open + 1)) {
    const std::size_t close = text.find('}', open);
    if (close == std::string::npos) break;
    out.push_back(text.substr(open + 1, close - open - 1));
  }
  return out;
}

std::string substitute(const std::string& text, const std::map<std::string, std::string>& vars,
                       const Origin& origin) {
  std::string out;
  std::size_t at = 0;
  for (std::size_t open = text.find('{'); open != std::string::npos; open = text.find('{', at)) {
    const std::size_t close = text.find('}', open);
    if (close == std::string::npos) throw origin.error("unclosed '{' in \"" + text + "\"");
    const std::string name = text.substr(open + 1, close - open - 1);
    const auto found = vars.find(name);
    if (found == vars.end()) {
      std::string known;
      for (const auto& [k, v] : vars) known += (known.empty() ? "" : ", ") + k;
      throw origin.error("unknown placeholder {" + name + "} in \"" + text + "\" (known: " + known +
                         ")");
    }
    out += text.substr(at, open - at) + found->second;
    at = close + 1;
  }
  return out + text.substr(at);
}

namespace {

// Walks one TOML table, handing out its keys by name and refusing, at the
// end, any key nobody asked for.
class Table {
 public:
  Table(const toml::table& table, std::string file, std::string prefix)
      : table_(table), file_(std::move(file)), prefix_(std::move(prefix)) {}

  [[nodiscard]] Origin origin(const std::string& key) const {
    const toml::node* node = table_.get(key);
    const long line = node ? long(node->source().begin.line) : long(table_.source().begin.line);
    return {file_, line, prefix_.empty() ? key : prefix_ + "." + key};
  }
  [[nodiscard]] Origin origin() const { return {file_, long(table_.source().begin.line), prefix_}; }
  [[nodiscard]] const toml::node* get(const std::string& key) {
    used_.insert(key);
    return table_.get(key);
  }
  [[nodiscard]] std::string string(const std::string& key, const std::string& fallback) {
    const toml::node* node = get(key);
    if (!node) return fallback;
    if (!node->is_string()) throw origin(key).error("expected a string, got " + type(*node));
    return **node->as_string();
  }
  [[nodiscard]] long integer(const std::string& key, long fallback, long min, long max) {
    const toml::node* node = get(key);
    if (!node) return fallback;
    if (!node->is_integer()) throw origin(key).error("expected an integer, got " + type(*node));
    const long v = static_cast<long>(**node->as_integer());
    if (v < min || v > max)
      throw origin(key).error(std::to_string(v) + " is out of range [" + std::to_string(min) +
                              ", " + std::to_string(max) + "]");
    return v;
  }
  [[nodiscard]] double number(const std::string& key, double fallback) {
    const toml::node* node = get(key);
    if (!node) return fallback;
    if (node->is_integer()) return double(**node->as_integer());
    if (!node->is_floating_point())
      throw origin(key).error("expected a number, got " + type(*node));
    return **node->as_floating_point();
  }
  // A sub-table, or an empty one.
  [[nodiscard]] Table table(const std::string& key) {
    const toml::node* node = get(key);
    if (node && !node->is_table()) throw origin(key).error("expected a table, got " + type(*node));
    static const toml::table empty;
    return Table(node ? *node->as_table() : empty, file_,
                 prefix_.empty() ? key : prefix_ + "." + key);
  }
  [[nodiscard]] std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : table_) out.emplace_back(k.str());
    return out;
  }
  // Refuses the keys nobody read.
  void finish(const std::string& allowed) const {
    for (const auto& [k, v] : table_)
      if (!used_.count(std::string(k.str())))
        throw Origin{file_, long(k.source().begin.line),
                     prefix_.empty() ? std::string(k.str()) : prefix_ + "." + std::string(k.str())}
            .error("unknown key" +
                   (allowed.empty() ? std::string() : " (expected one of: " + allowed + ")"));
  }

  static std::string type(const toml::node& node) {
    switch (node.type()) {
      case toml::node_type::string:
        return "a string";
      case toml::node_type::integer:
        return "an integer";
      case toml::node_type::floating_point:
        return "a float";
      case toml::node_type::boolean:
        return "a boolean";
      case toml::node_type::array:
        return "an array";
      case toml::node_type::table:
        return "a table";
      default:
        return "a date or time";
    }
  }

 private:
  const toml::table& table_;
  std::string file_;
  std::string prefix_;
  std::set<std::string> used_;
};

// An option value as the command line spells it. Floats take their
// shortest exact form (1e7 -> 1e+07, 0.5 -> 0.5, 1234.5 -> 1234.5).
std::string scalar_text(const toml::node& node, const Origin& origin) {
  if (const auto* s = node.as_string()) return **s;
  if (const auto* i = node.as_integer()) return std::to_string(**i);
  if (const auto* f = node.as_floating_point()) {
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", **f);
    for (int digits = 1; digits <= 17; ++digits) {
      char shorter[64];
      std::snprintf(shorter, sizeof shorter, "%.*g", digits, **f);
      if (std::strtod(shorter, nullptr) == **f) return shorter;
    }
    return text;
  }
  throw origin.error("expected a string or a number, got " + Table::type(node));
}

std::string absolute(const std::string& path, const std::string& dir) {
  if (path.empty() || path.front() == '/') return path;
  return (fs::path(dir) / path).lexically_normal().string();
}

// Seconds in a Slurm time limit (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM,
// D-HH:MM:SS); a negative value if `text` is none of them.
double slurm_seconds(const std::string& text) {
  const auto number = [](const std::string& field) {
    if (field.empty() || field.size() > 9 ||
        field.find_first_not_of("0123456789") != std::string::npos)
      return -1.0;
    return std::stod(field);
  };
  std::string rest = text;
  double days = 0;
  const std::size_t dash = text.find('-');
  if (dash != std::string::npos) {
    days = number(text.substr(0, dash));
    rest = text.substr(dash + 1);
    if (days < 0) return -1;
  }
  std::vector<double> parts;
  std::size_t at = 0;
  for (;;) {
    const std::size_t colon = rest.find(':', at);
    parts.push_back(number(rest.substr(at, colon == std::string::npos ? colon : colon - at)));
    if (parts.back() < 0) return -1;
    if (colon == std::string::npos) break;
    at = colon + 1;
  }
  static const double kDayUnits[] = {3600, 60, 1};
  double seconds = 0;
  if (dash != std::string::npos) {
    if (parts.size() > 3) return -1;
    for (std::size_t i = 0; i < parts.size(); ++i) seconds += parts[i] * kDayUnits[i];
  } else if (parts.size() == 1) {
    seconds = parts[0] * 60;
  } else if (parts.size() == 2) {
    seconds = parts[0] * 60 + parts[1];
  } else if (parts.size() == 3) {
    seconds = parts[0] * 3600 + parts[1] * 60 + parts[2];
  } else {
    return -1;
  }
  return days * 86400 + seconds;
}

// Placeholders every template has; an input or stage may not take these names.
bool reserved(const std::string& name) {
  return name == "subject" || name == "results" || name == "stage" || name == "key" || name == "id";
}

bool valid_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

void read_sweep(Table t, Spec& spec, const std::string& stem) {
  spec.name = t.string("name", stem);
  if (!valid_name(spec.name)) throw t.origin("name").error("use letters, digits, '-' and '_'");
  spec.state = absolute(t.string("state", stem + ".sweep"), spec.dir);
  spec.results = absolute(t.string("results", "results"), spec.dir);
  spec.b2m = t.string("b2m", "");
  spec.throttle = int(t.integer("throttle", 100, 1, 100000));
  spec.pack_seconds = t.number("pack_seconds", 120);
  if (spec.pack_seconds < 0) throw t.origin("pack_seconds").error("must be >= 0");
  spec.retries = int(t.integer("retries", 0, 0, 100));
  t.finish("name, state, results, b2m, throttle, pack_seconds, retries");
}

// subjects = ["sub-01", ...] | "sub-*" (a glob over the responses input) |
// {first = 1, last = 345, format = "sub-%03d"}.
void read_subjects(Table& t, Spec& spec) {
  const toml::node* node = t.get("subjects");
  if (!node) return;
  const Origin origin = t.origin("subjects");
  spec.subjects_origin = origin;
  if (const auto* list = node->as_array()) {
    for (const toml::node& s : *list) {
      if (!s.is_string())
        throw origin.error("expected subject names (strings), got " + Table::type(s));
      spec.subjects.push_back(**s.as_string());
    }
  } else if (node->is_table()) {
    Table range(*node->as_table(), origin.file, origin.key);
    const long first = range.integer("first", 1, 0, 1'000'000);
    const long last = range.integer("last", -1, 0, 1'000'000);
    const std::string format = range.string("format", "sub-%03d");
    range.finish("first, last, format");
    if (last < first) throw origin.error("needs last >= first");
    const std::size_t percent = format.find('%');
    if (std::count(format.begin(), format.end(), '%') != 1 ||
        format.find_first_not_of("0123456789", percent + 1) != format.find('d', percent))
      throw range.origin("format").error("needs one %d (e.g. \"sub-%03d\")");
    for (long i = first; i <= last; ++i) {
      char name[256];
      std::snprintf(name, sizeof name, format.c_str(), int(i));
      spec.subjects.emplace_back(name);
    }
  } else if (node->is_string()) {
    const std::string pattern = **node->as_string();
    const auto responses = std::find_if(spec.inputs.begin(), spec.inputs.end(),
                                        [](const auto& in) { return in.first == "responses"; });
    if (responses == spec.inputs.end() || responses->second.find("{subject}") == std::string::npos)
      throw origin.error("a subject glob needs an input `responses` whose path holds {subject}");
    const std::string& tmpl = responses->second;
    spec.subjects = io::placeholder_values(tmpl, "subject", pattern);
    if (spec.subjects.empty())
      throw origin.error("the glob " + tmpl.substr(0, tmpl.find("{subject}")) + pattern +
                         tmpl.substr(tmpl.find("{subject}") + 9) + " matches no file");
  } else {
    throw origin.error("expected a list, a glob or a {first, last, format} table, got " +
                       Table::type(*node));
  }
  std::set<std::string> seen;
  for (const std::string& s : spec.subjects) {
    if (!valid_name(s))
      throw origin.error("subject \"" + s + "\": use letters, digits, '-' and '_'");
    if (!seen.insert(s).second) throw origin.error("subject \"" + s + "\" is listed twice");
  }
}

void read_inputs(Table t, Spec& spec) {
  for (const std::string& key : t.keys()) {
    if (key == "subjects") continue;
    if (!valid_name(key)) throw t.origin(key).error("use letters, digits, '-' and '_'");
    if (reserved(key)) throw t.origin(key).error("is a name every template has: choose another");
    spec.inputs.emplace_back(key, absolute(t.string(key, ""), spec.dir));
    spec.input_origins[key] = t.origin(key);
  }
  read_subjects(t, spec);
  t.finish("");
}

void read_sizes(Table t, Spec& spec) {
  for (const std::string& key : t.keys()) {
    if (key == "dims" || key == "windows") {  // per feature space
      Table per_space = t.table(key);
      for (const std::string& space : per_space.keys())
        spec.sizes[key + "." + space] = per_space.number(space, 0);
      per_space.finish("");
    } else {
      static const std::set<std::string> known{"train_trs",        "test_trs",     "voxels",
                                               "corpus",           "queries",      "rois",
                                               "generate_seconds", "embed_seconds"};
      if (!known.count(key))
        throw t.origin(key).error(
            "unknown size (expected one of: train_trs, test_trs, voxels, corpus, queries, rois, "
            "generate_seconds, embed_seconds, dims, windows)");
      spec.sizes[key] = t.number(key, 0);
    }
  }
  t.finish("");
}

Resources read_resources(Table t) {
  Resources r;
  r.partition = t.string("partition", "");
  r.time = t.string("time", r.time);
  r.time_seconds = slurm_seconds(r.time);
  if (r.time_seconds <= 0)
    throw t.origin("time").error("\"" + r.time +
                                 "\" is not a Slurm time limit (MM, HH:MM:SS, D-HH:MM:SS, ...)");
  r.nodes = int(t.integer("nodes", 1, 1, 100000));
  r.tasks = int(t.integer("tasks", 1, 1, 10'000'000));
  r.cpus_per_task = int(t.integer("cpus_per_task", 1, 1, 4096));
  r.mem = t.string("mem", "");
  if (!r.mem.empty() && r.mem.find_first_not_of("0123456789KMGTkmgt") != std::string::npos)
    throw t.origin("mem").error("\"" + r.mem + "\" is not a Slurm memory size (4096, 16G)");
  r.gpus = int(t.integer("gpus", 0, 0, 1024));
  if (r.tasks < r.nodes) throw t.origin("tasks").error("fewer tasks than nodes");
  t.finish("partition, time, nodes, tasks, cpus_per_task, mem, gpus");
  return r;
}

std::vector<std::string> scalars(const toml::node& node, const Origin& origin) {
  std::vector<std::string> out;
  if (const auto* list = node.as_array()) {
    for (const toml::node& v : *list) out.push_back(scalar_text(v, origin));
  } else {
    out.push_back(scalar_text(node, origin));
  }
  return out;
}

StageSpec read_stage(const std::string& name, Table t) {
  StageSpec s;
  s.name = name;
  s.origin = t.origin();
  if (!valid_name(name)) throw s.origin.error("use letters, digits, '-' and '_' in stage names");
  if (reserved(name)) throw s.origin.error("is a name every template has: choose another");
  s.verb = t.string("verb", "");
  if (s.verb.empty()) throw s.origin.error("needs `verb` (the b2m verb the stage runs)");
  s.out = t.string("out", "");
  s.out_origin = t.origin("out");
  s.throttle = int(t.integer("throttle", 0, 0, 100000));
  if (const toml::node* match = t.get("match")) {
    if (!match->is_array()) throw t.origin("match").error("expected a list of grid options");
    for (const toml::node& m : *match->as_array()) {
      if (!m.is_string()) throw t.origin("match").error("expected option names (strings)");
      s.match.push_back(**m.as_string());
    }
  }
  Table options = t.table("options");
  for (const std::string& key : options.keys()) {
    const toml::node& node = *options.get(key);
    OptionSpec o{key, {}, false, options.origin(key)};
    if (key == "out")
      throw o.origin.error("the output is the stage's `out` template, not an option");
    if (const auto* b = node.as_boolean()) {
      if (!**b) continue;  // false: the flag is left off
      o.flag = true;
    } else {
      o.values = scalars(node, o.origin);
    }
    s.options.push_back(std::move(o));
  }
  options.finish("");
  Table grid = t.table("grid");
  for (const std::string& key : grid.keys()) {
    const toml::node& node = *grid.get(key);
    const Origin origin = grid.origin(key);
    if (!node.is_array() || node.as_array()->empty())
      throw origin.error("expected a non-empty list of values, got " + Table::type(node));
    if (key == "out") throw origin.error("the output is the stage's `out` template, not an option");
    Axis axis{key, scalars(node, origin), origin};
    std::set<std::string> seen;
    for (const std::string& v : axis.values)
      if (!seen.insert(v).second) throw origin.error("the value " + v + " is listed twice");
    for (const OptionSpec& o : s.options)
      if (o.name == key) throw origin.error("is both an option and a grid of stage " + name);
    s.grid.push_back(std::move(axis));
  }
  grid.finish("");
  for (const std::string& m : s.match)
    if (std::none_of(s.grid.begin(), s.grid.end(), [&](const Axis& a) { return a.name == m; }))
      throw t.origin("match").error("\"" + m + "\" is not a grid option of stage " + name);
  s.resources = read_resources(t.table("resources"));
  t.finish("verb, out, match, throttle, options, grid, resources");
  return s;
}

// Orders the stages so that every stage comes after those whose outputs
// its options name ({stage}); a cycle or a self-reference is refused.
void order_stages(Spec& spec) {
  std::map<std::string, const StageSpec*> by_name;
  for (const StageSpec& s : spec.stages) by_name[s.name] = &s;
  for (StageSpec& s : spec.stages) {
    for (const OptionSpec& o : s.options)
      for (const std::string& v : o.values)
        for (const std::string& p : placeholders(v))
          if (by_name.count(p)) {
            if (p == s.name) throw o.origin.error("a stage cannot read its own output");
            if (std::find(s.upstream.begin(), s.upstream.end(), p) == s.upstream.end())
              s.upstream.push_back(p);
          }
    if (!s.match.empty() && s.upstream.empty())
      throw s.origin.error("`match` needs an upstream stage (an option naming {stage})");
    for (const Axis& axis : s.grid)
      if (spec.input_origins.count(axis.name) || by_name.count(axis.name))
        throw axis.origin.error("a grid option may not share its name with an input or a stage");
  }
  for (const StageSpec& s : spec.stages)
    for (const std::string& m : s.match) {
      const bool found =
          std::any_of(s.upstream.begin(), s.upstream.end(), [&](const std::string& u) {
            const auto& grid = by_name.at(u)->grid;
            return std::any_of(grid.begin(), grid.end(),
                               [&](const Axis& a) { return a.name == m; });
          });
      if (!found)
        throw s.origin.error("`match` names " + m + ", which no upstream stage has in its grid");
    }
  std::vector<StageSpec> ordered;
  std::set<std::string> placed;
  while (ordered.size() < spec.stages.size()) {
    bool progress = false;
    for (StageSpec& s : spec.stages) {
      if (placed.count(s.name)) continue;
      if (std::all_of(s.upstream.begin(), s.upstream.end(),
                      [&](const std::string& u) { return placed.count(u) > 0; })) {
        placed.insert(s.name);
        ordered.push_back(s);
        progress = true;
      }
    }
    if (!progress) {
      for (const StageSpec& s : spec.stages)
        if (!placed.count(s.name))
          throw s.origin.error("its inputs form a cycle with other stages");
    }
  }
  spec.stages = std::move(ordered);
}

}  // namespace

Spec read_spec(const std::string& path) {
  Spec spec;
  spec.file = path;
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  spec.dir = abs.parent_path().lexically_normal().string();
  if (!fs::is_regular_file(abs, ec))
    throw SpecError(path + ": cannot read the sweep spec: no such file");
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw SpecError(path + ":" + std::to_string(e.source().begin.line) + ": " +
                    std::string(e.description()));
  }
  Table top(root, path, "");
  const std::string stem = abs.stem().string();
  read_sweep(top.table("sweep"), spec, stem);
  read_inputs(top.table("inputs"), spec);
  read_sizes(top.table("sizes"), spec);
  Table stages = top.table("stage");
  for (const std::string& name : stages.keys())
    spec.stages.push_back(read_stage(name, stages.table(name)));
  stages.finish("");
  if (spec.stages.empty())
    throw Origin{path, 1, "stage"}.error("no stages: add a [stage.NAME] table");
  for (const StageSpec& s : spec.stages)
    if (spec.input_origins.count(s.name))
      throw s.origin.error("a stage and an input are both named " + s.name);
  top.finish("sweep, inputs, sizes, stage");
  order_stages(spec);
  return spec;
}

}  // namespace b2m::cluster
