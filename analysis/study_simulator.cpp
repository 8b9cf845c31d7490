#include "analysis/study_simulator.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "analysis/hrf.hpp"
#include "analysis/scores.hpp"
#include "analysis/simulator_parts.hpp"
#include "core/error.hpp"

namespace b2m::analysis {
namespace {

using namespace sim;
using solvers::Matrix;

constexpr std::size_t kSteps = 30;  // latent time steps per 15 s clip (0.5 s)
constexpr double kStepSeconds = 0.5;

// How strongly each space reads the semantic, acoustic and low-level latents,
// and its own noise. In the paper preset the MuLan embeddings carry more of
// their own, the text one most (a caption says more, or less, than the
// music: it is written from the words, not the sound), so that the spaces
// identify clips in the order of the paper's Table 2.
struct Readout {
  double semantic, acoustic, low_level, noise;
};
Readout readout_of(const std::string& space, Preset preset) {
  const bool paper = preset == Preset::paper;
  if (space == "mulan_music") return {1.0, 0.7, 0.2, paper ? 0.7 : 0.3};
  if (space == "mulan_text") return {1.0, 0.0, 0.0, paper ? 1.4 : 0.4};
  if (space == "w2v_bert") return {0.5, 1.0, 0.3, 0.5};
  // The non-music acoustic baseline: sound without meaning (no semantic
  // read-out), like a spectro-temporal modulation energy model.
  if (space == "modulation") return {0.0, 0.6, 1.0, 0.5};
  return {0.1, 0.3, 1.0, 0.5};  // soundstream
}

// Driver sets per ROI with their probabilities.
const std::vector<std::vector<DriverChoice>>& roi_drivers() {
  static const std::vector<std::vector<DriverChoice>> table = {
      // other
      {{0.85, 0},
       {0.05, bits({"mulan_music"})},
       {0.05, bits({"mulan_text"})},
       {0.05, bits({"mulan_music", "mulan_text"})}},
      // primary auditory
      {{0.4, bits({"soundstream", "mulan_music"})},
       {0.3, bits({"soundstream", "w2v_bert"})},
       {0.3, bits({"soundstream", "w2v_bert", "mulan_music"})}},
      // belt / parabelt
      {{0.35, bits({"mulan_music"})},
       {0.35, bits({"mulan_music", "w2v_bert"})},
       {0.3, bits({"mulan_music", "mulan_text"})}},
      // STS
      {{0.3, bits({"mulan_text"})},
       {0.4, bits({"mulan_music", "mulan_text"})},
       {0.3, bits({"mulan_music"})}},
      // prefrontal
      {{0.3, bits({"mulan_text"})}, {0.5, 0}, {0.2, bits({"genre"})}},
  };
  return table;
}
const std::vector<double>& roi_proportions() {
  static const std::vector<double> p = {0.55, 0.05, 0.10, 0.10, 0.20};
  return p;
}

// Window means of a latent series sampled every kStepSeconds.
Eigen::VectorXd window_mean(const Matrix<double>& series, double start, double length) {
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(series.cols());
  int n = 0;
  for (Eigen::Index t = 0; t < series.rows(); ++t) {
    const double time = static_cast<double>(t) * kStepSeconds;
    if (time + 1e-9 >= start && time < start + length - 1e-9) {
      sum += series.row(t).transpose();
      ++n;
    }
  }
  return n > 0 ? Eigen::VectorXd(sum / n) : sum;
}

}  // namespace

const std::vector<SpaceSpec>& study_spaces() {
  static const std::vector<SpaceSpec> spaces = {
      {"mulan_music", 128, 4, 10.0, 1.5}, {"mulan_text", 128, 1, 15.0, 15.0},
      {"w2v_bert", 1024, 7, 5.0, 1.5},    {"soundstream", 128, 10, 1.5, 1.5},
      {"genre", 10, 1, 15.0, 15.0},       {"modulation", 64, 10, 1.5, 1.5},
  };
  return spaces;
}

std::size_t space_bit(const std::string& name) {
  const auto& spaces = study_spaces();
  for (std::size_t i = 0; i < spaces.size(); ++i)
    if (spaces[i].name == name) return i;
  throw ConfigError("unknown feature space '" + name + "'");
}

const std::vector<std::string>& simulated_roi_names() {
  static const std::vector<std::string> names = {"other", "primary_auditory", "belt_parabelt",
                                                 "sts", "prefrontal"};
  return names;
}

Preset preset_named(const std::string& name) {
  if (name == "paper") return Preset::paper;
  if (name == "easy") return Preset::easy;
  throw ConfigError("unknown simulator preset '" + name + "' (paper or easy)");
}

namespace {

// The paper preset's settable parameters, once: each a real in [lo, hi] or
// a whole number >= lo.
struct ParamField {
  const char* name;
  double SimulatorParams::*real;
  std::size_t SimulatorParams::*whole;
  double lo, hi;
};

const std::vector<ParamField>& param_fields() {
  using P = SimulatorParams;
  constexpr double big = 1e6;
  static const std::vector<ParamField> fields = {
      // At least 6: mood reads latent 0, the sound's tempo 1, the instrument 2..5.
      {"latent_dims", nullptr, &P::latent_dims, 6, 0},
      {"clip_spread", &P::clip_spread, nullptr, 0, 10},
      {"snr_scale", &P::snr_scale, nullptr, 1e-9, big},
      {"snr_decades", &P::snr_decades, nullptr, 0, 6},
      {"other_snr", &P::other_snr, nullptr, 0, big},
      {"unread_min", &P::unread_min, nullptr, 0, 1},
      {"unread_max", &P::unread_max, nullptr, 0, 1},
      {"unread_dims", nullptr, &P::unread_dims, 1, 0},
      {"unread_rank", nullptr, &P::unread_rank, 1, 0},
      {"noise_factors", nullptr, &P::noise_factors, 1, 0},
      {"shared_noise", &P::shared_noise, nullptr, 0, 1},
      {"drive_noise", &P::drive_noise, nullptr, 0, big},
      {"parcel_rank", nullptr, &P::parcel_rank, 1, 0},
      {"basis_rank", nullptr, &P::basis_rank, 1, 0},
      {"spectrum_decay", &P::spectrum_decay, nullptr, 0, 10},
      {"drive_primary", &P::drive_primary, nullptr, 0, 1},
      {"drive_belt", &P::drive_belt, nullptr, 0, 1},
      {"drive_adjacent", &P::drive_adjacent, nullptr, 0, 1},
      {"drive_other", &P::drive_other, nullptr, 0, 1},
  };
  return fields;
}

}  // namespace

std::vector<std::pair<std::string, double>> SimulatorParams::values() const {
  if (preset == Preset::easy) return {{"preset_paper", 0.0}};
  std::vector<std::pair<std::string, double>> out = {{"preset_paper", 1.0},
                                                     {"voxels", double(voxels)}};
  for (const ParamField& f : param_fields())
    out.emplace_back(f.name, f.real ? this->*f.real : double(this->*f.whole));
  return out;
}

void SimulatorParams::set(const std::string& name, double value) {
  for (const ParamField& f : param_fields()) {
    if (name != f.name) continue;
    if (f.whole) {
      if (!(value >= f.lo) || value != std::floor(value))
        throw ConfigError("simulator parameter " + name +
                          " must be a whole number >= " + std::to_string(int(f.lo)));
      this->*f.whole = static_cast<std::size_t>(value);
    } else {
      if (!(value >= f.lo && value <= f.hi))
        throw ConfigError("simulator parameter " + name + " must be in [" + std::to_string(f.lo) +
                          ", " + std::to_string(f.hi) + "]");
      this->*f.real = value;
    }
    return;
  }
  throw ConfigError("unknown simulator parameter '" + name + "'");
}

StudySimulator::StudySimulator(StudyDesign design, std::uint64_t seed, SimulatorParams params)
    : design_(std::move(design)), seed_(seed), params_(params) {
  if (params_.preset == Preset::paper) {
    if (params_.voxels == 0) throw ConfigError("the paper preset needs the subjects' voxel count");
    latent_ = params_.latent_dims;
    if (params_.unread_min > params_.unread_max || params_.parcel_rank > params_.basis_rank)
      throw ConfigError("simulator parameters: need unread_min <= unread_max and parcel_rank <= " +
                        std::string("basis_rank"));
    rank_ = params_.basis_rank;
    parcels_ = destrieux_parcellation(params_.voxels, seed_);
    roi_names_ = parcels_.names;
  } else {
    roi_names_ = simulated_roi_names();
  }
  std::vector<io::RunEvents> all = design_.train_runs;
  all.insert(all.end(), design_.test_runs.begin(), design_.test_runs.end());
  clip_ids_ = unique_clips(all);
  std::set<std::string> genres;
  for (const auto& id : clip_ids_) genres.insert(clip_genre(id));
  genre_names_.assign(genres.begin(), genres.end());
  for (const auto& id : clip_ids_)
    clip_genres_.push_back(static_cast<int>(
        std::lower_bound(genre_names_.begin(), genre_names_.end(), clip_genre(id)) -
        genre_names_.begin()));

  // Stimulus latents.
  const std::size_t n_clips = clip_ids_.size();
  const std::size_t n_genres = genre_names_.size();
  auto rng = stream(seed_, 1);
  semantic_centroid_ = gaussian(rng, n_genres, latent_, 1.0);
  acoustic_centroid_ = gaussian(rng, n_genres, latent_, 0.7);
  for (std::size_t s = 0; s < study_spaces().size(); ++s) {
    auto space_rng = stream(seed_, 3, s);
    const double scale = 1.0 / std::sqrt(double(latent_));
    const std::size_t dim = study_spaces()[s].dim;
    Projections p;
    p.semantic = gaussian(space_rng, dim, latent_, scale);
    p.acoustic = gaussian(space_rng, dim, latent_, scale);
    p.low_level = gaussian(space_rng, dim, latent_, scale);
    projections_.push_back(std::move(p));
  }
  for (std::size_t c = 0; c < n_clips; ++c) {
    const ClipLatents l = clip_latents(stream(seed_, 2, c), clip_genres_[c]);
    clip_moods_.push_back(mood_of(l));
    clip_instruments_.push_back(instrument_of(l));
  }

  // Feature spaces as read-outs of the latents.
  for (std::size_t s = 0; s < study_spaces().size(); ++s) {
    const SpaceSpec& spec = study_spaces()[s];
    ClipEmbeddings e;
    e.source = "simulated space " + spec.name;
    e.ids = clip_ids_;
    e.windows = spec.windows;
    e.dim = spec.dim;
    e.window_s = spec.window_s;
    e.step_s = spec.step_s;
    e.values.assign(n_clips * spec.windows * spec.dim, 0.0f);
    for (std::size_t c = 0; c < n_clips; ++c) {
      const ClipLatents latents = clip_latents(stream(seed_, 2, c), clip_genres_[c]);
      auto noise_rng = stream(seed_, 4, s, c);
      for (std::size_t w = 0; w < spec.windows; ++w) {
        const Eigen::VectorXd v = window_embedding(s, latents, w, noise_rng);
        float* out = e.values.data() + (c * spec.windows + w) * spec.dim;
        for (std::size_t j = 0; j < spec.dim; ++j)
          out[j] = static_cast<float>(v(static_cast<Eigen::Index>(j)));
      }
    }
    features_.push_back(std::move(e));
  }

  if (params_.preset == Preset::paper)
    unread_clips_ = unread_clip_series(clip_ids_, seed_, params_.unread_dims);

  const auto index = features_.front().index();
  for (const auto& run : design_.train_runs) {
    train_timelines_.push_back(run_timeline(run, design_.tr, index, "simulator"));
    train_run_labels_.insert(train_run_labels_.end(), train_timelines_.back().trs(), run.run);
  }
  train_rows_ = train_run_labels_.size();
  for (const auto& run : design_.test_runs)
    test_timelines_.push_back(run_timeline(run, design_.tr, index, "simulator"));
  test_ = test_layout(design_.test_runs, design_.tr);
}

StudySimulator::ClipLatents StudySimulator::clip_latents(std::mt19937_64 rng, int genre) const {
  const auto g = static_cast<Eigen::Index>(genre);
  ClipLatents l;
  l.genre = genre;
  const double spread = params_.preset == Preset::paper ? params_.clip_spread : 1.0;
  l.semantic =
      semantic_centroid_.row(g).transpose() + gaussian(rng, latent_, 1, 0.8 * spread).col(0);
  l.acoustic = (spread * ar1(rng, kSteps, latent_, 0.95)).rowwise() + acoustic_centroid_.row(g);
  l.low_level =
      (spread * ar1(rng, kSteps, latent_, 0.6)).rowwise() + 0.3 * acoustic_centroid_.row(g);
  return l;
}

int StudySimulator::instrument_of(const ClipLatents& l) {
  Eigen::Index best = 0;
  l.semantic.segment(2, 4).maxCoeff(&best);
  return int(best);
}

ClipSound StudySimulator::sound_of(const ClipLatents& l, std::uint64_t seed) const {
  const GenreStyle style = genre_style(genre_names_[std::size_t(l.genre)]);
  ClipSound s;
  s.rhythm = style.rhythm;
  s.tempo_bpm = style.tempo_bpm * (1.0 + 0.06 * std::tanh(l.semantic(1)));
  s.instrument = instrument_of(l);
  s.major = mood_of(l) == 1;
  s.brightness = 1.0 / (1.0 + std::exp(-1.5 * l.semantic(0)));
  s.root = root_of_seed(seed);
  s.seed = seed;
  return s;
}

ClipSound StudySimulator::stimulus_sound(std::size_t clip) const {
  if (clip >= clip_ids_.size())
    throw ConfigError("stimulus_sound: no clip " + std::to_string(clip));
  auto rng = stream(seed_, 7, clip);
  return sound_of(clip_latents(stream(seed_, 2, clip), clip_genres_[clip]), rng());
}

Eigen::VectorXd StudySimulator::window_embedding(std::size_t space, const ClipLatents& l,
                                                 std::size_t w, std::mt19937_64& noise_rng) const {
  const SpaceSpec& spec = study_spaces()[space];
  Eigen::VectorXd v = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(spec.dim));
  if (spec.name == "genre") {
    v(l.genre) = 1.0;
    return v;
  }
  const Projections& p = projections_[space];
  const Readout r = readout_of(spec.name, params_.preset);
  const double start = static_cast<double>(w) * spec.step_s;
  v = r.semantic * p.semantic * l.semantic +
      r.acoustic * p.acoustic * window_mean(l.acoustic, start, spec.window_s) +
      r.low_level * p.low_level * window_mean(l.low_level, start, spec.window_s);
  std::normal_distribution<double> normal(0.0, r.noise);
  for (Eigen::Index j = 0; j < v.size(); ++j) v(j) += normal(noise_rng);
  return v;
}

