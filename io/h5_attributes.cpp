// H5File's attributes (h5_file.hpp): written by every rank with the same
// values, read by every rank; each call agrees on its outcome.
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "io/h5_error.hpp"
#include "io/h5_file.hpp"
#include "io/h5_types.hpp"

namespace b2m::io {

bool H5File::attribute_exists(const std::string& object, const std::string& name) const {
  if (!link_exists(object)) return false;
  return h5_check(H5Aexists_by_name(file_.id(), object.c_str(), name.c_str(), H5P_DEFAULT),
                  "H5Aexists_by_name", path_, object + "@" + name) > 0;
}

bool H5File::has_attribute(const std::string& object, const std::string& name) const {
  return agreed([&] { return attribute_exists(object, name); });
}

H5Handle H5File::open_attribute(const std::string& object, const std::string& name) const {
  if (!attribute_exists(object, name))
    throw H5Error(path_ + ":" + object + ": attribute " + name + " is missing");
  return H5Handle(
      h5_check(H5Aopen_by_name(file_.id(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
               "H5Aopen_by_name", path_, object + "@" + name),
      H5Kind::attribute);
}

// Replaces attribute `name` of `object`: the old one is deleted, the new
// one created and written, in one agreed step.
void H5File::write_attribute_data(const std::string& object, const std::string& name, hid_t type,
                                  const H5Handle& space, const void* data) {
  agreed([&] {
    const std::string where = object + "@" + name;
    if (attribute_exists(object, name))
      h5_check(H5Adelete_by_name(file_.id(), object.c_str(), name.c_str(), H5P_DEFAULT),
               "H5Adelete_by_name", path_, where);
    const H5Handle attr(
        h5_check(H5Acreate_by_name(file_.id(), object.c_str(), name.c_str(), type, space.id(),
                                   H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 "H5Acreate_by_name", path_, where),
        H5Kind::attribute);
    h5_check(H5Awrite(attr.id(), type, data), "H5Awrite", path_, where);
  });
}

void H5File::write_attribute(const std::string& object, const std::string& name,
                             const std::string& value) {
  write_attribute(object, name, std::vector<std::string>{value});
}

void H5File::write_attribute(const std::string& object, const std::string& name,
                             const std::vector<std::string>& values) {
  // Fixed-length strings: parallel HDF5 writes them safely from every rank.
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size() + 1);
  std::vector<char> packed(width * values.size(), '\0');
  for (std::size_t i = 0; i < values.size(); ++i)
    std::copy(values[i].begin(), values[i].end(), packed.begin() + static_cast<long>(i * width));
  const std::string where = object + "@" + name;
  const auto [type, space] = agreed([&] {
    std::pair<H5Handle, H5Handle> made;
    made.first = string_type(false, width, path_);
    h5_check(H5Tset_strpad(made.first.id(), H5T_STR_NULLTERM), "H5Tset_strpad", path_, where);
    const hsize_t n = values.size();
    made.second = H5Handle(
        h5_check(values.size() == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr),
                 "H5Screate", path_, where),
        H5Kind::dataspace);
    return made;
  });
  write_attribute_data(object, name, type.id(), space, packed.data());
}

void H5File::write_attribute(const std::string& object, const std::string& name,
                             const std::vector<double>& values) {
  const hsize_t n = values.size();
  const H5Handle space = agreed([&] {
    return H5Handle(
        h5_check(H5Screate_simple(1, &n, nullptr), "H5Screate_simple", path_, object + "@" + name),
        H5Kind::dataspace);
  });
  write_attribute_data(object, name, H5T_NATIVE_DOUBLE, space, values.data());
}

std::vector<std::string> read_attribute_strings(const H5Handle& attr, const std::string& file,
                                                const std::string& where) {
  const H5Handle file_type(h5_check(H5Aget_type(attr.id()), "H5Aget_type", file, where),
                           H5Kind::datatype);
  if (H5Tget_class(file_type.id()) != H5T_STRING)
    throw H5Error(file + ":" + where + ": attribute is not a string");
  const H5Handle space(h5_check(H5Aget_space(attr.id()), "H5Aget_space", file, where),
                       H5Kind::dataspace);
  const auto n = static_cast<std::size_t>(h5_check(H5Sget_simple_extent_npoints(space.id()),
                                                   "H5Sget_simple_extent_npoints", file, where));
  std::vector<std::string> out;
  if (H5Tis_variable_str(file_type.id()) > 0) {
    const H5Handle type = string_type(true, 0, file);
    h5_check(H5Tset_cset(type.id(), H5Tget_cset(file_type.id())), "H5Tset_cset", file, where);
    std::vector<char*> raw(n, nullptr);
    h5_check(H5Aread(attr.id(), type.id(), raw.data()), "H5Aread", file, where);
    for (char* s : raw) out.emplace_back(s ? s : "");
    H5Dvlen_reclaim(type.id(), space.id(), H5P_DEFAULT, raw.data());
  } else {
    // Read with the file's own type: h5py writes numpy 'S' arrays as
    // ASCII, null-padded, and HDF5 does not convert between character sets.
    const std::size_t width = H5Tget_size(file_type.id());
    std::vector<char> raw(width * n, '\0');
    h5_check(H5Aread(attr.id(), file_type.id(), raw.data()), "H5Aread", file, where);
    for (std::size_t i = 0; i < n; ++i) {
      const char* s = raw.data() + i * width;
      out.emplace_back(s, strnlen(s, width));
    }
  }
  return out;
}

std::vector<std::string> H5File::read_strings_attribute(const std::string& object,
                                                        const std::string& name) const {
  return agreed([&] {
    const H5Handle attr = open_attribute(object, name);
    return read_attribute_strings(attr, path_, object + "@" + name);
  });
}

std::string H5File::read_string_attribute(const std::string& object,
                                          const std::string& name) const {
  const auto values = read_strings_attribute(object, name);
  return agreed([&] {
    if (values.size() != 1)
      throw H5Error(path_ + ":" + object + "@" + name + ": expected one string");
    return values.front();
  });
}

std::vector<double> H5File::read_double_attribute(const std::string& object,
                                                  const std::string& name) const {
  return agreed([&] {
    const std::string where = object + "@" + name;
    const H5Handle attr = open_attribute(object, name);
    const H5Handle space(h5_check(H5Aget_space(attr.id()), "H5Aget_space", path_, where),
                         H5Kind::dataspace);
    const auto n = static_cast<std::size_t>(h5_check(H5Sget_simple_extent_npoints(space.id()),
                                                     "H5Sget_simple_extent_npoints", path_, where));
    std::vector<double> out(n);
    h5_check(H5Aread(attr.id(), H5T_NATIVE_DOUBLE, out.data()), "H5Aread", path_, where);
    return out;
  });
}

std::optional<std::size_t> read_count_attribute(const H5File& f, const std::string& object,
                                                const std::string& name) {
  if (!f.has_attribute(object, name)) return std::nullopt;
  const std::vector<double> v = f.read_double_attribute(object, name);
  if (v.size() != 1 || !(v[0] >= 0) || v[0] != std::floor(v[0]))
    throw InputError(f.path() + ": " + object + " attribute " + name +
                     " must be one whole number >= 0");
  return std::size_t(v[0]);
}

}  // namespace b2m::io
