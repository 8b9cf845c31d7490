#include "io/encode_files.hpp"

#include <limits>
#include <string>

#include "io/h5_error.hpp"

namespace b2m::io {
namespace {

const char* const kColumns[] = {"/voxels/alpha", "/voxels/cv_score", "/voxels/r_test",
                                "/voxels/r2_test", "/voxels/p_test"};
const char* const kCeilingColumns[] = {"/voxels/explainable_variance", "/voxels/noise_ceiling",
                                       "/voxels/r_normalized"};

}  // namespace

template <class T>
void EncodeResults::create(const EncodeResultShape& s) {
  for (const char* set : kColumns) file_.create<double>(at(set), {s.voxels});
  if (s.ceiling)
    for (const char* set : kCeilingColumns) file_.create<double>(at(set), {s.voxels});
  file_.create<std::uint8_t>(at("/voxels/valid"), {s.voxels});
  file_.write_attribute(at("/voxels"), "alphas", s.alphas);
  if (s.features > 0) file_.create<T>(at("/weights"), {s.features, s.voxels});
  if (s.test_rows > 0) {
    for (const char* set : {"/test/prediction", "/test/observed"})
      file_.create<float>(at(set), {s.test_rows, s.voxels});
    file_.write_attribute(at("/test"), "clip_rows", std::vector<double>{double(s.clip_rows)});
    if (s.carry_over_rows)
      file_.write_attribute(at("/test"), "carry_over_rows",
                            std::vector<double>{double(*s.carry_over_rows)});
  }
  file_.create<std::uint8_t>(at("/progress/blocks_done"), {s.blocks});
  file_.flush();
}

std::vector<std::uint8_t> EncodeResults::blocks_done() const {
  return file_.read_all<std::uint8_t>(at("/progress/blocks_done"));
}

void EncodeResults::write(mpi::Range voxels, const VoxelColumns& c) {
  const Shape first = {voxels.begin}, count = {voxels.size()};
  const double* columns[] = {c.alpha, c.cv_score, c.r_test, c.r2_test, c.p_test};
  for (std::size_t k = 0; k < 5; ++k)
    file_.write<double>(at(kColumns[k]), first, count, columns[k]);
  file_.write<std::uint8_t>(at("/voxels/valid"), first, count, c.valid);
  // Whether the file has the ceiling, not whether this rank's pointer is
  // set: a rank with no voxels this round holds empty vectors (null data)
  // and must still join the collective writes.
  if (!has_ceiling()) return;
  const double* ceiling[] = {c.explainable_variance, c.noise_ceiling, c.r_normalized};
  for (std::size_t k = 0; k < 3; ++k)
    file_.write<double>(at(kCeilingColumns[k]), first, count, ceiling[k]);
}

template <class T>
void EncodeResults::write_weights(std::size_t first_voxel, const RowMajor<T>& weights) {
  write_rows<T>(file_, at("/weights"), 0, first_voxel, weights);
}

void EncodeResults::mark_done(std::optional<std::size_t> block) {
  const std::uint8_t one = 1;
  file_.write<std::uint8_t>(at("/progress/blocks_done"), {block.value_or(0)}, {block ? 1u : 0u},
                            &one);
}

void EncodeResults::read(mpi::Range voxels, std::vector<double>& r, std::vector<double>& alpha,
                         std::vector<double>& p, std::vector<double>& ceiling) const {
  const bool ceiling_given = has_ceiling();
  const std::pair<const char*, std::vector<double>*> sets[] = {{"/voxels/r_test", &r},
                                                               {"/voxels/alpha", &alpha},
                                                               {"/voxels/p_test", &p},
                                                               {"/voxels/noise_ceiling", &ceiling}};
  for (const auto& [name, values] : sets) {
    values->assign(voxels.size(), std::numeric_limits<double>::quiet_NaN());
    if (values != &ceiling || ceiling_given)
      file_.read<double>(at(name), {voxels.begin}, {voxels.size()}, values->data());
  }
}

void check_resumable(H5File& results, H5File& checkpoint, const std::string& group) {
  const std::size_t blocks = EncodeResults(results, group).blocks_done().size();
  const Shape scored = checkpoint.shape(group + "/cv/done");
  static_cast<void>(ScoreCheckpoint(checkpoint, group).done());
  if (scored.size() != 2 || scored[1] != blocks)
    throw H5Error(checkpoint.path() + ":" + group + "/cv/done does not match " + results.path() +
                  ":" + group + "/progress/blocks_done");
}

void ScoreCheckpoint::create(std::size_t folds, std::size_t alphas, std::size_t voxels,
                             std::size_t blocks) {
  file_.create<double>(at("/cv/mse"), {folds, alphas, voxels});
  file_.create<double>(at("/cv/r2"), {folds, alphas, voxels});
  file_.create<std::uint8_t>(at("/cv/done"), {folds, blocks});
  file_.flush();
}

std::vector<std::uint8_t> ScoreCheckpoint::done() const {
  return file_.read_all<std::uint8_t>(at("/cv/done"));
}

void ScoreCheckpoint::write(std::size_t fold, std::size_t first_voxel, const RowMajor<double>& mse,
                            const RowMajor<double>& r2) {
  write_slice<double>(file_, at("/cv/mse"), fold, first_voxel, mse);
  write_slice<double>(file_, at("/cv/r2"), fold, first_voxel, r2);
}

void ScoreCheckpoint::mark_done(std::optional<std::pair<std::size_t, std::size_t>> fold_block) {
  const std::uint8_t one = 1;
  const auto [fold, block] = fold_block.value_or(std::pair<std::size_t, std::size_t>{0, 0});
  const std::size_t n = fold_block ? 1 : 0;
  file_.write<std::uint8_t>(at("/cv/done"), {fold, block}, {n, n}, &one);
}

void ScoreCheckpoint::summed(mpi::Range voxels, RowMajor<double>& mse, RowMajor<double>& r2) const {
  const Shape shape = file_.shape(at("/cv/mse"));
  const std::size_t folds = shape[0], alphas = shape[1], w = voxels.size();
  const Shape first = {0, 0, voxels.begin};
  const Shape count = {w == 0 ? 0 : folds, w == 0 ? 0 : alphas, w};
  std::vector<double> m(folds * alphas * w), s(m.size());
  file_.read<double>(at("/cv/mse"), first, count, m.data());
  file_.read<double>(at("/cv/r2"), first, count, s.data());
  mse.setZero(long(alphas), long(w));
  r2.setZero(long(alphas), long(w));
  for (std::size_t k = 0; k < folds; ++k)
    for (std::size_t a = 0; a < alphas; ++a)
      for (std::size_t j = 0; j < w; ++j) {
        mse(long(a), long(j)) += m[(k * alphas + a) * w + j];
        r2(long(a), long(j)) += s[(k * alphas + a) * w + j];
      }
}

template void EncodeResults::create<float>(const EncodeResultShape&);
template void EncodeResults::create<double>(const EncodeResultShape&);

template <class T>
void EncodeResults::write_test_rows(std::size_t first_voxel, const ColMajor<T>& prediction,
                                    const ColMajor<T>& observed) {
  write_rows<float>(file_, at("/test/prediction"), 0, first_voxel,
                    prediction.template cast<float>());
  write_rows<float>(file_, at("/test/observed"), 0, first_voxel, observed.template cast<float>());
}

template void EncodeResults::write_test_rows<float>(std::size_t, const ColMajor<float>&,
                                                    const ColMajor<float>&);
template void EncodeResults::write_test_rows<double>(std::size_t, const ColMajor<double>&,
                                                     const ColMajor<double>&);
template void EncodeResults::write_weights<float>(std::size_t, const RowMajor<float>&);
template void EncodeResults::write_weights<double>(std::size_t, const RowMajor<double>&);

TestRows read_test_rows(const H5File& f) {
  if (!f.exists("/test/prediction") || !f.exists("/test/observed"))
    throw InputError(f.path() +
                     " has no /test/prediction and /test/observed: b2m stats and compare read "
                     "encode results made with --save-predictions (rerun encode with it)");
  const Shape p = f.shape("/test/prediction"), y = f.shape("/test/observed");
  if (p.size() != 2 || p != y)
    throw InputError(f.path() + ": /test/prediction and /test/observed must be [m, V] alike");
  TestRows t{p[0], p[1], 0, std::nullopt};
  if (!f.exists("/voxels/r_test") || f.shape("/voxels/r_test") != Shape{t.voxels})
    throw InputError(f.path() + ": /voxels/r_test must have one value per voxel (" +
                     std::to_string(t.voxels) + ")");
  const std::vector<double> rows = f.has_attribute("/test", "clip_rows")
                                       ? f.read_double_attribute("/test", "clip_rows")
                                       : std::vector<double>{};
  t.clip_rows = rows.size() == 1 && rows[0] >= 1 ? std::size_t(rows[0]) : 0;
  if (t.clip_rows == 0 || t.m % t.clip_rows != 0)
    throw InputError(f.path() + ": /test does not say how its " + std::to_string(t.m) +
                     " rows divide into test clips (attribute clip_rows): the clips are what "
                     "is permuted and resampled");
  if (t.clips() < 2)
    throw InputError(f.path() + ": one test clip; a permutation test needs two or more");
  t.carry_over_rows = read_count_attribute(f, "/test", "carry_over_rows");
  return t;
}

std::size_t tested_carry_over(const TestRows& t, std::optional<std::size_t> given,
                              const std::string& path) {
  const std::optional<std::size_t> carry = given ? given : t.carry_over_rows;
  if (!carry)
    throw InputError(path +
                     ": /test does not say how many rows at the start of each test clip its "
                     "prediction carries over from earlier clips (attribute carry_over_rows, the "
                     "largest FIR delay; encode writes it from its delays): give "
                     "--carry-over-rows");
  if (*carry >= t.clip_rows)
    throw InputError(path + ": its test clips have " + std::to_string(t.clip_rows) +
                     " rows; leaving out " + std::to_string(*carry) +
                     " carry-over rows of each leaves none to test (--carry-over-rows)");
  return *carry;
}

}  // namespace b2m::io
