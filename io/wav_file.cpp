#include "io/wav_file.hpp"

#include <sndfile.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <utility>

#include "core/error.hpp"

namespace b2m::io {
namespace {

struct Closer {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SoundFile = std::unique_ptr<SNDFILE, Closer>;

// A growing byte buffer behind libsndfile's virtual I/O, so that the
// encoded file is written through stage_file (fsync, errors, rename).
struct Buffer {
  std::string bytes;
  sf_count_t at = 0;
};

SF_VIRTUAL_IO buffer_io() {
  SF_VIRTUAL_IO io{};
  io.get_filelen = [](void* b) { return sf_count_t(static_cast<Buffer*>(b)->bytes.size()); };
  io.seek = [](sf_count_t offset, int whence, void* p) {
    auto* b = static_cast<Buffer*>(p);
    const sf_count_t base = whence == SEEK_SET   ? 0
                            : whence == SEEK_CUR ? b->at
                                                 : sf_count_t(b->bytes.size());
    b->at = std::max<sf_count_t>(0, base + offset);
    return b->at;
  };
  io.read = [](void* out, sf_count_t count, void* p) {
    auto* b = static_cast<Buffer*>(p);
    const sf_count_t n = std::clamp<sf_count_t>(sf_count_t(b->bytes.size()) - b->at, 0, count);
    std::memcpy(out, b->bytes.data() + b->at, std::size_t(n));
    b->at += n;
    return n;
  };
  io.write = [](const void* in, sf_count_t count, void* p) {
    auto* b = static_cast<Buffer*>(p);
    if (std::size_t(b->at + count) > b->bytes.size()) b->bytes.resize(std::size_t(b->at + count));
    std::memcpy(b->bytes.data() + b->at, in, std::size_t(count));
    b->at += count;
    return count;
  };
  io.tell = [](void* p) { return static_cast<Buffer*>(p)->at; };
  return io;
}

// libsndfile reads a WAV whose header promises more data than the file
// holds as a shorter file; its log keeps the promise ("data : 32000
// (should be 15956)"), which tells a truncated file from a short one.
bool promises_more(SNDFILE* f) {
  std::string log(16384, '\0');
  sf_command(f, SFC_GET_LOG_INFO, log.data(), int(log.size()));
  std::istringstream lines(log.c_str());
  for (std::string line; std::getline(lines, line);) {
    long long said = 0, is = 0;
    if (std::sscanf(line.c_str(), "data : %lld (should be %lld)", &said, &is) == 2 && said > is)
      return true;
  }
  return false;
}

}  // namespace

std::vector<float> mono_mix(const Audio& audio) {
  if (audio.channels == 1) return audio.samples;
  std::vector<float> out(audio.frames(), 0.0f);
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (int c = 0; c < audio.channels; ++c)
      out[i] += audio.samples[i * std::size_t(audio.channels) + c];
    out[i] /= float(audio.channels);
  }
  return out;
}

std::string encode_wav(const std::vector<float>& samples, int rate) {
  Buffer buffer;
  SF_VIRTUAL_IO io = buffer_io();
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  {
    const SoundFile f(sf_open_virtual(&io, SFM_WRITE, &info, &buffer));
    if (!f) throw ConfigError(std::string("cannot encode WAV: ") + sf_strerror(nullptr));
    // Clip rather than wrap samples outside [-1, 1].
    sf_command(f.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
    if (sf_writef_float(f.get(), samples.data(), sf_count_t(samples.size())) !=
        sf_count_t(samples.size()))
      throw ConfigError(std::string("cannot encode WAV: ") + sf_strerror(f.get()));
  }
  return std::move(buffer.bytes);
}

Audio read_wav(const std::string& path) {
  if (!std::filesystem::exists(path)) throw InputError(path + ": no such file");
  SF_INFO info{};
  const SoundFile f(sf_open(path.c_str(), SFM_READ, &info));
  if (!f)
    throw InputError(path + ": not a sound file libsndfile decodes (" + sf_strerror(nullptr) + ")");
  if (info.channels < 1 || info.samplerate < 1)
    throw InputError(path + ": no channels or no sample rate");
  if (promises_more(f.get()))
    throw InputError(path + ": truncated: its header promises more samples than the file holds");
  Audio a;
  a.rate = info.samplerate;
  a.channels = info.channels;
  a.samples.resize(std::size_t(info.frames) * std::size_t(info.channels));
  const sf_count_t got = sf_readf_float(f.get(), a.samples.data(), info.frames);
  if (got != info.frames)
    throw InputError(path + ": truncated: its header says " + std::to_string(info.frames) +
                     " frames, " + std::to_string(got) + " could be read");
  return a;
}

}  // namespace b2m::io
