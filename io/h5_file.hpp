// An HDF5 file opened through the MPI-IO driver on a communicator. Every
// call is collective over that communicator: structural calls (open,
// create, attributes) and queries alike, and dataset reads and writes are
// collective hyperslab transfers, where a rank with nothing to do passes an
// empty count so that every rank takes part in every transfer.
//
// No hang on a one-rank failure: each call agrees (mpi/agree.hpp) on its
// local checks before it enters a collective HDF5 call, and on that call's
// outcome after it, so a failure on any rank (a write that finds the disk
// full, a selection outside the dataset) raises on every rank with the
// first failing rank's message. The destructor closes collectively only
// when that is safe: while this rank unwinds a failure its peers have not
// agreed on, the file is left open to the job abort that follows. close()
// reports a failure to close (the last metadata written) on every rank.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "io/h5_handle.hpp"
#include "mpi/agree.hpp"
#include "mpi/comm.hpp"
#include "mpi/io_guard.hpp"

namespace b2m::io {

enum class Access { read, read_write, create };

// The width a fixed-length string dataset needs to hold `strings`: the
// longest one's length, at least 1.
[[nodiscard]] std::size_t string_width(const std::vector<std::string>& strings);

using Shape = std::vector<std::size_t>;

class H5File {
 public:
  H5File(const std::string& path, Access access, const mpi::Comm& comm);
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;
  ~H5File() noexcept;

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const mpi::Comm& comm() const { return *comm_; }

  // True if the object (group or dataset, nested path) exists.
  [[nodiscard]] bool exists(const std::string& object) const;
  [[nodiscard]] Shape shape(const std::string& dataset) const;
  // Names of the members of a group, sorted (empty if the group is absent).
  [[nodiscard]] std::vector<std::string> children(const std::string& group) const;

  // Reads the hyperslab [start, start + count) of `dataset`, converted to T,
  // into `out` (row-major, product(count) elements). Collective.
  template <class T>
  void read(const std::string& dataset, const Shape& start, const Shape& count, T* out) const;
  template <class T>
  [[nodiscard]] std::vector<T> read_all(const std::string& dataset) const;
  // Reads whole rows `rows` (any order, duplicates allowed) of a 1-D or 2-D dataset
  // into `out` (rows.size() x columns, row-major), in one collective call.
  template <class T>
  void read_rows(const std::string& dataset, const std::vector<std::size_t>& rows, T* out) const;

  // Creates a dataset stored as T (intermediate groups included). Collective.
  template <class T>
  void create(const std::string& dataset, const Shape& shape);
  // Writes the hyperslab [start, start + count); an all-zero count writes
  // nothing but still joins the collective transfer.
  template <class T>
  void write(const std::string& dataset, const Shape& start, const Shape& count, const T* data);
  // Creates and writes a whole dataset; only rank 0's data is written.
  template <class T>
  void write_all(const std::string& dataset, const Shape& shape, const std::vector<T>& data);

  void create_group(const std::string& group);

  // Fixed-length UTF-8 string datasets (numpy dtype 'S<width>'): creation,
  // and collective hyperslab reads and writes like read() / write().
  void create_strings(const std::string& dataset, const Shape& shape, std::size_t width);
  // Creates and writes a 1-D string dataset as wide as its longest value;
  // only rank 0's values are written.
  void write_all_strings(const std::string& dataset, const std::vector<std::string>& values);
  [[nodiscard]] std::vector<std::string> read_strings(const std::string& dataset,
                                                      const Shape& start, const Shape& count) const;
  void write_strings(const std::string& dataset, const Shape& start, const Shape& count,
                     const std::vector<std::string>& values);

  // Attributes on a group or dataset. Writes are collective, with identical
  // values on every rank.
  void write_attribute(const std::string& object, const std::string& name,
                       const std::string& value);
  void write_attribute(const std::string& object, const std::string& name,
                       const std::vector<std::string>& values);
  void write_attribute(const std::string& object, const std::string& name,
                       const std::vector<double>& values);
  [[nodiscard]] bool has_attribute(const std::string& object, const std::string& name) const;
  [[nodiscard]] std::string read_string_attribute(const std::string& object,
                                                  const std::string& name) const;
  [[nodiscard]] std::vector<std::string> read_strings_attribute(const std::string& object,
                                                                const std::string& name) const;
  [[nodiscard]] std::vector<double> read_double_attribute(const std::string& object,
                                                          const std::string& name) const;

  // Pushes everything written so far to the file (collective).
  void flush();
  // Closes the file, raising on every rank if closing failed on any.
  void close();

 private:
  // A dataset with a hyperslab selected in it and the matching memory space.
  struct Selection {
    H5Handle set, file_space, mem_space;
  };
  // Runs `step` on every rank and agrees on its outcome.
  template <class F>
  auto agreed(F&& step) const;
  // Throws H5Error if the MPI-IO layer recorded a failure.
  void raise_io_failure() const;
  [[nodiscard]] bool link_exists(const std::string& object) const;
  [[nodiscard]] bool attribute_exists(const std::string& object, const std::string& name) const;
  [[nodiscard]] H5Handle open_dataset(const std::string& dataset) const;
  [[nodiscard]] Shape extent(const H5Handle& set, const std::string& dataset) const;
  [[nodiscard]] H5Handle open_attribute(const std::string& object, const std::string& name) const;
  void make_parents(const std::string& object);
  void create_typed(const std::string& dataset, const Shape& shape, hid_t type);
  // The file type of a fixed-length string dataset and its width.
  [[nodiscard]] std::pair<H5Handle, std::size_t> string_type_of(const H5Handle& set,
                                                                const std::string& dataset) const;
  // The local half of a transfer: checks [start, start + count) against
  // the dataset and selects it (none for an empty count).
  [[nodiscard]] Selection select(H5Handle set, const std::string& dataset, const Shape& start,
                                 const Shape& count) const;
  // An InputError if numbers are read (`mem_type` integer or float) from a
  // dataset that holds none (strings, complex numbers).
  void check_numeric(const H5Handle& set, const std::string& dataset, hid_t mem_type) const;
  // The collective half: H5Dread or H5Dwrite of a selection, agreed.
  void transfer(const Selection& s, const std::string& dataset, hid_t mem_type, void* buffer,
                bool writing) const;
  void transfer_rows(const std::string& dataset, const std::vector<std::size_t>& rows,
                     hid_t mem_type, void* buffer) const;
  void write_attribute_data(const std::string& object, const std::string& name, hid_t type,
                            const H5Handle& space, const void* data);

  std::string path_;
  const mpi::Comm* comm_;
  H5Handle file_;
  H5Handle transfer_plist_;
  int uncaught_at_start_;
};

// A write failure the MPI-IO layer hid from HDF5 (mpi/io_guard.hpp) is
// raised here, at the end of the HDF5 call that met it.
template <class F>
auto H5File::agreed(F&& step) const {
  return mpi::agree_on(*comm_, [&] {
    errno = 0;
    if constexpr (std::is_void_v<decltype(step())>) {
      step();
      raise_io_failure();
    } else {
      auto result = step();
      raise_io_failure();
      return result;
    }
  });
}

// An attribute that holds one count (a whole number >= 0, stored as a
// double): unset where the object lacks it, an InputError naming the file
// where it holds anything else.
[[nodiscard]] std::optional<std::size_t> read_count_attribute(const H5File& f,
                                                              const std::string& object,
                                                              const std::string& name);

}  // namespace b2m::io
