// The subjects of a multi-subject job: names and output paths from a
// "{subject}" template.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mpi/comm.hpp"

namespace b2m::jobs {

struct Subject {
  std::string name;       // responses file name without "_responses.h5" / ".h5"
  std::string responses;  // its responses file
  std::string out;        // the output template with {subject} filled in
};

// One Subject per responses file. With several files `out` must contain
// "{subject}" (the stage refuses two units writing one path). `verb` names
// the command in errors.
[[nodiscard]] std::vector<Subject> subjects_of(const std::vector<std::string>& responses,
                                               const std::string& out, const std::string& verb);

// A file's name without its directory and a ".h5" extension: the {name}
// of the outputs of verbs that take result files (retrieve, stats).
[[nodiscard]] std::string file_stem(const std::string& path);

// What a b2m result says it is: the stage that made it and the summary row
// the stage recorded in it (empty where the file has none). Collective.
struct ResultRecord {
  std::string stage;
  nlohmann::json row = nlohmann::json::object();
  // A string field of the row, or "".
  [[nodiscard]] std::string text(const std::string& key) const;
};
[[nodiscard]] ResultRecord read_result_record(const std::string& path, const mpi::Comm& comm);

// `text` with every "{key}" replaced by `value`.
[[nodiscard]] std::string fill(std::string text, const std::string& key, const std::string& value);

}  // namespace b2m::jobs
