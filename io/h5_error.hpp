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

// Throws H5Error if `status` is negative (HDF5's failure convention for both
// herr_t and hid_t), naming what was being done, the file and the object.
template <class Status>
Status h5_check(Status status, const char* call, const std::string& file,
                const std::string& object) {
  if (status < 0) {
    throw H5Error("HDF5 " + std::string(call) + " failed on " + file +
                  (object.empty() ? std::string() : ":" + object) + "\n" + hdf5_error_stack());
  }
  return status;
}

}  // namespace b2m::io
