// Output and input paths written as templates ("enc/{subject}_{space}.h5"):
// which values of a placeholder name existing files.
#pragma once

#include <string>
#include <vector>

namespace b2m::io {

// The values v, sorted, for which `path_template` with "{key}" replaced by
// v names an existing file, among those the shell pattern `pattern` (e.g.
// "*", "sub-*") matches there. ConfigError unless the template holds
// "{key}" exactly once.
[[nodiscard]] std::vector<std::string> placeholder_values(const std::string& path_template,
                                                          const std::string& key,
                                                          const std::string& pattern);

}  // namespace b2m::io
