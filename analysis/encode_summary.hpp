// The per-subject summary of an encoding model (a row of encode's table):
// how many voxels are significant, how well the auditory ROI and all
// voxels are predicted, and which alphas were chosen.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace b2m::analysis {

struct EncodeSummary {
  std::size_t voxels = 0;
  std::size_t constant = 0;      // NaN alpha: no variance in any training run
  std::size_t significant = 0;   // q < 0.05 (BH-FDR over p_test)
  double median_r_auditory = 0;  // NaN without an auditory ROI
  double median_r = 0;
  double alpha_p5 = 0, alpha_p95 = 0;  // chosen-alpha range (5th-95th percentile)
  // Voxels whose noise ceiling is at least kReliableCeiling, and the median
  // of their r / ceiling (0 and NaN without repetitions).
  std::size_t reliable = 0;
  double median_r_normalized = 0;
};

// The ceiling from which a voxel's normalized r enters the summary: at 4
// repetitions, a single-repetition explainable variance of about 0.05.
// Below it the ceiling is mostly estimation noise and r / ceiling explodes.
inline constexpr double kReliableCeiling = 0.4;

// The labels of primary auditory cortex among atlas `names`: those that
// contain "auditory", are "A1", or are Destrieux's Heschl's gyrus
// ("G_temp_sup-G_T_transv", in either hemisphere); empty if none.
[[nodiscard]] std::vector<std::int64_t> auditory_labels(const std::vector<std::string>& names);

// From per-voxel test r, chosen alpha, p_test and noise ceiling (NaN
// without repetitions); `roi` (one label per voxel, or empty) and
// `auditory` (labels, or none) for the auditory median.
[[nodiscard]] EncodeSummary summarize_encoding(const std::vector<double>& r,
                                               const std::vector<double>& alpha,
                                               const std::vector<double>& p,
                                               const std::vector<double>& ceiling,
                                               const std::vector<std::int64_t>& roi,
                                               const std::vector<std::int64_t>& auditory);

}  // namespace b2m::analysis
