// The built-in `synth` generator's map from an embedding to the sound of a
// clip (issue 18): fitted on a corpus whose rows carry both an embedding and
// the sound parameters that render them (simulate --corpus), then applied to
// decoded embeddings. A ridge regression on the standardized embedding
// (standardized_ridge.hpp) predicts, per corpus sound parameter:
//
//   rhythm, instrument  one-hot codes; the largest predicted class wins;
//   major               +-1; its sign;
//   tempo               its log; clamped to 40..240 bpm;
//   brightness          itself; clamped to [0, 1].
//
// The key (root) and the melody come from the row's seed. The fit reads the
// corpus once in shards, each rank adding its rows.
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/music_synth.hpp"
#include "analysis/standardized_ridge.hpp"
#include "mpi/comm.hpp"
#include "solvers/matrix.hpp"

namespace b2m::analysis {

class SoundMap {
 public:
  // An empty fit for embeddings of `dim` values, sounds with `rhythms`
  // drum patterns (rhythm in 0..rhythms-1).
  SoundMap(std::size_t dim, int rhythms);

  // Adds corpus rows: `embeddings` (d x n columns) and their sounds.
  void add(const solvers::Matrix<float>& embeddings, const std::vector<ClipSound>& sounds);
  // Joins every rank's rows and solves (collective). ConfigError if fewer
  // rows than dimensions were added, or an embedding dimension is constant.
  void fit(const mpi::Comm& comm, double ridge = 1e-2);

  // The sound of `embedding` (d values), its key and melody from `seed`.
  [[nodiscard]] ClipSound sound(const double* embedding, std::uint64_t seed) const;

 private:
  [[nodiscard]] std::size_t targets() const;

  std::size_t dim_;
  int rhythms_;
  StandardizedRidge ridge_;
};

}  // namespace b2m::analysis
