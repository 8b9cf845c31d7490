// An owning (or borrowing, for MPI_COMM_WORLD) communicator with the typed
// collectives b2m needs. Every call is checked; the error handler is set to
// MPI_ERRORS_RETURN so failures become MpiError instead of aborting silently.
#pragma once

#include <mpi.h>

#include <complex>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "mpi/mpi_error.hpp"

namespace b2m::mpi {

template <class T>
MPI_Datatype datatype_of() {
  if constexpr (std::is_same_v<T, double>)
    return MPI_DOUBLE;
  else if constexpr (std::is_same_v<T, float>)
    return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, int>)
    return MPI_INT;
  else if constexpr (std::is_same_v<T, long>)
    return MPI_LONG;
  else if constexpr (std::is_same_v<T, long long>)
    return MPI_LONG_LONG;
  else if constexpr (std::is_same_v<T, unsigned long>)
    return MPI_UNSIGNED_LONG;
  else if constexpr (std::is_same_v<T, unsigned long long>)
    return MPI_UNSIGNED_LONG_LONG;
  else if constexpr (std::is_same_v<T, char>)
    return MPI_CHAR;
  else if constexpr (std::is_same_v<T, std::uint8_t>)
    return MPI_UINT8_T;
  else
    static_assert(sizeof(T) == 0, "no MPI datatype for this type");
}

enum class Op { sum, min, max };

class Comm {
 public:
  // The world communicator (not owned, never freed).
  static Comm world();
  // This process alone (not owned): single-rank references in tests and tools.
  static Comm self();

  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;
  Comm(Comm&& other) noexcept;
  Comm& operator=(Comm&& other) noexcept;
  ~Comm() noexcept;

  [[nodiscard]] int rank() const { return rank_; }
  [[nodiscard]] int size() const { return size_; }
  [[nodiscard]] bool is_root() const { return rank_ == 0; }

  // Ranks with the same color form a new communicator, ordered by key.
  [[nodiscard]] Comm split(int color, int key) const;

  void barrier() const;

  template <class T>
  void allreduce_in_place(T* data, std::size_t count, Op op) const {
    B2M_MPI_CALL(MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(count), datatype_of<T>(),
                               mpi_op(op), comm_));
  }
  // Reduces onto `root`: there `data` receives the result; elsewhere it is
  // only read.
  template <class T>
  void reduce_in_place(T* data, std::size_t count, Op op, int root) const {
    if (rank_ == root)
      B2M_MPI_CALL(MPI_Reduce(MPI_IN_PLACE, data, static_cast<int>(count), datatype_of<T>(),
                              mpi_op(op), root, comm_));
    else
      B2M_MPI_CALL(MPI_Reduce(data, nullptr, static_cast<int>(count), datatype_of<T>(), mpi_op(op),
                              root, comm_));
  }
  template <class T>
  [[nodiscard]] T allreduce(T value, Op op) const {
    allreduce_in_place(&value, 1, op);
    return value;
  }
  template <class T>
  void bcast(T* data, std::size_t count, int root) const {
    B2M_MPI_CALL(MPI_Bcast(data, static_cast<int>(count), datatype_of<T>(), root, comm_));
  }
  void bcast(std::string& text, int root) const;

  // Gathers one value from every rank on every rank.
  template <class T>
  [[nodiscard]] std::vector<T> allgather(T value) const {
    std::vector<T> out(static_cast<std::size_t>(size_));
    B2M_MPI_CALL(
        MPI_Allgather(&value, 1, datatype_of<T>(), out.data(), 1, datatype_of<T>(), comm_));
    return out;
  }
  // Gathers a variable number of values from every rank on every rank,
  // concatenated in rank order; `counts` (optional) receives each rank's count.
  template <class T>
  [[nodiscard]] std::vector<T> allgatherv(const T* data, std::size_t count,
                                          std::vector<std::size_t>* counts = nullptr) const {
    const std::vector<long long> sizes = allgather(static_cast<long long>(count));
    const Displacements d = displacements(sizes);
    std::vector<T> all(d.total);
    B2M_MPI_CALL(MPI_Allgatherv(data, static_cast<int>(count), datatype_of<T>(), all.data(),
                                d.lengths.data(), d.offsets.data(), datatype_of<T>(), comm_));
    if (counts != nullptr) counts->assign(sizes.begin(), sizes.end());
    return all;
  }
  // The same onto `root` alone: the concatenation there (and each rank's
  // count in `counts`, if given), an empty vector elsewhere.
  template <class T>
  [[nodiscard]] std::vector<T> gatherv(const T* data, std::size_t count, int root,
                                       std::vector<std::size_t>* counts = nullptr) const {
    const std::vector<long long> sizes = allgather(static_cast<long long>(count));
    const Displacements d = displacements(sizes);
    std::vector<T> all(rank_ == root ? d.total : 0);
    B2M_MPI_CALL(MPI_Gatherv(data, static_cast<int>(count), datatype_of<T>(), all.data(),
                             d.lengths.data(), d.offsets.data(), datatype_of<T>(), root, comm_));
    if (counts != nullptr) counts->assign(sizes.begin(), sizes.end());
    return all;
  }
  // Gathers variable-length strings on every rank.
  [[nodiscard]] std::vector<std::string> allgather(const std::string& text) const;

  // For the libraries that take a communicator (parallel HDF5 in io/, BLACS
  // in solvers/blacs_grid.cpp) only: no public header hands it on.
  [[nodiscard]] MPI_Comm raw() const { return comm_; }

 private:
  Comm(MPI_Comm comm, bool owned);
  static MPI_Op mpi_op(Op op);
  // Counts and offsets of a variable-size gather; more than 2^31 - 1 values
  // in all is an MpiError (MPI counts are int).
  struct Displacements {
    std::vector<int> lengths, offsets;
    std::size_t total = 0;
  };
  static Displacements displacements(const std::vector<long long>& sizes);

  static constexpr long long kMaxCount = 2147483647;
  MPI_Comm comm_ = MPI_COMM_NULL;
  bool owned_ = false;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace b2m::mpi
