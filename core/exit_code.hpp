// The exit status of `b2m`, one per kind of failure, so that a scheduler
// (b2m sweep, a user's script) can tell a fault worth retrying from input
// that will fail alike every time. docs/sweep.md lists them for users.
#pragma once

#include <exception>

#include "core/error.hpp"

namespace b2m {

enum ExitCode : int {
  kExitOk = 0,
  // A fault of the machine or of b2m: I/O failure, a lost peer, a numerical
  // breakdown. A rerun may get past it (the partial output is kept).
  kExitFailure = 1,
  // Bad command line or configuration (ConfigError): a rerun fails alike.
  kExitUsage = 2,
  // Bad input data (InputError): a rerun fails alike until the input changes.
  kExitBadInput = 3,
  // An output is being written by another run (its run lock is held).
  kExitLocked = 4,
};

// The exit status for a failure raised as `failure`.
[[nodiscard]] inline ExitCode exit_code_of(const std::exception_ptr& failure) noexcept {
  try {
    std::rethrow_exception(failure);
  } catch (const LockedError&) {
    return kExitLocked;
  } catch (const InputError&) {
    return kExitBadInput;
  } catch (const ConfigError&) {
    return kExitUsage;
  } catch (...) {
    return kExitFailure;
  }
}

}  // namespace b2m
