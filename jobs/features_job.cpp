// `b2m features import`: embeddings computed elsewhere, keyed by clip id
// (.npy with an id list, CSV, HDF5), checked against the events and written
// as one feature file (docs/formats.md) with a space per source.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>

#include "analysis/stimulus_timeline.hpp"
#include "core/error.hpp"
#include "io/bids_events.hpp"
#include "io/embedding_table.hpp"
#include "io/feature_file.hpp"
#include "jobs/cli.hpp"
#include "jobs/stage.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {
namespace {

// One space to import: where from, and its window geometry.
struct SpaceSource {
  std::string name, path, dataset, ids;
  std::optional<std::pair<double, double>> window;  // window_s, step_s
};

struct FeaturesOptions {
  std::string events_dir;
  std::vector<SpaceSource> spaces;
  OutputOptions output;
};

std::string extension(const std::string& path) {
  std::string e = std::filesystem::path(path).extension().string();
  for (char& c : e) c = char(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

// "NAME=VALUE" of a repeatable option, as (name, value).
std::pair<std::string, std::string> named(const std::string& text, const std::string& option) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw ConfigError("features: --" + option + " takes NAME=VALUE, got '" + text + "'");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

std::optional<FeaturesOptions> parse(const cli::Arguments& args) {
  cli::Parser p("features", "Import clip embeddings computed elsewhere into a feature file");
  p.add()("action", "import", cxxopts::value<std::vector<std::string>>())(
      "events", "BIDS func directory with the events files (the clips to cover)",
      cxxopts::value<std::string>())(
      "space", "NAME=FILE: a space from FILE (.npy with --ids, .csv/.tsv, or .h5[:DATASET])",
      cxxopts::value<std::vector<std::string>>())(
      "ids", "NAME=FILE: the clip id of each row of a .npy space, one per line",
      cxxopts::value<std::vector<std::string>>())(
      "window", "NAME=WINDOW_S:STEP_S: the window geometry of a space of several windows",
      cxxopts::value<std::vector<std::string>>());
  p.outputs("output feature file", /*summary=*/false);
  p.positional("action", "import");
  const auto r = p.parse(args);
  if (!r) return std::nullopt;
  const auto action = p.optional<std::vector<std::string>>(*r, "action", {});
  if (action != std::vector<std::string>{"import"})
    throw ConfigError("features: the only action is 'import' (b2m features import ...)");
  FeaturesOptions o;
  o.events_dir = p.required<std::string>(*r, "events");
  o.output = p.outputs(*r, args);
  std::map<std::string, std::string> ids;
  std::map<std::string, std::pair<double, double>> windows;
  for (const std::string& t : p.optional<std::vector<std::string>>(*r, "ids", {}))
    ids.insert(named(t, "ids"));
  for (const std::string& t : p.optional<std::vector<std::string>>(*r, "window", {})) {
    const auto [name, value] = named(t, "window");
    double w = 0, s = 0;
    char tail = 0;
    if (std::sscanf(value.c_str(), "%lf:%lf%c", &w, &s, &tail) != 2 || !(w > 0) || !(s > 0))
      throw ConfigError("features: --window " + t + ": expected NAME=WINDOW_S:STEP_S, both > 0");
    windows[name] = {w, s};
  }
  for (const std::string& t : p.optional<std::vector<std::string>>(*r, "space", {})) {
    auto [name, path] = named(t, "space");
    SpaceSource s{name, path, "/embeddings", "", std::nullopt};
    const auto colon =
        path.find(".h5:") != std::string::npos ? path.find(".h5:") + 3 : path.find(".hdf5:");
    if (colon != std::string::npos) {
      const std::size_t at = path.find(':', colon);
      s.path = path.substr(0, at);
      s.dataset = path.substr(at + 1);
    }
    const std::string e = extension(s.path);
    if (e == ".npy") {
      if (!ids.count(name))
        throw ConfigError("features: space " + name + " is a .npy array; give --ids " + name +
                          "=FILE with its clip ids");
      s.ids = ids.at(name);
    } else if (e != ".csv" && e != ".tsv" && e != ".h5" && e != ".hdf5") {
      throw ConfigError("features: space " + name + ": " + s.path +
                        " is not .npy, .csv, .tsv, .h5 or .hdf5");
    }
    if (windows.count(name)) s.window = windows.at(name);
    for (const SpaceSource& other : o.spaces)
      if (other.name == name) throw ConfigError("features: space " + name + " is given twice");
    o.spaces.push_back(std::move(s));
  }
  if (o.spaces.empty()) throw ConfigError("features: give at least one --space NAME=FILE");
  for (const auto& [name, file] : ids)
    if (std::none_of(o.spaces.begin(), o.spaces.end(),
                     [&, &n = name](const SpaceSource& s) { return s.name == n; }))
      throw ConfigError("features: --ids names space " + name + ", which no --space gives");
  return o;
}

// The clips the events play and how long each lasts (one duration for all).
struct EventClips {
  std::vector<std::string> ids;
  double duration = 0;
};

EventClips event_clips(const std::string& dir) {
  std::vector<io::RunEvents> runs = io::read_task_events(dir, "Training");
  for (auto& r : io::read_task_events(dir, "Test")) runs.push_back(std::move(r));
  EventClips out{analysis::unique_clips(runs), 0};
  for (const auto& run : runs)
    for (const auto& e : run.events) {
      if (out.duration == 0) out.duration = e.duration;
      if (std::abs(e.duration - out.duration) > 1e-6)
        throw InputError(run.file + ": clips of " + std::to_string(e.duration) + " s and " +
                         std::to_string(out.duration) +
                         " s; a one-window space needs one clip length");
    }
  return out;
}

io::ClipEmbeddings import_space(const SpaceSource& s, const EventClips& clips,
                                const mpi::Comm& comm) {
  const std::string e = extension(s.path);
  io::EmbeddingTable table;
  if (e == ".h5" || e == ".hdf5") {
    const io::H5File file(s.path, io::Access::read, comm);
    table = io::read_h5_table(file, s.dataset);
  } else {
    table = mpi::agree_on(comm, [&] {
      return e == ".npy" ? io::read_npy_table(s.path, s.ids) : io::read_csv_table(s.path);
    });
  }
  return mpi::agree_on(comm, [&] {
    if (table.windows > 1 && !s.window)
      throw ConfigError("features: space " + s.name + " has " + std::to_string(table.windows) +
                        " windows per clip; give --window " + s.name + "=WINDOW_S:STEP_S");
    const auto [window_s, step_s] =
        s.window ? *s.window : std::make_pair(clips.duration, clips.duration);
    return io::select_clips(table, clips.ids, window_s, step_s);
  });
}

void run_features(const FeaturesOptions& o, const mpi::Comm& world) {
  const EventClips clips = mpi::agree_on(world, [&] { return event_clips(o.events_dir); });
  std::vector<std::string> inputs = mpi::agree_on(world, [&] {
    std::vector<std::string> files = io::task_event_files(o.events_dir);
    for (const SpaceSource& s : o.spaces) {
      for (const std::string& f : {s.path, s.ids})
        if (!f.empty() && !std::filesystem::exists(f)) throw InputError(f + " does not exist");
      files.push_back(s.path);
      if (!s.ids.empty()) files.push_back(s.ids);
    }
    return files;
  });
  nlohmann::json spaces = nlohmann::json::array();
  for (const SpaceSource& s : o.spaces)
    spaces.push_back({{"name", s.name},
                      {"path", s.path},
                      {"dataset", s.dataset},
                      {"window", s.window ? nlohmann::json{s.window->first, s.window->second}
                                          : nlohmann::json()}});
  Stage stage("features", {io::text("spaces"), io::count("clips")}, o.output, {{"spaces", spaces}});
  stage.run({{"features", {o.output.out}, inputs}}, 1, world, [&](UnitRun& run) {
    std::vector<io::ClipEmbeddings> imported;
    for (const SpaceSource& s : o.spaces) imported.push_back(import_space(s, clips, run.comm()));
    std::vector<std::string> genres;
    for (const std::string& id : clips.ids) genres.push_back(analysis::clip_genre(id));
    std::sort(genres.begin(), genres.end());
    genres.erase(std::unique(genres.begin(), genres.end()), genres.end());
    std::vector<int> genre;
    for (const std::string& id : clips.ids)
      genre.push_back(int(std::lower_bound(genres.begin(), genres.end(), analysis::clip_genre(id)) -
                          genres.begin()));
    io::OutputFile out = run.open();
    io::write_clips(out.file(), clips.ids, genre, genres);
    std::string names;
    for (std::size_t i = 0; i < o.spaces.size(); ++i) {
      io::write_clip_embeddings(out.file(), o.spaces[i].name, imported[i]);
      names += (i ? " " : "") + o.spaces[i].name + "[" + std::to_string(imported[i].windows) + "x" +
               std::to_string(imported[i].dim) + "]";
    }
    const nlohmann::json row = {{"spaces", names}, {"clips", clips.ids.size()}};
    run.commit(out, row);
    return row;
  });
}

}  // namespace

int features_command(const cli::Arguments& args, const mpi::Comm& world) {
  return cli::run_verb<FeaturesOptions>(args, world, parse, run_features);
}

void features_check(const cli::Arguments& args) {
  static_cast<void>(parse(args));
}

}  // namespace b2m::jobs
