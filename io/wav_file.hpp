// WAV files (through libsndfile): what b2m simulate writes for each
// stimulus clip and b2m generate validates for each reconstruction.
#pragma once

#include <string>
#include <vector>

namespace b2m::io {

struct Audio {
  std::vector<float> samples;  // frames x channels, interleaved
  int rate = 0;                // frames per second
  int channels = 0;
  [[nodiscard]] std::size_t frames() const {
    return channels > 0 ? samples.size() / std::size_t(channels) : 0;
  }
  [[nodiscard]] double seconds() const { return rate > 0 ? double(frames()) / rate : 0.0; }
};

// The mono mix of a clip: the mean of its channels.
[[nodiscard]] std::vector<float> mono_mix(const Audio& audio);

// The bytes of a mono 16-bit PCM WAV of `samples` (in [-1, 1]; clipped
// beyond) at `rate`, for io/atomic_file's writers (a stage's side files are
// staged, then promoted after their result).
[[nodiscard]] std::string encode_wav(const std::vector<float>& samples, int rate);

// Reads a sound file libsndfile decodes. InputError naming the file where
// it is missing, does not decode, or holds fewer frames than its header
// says (truncated).
[[nodiscard]] Audio read_wav(const std::string& path);

}  // namespace b2m::io