CorpusChunk StudySimulator::corpus(const std::string& space, std::size_t first,
                                   std::size_t count) const {
  const std::size_t s = space_bit(space);
  const SpaceSpec& spec = study_spaces()[s];
  CorpusChunk out;
  out.embeddings.resize(static_cast<Eigen::Index>(count), static_cast<Eigen::Index>(spec.dim));
  std::uniform_int_distribution<int> pick(0, static_cast<int>(genre_names_.size()) - 1);
  for (std::size_t i = 0; i < count; ++i) {
    auto rng = stream(seed_, 5, first + i);
    const int genre = pick(rng);
    const ClipLatents latents = clip_latents(rng, genre);
    auto noise_rng = stream(seed_, 6, s, first + i);
    Eigen::VectorXd mean = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(spec.dim));
    for (std::size_t w = 0; w < spec.windows; ++w)
      mean += window_embedding(s, latents, w, noise_rng);
    out.embeddings.row(static_cast<Eigen::Index>(i)) =
        (mean / double(spec.windows)).cast<float>().transpose();
    out.genre.push_back(genre);
    out.instrument.push_back(instrument_of(latents));
    out.mood.push_back(mood_of(latents));
    out.sound.push_back(sound_of(latents, stream(seed_, 8, first + i)()));
  }
  return out;
}

