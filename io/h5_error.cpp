#include "io/h5_error.hpp"

#include <cerrno>
#include <cstring>

#include "mpi/io_guard.hpp"

namespace b2m::io {
namespace {

herr_t collect(unsigned depth, const H5E_error2_t* entry, void* out) {
  auto* text = static_cast<std::string*>(out);
  *text += "  #" + std::to_string(depth) + " " + (entry->func_name ? entry->func_name : "?") +
           ": " + (entry->desc ? entry->desc : "") + "\n";
  return 0;
}

}  // namespace

void silence_hdf5_errors() noexcept {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

void clear_hdf5_errors() noexcept {
  H5Eclear2(H5E_DEFAULT);
}

std::string hdf5_error_stack() {
  std::string text;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect, &text);
  H5Eclear2(H5E_DEFAULT);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string h5_failure(const char* call, const std::string& file, const std::string& object) {
  const int error = errno;
  std::string text = "HDF5 " + std::string(call) + " failed on " + file;
  if (!object.empty()) text += ":" + object;
  const std::string io_failure = mpi::take_io_failure();
  if (!io_failure.empty()) return text + ": " + io_failure + "\n" + hdf5_error_stack();
  switch (error) {
    case ENOSPC:
    case EDQUOT:
    case EROFS:
    case EIO:
    case EFBIG:
    case EACCES:
    case EPERM:
      text += ": " + std::string(std::strerror(error));
      break;
    default:
      break;
  }
  return text + "\n" + hdf5_error_stack();
}

}  // namespace b2m::io
