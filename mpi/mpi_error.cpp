#include "mpi/mpi_error.hpp"

namespace b2m::mpi {
namespace {

std::string describe(const std::string& call, int code, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
  return "MPI call failed: " + call + ": " + std::string(text, static_cast<size_t>(length)) + " (" +
         file + ":" + std::to_string(line) + ")";
}

}  // namespace

MpiError::MpiError(const std::string& call, int code, const char* file, int line)
    : Error(describe(call, code, file, line)), code_(code) {}

void check_call(int code, const char* call, const char* file, int line) {
  if (code != MPI_SUCCESS) throw MpiError(call, code, file, line);
}

}  // namespace b2m::mpi
