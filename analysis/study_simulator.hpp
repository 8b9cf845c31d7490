// A simulated Brain2Music study on the real ds003720 design.
//
// Stimulus side (shared by all subjects): every clip has a semantic latent
// (its genre's centroid plus a clip deviation) and a slowly varying acoustic
// latent, and a fast low-level acoustic latent. The five feature spaces of
// the paper are noisy linear read-outs of these latents, so they correlate
// the way the real spaces do: MuLan-text reads only the semantic latent,
// MuLan-music and w2v-BERT read semantic and acoustic latents, SoundStream
// reads mostly the low-level latent, and the genre space is the one-hot
// label. A sixth, `modulation`, is a non-music acoustic baseline (the
// acoustic and low-level latents, no semantics, like a spectro-temporal
// modulation model) that drives no voxel: it predicts what it shares with
// the drivers, which b2m compare measures. It comes last and every draw is
// keyed by space, so the paper's spaces and the voxels are what they were
// without it.
//
// Subject side: each voxel is driven by a known subset of spaces (chosen by
// its ROI), through low-rank true weights W_s = basis_s @ loadings_s, the
// canonical HRF, and AR(1) noise at a voxel-specific SNR. Test runs get
// independent noise per repetition. Everything is drawn from counter-based
// seeds (seed, subject, voxel block), so results do not depend on how many
// ranks generate them.
//
// Two presets. `paper` (the default) is calibrated to the paper's effect
// sizes (calibrated_voxels.cpp): 148 Destrieux parcels, a few percent of
// voxels driven and those mostly in 8 auditory parcels, a stimulus-driven
// component no feature space reads, noise shared by voxels through smooth
// factors, and per-parcel tuning of rank 20. `easy` is the study of b2m's
// first sessions: 5 ROIs, 43% of voxels driven, independent noise, one
// rank-6 tuning per space.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "analysis/feature_alignment.hpp"
#include "analysis/music_synth.hpp"
#include "analysis/parcellation.hpp"
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

// The six spaces of the study, in bit order of the `drivers` masks.
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

enum class Preset { paper, easy };
[[nodiscard]] Preset preset_named(const std::string& name);

// Every generating parameter; the paper preset's (the easy preset uses
// only `preset`). `voxels` sizes the parcels. The defaults are calibrated
// at 60,000 voxels (bench/calibration_bench.py): decoded as the paper did
// it, MuLan-music identification is the paper's and the four spaces come in
// its Table 2's order. Whoever builds the struct gets the easy preset, as
// b2m's solver, file and fault tests do; `b2m simulate` defaults to paper.
struct SimulatorParams {
  Preset preset = Preset::easy;
  std::size_t voxels = 0;
  // Dims of each stimulus latent (semantic, acoustic, low-level) that the
  // spaces read: real embeddings carry far more structure than a brain
  // region's tuning spans.
  std::size_t latent_dims = 32;
  // How far a clip's latents stray from its genre's (1: the easy study's);
  // clips of a genre sound alike, and identification must tell them apart.
  double clip_spread = 0.5;
  // Global SNR: a driven voxel's signal / noise variance is snr_scale x
  // 10^u, u uniform in [-snr_decades, 0] (x other_snr outside the auditory
  // parcels). Calibrated so that MuLan-music identification is the paper's.
  double snr_scale = 1.5;
  double snr_decades = 2.0;
  double other_snr = 0.5;
  // Share of a driven voxel's signal variance that no feature space reads:
  // a stimulus series of `unread_dims` dimensions, read per parcel through
  // a rank-`unread_rank` subspace.
  double unread_min = 0.3, unread_max = 0.8;
  std::size_t unread_dims = 16, unread_rank = 8;
  // Noise: `noise_factors` AR(1) series shared by all voxels, a parcel's
  // voxels loading on them alike; `shared_noise` of each voxel's noise.
  std::size_t noise_factors = 16;
  double shared_noise = 0.3;
  // Trial-to-trial variability of the representation itself: noise of this
  // variance (relative to the drive's) added to each space's drive in the
  // subject basis, new at every presentation, reaching the voxels through
  // their tuning. Pooling voxels cannot remove it, so it bounds decoding
  // whatever the voxel count.
  double drive_noise = 24.0;
  // Tuning: per parcel and space, rank `parcel_rank` in a subject basis of
  // `basis_rank`, with singular values j^-spectrum_decay.
  std::size_t parcel_rank = 20, basis_rank = 48;
  double spectrum_decay = 0.75;
  // Probability that a voxel is driven, by parcel kind.
  double drive_primary = 0.7, drive_belt = 0.7, drive_adjacent = 0.2, drive_other = 0.008;

  // Name and value of every parameter, for the ground-truth file.
  [[nodiscard]] std::vector<std::pair<std::string, double>> values() const;
  // Sets the parameter `name` (one of values()'s names); a ConfigError for
  // an unknown name or a value out of its range.
  void set(const std::string& name, double value);
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
  std::vector<float> unread;                     // share of the signal no space reads
  std::vector<solvers::Matrix<float>> loadings;  // per space, rank x B
};

