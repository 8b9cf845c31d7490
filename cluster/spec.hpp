// The sweep spec (docs/sweep.md): one TOML file that names a study's
// inputs, its stages (any b2m verb with its options), the grid of option
// values each stage sweeps and the Slurm resources of each stage. Read and
// checked whole before anything is planned: an unknown key, a value of the
// wrong type or a reference to nothing is a SpecError naming the file, the
// line and the key.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace b2m::cluster {

class SpecError : public ConfigError {
 public:
  explicit SpecError(const std::string& what) : ConfigError(what) {}
};

// Where a value of the spec was written, for messages.
struct Origin {
  std::string file;
  long line = 0;
  std::string key;  // dotted: stage.encode.grid.space
  // "file:line: key: what"
  [[nodiscard]] SpecError error(const std::string& what) const;
};

struct Resources {
  std::string partition;          // empty: the cluster's default
  std::string time = "01:00:00";  // per array element
  double time_seconds = 3600;
  int nodes = 1;
  int tasks = 1;  // MPI ranks
  int cpus_per_task = 1;
  std::string mem;  // per node, Slurm syntax ("4G"); empty: the default
  int gpus = 0;
};

// One option of a stage: `--name` with one value, several (repeated), or
// none (a flag). Values may hold {placeholders}.
struct OptionSpec {
  std::string name;
  std::vector<std::string> values;
  bool flag = false;
  Origin origin;
};

// A swept option: one task per value.
struct Axis {
  std::string name;
  std::vector<std::string> values;
  Origin origin;
};

struct StageSpec {
  std::string name;
  std::string verb;
  Origin origin;
  std::vector<OptionSpec> options;
  std::vector<Axis> grid;
  // Grid options matched with the upstream stages' values of the same name
  // (a decode of space s reads the encode result of space s); every other
  // grid value of an upstream stage multiplies this stage's tasks.
  std::vector<std::string> match;
  // The output path template; empty: {results}/{stage}/{subject}/{key}.h5
  // ({subject}/ left out in a sweep without subjects).
  std::string out;
  Origin out_origin;
  Resources resources;
  int throttle = 0;                   // 0: the sweep's
  std::vector<std::string> upstream;  // stages whose outputs its options name
};

struct Spec {
  std::string file;  // as given
  std::string dir;   // absolute: relative paths of the spec are resolved here
  std::string name;
  std::string state;    // absolute
  std::string results;  // absolute
  std::string b2m;      // the b2m command on the nodes (empty: this binary)
  int throttle = 100;
  double pack_seconds = 120;
  int retries = 0;
  std::vector<std::string> subjects;
  Origin subjects_origin;
  // Named input paths (absolute templates, may hold {subject}), in spec order.
  std::vector<std::pair<std::string, std::string>> inputs;
  std::map<std::string, Origin> input_origins;
  // Problem sizes for inputs that do not exist yet (plan only).
  std::map<std::string, double> sizes;
  std::vector<StageSpec> stages;  // upstream before downstream
};

// Reads and checks `path` (SpecError on any problem).
[[nodiscard]] Spec read_spec(const std::string& path);

// `text` with every {name} replaced by vars[name]; a SpecError at `origin`
// for a name it does not hold.
[[nodiscard]] std::string substitute(const std::string& text,
                                     const std::map<std::string, std::string>& vars,
                                     const Origin& origin);

// The {names} that `text` refers to.
[[nodiscard]] std::vector<std::string> placeholders(const std::string& text);

}  // namespace b2m::cluster
