#include "io/bids_events.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "core/error.hpp"

namespace b2m::io {
namespace {

std::string trim(std::string s) {
  const auto junk = [](char c) { return c == ' ' || c == '\r' || c == '\n' || c == '\t'; };
  while (!s.empty() && junk(s.back())) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && junk(s[i])) ++i;
  return s.substr(i);
}

std::string unquote(std::string s) {
  s = trim(s);
  s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '\'' || c == '"'; }),
          s.end());
  return s;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, '\t')) out.push_back(trim(field));
  return out;
}

double to_number(const std::string& text, const std::string& where) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(v)) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    throw InputError(where + ": '" + text + "' is not a finite number");
  }
}

}  // namespace

std::string Event::clip_id() const {
  char text[64];
  std::snprintf(text, sizeof text, "%s.%05d", genre.c_str(), track);
  return text;
}

RunEvents read_events_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot read events file " + path);
  RunEvents run;
  run.file = path;
  std::string line;
  if (!std::getline(in, line)) throw InputError(path + ": empty events file (no header)");
  // Column names in any case, quoted or not, after a UTF-8 byte order mark
  // that spreadsheet programs write.
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
  std::map<std::string, std::size_t> column;
  const auto header = split_tabs(line);
  for (std::size_t i = 0; i < header.size(); ++i) {
    std::string name = unquote(header[i]);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (!column.emplace(name, i).second)
      throw InputError(path + ":1: column '" + name + "' appears twice");
  }
  for (const char* name : {"onset", "duration", "genre", "track"})
    if (!column.count(name)) throw InputError(path + ": missing column '" + name + "'");
  int line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (trim(line).empty()) continue;
    const auto fields = split_tabs(line);
    const std::string where = path + ":" + std::to_string(line_number);
    if (fields.size() < header.size())
      throw InputError(where + ": " + std::to_string(fields.size()) + " fields, expected " +
                       std::to_string(header.size()));
    Event e;
    e.onset = to_number(unquote(fields[column["onset"]]), where + " onset");
    e.duration = to_number(unquote(fields[column["duration"]]), where + " duration");
    e.genre = unquote(fields[column["genre"]]);
    const double track = to_number(unquote(fields[column["track"]]), where + " track");
    if (e.genre.empty()) throw InputError(where + ": empty genre");
    if (e.duration <= 0) throw InputError(where + ": duration must be positive");
    if (track < 0 || track != std::floor(track)) throw InputError(where + ": bad track number");
    e.track = static_cast<int>(track);
    run.events.push_back(e);
  }
  if (run.events.empty()) throw InputError(path + ": empty run (no events)");
  std::stable_sort(run.events.begin(), run.events.end(),
                   [](const Event& a, const Event& b) { return a.onset < b.onset; });
  // Two clips playing at once would put two stimuli on one TR.
  for (std::size_t i = 1; i < run.events.size(); ++i) {
    const Event& a = run.events[i - 1];
    const Event& b = run.events[i];
    if (b.onset < a.onset + a.duration - 1e-6)
      throw InputError(path + ": events overlap: " + a.clip_id() + " (onset " +
                       std::to_string(a.onset) + " s, " + std::to_string(a.duration) + " s) and " +
                       b.clip_id() + " (onset " + std::to_string(b.onset) + " s)");
  }
  return run;
}

std::vector<RunEvents> read_task_events(const std::string& dir, const std::string& task) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir)) throw InputError("events directory " + dir + " does not exist");
  const std::regex pattern("(sub-[^_]+_)?task-" + task + "_run-([0-9]+)_events\\.tsv");
  std::vector<RunEvents> runs;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (!std::regex_match(name, m, pattern)) continue;
    RunEvents run = read_events_file(entry.path().string());
    run.run = std::stoi(m[2].str());
    runs.push_back(std::move(run));
  }
  if (runs.empty()) throw InputError(dir + ": no task-" + task + " events files");
  std::sort(runs.begin(), runs.end(),
            [](const RunEvents& a, const RunEvents& b) { return a.run < b.run; });
  for (std::size_t i = 1; i < runs.size(); ++i)
    if (runs[i].run == runs[i - 1].run)
      throw InputError(dir + ": two events files for task-" + task + " run " +
                       std::to_string(runs[i].run));
  // Runs are numbered 1..N; a gap is a lost file, and the runs after it
  // would be misaligned with the bold runs of the same numbers.
  for (std::size_t i = 0; i < runs.size(); ++i)
    if (runs[i].run != int(i) + 1)
      throw InputError(dir + ": task-" + task + " has runs " + std::to_string(runs.front().run) +
                       ".." + std::to_string(runs.back().run) + " but no events file for run " +
                       std::to_string(i + 1));
  return runs;
}

std::vector<std::string> task_event_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const char* task : {"Training", "Test"})
    for (const auto& run : read_task_events(dir, task)) out.push_back(run.file);
  return out;
}

std::optional<double> sidecar_repetition_time(const std::string& dir) {
  namespace fs = std::filesystem;
  std::optional<double> tr;
  std::string first;
  std::vector<fs::path> sidecars;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 10 && name.compare(name.size() - 10, 10, "_bold.json") == 0)
      sidecars.push_back(entry.path());
  }
  std::sort(sidecars.begin(), sidecars.end());
  for (const fs::path& path : sidecars) {
    std::ifstream in(path);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(path.string() + ": not a JSON sidecar: " + e.what());
    }
    if (!j.contains("RepetitionTime") || !j["RepetitionTime"].is_number())
      throw InputError(path.string() + ": no numeric RepetitionTime");
    const double value = j["RepetitionTime"].get<double>();
    if (tr && std::abs(*tr - value) > 1e-9)
      throw InputError(path.string() + ": RepetitionTime " + std::to_string(value) + " s, but " +
                       first + " says " + std::to_string(*tr) + " s");
    if (!tr) first = path.string();
    tr = value;
  }
  return tr;
}

}  // namespace b2m::io
