#include "jobs/sound_table.hpp"

#include <cstdint>

#include "core/error.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {
namespace {

// The table's columns: doubles, then int32s, then the int64 seed.
const char* const kDoubles[] = {"/sound/tempo_bpm", "/sound/brightness"};
const char* const kInts[] = {"/sound/rhythm", "/sound/instrument", "/sound/major", "/sound/root"};
const char* const kSeed = "/sound/seed";

}  // namespace

void create_sound_table(io::H5File& f, std::size_t rows, int rate, double seconds) {
  const io::Shape shape{rows};
  for (const char* name : kDoubles) f.create<double>(name, shape);
  for (const char* name : kInts) f.create<std::int32_t>(name, shape);
  f.create<std::int64_t>(kSeed, shape);
  f.write_attribute("/sound", "rate", std::vector<double>{double(rate)});
  f.write_attribute("/sound", "seconds", std::vector<double>{seconds});
}

void write_sound_rows(io::H5File& f, std::size_t first,
                      const std::vector<analysis::ClipSound>& sounds) {
  std::vector<double> doubles[2];
  std::vector<std::int32_t> ints[4];
  std::vector<std::int64_t> seed;
  for (const analysis::ClipSound& s : sounds) {
    doubles[0].push_back(s.tempo_bpm);
    doubles[1].push_back(s.brightness);
    ints[0].push_back(s.rhythm);
    ints[1].push_back(s.instrument);
    ints[2].push_back(s.major ? 1 : 0);
    ints[3].push_back(s.root);
    seed.push_back(std::int64_t(s.seed));
  }
  const io::Shape start{first}, count{sounds.size()};
  for (std::size_t k = 0; k < 2; ++k) f.write<double>(kDoubles[k], start, count, doubles[k].data());
  for (std::size_t k = 0; k < 4; ++k) f.write<std::int32_t>(kInts[k], start, count, ints[k].data());
  f.write<std::int64_t>(kSeed, start, count, seed.data());
}

SoundTable read_sound_table(const io::H5File& f) {
  if (!f.exists(kSeed))
    throw InputError(f.path() + ": no /sound table (clip sound parameters); make it with " +
                     "b2m simulate --audio or --corpus");
  SoundTable t;
  t.rows = f.shape(kSeed).at(0);
  for (const char* name : kDoubles)
    if (f.shape(name) != io::Shape{t.rows})
      throw InputError(f.path() + ":" + name + ": expected " + std::to_string(t.rows) + " rows");
  for (const char* name : kInts)
    if (f.shape(name) != io::Shape{t.rows})
      throw InputError(f.path() + ":" + name + ": expected " + std::to_string(t.rows) + " rows");
  const std::vector<double> rate = f.read_double_attribute("/sound", "rate");
  const std::vector<double> seconds = f.read_double_attribute("/sound", "seconds");
  if (rate.size() != 1 || seconds.size() != 1 || !(rate[0] >= 8000 && rate[0] <= 96000) ||
      !(seconds[0] > 0 && seconds[0] <= 600))
    throw InputError(f.path() + ":/sound: attributes rate and seconds must be one rate in " +
                     "8000..96000 and one duration in (0, 600]");
  t.rate = int(rate[0]);
  t.seconds = seconds[0];
  return t;
}

void check_sound_table(const io::H5File& f, std::size_t rows, const mpi::Comm& comm) {
  const SoundTable table = mpi::agree_on(comm, [&] { return read_sound_table(f); });
  if (table.rows != rows)
    throw InputError(f.path() + ":/sound: " + std::to_string(table.rows) + " rows for " +
                     std::to_string(rows) + " embeddings");
}

std::vector<analysis::ClipSound> read_sound_rows(const io::H5File& f,
                                                 const std::vector<std::size_t>& rows) {
  const std::size_t n = rows.size();
  std::vector<double> doubles[2] = {std::vector<double>(n), std::vector<double>(n)};
  std::vector<std::int32_t> ints[4];
  for (auto& v : ints) v.resize(n);
  std::vector<std::int64_t> seed(n);
  for (std::size_t k = 0; k < 2; ++k) f.read_rows(kDoubles[k], rows, doubles[k].data());
  for (std::size_t k = 0; k < 4; ++k) f.read_rows(kInts[k], rows, ints[k].data());
  f.read_rows(kSeed, rows, seed.data());
  std::vector<analysis::ClipSound> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i].tempo_bpm = doubles[0][i];
    out[i].brightness = doubles[1][i];
    out[i].rhythm = ints[0][i];
    out[i].instrument = ints[1][i];
    out[i].major = ints[2][i] != 0;
    out[i].root = ints[3][i];
    out[i].seed = std::uint64_t(seed[i]);
  }
  return out;
}

}  // namespace b2m::jobs
