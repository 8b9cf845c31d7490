#include "io/serial_h5.hpp"

#include <hdf5.h>

#include "io/h5_error.hpp"
#include "io/h5_types.hpp"

namespace b2m::io {

SerialH5::SerialH5(const std::string& path) : path_(path) {
  silence_hdf5_errors();
  const H5Handle fapl(h5_check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate", path, ""), H5Kind::plist);
  h5_check(H5Pset_file_locking(fapl.id(), false, true), "H5Pset_file_locking", path, "");
  file_ = H5Handle(h5_check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.id()), "H5Fopen", path, ""),
                   H5Kind::file);
}

std::optional<std::string> SerialH5::root_attribute(const std::string& name) const {
  const std::string where = "/@" + name;
  if (h5_check(H5Aexists(file_.id(), name.c_str()), "H5Aexists", path_, where) <= 0)
    return std::nullopt;
  const H5Handle attr(
      h5_check(H5Aopen(file_.id(), name.c_str(), H5P_DEFAULT), "H5Aopen", path_, where),
      H5Kind::attribute);
  const std::vector<std::string> values = read_attribute_strings(attr, path_, where);
  if (values.size() != 1) throw H5Error(path_ + ":" + where + ": expected one string");
  return values.front();
}

std::optional<std::vector<std::size_t>> SerialH5::shape(const std::string& dataset) const {
  // Each link on the way must exist before the next is asked about.
  for (std::size_t slash = dataset.find('/', 1);; slash = dataset.find('/', slash + 1)) {
    const std::string link = dataset.substr(0, slash);
    if (h5_check(H5Lexists(file_.id(), link.c_str(), H5P_DEFAULT), "H5Lexists", path_, link) <= 0)
      return std::nullopt;
    if (slash == std::string::npos) break;
  }
  const H5Handle set(
      h5_check(H5Dopen2(file_.id(), dataset.c_str(), H5P_DEFAULT), "H5Dopen", path_, dataset),
      H5Kind::dataset);
  return dataset_extent(set, path_, dataset);
}

}  // namespace b2m::io
