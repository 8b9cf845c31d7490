// The one exception hierarchy of b2m. Every error names what failed (file,
// dataset, routine, shape) so a user can act on it without reading code.
#pragma once

#include <stdexcept>
#include <string>

namespace b2m {

// Base of every exception b2m throws on purpose.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Bad user input: wrong shapes, NaN, missing or truncated files, bad options.
class InputError : public Error {
 public:
  explicit InputError(const std::string& what) : Error(what) {}
};

// Inconsistent configuration or option combination.
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& what) : Error(what) {}
};

// A failure reported by a numerical routine (LAPACK/ScaLAPACK info != 0).
class NumericError : public Error {
 public:
  NumericError(const std::string& routine, long info)
      : Error(routine + " failed with info = " + std::to_string(info)),
        routine_(routine),
        info_(info) {}
  [[nodiscard]] const std::string& routine() const { return routine_; }
  [[nodiscard]] long info() const { return info_; }

 private:
  std::string routine_;
  long info_;
};

}  // namespace b2m
