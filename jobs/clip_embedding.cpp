#include "jobs/clip_embedding.hpp"

#include <cmath>
#include <filesystem>

#include "analysis/acoustic_embedding.hpp"
#include "cluster/process.hpp"
#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/npy_array.hpp"
#include "io/provenance.hpp"
#include "io/wav_file.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {
namespace {

namespace fs = std::filesystem;

// What a clip is called in an error: its file, or the sound it renders.
std::string describe(const ClipSource& c) {
  return c.file.empty() ? "corpus clip " + c.name + ", rendered from its /sound row" : c.file;
}

class AcousticClipEmbedder : public ClipEmbedder {
 public:
  [[nodiscard]] std::string name() const override { return acoustic_embedder_name(); }

 protected:
  std::vector<double> embed_part(const std::vector<ClipSource>& clips, mpi::Range mine, int rate,
                                 double seconds, int, std::size_t& dim) override {
    dim = analysis::AcousticEmbedder::dim();
    return acoustic_embeddings(clips, mine, rate, seconds);
  }
};

class CommandClipEmbedder : public ClipEmbedder {
 public:
  CommandClipEmbedder(std::string command, std::string work_dir, double timeout_s)
      : command_(std::move(command)), work_dir_(std::move(work_dir)), timeout_s_(timeout_s) {}
  [[nodiscard]] std::string name() const override { return command_; }

 protected:
  std::vector<double> embed_part(const std::vector<ClipSource>& clips, mpi::Range mine, int rate,
                                 double seconds, int rank, std::size_t& dim) override {
    if (mine.empty()) return {};
    const std::string dir = work_dir_ + "/rank-" + std::to_string(rank);
    fs::remove_all(dir);
    fs::create_directories(dir);
    // Sounds become WAVs for the command; files are listed where they are.
    std::string list;
    std::vector<std::string> names;  // each row's clip, for errors
    for (std::size_t i = mine.begin; i < mine.end; ++i) {
      std::string path = clips[i].file;
      if (path.empty()) {
        path = dir + "/clip-" + std::to_string(i) + ".wav";
        io::write_file_atomically(
            path, {io::encode_wav(analysis::synthesize(clips[i].sound, seconds, rate), rate)});
      }
      list += fs::absolute(path).string() + "\n";
      names.push_back(clips[i].file.empty() ? describe(clips[i]) + " as " + path : path);
    }
    io::write_file_atomically(dir + "/files.txt", {list});
    const std::string out = dir + "/embeddings.npy";
    const std::vector<std::string> args = {"--list", dir + "/files.txt", "--out", out};
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    const std::string line = command_ + " " + io::join_command_line(int(argv.size()), argv.data());
    cluster::ChildOptions o;
    o.drop_prefixes = {"OMPI_", "OPAL_", "PMIX_", "PMI_"};
    o.timeout_s = timeout_s_;
    const std::string log = dir + ".log";
    fs::remove(log);
    const int status = cluster::run_logged({"/bin/sh", "-c", line}, log, o);
    const std::string tail = cluster::log_tail(log);
    const std::string output =
        "; its output (" + log + ")" + (tail.empty() ? " is empty" : ":\n" + tail);
    if (status != 0)
      throw Error(
          "embedder '" + command_ + "' " +
          (status == cluster::kTimedOut ? "ran past its " + std::to_string(timeout_s_) + " s"
                                        : "exited with status " + std::to_string(status)) +
          " on the " + std::to_string(mine.size()) + " clips of " + dir + "/files.txt" + output);
    if (!fs::exists(out)) throw InputError("embedder '" + command_ + "' wrote no " + out + output);
    const io::NpyReader reader(out);
    if (reader.rows() != mine.size())
      throw InputError(out + ": " + std::to_string(reader.rows()) + " rows from embedder '" +
                       command_ + "' for the " + std::to_string(mine.size()) + " clips of " + dir +
                       "/files.txt (one row per file, in order)");
    dim = reader.cols();
    if (dim == 0) throw InputError(out + ": rows of no values from embedder '" + command_ + "'");
    if (this->dim() != 0 && dim != this->dim())
      throw InputError(out + ": rows of " + std::to_string(dim) + " values from embedder '" +
                       command_ + "' for the clips of " + dir +
                       "/files.txt; its earlier calls gave " + std::to_string(this->dim()) +
                       ": it must embed every clip in one dimension");
    const io::RowMajor<float> rows = reader.rows(mpi::Range{0, mine.size()});
    std::vector<double> values(rows.size());
    for (std::size_t r = 0; r < mine.size(); ++r)
      for (std::size_t j = 0; j < dim; ++j) {
        const double v = rows(Eigen::Index(r), Eigen::Index(j));
        if (!std::isfinite(v))
          throw InputError(out + ": row " + std::to_string(r) + " (" + names[r] +
                           ") holds a non-finite value at column " + std::to_string(j) +
                           ", from embedder '" + command_ + "'");
        values[r * dim + j] = v;
      }
    fs::remove_all(dir);
    fs::remove(log);
    return values;
  }

