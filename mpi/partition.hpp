// Cutting index ranges into contiguous parts, and ranks into groups.
#pragma once

#include <cstddef>
#include <vector>

namespace b2m::mpi {

struct Range {
  std::size_t begin = 0;
  std::size_t end = 0;
  [[nodiscard]] std::size_t size() const { return end - begin; }
  [[nodiscard]] bool empty() const { return end == begin; }
};

// Part `index` of `n` items split into `parts` contiguous parts whose sizes
// differ by at most one (the first n % parts parts are one larger).
[[nodiscard]] Range even_part(std::size_t n, std::size_t parts, std::size_t index);

// Fixed-size blocks of `n` items: block b covers [b*block, min(n, (b+1)*block)).
// Blocks are the unit of work, checkpoint and output hyperslab; their layout
// depends only on n and the block size, never on the number of ranks.
class Blocks {
 public:
  Blocks(std::size_t n, std::size_t block_size);
  [[nodiscard]] std::size_t count() const { return count_; }
  [[nodiscard]] std::size_t total() const { return n_; }
  [[nodiscard]] std::size_t block_size() const { return block_size_; }
  [[nodiscard]] Range block(std::size_t b) const;
  // Blocks owned by `group` out of `groups`, dealt round-robin so every group
  // gets a similar mix of block positions.
  [[nodiscard]] std::vector<std::size_t> owned_by(std::size_t group, std::size_t groups) const;
  // The most blocks any group owns: the number of collective rounds.
  [[nodiscard]] std::size_t rounds(std::size_t groups) const;

 private:
  std::size_t n_;
  std::size_t block_size_;
  std::size_t count_;
};

}  // namespace b2m::mpi
