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

// An output that another run is writing (its run lock is held): neither
// bad input nor a fault, and the other run's work must not be disturbed.
class LockedError : public ConfigError {
 public:
  explicit LockedError(const std::string& what) : ConfigError(what) {}
};

// A numerical failure: a decomposition that does not hold its invariants,
// non-finite values where a solver needs finite ones.
class NumericError : public Error {
 public:
  explicit NumericError(const std::string& what) : Error(what) {}
};

// A LAPACK routine that returned info != 0: the routine (with what it was
// given, where that helps) and the info code, whose meaning its manual page
// gives.
class LapackError : public NumericError {
 public:
  LapackError(const std::string& routine, long info)
      : NumericError(routine + " failed with info = " + std::to_string(info)),
        routine_(routine),
        info_(info) {}
  [[nodiscard]] const std::string& routine() const { return routine_; }
  [[nodiscard]] long info() const { return info_; }

 private:
  std::string routine_;
  long info_;
};

// The same for a ScaLAPACK or BLACS routine (the distributed solvers).
class ScalapackError : public LapackError {
 public:
  using LapackError::LapackError;
};

}  // namespace b2m