// A subject's latent drive per space: the space's TR features projected on
// its tuning basis and convolved with the HRF (rank columns).
struct SubjectModel {
  int subject = 0;
  std::vector<solvers::Matrix<float>> basis;                     // per space, dim x rank
  std::vector<solvers::Matrix<double>> train_drive;              // per space, n_train x rank
  std::vector<std::vector<solvers::Matrix<double>>> test_drive;  // [space][test run]
  // Paper preset: the drive no space reads, and the shared noise factors.
  solvers::Matrix<double> unread_train, factors_train;             // n_train x rank, n_train x K
  std::vector<solvers::Matrix<double>> unread_test, factors_test;  // per test run
  // ... and the drive noise (drive_noise), per space like the drives.
  std::vector<solvers::Matrix<double>> drive_noise_train;
  std::vector<std::vector<solvers::Matrix<double>>> drive_noise_test;
};

// Clip-level embeddings (the mean of a space's windows) of synthetic corpus
// clips, their tags and their sounds.
struct CorpusChunk {
  solvers::RowMajorMatrix<float> embeddings;  // clips x dim, row by row as written
  std::vector<int> genre;                     // index into genre_names()
  std::vector<int> instrument;                // index into instrument_names()
  std::vector<int> mood;                      // index into mood_names()
  std::vector<ClipSound> sound;               // to render the clip (music_synth.hpp)
};

// The paper preset's stimulus series that no feature space reads: per clip
// 16 AR(1) dimensions in 1.5 s windows (calibrated_voxels.cpp).
[[nodiscard]] ClipEmbeddings unread_clip_series(const std::vector<std::string>& ids,
                                                std::uint64_t seed, std::size_t dims);

class StudySimulator {
 public:
  StudySimulator(StudyDesign design, std::uint64_t seed, SimulatorParams params);

  [[nodiscard]] const std::vector<std::string>& clip_ids() const { return clip_ids_; }
  [[nodiscard]] const std::vector<int>& clip_genres() const { return clip_genres_; }
  [[nodiscard]] const std::vector<std::string>& genre_names() const { return genre_names_; }
  // A second tag, "mood": the sign of a clip's first semantic latent, which
  // its genre shifts (through the genre's centroid) but does not fix.
  [[nodiscard]] const std::vector<int>& clip_moods() const { return clip_moods_; }
  [[nodiscard]] static std::vector<std::string> mood_names() { return {"dark", "bright"}; }
  // A third tag, the instrument family (instrument_names()): the largest of
  // a clip's semantic latents 2 to 5, which its genre shifts but does not
  // fix.
  [[nodiscard]] const std::vector<int>& clip_instruments() const { return clip_instruments_; }
  // The sound of stimulus clip `clip` (music_synth.hpp): its genre's style,
  // its instrument, a mode from its mood, a brightness and a tempo shift
  // from its semantic latents.
  [[nodiscard]] ClipSound stimulus_sound(std::size_t clip) const;
  [[nodiscard]] const std::vector<ClipEmbeddings>& features() const { return features_; }
  [[nodiscard]] const TestLayout& test() const { return test_; }
  [[nodiscard]] std::size_t train_rows() const { return train_rows_; }
  [[nodiscard]] const std::vector<int>& train_run_labels() const { return train_run_labels_; }
  [[nodiscard]] std::size_t rank() const { return rank_; }
  [[nodiscard]] const SimulatorParams& params() const { return params_; }
  // The names of the voxels' ROI labels.
  [[nodiscard]] const std::vector<std::string>& roi_names() const { return roi_names_; }

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
  [[nodiscard]] static int instrument_of(const ClipLatents& l);
  [[nodiscard]] ClipSound sound_of(const ClipLatents& l, std::uint64_t seed) const;
  [[nodiscard]] Eigen::VectorXd window_embedding(std::size_t space, const ClipLatents& latents,
                                                 std::size_t window,
                                                 std::mt19937_64& noise_rng) const;
  [[nodiscard]] VoxelBlock simulate_easy(const SubjectModel& model, std::size_t block_index,
                                         mpi::Range voxels) const;
  // calibrated_voxels.cpp
  [[nodiscard]] VoxelBlock simulate_calibrated(const SubjectModel& model, std::size_t block_index,
                                               mpi::Range voxels) const;
  void calibrated_model(SubjectModel& model) const;
  // The test repetitions, their mean and the true ceiling of a block from
  // each test run's noiseless signal and measured series.
  void assemble_test(const std::vector<solvers::Matrix<double>>& run_signal,
                     const std::vector<solvers::Matrix<double>>& run_y, VoxelBlock& out) const;

  StudyDesign design_;
  std::uint64_t seed_;
  SimulatorParams params_;
  std::size_t rank_ = 6;
  std::size_t latent_ = 8;  // dims of each stimulus latent
  std::vector<std::string> roi_names_;
  Parcellation parcels_;         // paper preset
  ClipEmbeddings unread_clips_;  // paper preset: what no space reads
  solvers::Matrix<double> semantic_centroid_, acoustic_centroid_;
  std::vector<Projections> projections_;
  std::vector<std::string> clip_ids_;
  std::vector<int> clip_genres_, clip_moods_, clip_instruments_;
  std::vector<std::string> genre_names_;
  std::vector<ClipEmbeddings> features_;
  std::vector<RunTimeline> train_timelines_;
  std::vector<RunTimeline> test_timelines_;
  TestLayout test_;
  std::size_t train_rows_ = 0;
  std::vector<int> train_run_labels_;
};

}  // namespace b2m::analysis
