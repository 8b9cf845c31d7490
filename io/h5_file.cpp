#include "io/h5_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <numeric>
#include <tuple>

#include "io/h5_error.hpp"
#include "io/h5_types.hpp"

namespace b2m::io {
namespace {

std::vector<hsize_t> to_hsize(const Shape& s) {
  return std::vector<hsize_t>(s.begin(), s.end());
}

}  // namespace

H5Handle string_type(bool variable, std::size_t length, const std::string& file) {
  H5Handle type(h5_check(H5Tcopy(H5T_C_S1), "H5Tcopy", file, ""), H5Kind::datatype);
  h5_check(H5Tset_size(type.id(), variable ? H5T_VARIABLE : std::max<std::size_t>(length, 1)),
           "H5Tset_size", file, "");
  h5_check(H5Tset_cset(type.id(), H5T_CSET_UTF8), "H5Tset_cset", file, "");
  return type;
}

std::size_t string_width(const std::vector<std::string>& strings) {
  std::size_t width = 1;
  for (const std::string& s : strings) width = std::max(width, s.size());
  return width;
}

H5File::H5File(const std::string& path, Access access, const mpi::Comm& comm)
    : path_(path), comm_(&comm), uncaught_at_start_(std::uncaught_exceptions()) {
  silence_hdf5_errors();
  H5Handle fapl;
  agreed([&] {
    fapl = H5Handle(h5_check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate", path, ""), H5Kind::plist);
    h5_check(H5Pset_fapl_mpio(fapl.id(), comm.raw(), MPI_INFO_NULL), "H5Pset_fapl_mpio", path, "");
    // Metadata reads are collective (one rank reads, the others receive), so
    // no rank can fail one alone. Collective metadata writes are not asked
    // for: with ROMIO (HDF5 1.10) they leave NaN-filled bytes in place of
    // datasets' zero fill; a failed write is caught by mpi/io_guard instead.
    h5_check(H5Pset_all_coll_metadata_ops(fapl.id(), true), "H5Pset_all_coll_metadata_ops", path,
             "");
    transfer_plist_ =
        H5Handle(h5_check(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate", path, ""), H5Kind::plist);
    h5_check(H5Pset_dxpl_mpio(transfer_plist_.id(), H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio", path,
             "");
    if (access != Access::create && !std::ifstream(path).good())
      throw H5Error("cannot open " + path + ": no such readable file");
  });
  try {
    agreed([&] {
      if (access == Access::create) {
        // The root's attributes in dense storage (the 1.8 format on): the
        // provenance lists every input with its checksum, 170 kB for the
        // 2,000 clips b2m embed may read, past the object header's 64 kB.
        const H5Handle fcpl(h5_check(H5Pcreate(H5P_FILE_CREATE), "H5Pcreate", path, ""),
                            H5Kind::plist);
        h5_check(H5Pset_attr_phase_change(fcpl.id(), 0, 0), "H5Pset_attr_phase_change", path, "");
        h5_check(H5Pset_libver_bounds(fapl.id(), H5F_LIBVER_V18, H5F_LIBVER_LATEST),
                 "H5Pset_libver_bounds", path, "");
        file_ = H5Handle(h5_check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.id(), fapl.id()),
                                  "H5Fcreate", path, ""),
                         H5Kind::file);
        return;
      }
      const unsigned flags = access == Access::read ? H5F_ACC_RDONLY : H5F_ACC_RDWR;
      const hid_t id = H5Fopen(path.c_str(), flags, fapl.id());
      if (id < 0)
        throw H5Error("cannot open " + path + ": not an HDF5 file, or truncated or corrupt\n" +
                      hdf5_error_stack());
      file_ = H5Handle(id, H5Kind::file);
    });
  } catch (...) {
    // Opened here but not on a peer: closing would wait for it.
    file_.release();
    throw;
  }
}

void H5File::raise_io_failure() const {
  const std::string failure = mpi::take_io_failure();
  if (!failure.empty()) throw H5Error(failure);
}

H5File::~H5File() noexcept {
  if (file_.valid() && !mpi::collective_close_safe(*comm_, uncaught_at_start_)) file_.release();
}

void H5File::close() {
  agreed([&] {
    if (!file_.close_checked())
      throw H5Error("closing " + path_ + " failed (its last data may not be on disk)\n" +
                    hdf5_error_stack());
  });
}

bool H5File::link_exists(const std::string& object) const {
  // Walk the path so that a missing intermediate group is "absent", not an error.
  std::size_t pos = 0;
  while (true) {
    pos = object.find('/', pos + 1);
    const std::string prefix = object.substr(0, pos);
    if (!prefix.empty() && prefix != "/") {
      const htri_t found = H5Lexists(file_.id(), prefix.c_str(), H5P_DEFAULT);
      if (found <= 0) {
        clear_hdf5_errors();
        return false;
      }
    }
    if (pos == std::string::npos) return true;
  }
}

bool H5File::exists(const std::string& object) const {
  return agreed([&] { return link_exists(object); });
}

std::vector<std::string> H5File::children(const std::string& group) const {
  return agreed([&] {
    std::vector<std::string> names;
    if (!link_exists(group)) return names;
    H5G_info_t info;
    h5_check(H5Gget_info_by_name(file_.id(), group.c_str(), &info, H5P_DEFAULT),
             "H5Gget_info_by_name", path_, group);
    for (hsize_t i = 0; i < info.nlinks; ++i) {
      const ssize_t length = h5_check(H5Lget_name_by_idx(file_.id(), group.c_str(), H5_INDEX_NAME,
                                                         H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT),
                                      "H5Lget_name_by_idx", path_, group);
      std::string name(static_cast<std::size_t>(length) + 1, '\0');
      h5_check(H5Lget_name_by_idx(file_.id(), group.c_str(), H5_INDEX_NAME, H5_ITER_INC, i,
                                  name.data(), name.size(), H5P_DEFAULT),
               "H5Lget_name_by_idx", path_, group);
      name.resize(static_cast<std::size_t>(length));
      names.push_back(name);
    }
    return names;
  });
}

H5Handle H5File::open_dataset(const std::string& dataset) const {
  if (!link_exists(dataset)) throw H5Error(path_ + ": dataset " + dataset + " is missing");
  return H5Handle(
      h5_check(H5Dopen2(file_.id(), dataset.c_str(), H5P_DEFAULT), "H5Dopen2", path_, dataset),
      H5Kind::dataset);
}

Shape H5File::shape(const std::string& dataset) const {
  return agreed([&] { return extent(open_dataset(dataset), dataset); });
}

std::vector<std::size_t> dataset_extent(const H5Handle& set, const std::string& file,
                                        const std::string& dataset) {
  const H5Handle space(h5_check(H5Dget_space(set.id()), "H5Dget_space", file, dataset),
                       H5Kind::dataspace);
  const int rank =
      h5_check(H5Sget_simple_extent_ndims(space.id()), "H5Sget_simple_extent_ndims", file, dataset);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  h5_check(H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr), "H5Sget_simple_extent_dims",
           file, dataset);
  return std::vector<std::size_t>(dims.begin(), dims.end());
}

Shape H5File::extent(const H5Handle& set, const std::string& dataset) const {
  return dataset_extent(set, path_, dataset);
}

H5File::Selection H5File::select(H5Handle set, const std::string& dataset, const Shape& start,
                                 const Shape& count) const {
  const Shape full = extent(set, dataset);
  if (start.size() != full.size() || count.size() != full.size())
    throw H5Error(path_ + ":" + dataset + ": selection rank does not match the dataset rank");
  for (std::size_t i = 0; i < full.size(); ++i)
    if (start[i] + count[i] > full[i] && count[i] > 0)
      throw H5Error(path_ + ":" + dataset + ": selection outside the dataset (dimension " +
                    std::to_string(i) + ": " + std::to_string(start[i] + count[i]) + " > " +
                    std::to_string(full[i]) + ")");
  Selection s;
  s.file_space =
      H5Handle(h5_check(H5Dget_space(set.id()), "H5Dget_space", path_, dataset), H5Kind::dataspace);
  const bool empty = std::any_of(count.begin(), count.end(), [](std::size_t c) { return c == 0; });
  const auto h_start = to_hsize(start);
  auto h_count = to_hsize(count);
  if (empty) {
    h5_check(H5Sselect_none(s.file_space.id()), "H5Sselect_none", path_, dataset);
    std::fill(h_count.begin(), h_count.end(), 1);
  } else {
    h5_check(H5Sselect_hyperslab(s.file_space.id(), H5S_SELECT_SET, h_start.data(), nullptr,
                                 h_count.data(), nullptr),
             "H5Sselect_hyperslab", path_, dataset);
  }
  s.mem_space =
      H5Handle(h5_check(H5Screate_simple(static_cast<int>(h_count.size()), h_count.data(), nullptr),
                        "H5Screate_simple", path_, dataset),
               H5Kind::dataspace);
  if (empty) h5_check(H5Sselect_none(s.mem_space.id()), "H5Sselect_none", path_, dataset);
  s.set = std::move(set);
  return s;
}

void H5File::check_numeric(const H5Handle& set, const std::string& dataset, hid_t type) const {
  const H5T_class_t wanted = H5Tget_class(type);
  if (wanted != H5T_INTEGER && wanted != H5T_FLOAT) return;
  const H5Handle stored(h5_check(H5Dget_type(set.id()), "H5Dget_type", path_, dataset),
                        H5Kind::datatype);
  const H5T_class_t held = H5Tget_class(stored.id());
  if (held == H5T_INTEGER || held == H5T_FLOAT) return;
  const char* what = held == H5T_STRING     ? "strings"
                     : held == H5T_COMPOUND ? "compound values (complex numbers?)"
                                            : "values of a non-numeric type";
  throw InputError(path_ + ":" + dataset + " holds " + what + ", not numbers");
}

void H5File::transfer(const Selection& s, const std::string& dataset, hid_t type, void* buffer,
                      bool writing) const {
  agreed([&] {
    if (!writing) check_numeric(s.set, dataset, type);
    if (writing)
      h5_check(H5Dwrite(s.set.id(), type, s.mem_space.id(), s.file_space.id(), transfer_plist_.id(),
                        buffer),
               "H5Dwrite", path_, dataset);
    else
      h5_check(H5Dread(s.set.id(), type, s.mem_space.id(), s.file_space.id(), transfer_plist_.id(),
                       buffer),
               "H5Dread", path_, dataset);
  });
}

template <class T>
void H5File::read(const std::string& dataset, const Shape& start, const Shape& count,
                  T* out) const {
  const Selection s = agreed([&] { return select(open_dataset(dataset), dataset, start, count); });
  transfer(s, dataset, mem_type<T>(), out, false);
}

void H5File::transfer_rows(const std::string& dataset, const std::vector<std::size_t>& rows,
                           hid_t type, void* buffer) const {
  // Rows are read in sorted order (a hyperslab union is in file order), then
  // put back where the caller asked for them.
  std::vector<std::size_t> unique;
  std::size_t columns = 0;
  const Selection s = agreed([&] {
    Selection out;
    out.set = open_dataset(dataset);
    const Shape full = extent(out.set, dataset);
    if (full.size() != 1 && full.size() != 2)
      throw H5Error(path_ + ":" + dataset + ": row reads need a 1-D or 2-D dataset");
    const int rank = int(full.size());
    columns = rank == 2 ? full[1] : 1;
    unique = rows;
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    out.file_space = H5Handle(h5_check(H5Dget_space(out.set.id()), "H5Dget_space", path_, dataset),
                              H5Kind::dataspace);
    h5_check(H5Sselect_none(out.file_space.id()), "H5Sselect_none", path_, dataset);
    for (std::size_t r : unique) {
      if (r >= full[0])
        throw H5Error(path_ + ":" + dataset + ": row " + std::to_string(r) +
                      " outside the dataset (" + std::to_string(full[0]) + " rows)");
      const hsize_t start[2] = {r, 0}, count[2] = {1, columns};
      h5_check(
          H5Sselect_hyperslab(out.file_space.id(), H5S_SELECT_OR, start, nullptr, count, nullptr),
          "H5Sselect_hyperslab", path_, dataset);
    }
    const hsize_t mem_dims[2] = {std::max<hsize_t>(unique.size(), 1),
                                 std::max<hsize_t>(columns, 1)};
    out.mem_space = H5Handle(
        h5_check(H5Screate_simple(rank, mem_dims, nullptr), "H5Screate_simple", path_, dataset),
        H5Kind::dataspace);
    if (unique.empty())
      h5_check(H5Sselect_none(out.mem_space.id()), "H5Sselect_none", path_, dataset);
    return out;
  });
  const std::size_t width = H5Tget_size(type) * columns;
  std::vector<char> sorted(width * std::max<std::size_t>(unique.size(), 1));
  transfer(s, dataset, type, sorted.data(), false);
  char* out = static_cast<char*>(buffer);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto at = static_cast<std::size_t>(
        std::lower_bound(unique.begin(), unique.end(), rows[i]) - unique.begin());
    std::memcpy(out + i * width, sorted.data() + at * width, width);
  }
}

template <class T>
void H5File::read_rows(const std::string& dataset, const std::vector<std::size_t>& rows,
                       T* out) const {
  transfer_rows(dataset, rows, mem_type<T>(), out);
}

template <class T>
std::vector<T> H5File::read_all(const std::string& dataset) const {
  std::vector<T> out;
  const Selection s = agreed([&] {
    H5Handle set = open_dataset(dataset);
    const Shape full = extent(set, dataset);
    out.resize(std::accumulate(full.begin(), full.end(), std::size_t{1}, std::multiplies<>()));
    return select(std::move(set), dataset, Shape(full.size(), 0), full);
  });
  transfer(s, dataset, mem_type<T>(), out.data(), false);
  return out;
}

void H5File::make_parents(const std::string& object) {
  std::size_t pos = 0;
  while ((pos = object.find('/', pos + 1)) != std::string::npos) {
    const std::string prefix = object.substr(0, pos);
    if (!link_exists(prefix))
      H5Handle(
          h5_check(H5Gcreate2(file_.id(), prefix.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                   "H5Gcreate2", path_, prefix),
          H5Kind::group);
  }
}

void H5File::create_group(const std::string& group) {
  agreed([&] { make_parents(group + "/"); });
}

void H5File::create_typed(const std::string& dataset, const Shape& shape, hid_t type) {
  agreed([&] { make_parents(dataset); });
  agreed([&] {
    const auto dims = to_hsize(shape);
    const H5Handle space(
        h5_check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                 "H5Screate_simple", path_, dataset),
        H5Kind::dataspace);
    // Parallel writes need the space allocated up front; NaN-free zero fill.
    const H5Handle dcpl(h5_check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate", path_, dataset),
                        H5Kind::plist);
    h5_check(H5Pset_alloc_time(dcpl.id(), H5D_ALLOC_TIME_EARLY), "H5Pset_alloc_time", path_,
             dataset);
    const H5Handle set(h5_check(H5Dcreate2(file_.id(), dataset.c_str(), type, space.id(),
                                           H5P_DEFAULT, dcpl.id(), H5P_DEFAULT),
                                "H5Dcreate2", path_, dataset),
                       H5Kind::dataset);
  });
}

template <class T>
void H5File::create(const std::string& dataset, const Shape& shape) {
  create_typed(dataset, shape, mem_type<T>());
}

void H5File::create_strings(const std::string& dataset, const Shape& shape, std::size_t width) {
  const H5Handle type = string_type(false, width, path_);
  create_typed(dataset, shape, type.id());
}

std::pair<H5Handle, std::size_t> H5File::string_type_of(const H5Handle& set,
                                                        const std::string& dataset) const {
  H5Handle type(h5_check(H5Dget_type(set.id()), "H5Dget_type", path_, dataset), H5Kind::datatype);
  if (H5Tget_class(type.id()) != H5T_STRING)
    throw H5Error(path_ + ":" + dataset + ": not a string dataset");
  if (H5Tis_variable_str(type.id()) > 0)
    throw H5Error(path_ + ":" + dataset +
                  ": variable-length strings are not supported; store fixed-length strings "
                  "(numpy dtype 'S<n>', e.g. np.array(ids, dtype='S32'))");
  const std::size_t width = H5Tget_size(type.id());
  return {std::move(type), width};
}

std::vector<std::string> H5File::read_strings(const std::string& dataset, const Shape& start,
                                              const Shape& count) const {
  const std::size_t n =
      std::accumulate(count.begin(), count.end(), std::size_t{1}, std::multiplies<>());
  H5Handle type;
  std::size_t width = 0;
  const Selection s = agreed([&] {
    H5Handle set = open_dataset(dataset);
    std::tie(type, width) = string_type_of(set, dataset);
    return select(std::move(set), dataset, start, count);
  });
  std::vector<char> raw(width * std::max<std::size_t>(n, 1), '\0');
  transfer(s, dataset, type.id(), raw.data(), false);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i)
    out.emplace_back(raw.data() + i * width, strnlen(raw.data() + i * width, width));
  return out;
}

