#include "io/decode_files.hpp"

#include <cmath>

#include "core/error.hpp"

namespace b2m::io {

void write_decode_predictions(H5File& f, const RowMajor<double>& test_prediction,
                              const RowMajor<double>& test_target,
                              const RowMajor<double>& cv_prediction,
                              const RowMajor<double>& train_target) {
  write_matrix<double>(f, "/test/prediction", test_prediction);
  write_matrix<double>(f, "/test/target", test_target);
  write_matrix<double>(f, "/train/cv_prediction", cv_prediction);
  write_matrix<double>(f, "/train/target", train_target);
}

void write_decode_samples(H5File& f, const DecodeSampleIndex& index,
                          const std::vector<std::string>& clip_ids) {
  f.write_all<std::int32_t>("/test/clip", {index.test_clip.size()}, index.test_clip);
  f.write_all<std::int32_t>("/test/window", {index.test_window.size()}, index.test_window);
  f.write_all<std::int32_t>("/train/clip", {index.train_clip.size()}, index.train_clip);
  f.write_all<std::int32_t>("/train/run", {index.train_run.size()}, index.train_run);
  f.write_attribute("/", "clip_ids", clip_ids);
}

void write_decode_scores(H5File& f, const DecodeScores& s) {
  f.write_all<double>("/test/identification", {s.identification.size()}, s.identification);
  f.write_all<double>("/test/embedding_r", {s.embedding_r.size()}, s.embedding_r);
  f.write_all<double>("/dims/alpha", {s.alpha.size()}, s.alpha);
  f.write_all<double>("/dims/cv_r", {s.cv_r.size()}, s.cv_r);
  f.write_all<double>("/dims/test_r", {s.test_r.size()}, s.test_r);
  f.write_attribute("/dims", "alphas", s.alphas);
  f.write_all<double>("/genres/identification", {s.genre_identification.size()},
                      s.genre_identification);
  f.write_attribute("/genres/identification", "names", s.genres);
  f.write_all<std::int64_t>("/voxels/selected", {s.voxels.size()}, s.voxels);
  f.write_attribute("/", "identification_accuracy", std::vector<double>{s.mean_identification});
  f.write_all<double>("/test/clip_identification", {s.clip_identification.size()},
                      s.clip_identification);
  f.write_attribute("/", "clip_identification_accuracy",
                    std::vector<double>{s.mean_clip_identification});
  f.write_attribute("/", "mean_test_r", std::vector<double>{s.mean_test_r});
  f.write_attribute("/", "baseline_embedding_r", std::vector<double>{s.baseline_embedding_r});
  f.write_attribute("/", "embedding_correlation", std::vector<double>{s.mean_embedding_r});
  f.write_attribute("/", "mean_cv_r", std::vector<double>{s.mean_cv_r});
  f.write_attribute("/", "samples",
                    std::vector<double>{double(s.train_samples), double(s.test_samples)});
  f.write_attribute("/", "voxels", std::vector<double>{double(s.voxels.size())});
  f.write_attribute("/", "space", s.space);
  f.write_attribute("/", "subject", s.subject);
}

void write_roi_models(H5File& f, const std::vector<double>& cv_r,
                      const std::vector<std::uint8_t>& top, const RowMajor<double>& alpha,
                      const std::vector<std::string>& names) {
  f.write_all<double>("/rois/cv_r", {cv_r.size()}, cv_r);
  f.write_all<std::uint8_t>("/rois/top", {top.size()}, top);
  write_matrix<double>(f, "/rois/alpha", alpha);
  f.write_attribute("/rois/cv_r", "names", names);
}

DecodePredictions read_decode_predictions(const H5File& f) {
  const std::string& path = f.path();
  for (const char* set : {"/test/prediction", "/test/target", "/test/clip"})
    if (!f.exists(set))
      throw InputError(path + ": no " + std::string(set) + " (is it a b2m decode output?)");
  const Shape s = f.shape("/test/prediction");
  if (s.size() != 2) throw InputError(path + ":/test/prediction: expected [queries, d]");
  DecodePredictions p;
  p.rows = s[0];
  p.dim = s[1];
  p.values = f.read_all<double>("/test/prediction");
  for (std::size_t i = 0; i < p.values.size(); ++i)
    if (!std::isfinite(p.values[i]))
      throw InputError(path + ":/test/prediction: non-finite value in query " +
                       std::to_string(i / p.dim));
  p.targets = f.read_all<double>("/test/target");
  if (p.targets.size() != p.values.size())
    throw InputError(path + ":/test/target does not have the shape of /test/prediction");
  p.clip = f.read_all<std::int32_t>("/test/clip");
  if (p.clip.size() != p.rows)
    throw InputError(path + ":/test/clip has " + std::to_string(p.clip.size()) + " rows");
  p.clip_ids = f.read_strings_attribute("/", "clip_ids");
  return p;
}

}  // namespace b2m::io
