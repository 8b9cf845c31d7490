#include "jobs/evaluation_pool.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <unordered_set>

#include "analysis/split_mix64.hpp"
#include "core/error.hpp"
#include "io/corpus_file.hpp"
#include "io/wav_file.hpp"
#include "jobs/sound_table.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {
namespace {

// Corpus rows read per round while the pool is chosen.
constexpr std::size_t kChunk = 8192;
// Draws a chance clip may take before the corpus is declared too small.
constexpr int kMaxDraws = 1000;

std::size_t tag_column(const io::CorpusLayout& layout, const std::string& tag) {
  return std::size_t(std::find(layout.tags.begin(), layout.tags.end(), tag) - layout.tags.begin());
}

}  // namespace

std::string StudyStimuli::wav(const std::string& id) const {
  return (std::filesystem::path(path).parent_path() / "audio" / (id + ".wav")).string();
}

std::size_t StudyStimuli::index(const std::string& id, const std::string& user) const {
  const auto at = std::find(ids.begin(), ids.end(), id);
  if (at == ids.end())
    throw InputError(user + ": clip '" + id + "' is not a clip of the study's audio (" + path +
                     ")");
  return std::size_t(at - ids.begin());
}

StudyStimuli read_stimuli(const std::string& path, const mpi::Comm& comm) {
  const io::H5File f(path, io::Access::read, comm);
  return mpi::agree_on(comm, [&] {
    StudyStimuli s;
    s.path = path;
    if (!f.exists("/ids"))
      throw InputError(path + ": no /ids: not the study's audio (b2m simulate --audio writes it)");
    s.ids = f.read_strings("/ids", {0}, f.shape("/ids"));
    if (s.ids.empty()) throw InputError(path + ":/ids: no clips");
    if (f.exists("/tags"))
      for (const std::string& tag : f.children("/tags")) {
        const std::string name = "/tags/" + tag;
        if (!f.has_attribute(name, "names")) continue;  // values without names cannot be matched
        const std::vector<std::int32_t> v = f.read_all<std::int32_t>(name);
        if (v.size() != s.ids.size())
          throw InputError(path + ":" + name + ": " + std::to_string(v.size()) + " values for " +
                           std::to_string(s.ids.size()) + " clips");
        s.tags.push_back(tag);
        s.tag_names.push_back(f.read_strings_attribute(name, "names"));
        s.labels.emplace_back(v.begin(), v.end());
      }
    if (f.exists("/sound")) {
      const SoundTable t = read_sound_table(f);
      s.rate = t.rate;
      s.seconds = t.seconds;
    } else {
      const io::Audio a = io::read_wav(s.wav(s.ids.front()));
      s.rate = a.rate;
      s.seconds = a.seconds();
    }
    return s;
  });
}

std::vector<std::string> judged_tags(const std::string& corpus, const StudyStimuli& stimuli,
                                     const mpi::Comm& comm) {
  const io::H5File f(corpus, io::Access::read, comm);
  const io::CorpusLayout layout = mpi::agree_on(comm, [&] { return io::read_corpus_layout(f); });
  return mpi::agree_on(comm, [&] {  // the same on every rank: ends the job cleanly
    std::vector<std::string> tags;
    for (std::size_t t = 0; t < stimuli.tags.size(); ++t) {
      const std::size_t c = tag_column(layout, stimuli.tags[t]);
      if (c < layout.tags.size() && layout.tag_names[c] == stimuli.tag_names[t] &&
          stimuli.tag_names[t].size() >= 2)
        tags.push_back(stimuli.tags[t]);
    }
    if (tags.empty())
      throw InputError(corpus + " and " + stimuli.path +
                       ": no tag in common (a /tags/<tag> of the same value names in both), so "
                       "no genre, instrument or mood can be judged");
    return tags;
  });
}

