// 2-D NumPy arrays on disk (.npy, C order, float32 or float64), read and
// written a block of columns at a time, so that an array of many voxels
// never has to fit in one process: the preprocessed response arrays of
// ds003720 (`sub-001_Resp_Training.npy`, 4,800 x ~60,000 float32) are read
// by `prepare --derivatives` and written by `simulate --bids`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "io/file_descriptor.hpp"
#include "io/h5_matrix.hpp"

namespace b2m::io {

// An existing array, opened for reading. The constructor checks the magic
// string, the header (format 1.0 to 3.0, little-endian '<f4' or '<f8', C
// order, at least two dimensions) and that the file holds all the data its
// shape needs; errors name the file and what is wrong. An array of more
// than two dimensions is read as rows x (the product of the others).
class NpyReader {
 public:
  explicit NpyReader(std::string path);

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::size_t rows() const { return rows_; }
  [[nodiscard]] std::size_t cols() const { return cols_; }
  [[nodiscard]] const std::vector<std::size_t>& shape() const { return shape_; }

  // Rows [0, rows) of columns `cols`, as float32.
  [[nodiscard]] RowMajor<float> columns(mpi::Range cols) const;
  // Rows `rows` of every column, as float32.
  [[nodiscard]] RowMajor<float> rows(mpi::Range rows) const;

 private:
  // Columns `cols` of row `row` into `out`, as float32.
  void read_segment(std::size_t row, mpi::Range cols, float* out) const;

  std::string path_;
  Descriptor fd_;
  std::vector<std::size_t> shape_;
  std::size_t rows_ = 0, cols_ = 0, item_ = 0;
  long long data_ = 0;  // offset of the first element
};

// A new float32 array [rows, cols] at `<path>.partial` (io/atomic_file.hpp),
// written column block by column block, by one process or several (each
// its own columns); promote_file(path) publishes it once all are done.
class NpyWriter {
 public:
  // Creates the staged file with its header at its full size (`create`), or
  // opens one another process created.
  enum class Mode { create, open };
  NpyWriter(std::string path, std::size_t rows, std::size_t cols, Mode mode);

  // Writes `block` (rows x its columns) at column `first`.
  void write_columns(std::size_t first, const RowMajor<float>& block);
  // Flushes to disk and closes; errors name the file.
  void finish();

 private:
  std::string path_, staged_;
  Descriptor fd_;
  std::size_t rows_, cols_;
  long long data_ = 0;
};

}  // namespace b2m::io
