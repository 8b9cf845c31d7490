// A simulated Brain2Music study on the real ds003720 design.
//
// Stimulus side (shared by all subjects): every clip has a semantic latent
// (its genre's centroid plus a clip deviation) and a slowly varying acoustic
// latent, and a fast low-level acoustic latent. The five feature spaces are
// noisy linear read-outs of these latents, so they correlate the way the real
// spaces do: MuLan-text reads only the semantic latent, MuLan-music and
// w2v-BERT read semantic and acoustic latents, SoundStream reads mostly the
// low-level latent, and the genre space is the one-hot label.
//
// Subject side: each voxel is driven by a known subset of spaces (chosen by
// its ROI), through low-rank true weights W_s = basis_s @ loadings_s, the
// canonical HRF, and AR(1) noise at a voxel-specific SNR. Test runs get
// independent noise per repetition. Everything is drawn from counter-based
// seeds (seed, subject, voxel block), so results do not depend on how many
// ranks generate them.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "analysis/feature_alignment.hpp"
#include "analysis/stimulus_timeline.hpp"
#include "io/bids_events.hpp"
#include "mpi/partition.hpp"
#include "solvers/matrix.hpp"

namespace b2m::analysis {

struct SpaceSpec {
  std::string name;
  std::size_t dim;
  std::size_t windows;
  double window_s;
  double step_s;
};

// The five spaces of the study, in bit order of the `drivers` masks.
[[nodiscard]] const std::vector<SpaceSpec>& study_spaces();
[[nodiscard]] std::size_t space_bit(const std::string& name);

// ROI labels of simulated voxels and their names.
[[nodiscard]] const std::vector<std::string>& simulated_roi_names();
inline constexpr int kRoiPrimaryAuditory = 1;

struct StudyDesign {
  std::vector<io::RunEvents> train_runs;
  std::vector<io::RunEvents> test_runs;
  double tr = 1.5;
};

// One block of simulated voxels of one subject. The responses are
// row-major, as they are written (the [rows, voxels] datasets).
struct VoxelBlock {
  solvers::RowMajorMatrix<float> train;                   // n_train x B
  std::vector<solvers::RowMajorMatrix<float>> reps;       // R x (n_test x B)
  solvers::RowMajorMatrix<float> test;                    // n_test x B, mean of reps
  std::vector<solvers::RowMajorMatrix<float>> test_runs;  // per test run, every scan x B
  std::vector<std::int32_t> roi;
  std::vector<std::uint8_t> drivers;
  std::vector<float> snr;
  std::vector<float> noise_ceiling;
  std::vector<solvers::Matrix<float>> loadings;  // per space, rank x B
};

// A subject's latent drive per space: the space's TR features projected on
// its tuning basis and convolved with the HRF (rank columns).
struct SubjectModel {
  int subject = 0;
  std::vector<solvers::Matrix<float>> basis;                     // per space, dim x rank
  std::vector<solvers::Matrix<double>> train_drive;              // per space, n_train x rank
  std::vector<std::vector<solvers::Matrix<double>>> test_drive;  // [space][test run]
};

// Clip-level embeddings (the mean of a space's windows) of synthetic corpus
// clips, and their tags.
struct CorpusChunk {
  solvers::RowMajorMatrix<float> embeddings;  // clips x dim, row by row as written
  std::vector<int> genre;                     // index into genre_names()
  std::vector<int> mood;                      // index into mood_names()
};

class StudySimulator {
 public:
  StudySimulator(StudyDesign design, std::uint64_t seed);

  [[nodiscard]] const std::vector<std::string>& clip_ids() const { return clip_ids_; }
  [[nodiscard]] const std::vector<int>& clip_genres() const { return clip_genres_; }
  [[nodiscard]] const std::vector<std::string>& genre_names() const { return genre_names_; }
  // A second tag, "mood": the sign of a clip's first semantic latent, which
  // its genre shifts (through the genre's centroid) but does not fix.
  [[nodiscard]] const std::vector<int>& clip_moods() const { return clip_moods_; }
  [[nodiscard]] static std::vector<std::string> mood_names() { return {"dark", "bright"}; }
  [[nodiscard]] const std::vector<ClipEmbeddings>& features() const { return features_; }
  [[nodiscard]] const TestLayout& test() const { return test_; }
  [[nodiscard]] std::size_t train_rows() const { return train_rows_; }
  [[nodiscard]] const std::vector<int>& train_run_labels() const { return train_run_labels_; }
  [[nodiscard]] static std::size_t rank() { return 6; }

  // Corpus clips [first, first + count) of `space`, drawn from the same
  // stimulus model (genre centroids, read-outs, noise) as the stimuli, with a
  // uniformly drawn genre. Clip i depends only on (seed, i), so any split of
  // the corpus over ranks gives the same clips.
  [[nodiscard]] CorpusChunk corpus(const std::string& space, std::size_t first,
                                   std::size_t count) const;

  [[nodiscard]] SubjectModel subject_model(int subject) const;
  [[nodiscard]] VoxelBlock simulate(const SubjectModel& model, std::size_t block_index,
                                    mpi::Range voxels) const;

 private:
  struct ClipLatents {
    int genre = 0;
    Eigen::VectorXd semantic;                     // kLatent
    solvers::Matrix<double> acoustic, low_level;  // steps x kLatent
  };
  struct Projections {
    solvers::Matrix<double> semantic, acoustic, low_level;  // dim x kLatent
  };
  [[nodiscard]] ClipLatents clip_latents(std::mt19937_64 rng, int genre) const;
  [[nodiscard]] static int mood_of(const ClipLatents& l) { return l.semantic(0) > 0 ? 1 : 0; }
  [[nodiscard]] Eigen::VectorXd window_embedding(std::size_t space, const ClipLatents& latents,
                                                 std::size_t window,
                                                 std::mt19937_64& noise_rng) const;

  StudyDesign design_;
  std::uint64_t seed_;
  solvers::Matrix<double> semantic_centroid_, acoustic_centroid_;
  std::vector<Projections> projections_;
  std::vector<std::string> clip_ids_;
  std::vector<int> clip_genres_, clip_moods_;
  std::vector<std::string> genre_names_;
  std::vector<ClipEmbeddings> features_;
  std::vector<RunTimeline> train_timelines_;
  std::vector<RunTimeline> test_timelines_;
  TestLayout test_;
  std::size_t train_rows_ = 0;
  std::vector<int> train_run_labels_;
};

}  // namespace b2m::analysis
