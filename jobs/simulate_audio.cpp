#include "jobs/simulate_audio.hpp"

#include <cstdint>

#include "analysis/music_synth.hpp"
#include "io/atomic_file.hpp"
#include "io/wav_file.hpp"
#include "jobs/sound_table.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {

std::vector<std::string> audio_files(const analysis::StudySimulator& sim, const std::string& dir) {
  std::vector<std::string> out;
  for (const std::string& id : sim.clip_ids()) out.push_back(dir + "audio/" + id + ".wav");
  return out;
}

void write_audio(const analysis::StudySimulator& sim, const AudioOptions& o, const std::string& dir,
                 io::H5File& f, const mpi::Comm& comm) {
  const std::vector<std::string> files = audio_files(sim, dir);
  const std::size_t clips = files.size();
  std::vector<analysis::ClipSound> sounds;
  for (std::size_t c = 0; c < clips; ++c) sounds.push_back(sim.stimulus_sound(c));
  mpi::agree_on(comm, [&] {
    for (std::size_t c = std::size_t(comm.rank()); c < clips; c += std::size_t(comm.size()))
      io::stage_file(files[c],
                     {io::encode_wav(analysis::synthesize(sounds[c], o.seconds, o.rate), o.rate)});
  });
  const io::Shape per_clip{clips};
  f.create_strings("/ids", per_clip, 32);
  f.write_strings("/ids", {0}, comm.is_root() ? per_clip : io::Shape{0},
                  comm.is_root() ? sim.clip_ids() : std::vector<std::string>{});
  const std::pair<const char*, const std::vector<int>*> tags[] = {
      {"genre", &sim.clip_genres()},
      {"instrument", &sim.clip_instruments()},
      {"mood", &sim.clip_moods()}};
  const std::vector<std::vector<std::string>> names = {
      sim.genre_names(), analysis::instrument_names(), analysis::StudySimulator::mood_names()};
  for (std::size_t t = 0; t < 3; ++t) {
    const std::string set = std::string("/tags/") + tags[t].first;
    f.write_all<std::int32_t>(set, per_clip, {tags[t].second->begin(), tags[t].second->end()});
    f.write_attribute(set, "names", names[t]);
  }
  create_sound_table(f, clips, o.rate, o.seconds);
  write_sound_rows(f, 0, comm.is_root() ? sounds : std::vector<analysis::ClipSound>{});
}

}  // namespace b2m::jobs
