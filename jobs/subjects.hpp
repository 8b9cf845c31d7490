// The subjects of a multi-subject job: names, output paths from a
// "{subject}" template, and how the job's ranks are split between them.
#pragma once

#include <string>
#include <vector>

namespace b2m::jobs {

struct Subject {
  std::string name;       // responses file name without "_responses.h5" / ".h5"
  std::string responses;  // its responses file
  std::string out;        // the output template with {subject} filled in
};

// One Subject per responses file. With several files `out` must contain
// "{subject}"; two subjects may not write the same path. `verb` names the
// command in errors.
[[nodiscard]] std::vector<Subject> subjects_of(const std::vector<std::string>& responses,
                                               const std::string& out, const std::string& verb);

// `text` with every "{key}" replaced by `value`.
[[nodiscard]] std::string fill(std::string text, const std::string& key, const std::string& value);

// True if both paths name the same file (existing or not).
[[nodiscard]] bool same_file(const std::string& a, const std::string& b);

// Throws a ConfigError if an output path names one of the inputs.
void refuse_overwriting_inputs(const std::vector<std::string>& outputs,
                               const std::vector<std::string>& inputs, const std::string& verb);

// The number of rank groups for `units` independent pieces of work (subjects,
// or subject x space pairs): a divisor of the rank count that minimises the
// time to finish, ceil(units / groups) rounds at groups / ranks of the job
// each (ties go to more groups, which communicate less). With 5 units on 2
// ranks one group of 2 beats two groups that leave a rank idle.
[[nodiscard]] std::size_t subject_groups(std::size_t units, std::size_t ranks);

}  // namespace b2m::jobs
