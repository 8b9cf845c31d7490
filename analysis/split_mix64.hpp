// SplitMix64 (Steele, Lea & Flood 2014): a 64-bit stream from any seed,
// the same on every platform (std::uniform_int_distribution is not), for
// resampling that must be reproducible whatever rank draws it.
#pragma once

#include <cstdint>
#include <limits>

namespace b2m::analysis {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  // The stream of draw `index` under `seed`: two SplitMix64 steps mix them,
  // so neighbouring indices give unrelated streams.
  [[nodiscard]] static SplitMix64 stream(std::uint64_t seed, std::uint64_t index) {
    SplitMix64 mix(seed);
    return SplitMix64(mix.next() ^ SplitMix64(index ^ 0xD1B54A32D192ED03ULL).next());
  }
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound): values of the last, incomplete run of `bound`
  // below 2^64 are drawn again, so the modulo has no bias.
  std::uint64_t below(std::uint64_t bound) {
    const std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t limit = top - (top % bound + 1) % bound;  // a multiple of bound, - 1
    for (;;) {
      const std::uint64_t x = next();
      if (x <= limit) return x % bound;
    }
  }

 private:
  std::uint64_t state_;
};

}  // namespace b2m::analysis
