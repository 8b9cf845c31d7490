#include "jobs/generators.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "analysis/music_synth.hpp"
#include "analysis/sound_map.hpp"
#include "cluster/process.hpp"
#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/corpus_file.hpp"
#include "io/provenance.hpp"
#include "io/wav_file.hpp"
#include "jobs/corpus_search.hpp"
#include "jobs/sound_table.hpp"

namespace b2m::jobs {
namespace {

// Corpus rows read per round by the built-ins.
constexpr std::size_t kChunk = 8192;

std::string path_of_row(const std::string& dir, std::size_t row) {
  return dir + "/" + std::to_string(row) + ".wav";
}

class CommandGenerator : public Generator {
 public:
  CommandGenerator(std::string command, double timeout_s, std::string gpu)
      : command_(std::move(command)), timeout_s_(timeout_s), gpu_(std::move(gpu)) {}
  [[nodiscard]] std::string name() const override { return command_; }

  GeneratorOutcome run(const GeneratorCall& c, const std::string& log) override {
    std::string rows;
    for (std::size_t r : c.rows) rows += (rows.empty() ? "" : ",") + std::to_string(r);
    const std::vector<std::string> args = {"--embeddings", c.embeddings,
                                           "--rows",       rows,
                                           "--out-dir",    c.out_dir,
                                           "--seed",       std::to_string(c.seed),
                                           "--seconds",    number(c.seconds),
                                           "--rate",       std::to_string(c.rate),
                                           "--space",      c.space};
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    const std::string line = command_ + " " + io::join_command_line(int(argv.size()), argv.data());
    cluster::ChildOptions o;
    o.drop_prefixes = {"OMPI_", "OPAL_", "PMIX_", "PMI_"};
    if (!gpu_.empty()) o.set.emplace_back("CUDA_VISIBLE_DEVICES", gpu_);
    o.timeout_s = timeout_s_;
    return {cluster::run_logged({"/bin/sh", "-c", line}, log, o), log};
  }

 private:
  static std::string number(double v) {
    std::ostringstream s;
    s.precision(17);
    s << v;
    return s.str();
  }
  std::string command_;
  double timeout_s_;
  std::string gpu_;
};

class SynthGenerator : public Generator {
 public:
  SynthGenerator(analysis::SoundMap map, solvers::Matrix<double> queries)
      : map_(std::move(map)), queries_(std::move(queries)) {}
  [[nodiscard]] std::string name() const override { return "synth"; }

  GeneratorOutcome run(const GeneratorCall& c, const std::string&) override {
    for (std::size_t r : c.rows) {
      const solvers::Vector<double> q = queries_.row(Eigen::Index(r)).transpose();
      const analysis::ClipSound s = map_.sound(q.data(), c.seed + r);
      io::write_file_atomically(
          path_of_row(c.out_dir, r),
          {io::encode_wav(analysis::synthesize(s, c.seconds, c.rate), c.rate)});
    }
    return {};
  }

 private:
  analysis::SoundMap map_;
  solvers::Matrix<double> queries_;  // rows x d
};

// Per row, the sound of its best corpus match, or the file of its audio.
class RetrievalGenerator : public Generator {
 public:
  RetrievalGenerator(std::vector<analysis::ClipSound> sounds, std::vector<std::string> files)
      : sounds_(std::move(sounds)), files_(std::move(files)) {}
  [[nodiscard]] std::string name() const override { return "retrieval"; }

  GeneratorOutcome run(const GeneratorCall& c, const std::string&) override {
    for (std::size_t r : c.rows) {
      const std::string out = path_of_row(c.out_dir, r);
      if (!files_.empty()) {
        std::filesystem::copy_file(files_.at(r), out,
                                   std::filesystem::copy_options::overwrite_existing);
        continue;
      }
      // The corpus clip as it sounds, at the call's length and rate.
      io::write_file_atomically(
          out, {io::encode_wav(analysis::synthesize(sounds_.at(r), c.seconds, c.rate), c.rate)});
    }
    return {};
  }

 private:
  std::vector<analysis::ClipSound> sounds_;
  std::vector<std::string> files_;
};

// The corpus's embeddings must be in the decoded rows' dimension.
void check_corpus_dim(const std::string& corpus, const io::CorpusLayout& layout,
                      const analysis::Queries& queries) {
  if (std::size_t(queries.embeddings.cols()) != layout.dim)
    throw InputError(corpus + ": embeddings of d = " + std::to_string(layout.dim) +
                     ", the decoded rows d = " + std::to_string(queries.embeddings.cols()));
}

}  // namespace

std::unique_ptr<Generator> command_generator(std::string command, double timeout_s,
                                             std::string gpu) {
  return std::make_unique<CommandGenerator>(std::move(command), timeout_s, std::move(gpu));
}

std::unique_ptr<Generator> synth_generator(const std::string& corpus,
                                           const analysis::Queries& queries,
                                           const mpi::Comm& comm) {
  const io::H5File f(corpus, io::Access::read, comm);
  const io::CorpusLayout layout = mpi::agree_on(comm, [&] { return io::read_corpus_layout(f); });
  check_sound_table(f, layout.rows, comm);
  check_corpus_dim(corpus, layout, queries);
  analysis::SoundMap map(layout.dim, analysis::rhythm_count());
  scan_corpus_shard(f, layout, kChunk, CorpusPart::embeddings, comm,
                    [&](std::size_t first, std::size_t n, solvers::Matrix<float>& columns,
                        std::vector<std::string>&, const std::vector<std::vector<std::int32_t>>&) {
                      std::vector<std::size_t> rows(n);
                      for (std::size_t i = 0; i < n; ++i) rows[i] = first + i;
                      const std::vector<analysis::ClipSound> sounds = read_sound_rows(f, rows);
                      try {
                        map.add(columns, sounds);
                      } catch (const ConfigError& e) {
                        throw InputError(corpus + ":/sound: " + e.what());
                      }
                    });
  mpi::agree_on(comm, [&] { map.fit(comm); });
  return std::make_unique<SynthGenerator>(std::move(map), queries.embeddings.cast<double>());
}

std::unique_ptr<Generator> retrieval_generator(const std::string& corpus,
                                               const std::string& corpus_audio,
                                               const analysis::Queries& queries,
                                               const std::vector<std::string>& exclude,
                                               const mpi::Comm& comm) {
  const io::H5File f(corpus, io::Access::read, comm);
  const io::CorpusLayout layout = mpi::agree_on(comm, [&] { return io::read_corpus_layout(f); });
  check_corpus_dim(corpus, layout, queries);
  const CorpusHits hits = search_corpus(f, layout, queries, exclude, 1, kChunk, comm);
  std::vector<std::size_t> best;
  std::vector<std::string> files;
  for (std::size_t q = 0; q < hits.top.size(); ++q) {
    if (hits.top[q].empty())
      throw InputError(corpus + ": no corpus row is left to retrieve (every row excluded)");
    best.push_back(std::size_t(hits.top[q].front().candidate.index));
    if (!corpus_audio.empty())
      files.push_back(corpus_audio + "/" + hits.top[q].front().id + ".wav");
  }
  if (!corpus_audio.empty())
    return std::make_unique<RetrievalGenerator>(std::vector<analysis::ClipSound>{},
                                                std::move(files));
  check_sound_table(f, layout.rows, comm);
  std::vector<analysis::ClipSound> sounds;
  mpi::agree_on(comm, [&] { sounds = read_sound_rows(f, best); });
  return std::make_unique<RetrievalGenerator>(std::move(sounds), std::vector<std::string>{});
}

}  // namespace b2m::jobs