SubjectModel StudySimulator::subject_model(int subject) const {
  SubjectModel model;
  model.subject = subject;
  for (std::size_t s = 0; s < features_.size(); ++s) {
    auto rng = stream(seed_, 5, static_cast<std::uint64_t>(subject), s);
    Matrix<double> basis = gaussian(rng, features_[s].dim, rank(), 1.0);
    // Scale each basis column so its drive has unit variance over training:
    // true weights then put every voxel's signal on a common scale.
    Matrix<double> train = drive_of(features_[s], train_timelines_, basis, design_.tr);
    const Eigen::VectorXd sd = unit_variance(train);
    for (Eigen::Index j = 0; j < basis.cols(); ++j) basis.col(j) /= sd(j);
    std::vector<Matrix<double>> test;
    for (const auto& timeline : test_timelines_)
      test.push_back(drive_of(features_[s], {timeline}, basis, design_.tr));
    model.basis.push_back(basis.cast<float>());
    model.train_drive.push_back(std::move(train));
    model.test_drive.push_back(std::move(test));
  }
  if (params_.preset == Preset::paper) calibrated_model(model);
  return model;
}

VoxelBlock StudySimulator::simulate(const SubjectModel& model, std::size_t block_index,
                                    mpi::Range voxels) const {
  return params_.preset == Preset::paper ? simulate_calibrated(model, block_index, voxels)
                                         : simulate_easy(model, block_index, voxels);
}

