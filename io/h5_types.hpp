// HDF5 types shared by H5File's translation units (h5_file.cpp,
// h5_attributes.cpp): the memory type of each element type b2m stores, and
// UTF-8 string types.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "io/h5_handle.hpp"

namespace b2m::io {

template <class T>
hid_t mem_type() {
  if constexpr (std::is_same_v<T, double>)
    return H5T_NATIVE_DOUBLE;
  else if constexpr (std::is_same_v<T, float>)
    return H5T_NATIVE_FLOAT;
  else if constexpr (std::is_same_v<T, std::int32_t>)
    return H5T_NATIVE_INT32;
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return H5T_NATIVE_INT64;
  else if constexpr (std::is_same_v<T, std::uint8_t>)
    return H5T_NATIVE_UINT8;
  else
    static_assert(sizeof(T) == 0, "unsupported HDF5 element type");
}

// A UTF-8 string type: variable-length, or fixed at `length` bytes (at least 1).
[[nodiscard]] H5Handle string_type(bool variable, std::size_t length, const std::string& file);

// The extent of dataset `set` (`file` and `dataset` name it in errors).
[[nodiscard]] std::vector<std::size_t> dataset_extent(const H5Handle& set, const std::string& file,
                                                      const std::string& dataset);

// The strings of the string attribute `attr` (variable-length or fixed;
// `file` and `where` name it in errors).
[[nodiscard]] std::vector<std::string> read_attribute_strings(const H5Handle& attr,
                                                              const std::string& file,
                                                              const std::string& where);

}  // namespace b2m::io