void H5File::write_strings(const std::string& dataset, const Shape& start, const Shape& count,
                           const std::vector<std::string>& values) {
  std::vector<char> raw;
  H5Handle type;
  const Selection s = agreed([&] {
    H5Handle set = open_dataset(dataset);
    const std::size_t width = string_type_of(set, dataset).second;
    const std::size_t n =
        std::accumulate(count.begin(), count.end(), std::size_t{1}, std::multiplies<>());
    if (values.size() != n)
      throw H5Error(path_ + ":" + dataset + ": " + std::to_string(values.size()) + " strings for " +
                    std::to_string(n) + " places");
    raw.assign(width * std::max<std::size_t>(n, 1), '\0');
    for (std::size_t i = 0; i < n; ++i) {
      if (values[i].size() > width)
        throw H5Error(path_ + ":" + dataset + ": '" + values[i] + "' is longer than the " +
                      std::to_string(width) + " characters of the dataset");
      std::memcpy(raw.data() + i * width, values[i].data(), values[i].size());
    }
    type = string_type(false, width, path_);
    return select(std::move(set), dataset, start, count);
  });
  transfer(s, dataset, type.id(), raw.data(), true);
}

template <class T>
void H5File::write(const std::string& dataset, const Shape& start, const Shape& count,
                   const T* data) {
  const Selection s = agreed([&] { return select(open_dataset(dataset), dataset, start, count); });
  transfer(s, dataset, mem_type<T>(), const_cast<T*>(data), true);
}

