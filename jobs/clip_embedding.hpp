// What b2m evaluate hears clips through (issue 18): the built-in acoustic
// embedder (analysis/acoustic_embedding.hpp), or an external command that
// keeps the embedder contract (README, "The embedder contract"):
//
//   /bin/sh -c "COMMAND --list files.txt --out embeddings.npy"
//
// reads the WAVs listed (one absolute path a line) and writes one row of
// floats per file, in order (.npy, float32 or float64 [files, d]). MuLan
// or CLAP on a GPU node sits behind such a command; b2m checks its rows,
// its dimension and its values, never trusts them.
//
// A clip is a WAV file, or a corpus clip's sound rendered on demand from
// its /sound row, so a corpus never has to be stored as audio.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "analysis/music_synth.hpp"
#include "mpi/comm.hpp"
#include "mpi/partition.hpp"
#include "solvers/matrix.hpp"

namespace b2m::jobs {

struct ClipSource {
  std::string file;           // a WAV; "" for a rendered sound
  analysis::ClipSound sound;  // rendered when `file` is ""
  std::string name;           // what errors call a rendered sound (its corpus id)
};
[[nodiscard]] inline ClipSource wav_clip(std::string file) {
  return {std::move(file), {}, ""};
}

class ClipEmbedder {
 public:
  ClipEmbedder() = default;
  ClipEmbedder(const ClipEmbedder&) = delete;
  ClipEmbedder& operator=(const ClipEmbedder&) = delete;
  virtual ~ClipEmbedder() = default;
  // The name results record: the built-in's version, or the command.
  [[nodiscard]] virtual std::string name() const = 0;

  // One row per clip, in order, on every rank; the ranks share the clips.
  // WAVs must be sampled at `rate`; sounds are rendered at `rate` for
  // `seconds`. Every call's rows are of one length. Errors name the clip's
  // file (or the embedder's output) and are raised on every rank.
  // Collective.
  [[nodiscard]] solvers::Matrix<double> embed(const std::vector<ClipSource>& clips, int rate,
                                              double seconds, const mpi::Comm& comm);

 protected:
  // Rows `mine` of `clips` on rank `rank`, row-major (`dim` set to the
  // row length; left as is when `mine` is empty).
  virtual std::vector<double> embed_part(const std::vector<ClipSource>& clips, mpi::Range mine,
                                         int rate, double seconds, int rank, std::size_t& dim) = 0;
  // The row length of the calls so far (0 before the first with clips).
  [[nodiscard]] std::size_t dim() const { return dim_; }

 private:
  std::size_t dim_ = 0;
};

// The built-in acoustic embedder, its name the definition's version.
[[nodiscard]] std::unique_ptr<ClipEmbedder> acoustic_embedder();
// An external command; each rank calls it once per embed() with its share
// of the clips, in a folder of its own under `work_dir` (rank-<r>, with its
// output in rank-<r>.log; both removed after a good call, kept after a bad
// one), for at most `timeout_s` seconds.
[[nodiscard]] std::unique_ptr<ClipEmbedder> command_embedder(std::string command,
                                                             std::string work_dir,
                                                             double timeout_s);

// The built-in's work on one rank: rows `mine` of `clips`, row-major.
[[nodiscard]] std::vector<double> acoustic_embeddings(const std::vector<ClipSource>& clips,
                                                      mpi::Range mine, int rate, double seconds);
// The built-in's version, recorded with its embeddings.
[[nodiscard]] const char* acoustic_embedder_name();

}  // namespace b2m::jobs
