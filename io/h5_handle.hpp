// One owning type for every kind of HDF5 identifier. The close function is
// chosen by the kind; a move leaves the source empty; a failure to close in
// the destructor is logged, never thrown (close_checked reports it).
#pragma once

#include <hdf5.h>

namespace b2m::io {

enum class H5Kind { file, group, dataset, dataspace, datatype, attribute, plist };

class H5Handle {
 public:
  H5Handle() = default;
  H5Handle(hid_t id, H5Kind kind) : id_(id), kind_(kind) {}
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  H5Handle(H5Handle&& other) noexcept : id_(other.id_), kind_(other.kind_) { other.id_ = -1; }
  H5Handle& operator=(H5Handle&& other) noexcept;
  ~H5Handle() noexcept { close(); }

  [[nodiscard]] hid_t id() const { return id_; }
  [[nodiscard]] bool valid() const { return id_ >= 0; }
  // Gives up the identifier without closing it (a collective close that the
  // other ranks would never join is worse than a leak before an abort).
  void release() noexcept { id_ = -1; }
  // Closes now; false (and the HDF5 error stack left) if HDF5 failed.
  [[nodiscard]] bool close_checked() noexcept;

 private:
  void close() noexcept;
  hid_t id_ = -1;
  H5Kind kind_ = H5Kind::plist;
};

}  // namespace b2m::io