VoxelBlock StudySimulator::simulate_easy(const SubjectModel& model, std::size_t block_index,
                                         mpi::Range voxels) const {
  const auto width = static_cast<Eigen::Index>(voxels.size());
  const std::size_t n_spaces = features_.size();
  auto rng = stream(seed_, 6, static_cast<std::uint64_t>(model.subject), block_index);
  VoxelBlock out;
  out.roi.resize(voxels.size());
  out.drivers.resize(voxels.size());
  out.snr.assign(voxels.size(), 0.0f);
  out.unread.assign(voxels.size(), 0.0f);
  for (std::size_t s = 0; s < n_spaces; ++s)
    out.loadings.push_back(Matrix<float>::Zero(static_cast<Eigen::Index>(rank()), width));

  std::vector<double> noise_sd(voxels.size()), rho(voxels.size());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (std::size_t v = 0; v < voxels.size(); ++v) {
    out.roi[v] = static_cast<std::int32_t>(draw_index(rng, roi_proportions()));
    out.drivers[v] = draw_drivers(rng, roi_drivers()[static_cast<std::size_t>(out.roi[v])]);
    rho[v] = 0.2 + 0.3 * unit(rng);
    if (out.drivers[v] != 0)
      out.snr[v] = static_cast<float>(std::exp(std::log(0.03) + unit(rng) * std::log(1.0 / 0.03)));
    noise_sd[v] = out.drivers[v] != 0 ? 1.0 / std::sqrt(double(out.snr[v])) : 1.0;
    for (std::size_t s = 0; s < n_spaces; ++s)
      if (out.drivers[v] & (1u << s))
        out.loadings[s].col(static_cast<Eigen::Index>(v)) =
            gaussian(rng, rank(), 1, 1.0).col(0).cast<float>();
  }

  // Noiseless signal over training; loadings rescaled to unit signal variance.
  const auto n_train = static_cast<Eigen::Index>(train_rows_);
  Matrix<double> signal = Matrix<double>::Zero(n_train, width);
  for (std::size_t s = 0; s < n_spaces; ++s)
    signal.noalias() += model.train_drive[s] * out.loadings[s].cast<double>();
  for (Eigen::Index v = 0; v < width; ++v) {
    if (out.drivers[static_cast<std::size_t>(v)] == 0) continue;
    const double mean = signal.col(v).mean();
    const double sd = std::sqrt((signal.col(v).array() - mean).square().sum() / double(n_train));
    signal.col(v) /= sd;
    for (auto& l : out.loadings) l.col(v) /= static_cast<float>(sd);
  }

  // AR(1) noise restarted at each run.
  const auto add_noise = [&](Matrix<double>& y, const std::vector<std::size_t>& starts) {
    add_ar1_noise(y, starts, rho, noise_sd, rng);
  };
  Matrix<double> train = signal;
  add_noise(train, run_starts(train_timelines_));
  out.train = train.cast<float>();

  // Test runs: fresh noise per run, then the presentations of each clip.
  std::vector<Matrix<double>> run_signal, run_y;
  for (std::size_t r = 0; r < test_timelines_.size(); ++r) {
    run_signal.push_back(
        Matrix<double>::Zero(static_cast<Eigen::Index>(test_timelines_[r].trs()), width));
    for (std::size_t s = 0; s < n_spaces; ++s)
      run_signal.back().noalias() += model.test_drive[s][r] * out.loadings[s].cast<double>();
    run_y.push_back(run_signal.back());
    add_noise(run_y.back(), {0});
  }
  assemble_test(run_signal, run_y, out);
  for (std::size_t v = 0; v < voxels.size(); ++v)
    if (out.drivers[v] == 0) out.noise_ceiling[v] = 0.0f;
  return out;
}

