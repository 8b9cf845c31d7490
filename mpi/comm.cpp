#include "mpi/comm.hpp"

#include <cstdio>
#include <utility>

namespace b2m::mpi {

Comm::Comm(MPI_Comm comm, bool owned) : comm_(comm), owned_(owned) {
  B2M_MPI_CALL(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  B2M_MPI_CALL(MPI_Comm_rank(comm_, &rank_));
  B2M_MPI_CALL(MPI_Comm_size(comm_, &size_));
}

Comm Comm::world() {
  return Comm(MPI_COMM_WORLD, false);
}

Comm Comm::self() {
  return Comm(MPI_COMM_SELF, false);
}

Comm::Comm(Comm&& other) noexcept
    : comm_(std::exchange(other.comm_, MPI_COMM_NULL)),
      owned_(std::exchange(other.owned_, false)),
      rank_(other.rank_),
      size_(other.size_) {}

Comm& Comm::operator=(Comm&& other) noexcept {
  if (this != &other) {
    Comm dying(std::move(*this));
    comm_ = std::exchange(other.comm_, MPI_COMM_NULL);
    owned_ = std::exchange(other.owned_, false);
    rank_ = other.rank_;
    size_ = other.size_;
  }
  return *this;
}

Comm::~Comm() noexcept {
  if (owned_ && comm_ != MPI_COMM_NULL) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && MPI_Comm_free(&comm_) != MPI_SUCCESS)
      std::fprintf(stderr, "b2m: warning: MPI_Comm_free failed\n");
  }
}

Comm Comm::split(int color, int key) const {
  MPI_Comm out = MPI_COMM_NULL;
  B2M_MPI_CALL(MPI_Comm_split(comm_, color, key, &out));
  return Comm(out, true);
}

void Comm::barrier() const {
  B2M_MPI_CALL(MPI_Barrier(comm_));
}

void Comm::bcast(std::string& text, int root) const {
  unsigned long long length = text.size();
  bcast(&length, 1, root);
  text.resize(length);
  if (length > 0) bcast(text.data(), length, root);
}

std::vector<std::string> Comm::allgather(const std::string& text) const {
  std::vector<std::size_t> lengths;
  const std::vector<char> all = allgatherv(text.data(), text.size(), &lengths);
  std::vector<std::string> out;
  std::size_t at = 0;
  for (std::size_t length : lengths) {
    out.emplace_back(all.data() + at, length);
    at += length;
  }
  return out;
}

Comm::Displacements Comm::displacements(const std::vector<long long>& sizes) {
  Displacements d;
  long long total = 0;
  for (long long size : sizes) {
    if (size > kMaxCount || total + size > kMaxCount)
      throw MpiError("a variable-size gather of more than 2^31 - 1 values", MPI_ERR_COUNT, __FILE__,
                     __LINE__);
    d.lengths.push_back(static_cast<int>(size));
    d.offsets.push_back(static_cast<int>(total));
    total += size;
  }
  d.total = static_cast<std::size_t>(total);
  return d;
}

MPI_Op Comm::mpi_op(Op op) {
  switch (op) {
    case Op::sum:
      return MPI_SUM;
    case Op::min:
      return MPI_MIN;
    case Op::max:
      return MPI_MAX;
  }
  return MPI_SUM;
}

}  // namespace b2m::mpi
