#include "analysis/acoustic_embedding.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <Eigen/Core>

#include "core/error.hpp"

namespace b2m::analysis {
namespace {

using ConstArray = Eigen::Map<const Eigen::ArrayXd>;

constexpr double kPi = 3.14159265358979323846;
constexpr std::size_t kBands = 64, kTempi = 32;
constexpr double kMelLow = 30, kMelHigh = 8000;
constexpr double kChromaLow = 80, kChromaHigh = 2000, kBassLow = 35, kBassHigh = 100;
constexpr double kSlowest = 60, kFastest = 240;  // bpm

double mel(double f) {
  return 2595.0 * std::log10(1.0 + f / 700.0);
}
double hz(double m) {
  return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0);
}

// Mean and population sd of x[0..n) with stride `stride` into out[0], out[1].
void moments(const double* x, std::size_t n, std::size_t stride, double* out) {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += x[i * stride];
  const double mean = sum / double(n);
  double ss = 0;
  for (std::size_t i = 0; i < n; ++i) ss += (x[i * stride] - mean) * (x[i * stride] - mean);
  out[0] = mean;
  out[1] = std::sqrt(ss / double(n));
}

int checked_rate(int rate) {
  if (rate < 8000 || rate > 96000)
    throw ConfigError("acoustic embedder: a rate of " + std::to_string(rate) +
                      " Hz is outside 8000..96000");
  return rate;
}

// The periodic Hann window of `n` samples.
std::vector<double> hann(std::size_t n) {
  std::vector<double> w(n);
  for (std::size_t i = 0; i < n; ++i)
    w[i] = 0.5 - 0.5 * std::cos(2.0 * kPi * double(i) / double(n));
  return w;
}

// Per bin k of an FFT of `n` at `rate`, its pitch class (0: C) if
// lo <= f_k <= hi, else -1.
std::vector<int> pitch_classes(std::size_t n, int rate, double lo, double hi) {
  std::vector<int> out;
  for (std::size_t k = 0; k <= n / 2; ++k) {
    const double f = double(k) * rate / double(n);
    const long semis = f < lo || f > hi ? 0 : std::lround(12.0 * std::log2(f / 440.0)) + 9;
    out.push_back(f < lo || f > hi ? -1 : int(((semis % 12) + 12) % 12));
  }
  return out;
}

// The chroma of `power` over the bins `classes` marks, summing to 1.
std::array<double, 12> chroma_of(const std::vector<double>& power,
                                 const std::vector<int>& classes) {
  std::array<double, 12> c{};
  for (std::size_t k = 0; k < power.size(); ++k)
    if (classes[k] >= 0) c[std::size_t(classes[k])] += power[k];
  double total = 0;
  for (double v : c) total += v;
  for (double& v : c) v /= total + 1e-12;
  return c;
}

// The largest lag the tempo block reads, in frames.
double slowest_lag(int rate, std::size_t hop) {
  return 60.0 / kSlowest * rate / double(hop);
}

}  // namespace

AcousticEmbedder::AcousticEmbedder(int rate)
    : rate_(checked_rate(rate)),
      window_(2 * std::size_t(std::lround(0.064 * rate))),
      hop_(std::size_t(std::lround(0.032 * rate))),
      fft_(window_),
      harmony_fft_(2 * std::size_t(std::lround(0.256 * rate))) {
  hann_ = hann(window_);
  for (double w : hann_) hann_sum_ += w;
  harmony_hann_ = hann(harmony_fft_.size());
  const std::size_t bins = window_ / 2 + 1;
  const double lo = mel(kMelLow), hi = mel(std::min(kMelHigh, rate / 2.0));
  std::vector<double> edge(kBands + 2);
  for (std::size_t j = 0; j < edge.size(); ++j)
    edge[j] = hz(lo + (hi - lo) * double(j) / double(kBands + 1));
  for (std::size_t b = 0; b < kBands; ++b) {
    Band band;
    for (std::size_t k = 0; k < bins; ++k) {
      const double f = double(k) * rate / double(window_);
      const double w = std::max(0.0, std::min((f - edge[b]) / (edge[b + 1] - edge[b]),
                                              (edge[b + 2] - f) / (edge[b + 2] - edge[b + 1])));
      if (w > 0 && band.weights.empty()) band.first = k;
      if (w > 0 || !band.weights.empty()) band.weights.push_back(w);
    }
    while (!band.weights.empty() && band.weights.back() == 0) band.weights.pop_back();
    bands_.push_back(std::move(band));
  }
  for (std::size_t k = 0; k < bins; ++k) khz_.push_back(double(k) * rate / double(window_) / 1000);
  const std::size_t harmony = harmony_fft_.size();
  chroma_class_ = pitch_classes(harmony, rate, kChromaLow, kChromaHigh);
  bass_class_ = pitch_classes(harmony, rate, kBassLow, kBassHigh);
}

std::size_t AcousticEmbedder::min_samples() const {
  const auto lag = std::size_t(std::ceil(slowest_lag(rate_, hop_)));
  const std::size_t frames = 2 * (lag + 1) + 1;  // onsets: twice the lag past it
  return window_ + (frames - 1) * hop_;
}

std::vector<std::pair<std::string, std::size_t>> AcousticEmbedder::blocks() {
  return {{"logmel_mean", kBands}, {"logmel_sd", kBands}, {"spectral", 10},
          {"tempo", kTempi},       {"chroma", 12},        {"bass_relative_chroma", 12}};
}

std::size_t AcousticEmbedder::dim() {
  std::size_t d = 0;
  for (const auto& b : blocks()) d += b.second;
  return d;
}