void StudySimulator::assemble_test(const std::vector<Matrix<double>>& run_signal,
                                   const std::vector<Matrix<double>>& run_y,
                                   VoxelBlock& out) const {
  const Eigen::Index width = run_y.empty() ? 0 : run_y.front().cols();
  const auto rows = static_cast<Eigen::Index>(test_.rows());
  const auto trs = static_cast<Eigen::Index>(test_.trs_per_clip);
  out.reps.assign(test_.repetitions, solvers::RowMajorMatrix<float>(rows, width));
  Matrix<double> clean = Matrix<double>::Zero(rows, width);
  Matrix<double> mean = Matrix<double>::Zero(rows, width);
  for (std::size_t r = 0; r < run_y.size(); ++r) {
    out.test_runs.emplace_back(run_y[r].cast<float>());
    for (std::size_t c = 0; c < test_.clip_ids.size(); ++c)
      for (std::size_t k = 0; k < test_.repetitions; ++k) {
        const Presentation& shown = test_.presentations[c][k];
        if (shown.run != r) continue;
        const auto at = static_cast<Eigen::Index>(c) * trs;
        const auto from = static_cast<Eigen::Index>(shown.first_tr);
        out.reps[k].middleRows(at, trs) = run_y[r].middleRows(from, trs).cast<float>();
        mean.middleRows(at, trs) += run_y[r].middleRows(from, trs) / double(test_.repetitions);
        clean.middleRows(at, trs) +=
            run_signal[r].middleRows(from, trs) / double(test_.repetitions);
      }
  }
  out.test = mean.cast<float>();
  // The true ceiling: the noiseless mean against the measured one (0 for a
  // voxel without signal).
  const Eigen::VectorXd ceiling = pearson_r<double>(clean, mean);
  out.noise_ceiling.resize(std::size_t(width));
  for (Eigen::Index v = 0; v < width; ++v)
    out.noise_ceiling[std::size_t(v)] =
        std::isfinite(ceiling(v)) ? static_cast<float>(ceiling(v)) : 0.0f;
}

}  // namespace b2m::analysis
