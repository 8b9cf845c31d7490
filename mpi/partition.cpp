#include "mpi/partition.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace b2m::mpi {

Range even_part(std::size_t n, std::size_t parts, std::size_t index) {
  if (parts == 0 || index >= parts) throw ConfigError("even_part: bad part index");
  const std::size_t base = n / parts;
  const std::size_t extra = n % parts;
  const std::size_t begin = index * base + std::min(index, extra);
  return Range{begin, begin + base + (index < extra ? 1 : 0)};
}

Blocks::Blocks(std::size_t n, std::size_t block_size) : n_(n), block_size_(block_size) {
  if (block_size == 0) throw ConfigError("block size must be positive");
  count_ = (n + block_size - 1) / block_size;
}

Range Blocks::block(std::size_t b) const {
  const std::size_t begin = b * block_size_;
  return Range{begin, std::min(n_, begin + block_size_)};
}

std::vector<std::size_t> Blocks::owned_by(std::size_t group, std::size_t groups) const {
  std::vector<std::size_t> out;
  for (std::size_t b = group; b < count_; b += groups) out.push_back(b);
  return out;
}

std::size_t Blocks::rounds(std::size_t groups) const {
  return (count_ + groups - 1) / groups;
}

}  // namespace b2m::mpi