void AcousticEmbedder::embed(const std::vector<float>& samples, double* out) {
  const std::size_t length = samples.size();
  if (length < min_samples())
    throw ConfigError("acoustic embedder: a clip of " + std::to_string(length) +
                      " samples is shorter than the " + std::to_string(min_samples()) +
                      " it needs at " + std::to_string(rate_) + " Hz");
  for (float s : samples)
    if (!std::isfinite(s)) throw ConfigError("acoustic embedder: a clip has a non-finite sample");
  const std::size_t frames = 1 + (length - window_) / hop_, bins = window_ / 2 + 1;
  std::vector<double> logmel(frames * kBands), spectral(frames * 5, 0.0), power(bins);
  const double scale = 1.0 / (hann_sum_ * hann_sum_);
  for (std::size_t t = 0; t < frames; ++t) {
    double* in = fft_.input();
    const float* x = samples.data() + t * hop_;
    for (std::size_t n = 0; n < window_; ++n) in[n] = hann_[n] * double(x[n]);
    fft_.power(power.data());
    for (double& v : power) v *= scale;
    // Sums through Eigen, whose reductions run several SIMD accumulators:
    // one serial chain of additions per sum took half the embedder's time.
    double* s = logmel.data() + t * kBands;
    for (std::size_t b = 0; b < kBands; ++b) {
      const Band& band = bands_[b];
      const auto n = Eigen::Index(band.weights.size());
      s[b] = std::log(ConstArray(band.weights.data(), n)
                          .matrix()
                          .dot(ConstArray(power.data() + band.first, n).matrix()) +
                      1e-10);
    }
    const ConstArray p(power.data() + 1, Eigen::Index(bins - 1)),
        f(khz_.data() + 1, Eigen::Index(bins - 1));
    const double energy = p.sum(), centroid = (f * p).sum() / (energy + 1e-12);
    const double second = ((f - centroid).square() * p).sum();
    // The flatness's sum of logs takes one log per 16 bins: each factor
    // lies in [1e-10, 1 + 1e-10] (P <= 1 for samples in [-1, 1]), so a
    // product of 16 stays far from underflow; a log per bin took a third
    // of the embedder's time.
    double logs = 0;
    for (Eigen::Index g = 0; g < p.size(); g += 16)
      logs += std::log((p.segment(g, std::min<Eigen::Index>(16, p.size() - g)) + 1e-10).prod());
    const double count = double(bins - 1);
    double* row = spectral.data() + t * 5;
    row[0] = centroid;
    row[1] = std::sqrt(second / (energy + 1e-12));
    row[2] = std::exp(logs / count) / (energy / count + 1e-10);
    row[3] = std::log(energy + 1e-10);
    if (t > 0) {
      double flux = 0;
      for (std::size_t b = 0; b < kBands; ++b) flux += std::max(0.0, s[b] - s[b - kBands]);
      row[4] = flux / double(kBands);
    }
  }
  double* o = out;
  for (std::size_t b = 0; b < kBands; ++b) {
    double m[2];
    moments(logmel.data() + b, frames, kBands, m);
    o[b] = m[0];
    o[kBands + b] = m[1];
  }
  o += 2 * kBands;
  for (std::size_t j = 0; j < 4; ++j) moments(spectral.data() + j, frames, 5, o + 2 * j);
  moments(spectral.data() + 5 + 4, frames - 1, 5, o + 8);  // the flux from frame 1 on
  o += 10;

  // Tempo: the onset strength's autocorrelation at each tempo's lag.
  const std::size_t onsets = frames - 1;
  std::vector<double> onset(onsets);
  for (std::size_t t = 0; t < onsets; ++t) onset[t] = spectral[(t + 1) * 5 + 4];
  double mean = 0;
  for (double v : onset) mean += v;
  mean /= double(onsets);
  double zero = 0;
  for (double& v : onset) {
    v -= mean;
    zero += v * v;
  }
  const auto autocorrelation = [&](std::size_t lag) {
    double sum = 0;
    for (std::size_t t = 0; t + lag < onsets; ++t) sum += onset[t] * onset[t + lag];
    return zero > 0 ? sum / zero : 0.0;
  };
  for (std::size_t i = 0; i < kTempi; ++i) {
    const double bpm = kSlowest * std::pow(kFastest / kSlowest, double(i) / double(kTempi - 1));
    const double lag = 60.0 / bpm * rate_ / double(hop_);
    const auto below = std::size_t(std::floor(lag));
    const double above = lag - double(below);
    o[i] = (1.0 - above) * autocorrelation(below) + above * autocorrelation(below + 1);
  }
  o += kTempi;

  // Harmony: the chroma, and the chroma heard from the bass.
  const std::size_t hw = harmony_fft_.size(), harmony_frames = 1 + (length - hw) / hw;
  std::vector<double> harmony_power(hw / 2 + 1), mean_harmony(hw / 2 + 1, 0.0);
  for (std::size_t t = 0; t < harmony_frames; ++t) {
    double* in = harmony_fft_.input();
    const float* x = samples.data() + t * hw;
    for (std::size_t n = 0; n < hw; ++n) in[n] = harmony_hann_[n] * double(x[n]);
    harmony_fft_.power(harmony_power.data());
    for (std::size_t k = 0; k < harmony_power.size(); ++k) mean_harmony[k] += harmony_power[k];
  }
  for (double& q : mean_harmony) q /= double(harmony_frames);
  const std::array<double, 12> chroma = chroma_of(mean_harmony, chroma_class_),
                               bass = chroma_of(mean_harmony, bass_class_);
  for (std::size_t i = 0; i < 12; ++i) {
    o[i] = chroma[i];
    double heard = 0;
    for (std::size_t j = 0; j < 12; ++j) heard += bass[j] * chroma[(j + i) % 12];
    o[12 + i] = heard;
  }
}

}  // namespace b2m::analysis
