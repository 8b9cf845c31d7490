// Checked HDF5 calls. Every HDF5 call goes through h5_check, which copies
// HDF5's error stack into an H5Error naming the file and object path.
#pragma once

#include <hdf5.h>

#include <string>

#include "core/error.hpp"

namespace b2m::io {

class H5Error : public Error {
 public:
  explicit H5Error(const std::string& what) : Error(what) {}
};

// Silences HDF5's automatic stack printing; b2m reports through exceptions.
void silence_hdf5_errors() noexcept;

// Drops the current HDF5 error stack (after an expected failure).
void clear_hdf5_errors() noexcept;

// The current HDF5 error stack as one line per entry.
[[nodiscard]] std::string hdf5_error_stack();

// The message of a failed HDF5 call: what was being done, the file and the
// object, the system's reason where the file system gave one (HDF5's own
// stack does not carry it: "No space left on device", "Read-only file
// system", ...), then the stack.
[[nodiscard]] std::string h5_failure(const char* call, const std::string& file,
                                     const std::string& object);

// Throws H5Error if `status` is negative (HDF5's failure convention for both
// herr_t and hid_t). Calls that touch the disk clear errno first, so that a
// reason found there belongs to them.
template <class Status>
Status h5_check(Status status, const char* call, const std::string& file,
                const std::string& object) {
  if (status < 0) throw H5Error(h5_failure(call, file, object));
  return status;
}

}  // namespace b2m::io