EvaluationPool build_pool(const PoolOptions& o, const StudyStimuli& stimuli,
                          const std::vector<std::string>& tags, ClipEmbedder& embedder,
                          const mpi::Comm& comm) {
  const io::H5File f(o.corpus, io::Access::read, comm);
  const io::CorpusLayout layout = mpi::agree_on(comm, [&] { return io::read_corpus_layout(f); });
  const std::unordered_set<std::string> study(stimuli.ids.begin(), stimuli.ids.end());
  std::vector<std::size_t> columns;
  for (const std::string& t : tags) columns.push_back(tag_column(layout, t));

  // The pool: the first rows outside the study whose judged tags are known.
  EvaluationPool p;
  std::vector<std::size_t> pool_rows;
  p.tags.resize(tags.size());
  for (std::size_t t = 0; t < tags.size(); ++t) {
    p.tags[t].name = tags[t];
    p.tags[t].classes = int(layout.tag_names[columns[t]].size());
  }
  for (std::size_t first = 0; first < layout.rows && pool_rows.size() < o.pool; first += kChunk) {
    const std::size_t n = std::min(kChunk, layout.rows - first);
    std::vector<std::string> ids;
    std::vector<std::vector<std::int32_t>> values;
    mpi::agree_on(comm, [&] { io::read_corpus_metadata(f, layout, first, n, ids, values); });
    for (std::size_t i = 0; i < n && pool_rows.size() < o.pool; ++i) {
      if (study.count(ids[i]) > 0) continue;
      bool known = true;
      for (std::size_t t = 0; t < tags.size(); ++t)
        known = known && values[columns[t]][i] >= 0 && values[columns[t]][i] < p.tags[t].classes;
      if (!known) continue;
      pool_rows.push_back(first + i);
      p.pool_ids.push_back(ids[i]);
      for (std::size_t t = 0; t < tags.size(); ++t)
        p.tags[t].labels.push_back(values[columns[t]][i]);
    }
  }
  if (pool_rows.size() < o.pool)
    throw InputError(o.corpus + ": " + std::to_string(pool_rows.size()) +
                     " clips outside the study with known tags, fewer than the " +
                     std::to_string(o.pool) + " of --pool-clips");

  // Chance clips: rows after the pool, drawn without repeats; a draw that
  // lands on a clip of the study is drawn again from the same stream.
  const std::size_t start = pool_rows.empty() ? 0 : pool_rows.back() + 1;
  std::vector<std::size_t> chance_rows;
  std::set<std::size_t> drawn;
  for (std::size_t i = 0; i < o.chance; ++i) {
    analysis::SplitMix64 stream = analysis::SplitMix64::stream(o.seed, i);
    for (int tries = 0;; ++tries) {
      if (start >= layout.rows || tries == kMaxDraws)
        throw InputError(o.corpus + ": too few clips after the pool's " + std::to_string(start) +
                         " rows to draw " + std::to_string(o.chance) +
                         " chance clips outside the study");
      const std::size_t row = start + std::size_t(stream.below(layout.rows - start));
      if (drawn.count(row) > 0) continue;
      std::vector<std::string> ids;
      std::vector<std::vector<std::int32_t>> values;
      mpi::agree_on(comm, [&] { io::read_corpus_metadata(f, layout, row, 1, ids, values); });
      if (study.count(ids.front()) > 0) continue;
      drawn.insert(row);
      chance_rows.push_back(row);
      p.chance_ids.push_back(ids.front());
      break;
    }
  }

  // Their audio: rendered from /sound, or the corpus's own files.
  std::vector<ClipSource> pool_clips, chance_clips;
  if (o.corpus_audio.empty()) {
    check_sound_table(f, layout.rows, comm);
    std::vector<analysis::ClipSound> sounds;
    mpi::agree_on(comm, [&] { sounds = read_sound_rows(f, pool_rows); });
    for (std::size_t i = 0; i < sounds.size(); ++i)
      pool_clips.push_back({"", sounds[i], p.pool_ids[i]});
    mpi::agree_on(comm, [&] { sounds = read_sound_rows(f, chance_rows); });
    for (std::size_t i = 0; i < sounds.size(); ++i)
      chance_clips.push_back({"", sounds[i], p.chance_ids[i]});
  } else {
    for (const std::string& id : p.pool_ids)
      pool_clips.push_back(wav_clip(o.corpus_audio + "/" + id + ".wav"));
    for (const std::string& id : p.chance_ids)
      chance_clips.push_back(wav_clip(o.corpus_audio + "/" + id + ".wav"));
  }
  p.pool = embedder.embed(pool_clips, stimuli.rate, stimuli.seconds, comm);
  p.chance = embedder.embed(chance_clips, stimuli.rate, stimuli.seconds, comm);
  return p;
}

}  // namespace b2m::jobs
