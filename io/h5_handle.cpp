#include "io/h5_handle.hpp"

#include <cstdio>

namespace b2m::io {

H5Handle& H5Handle::operator=(H5Handle&& other) noexcept {
  if (this != &other) {
    close();
    id_ = other.id_;
    kind_ = other.kind_;
    other.id_ = -1;
  }
  return *this;
}

void H5Handle::close() noexcept {
  if (!close_checked()) std::fprintf(stderr, "b2m: warning: closing an HDF5 handle failed\n");
}

bool H5Handle::close_checked() noexcept {
  if (id_ < 0) return true;
  herr_t status = 0;
  switch (kind_) {
    case H5Kind::file:
      status = H5Fclose(id_);
      break;
    case H5Kind::group:
      status = H5Gclose(id_);
      break;
    case H5Kind::dataset:
      status = H5Dclose(id_);
      break;
    case H5Kind::dataspace:
      status = H5Sclose(id_);
      break;
    case H5Kind::datatype:
      status = H5Tclose(id_);
      break;
    case H5Kind::attribute:
      status = H5Aclose(id_);
      break;
    case H5Kind::plist:
      status = H5Pclose(id_);
      break;
  }
  id_ = -1;
  return status >= 0;
}

}  // namespace b2m::io
