// Checked MPI calls: every MPI call in b2m goes through B2M_MPI_CALL, which
// turns a non-success return code into an MpiError carrying the call text,
// MPI's own error string, and the source location. b2m's communicators use
// MPI_ERRORS_RETURN so that these codes are actually returned.
#pragma once

#include <mpi.h>

#include <string>

#include "core/error.hpp"

namespace b2m::mpi {

class MpiError : public Error {
 public:
  MpiError(const std::string& call, int code, const char* file, int line);
  [[nodiscard]] int code() const { return code_; }

 private:
  int code_;
};

// Throws MpiError if `code` is not MPI_SUCCESS.
void check_call(int code, const char* call, const char* file, int line);

}  // namespace b2m::mpi

#define B2M_MPI_CALL(call) ::b2m::mpi::check_call((call), #call, __FILE__, __LINE__)
