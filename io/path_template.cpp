#include "io/path_template.hpp"

#include <glob.h>

#include <algorithm>
#include <memory>

#include "core/error.hpp"

namespace b2m::io {

std::vector<std::string> placeholder_values(const std::string& path_template,
                                            const std::string& key, const std::string& pattern) {
  const std::string placeholder = "{" + key + "}";
  const std::size_t at = path_template.find(placeholder);
  if (at == std::string::npos || path_template.find(placeholder, at + 1) != std::string::npos)
    throw ConfigError(path_template + ": needs " + placeholder + " once");
  const std::string before = path_template.substr(0, at),
                    after = path_template.substr(at + placeholder.size());
  glob_t found{};
  const std::unique_ptr<glob_t, decltype(&globfree)> owned(&found, &globfree);
  std::vector<std::string> values;
  if (glob((before + pattern + after).c_str(), 0, nullptr, &found) == 0)
    for (std::size_t i = 0; i < found.gl_pathc; ++i) {
      const std::string path = found.gl_pathv[i];
      values.push_back(path.substr(before.size(), path.size() - before.size() - after.size()));
    }
  std::sort(values.begin(), values.end());
  return values;
}

}  // namespace b2m::io
