// The decode result (docs/formats.md, "Decode result"): what one subject x
// space model predicted and how well; written by decode, read by retrieve.
// Writers write rank 0's data (every rank calls them: they are collective).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/h5_file.hpp"
#include "io/h5_matrix.hpp"

namespace b2m::io {

// Predictions and targets (samples x d, in the feature file's units).
void write_decode_predictions(H5File& f, const RowMajor<double>& test_prediction,
                              const RowMajor<double>& test_target,
                              const RowMajor<double>& cv_prediction,
                              const RowMajor<double>& train_target);

// Which clip, window and run each sample is; clips index `clip_ids`.
struct DecodeSampleIndex {
  std::vector<std::int32_t> test_clip, test_window, train_clip, train_run;
};
void write_decode_samples(H5File& f, const DecodeSampleIndex& index,
                          const std::vector<std::string>& clip_ids);

// The scores: per test sample, per dimension, per genre, and the means.
struct DecodeScores {
  std::vector<double> identification, embedding_r;  // per test sample
  std::vector<double> alpha, cv_r, test_r;          // per dimension
  std::vector<double> alphas;                       // the grid
  std::vector<std::string> genres;                  // per genre: the mean identification
  std::vector<double> genre_identification;
  double mean_identification = 0, mean_embedding_r = 0, mean_cv_r = 0;
  std::vector<double> clip_identification;  // per test clip (the mean of its windows)
  double mean_clip_identification = 0, mean_test_r = 0, baseline_embedding_r = 0;
  std::size_t train_samples = 0, test_samples = 0;
  std::vector<std::int64_t> voxels;  // the voxels the model used
  std::string space, subject;
};
void write_decode_scores(H5File& f, const DecodeScores& scores);

// One model per ROI: mean CV r, whether among the top k averaged, and the
// alpha per dimension (models x d).
void write_roi_models(H5File& f, const std::vector<double>& cv_r,
                      const std::vector<std::uint8_t>& top, const RowMajor<double>& alpha,
                      const std::vector<std::string>& names);

// What retrieve reads of a decode result: the test predictions (row-major
// rows x d, all finite), each row's clip and the clip ids. InputErrors name
// the file.
struct DecodePredictions {
  std::vector<double> values;
  std::vector<double> targets;  // /test/target, the true embeddings (same shape)
  std::size_t rows = 0, dim = 0;
  std::vector<std::int32_t> clip;
  std::vector<std::string> clip_ids;
};
[[nodiscard]] DecodePredictions read_decode_predictions(const H5File& f);

}  // namespace b2m::io
