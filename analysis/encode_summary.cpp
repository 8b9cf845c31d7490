#include "analysis/encode_summary.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "analysis/significance.hpp"
#include "analysis/summary_stats.hpp"

namespace b2m::analysis {

std::vector<std::int64_t> auditory_labels(const std::vector<std::string>& names) {
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    if (n.find("auditory") != std::string::npos || n == "A1" ||
        n.find("G_temp_sup-G_T_transv") != std::string::npos)
      out.push_back(static_cast<std::int64_t>(i));
  }
  return out;
}

EncodeSummary summarize_encoding(const std::vector<double>& r, const std::vector<double>& alpha,
                                 const std::vector<double>& p, const std::vector<double>& ceiling,
                                 const std::vector<std::int64_t>& roi,
                                 const std::vector<std::int64_t>& auditory) {
  EncodeSummary s;
  s.voxels = r.size();
  const std::vector<double> q = fdr_q_values(p);
  s.significant = static_cast<std::size_t>(
      std::count_if(q.begin(), q.end(), [](double v) { return v < 0.05; }));
  s.constant = static_cast<std::size_t>(
      std::count_if(alpha.begin(), alpha.end(), [](double v) { return std::isnan(v); }));
  s.median_r = median_finite(r);
  s.median_r_auditory = std::numeric_limits<double>::quiet_NaN();
  if (!auditory.empty() && roi.size() == r.size()) {
    std::vector<double> in_roi;
    for (std::size_t i = 0; i < r.size(); ++i)
      if (std::find(auditory.begin(), auditory.end(), roi[i]) != auditory.end())
        in_roi.push_back(r[i]);
    s.median_r_auditory = median_finite(in_roi);
  }
  std::tie(s.alpha_p5, s.alpha_p95) = percentile_range(alpha, 5, 95);
  std::vector<double> normalized;
  for (std::size_t i = 0; i < ceiling.size() && i < r.size(); ++i)
    if (ceiling[i] >= kReliableCeiling) normalized.push_back(r[i] / ceiling[i]);
  s.reliable = normalized.size();
  s.median_r_normalized = median_finite(normalized);
  return s;
}

}  // namespace b2m::analysis