template <class T>
void H5File::write_all(const std::string& dataset, const Shape& shape, const std::vector<T>& data) {
  agreed([&] {
    const std::size_t n =
        std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
    if (data.size() != n)
      throw H5Error(path_ + ":" + dataset + ": data size does not match the dataset shape");
  });
  create<T>(dataset, shape);
  const bool root = comm_->is_root();
  write<T>(dataset, Shape(shape.size(), 0), root ? shape : Shape(shape.size(), 0), data.data());
}

void H5File::write_all_strings(const std::string& dataset, const std::vector<std::string>& values) {
  const Shape n{values.size()};
  const bool root = comm_->is_root();
  create_strings(dataset, n, string_width(values));
  write_strings(dataset, {0}, root ? n : Shape{0}, root ? values : std::vector<std::string>{});
}

void H5File::flush() {
  agreed([&] { h5_check(H5Fflush(file_.id(), H5F_SCOPE_GLOBAL), "H5Fflush", path_, ""); });
}

#define B2M_H5_INSTANTIATE(T)                                                                 \
  template void H5File::read<T>(const std::string&, const Shape&, const Shape&, T*) const;    \
  template std::vector<T> H5File::read_all<T>(const std::string&) const;                      \
  template void H5File::read_rows<T>(const std::string&, const std::vector<std::size_t>&, T*) \
      const;                                                                                  \
  template void H5File::create<T>(const std::string&, const Shape&);                          \
  template void H5File::write<T>(const std::string&, const Shape&, const Shape&, const T*);   \
  template void H5File::write_all<T>(const std::string&, const Shape&, const std::vector<T>&);
B2M_H5_INSTANTIATE(float)
B2M_H5_INSTANTIATE(double)
B2M_H5_INSTANTIATE(std::int32_t)
B2M_H5_INSTANTIATE(std::int64_t)
B2M_H5_INSTANTIATE(std::uint8_t)
#undef B2M_H5_INSTANTIATE

}  // namespace b2m::io