 private:
  std::string command_;
  std::string work_dir_;
  double timeout_s_;
};

}  // namespace

const char* acoustic_embedder_name() {
  return "b2m-acoustic-1";
}

std::vector<double> acoustic_embeddings(const std::vector<ClipSource>& clips, mpi::Range mine,
                                        int rate, double seconds) {
  const std::size_t dim = analysis::AcousticEmbedder::dim();
  std::vector<double> values(mine.size() * dim);
  if (mine.empty()) return values;
  analysis::AcousticEmbedder embedder(rate);
  for (std::size_t i = mine.begin; i < mine.end; ++i) {
    const ClipSource& c = clips[i];
    std::vector<float> samples;
    if (c.file.empty()) {
      samples = analysis::synthesize(c.sound, seconds, rate);
    } else {
      const io::Audio audio = io::read_wav(c.file);
      if (audio.rate != rate)
        throw InputError(c.file + ": sampled at " + std::to_string(audio.rate) + " Hz, not " +
                         std::to_string(rate) + " Hz as the clips it is embedded with");
      samples = io::mono_mix(audio);
    }
    try {
      embedder.embed(samples, values.data() + (i - mine.begin) * dim);
    } catch (const ConfigError& e) {
      throw InputError(describe(c) + ": " + e.what());
    }
  }
  return values;
}

solvers::Matrix<double> ClipEmbedder::embed(const std::vector<ClipSource>& clips, int rate,
                                            double seconds, const mpi::Comm& comm) {
  const mpi::Range mine =
      mpi::even_part(clips.size(), std::size_t(comm.size()), std::size_t(comm.rank()));
  std::size_t dim = 0;
  const std::vector<double> part =
      mpi::agree_on(comm, [&] { return embed_part(clips, mine, rate, seconds, comm.rank(), dim); });
  // Every rank's rows must be of one length (a rank without clips has none).
  const std::vector<unsigned long long> dims = comm.allgather<unsigned long long>(dim);
  dim = mpi::agree_on(comm, [&] {  // the same on every rank: ends the job cleanly
    std::size_t agreed = 0;
    for (unsigned long long d : dims) {
      if (d == 0) continue;  // a rank without clips
      if (agreed != 0 && d != agreed)
        throw InputError("embedder '" + name() + "' returned rows of " + std::to_string(agreed) +
                         " values on one rank and " + std::to_string(d) +
                         " on another: it must embed every clip in one dimension");
      agreed = std::size_t(d);
    }
    return agreed;
  });
  if (dim != 0) dim_ = dim;  // each rank's calls check theirs against it
  const std::vector<double> all = comm.allgatherv(part.data(), part.size());
  solvers::Matrix<double> out(Eigen::Index(clips.size()), Eigen::Index(dim));
  for (std::size_t r = 0; r < clips.size(); ++r)
    for (std::size_t j = 0; j < dim; ++j) out(Eigen::Index(r), Eigen::Index(j)) = all[r * dim + j];
  return out;
}

std::unique_ptr<ClipEmbedder> acoustic_embedder() {
  return std::make_unique<AcousticClipEmbedder>();
}

std::unique_ptr<ClipEmbedder> command_embedder(std::string command, std::string work_dir,
                                               double timeout_s) {
  return std::make_unique<CommandClipEmbedder>(std::move(command), std::move(work_dir), timeout_s);
}

}  // namespace b2m::jobs
