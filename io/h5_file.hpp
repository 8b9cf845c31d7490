// An HDF5 file opened through the MPI-IO driver on a communicator. All
// structural calls (open, create, attributes) are collective over that
// communicator; dataset reads and writes are collective hyperslab transfers,
// where a rank with nothing to do passes an empty count so that every rank
// takes part in every transfer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/h5_handle.hpp"
#include "mpi/comm.hpp"

namespace b2m::io {

enum class Access { read, read_write, create };

// The width a fixed-length string dataset needs to hold `strings`: the
// longest one's length, at least 1.
[[nodiscard]] std::size_t string_width(const std::vector<std::string>& strings);

using Shape = std::vector<std::size_t>;

class H5File {
 public:
  H5File(const std::string& path, Access access, const mpi::Comm& comm);

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
  // Reads whole rows `rows` (any order, duplicates allowed) of a 2-D dataset
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

 private:
  [[nodiscard]] H5Handle open_dataset(const std::string& dataset) const;
  [[nodiscard]] Shape extent(const H5Handle& set, const std::string& dataset) const;
  [[nodiscard]] H5Handle open_attribute(const std::string& object, const std::string& name) const;
  void make_parents(const std::string& object);
  void create_typed(const std::string& dataset, const Shape& shape, hid_t type);
  // The file type of a fixed-length string dataset and its width.
  [[nodiscard]] std::pair<H5Handle, std::size_t> string_type_of(const H5Handle& set,
                                                                const std::string& dataset) const;
  // Each access opens its dataset once: the overloads taking a name open it
  // and call the ones taking the open dataset.
  void transfer(const std::string& dataset, const Shape& start, const Shape& count, hid_t mem_type,
                void* buffer, bool writing) const;
  void transfer(const H5Handle& set, const std::string& dataset, const Shape& start,
                const Shape& count, hid_t mem_type, void* buffer, bool writing) const;
  void transfer_rows(const std::string& dataset, const std::vector<std::size_t>& rows,
                     hid_t mem_type, void* buffer) const;

  std::string path_;
  const mpi::Comm* comm_;
  H5Handle file_;
  H5Handle transfer_plist_;
};

}  // namespace b2m::io
