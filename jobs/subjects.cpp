#include "jobs/subjects.hpp"

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "io/h5_file.hpp"
#include "io/output_file.hpp"

namespace b2m::jobs {
namespace {

std::string subject_name(const std::string& responses) {
  std::string name = std::filesystem::path(responses).filename().string();
  for (const std::string suffix : {"_responses.h5", ".h5"}) {
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      name.resize(name.size() - suffix.size());
      break;
    }
  }
  return name;
}

}  // namespace

std::string fill(std::string text, const std::string& key, const std::string& value) {
  const std::string token = "{" + key + "}";
  for (std::size_t at = text.find(token); at != std::string::npos;
       at = text.find(token, at + value.size()))
    text.replace(at, token.size(), value);
  return text;
}

std::vector<Subject> subjects_of(const std::vector<std::string>& responses, const std::string& out,
                                 const std::string& verb) {
  if (responses.empty()) throw ConfigError(verb + ": give at least one --responses file");
  if (out.empty()) throw ConfigError(verb + ": --out is required");
  if (responses.size() > 1 && out.find("{subject}") == std::string::npos)
    throw ConfigError(verb + ": with several --responses files, --out must contain {subject}");
  std::vector<Subject> subjects;
  for (const auto& r : responses) {
    const std::string name = subject_name(r);
    subjects.push_back({name, r, fill(out, "subject", name)});
  }
  return subjects;
}

std::string file_stem(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  if (name.size() > 3 && name.compare(name.size() - 3, 3, ".h5") == 0) name.resize(name.size() - 3);
  return name;
}

std::string ResultRecord::text(const std::string& key) const {
  return row.is_object() && row.contains(key) && row[key].is_string() ? row[key].get<std::string>()
                                                                      : std::string();
}

ResultRecord read_result_record(const std::string& path, const mpi::Comm& comm) {
  ResultRecord out;
  {
    const io::H5File f(path, io::Access::read, comm);
    if (f.has_attribute("/", "parameters")) {
      const nlohmann::json p =
          nlohmann::json::parse(f.read_string_attribute("/", "parameters"), nullptr, false);
      if (p.is_object() && p.contains("stage") && p["stage"].is_string())
        out.stage = p["stage"].get<std::string>();
    }
  }
  const std::optional<std::string> row = io::read_output_summary(path, comm);
  if (row) {
    out.row = nlohmann::json::parse(*row, nullptr, false);
    if (out.row.is_discarded()) out.row = nlohmann::json::object();
  }
  return out;
}

}  // namespace b2m::jobs
