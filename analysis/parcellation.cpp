#include "analysis/parcellation.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "core/error.hpp"

namespace b2m::analysis {
namespace {

// The Destrieux (2010) cortical labels, as FreeSurfer names them.
const char* const kDestrieux[] = {
    "G_and_S_frontomargin",
    "G_and_S_occipital_inf",
    "G_and_S_paracentral",
    "G_and_S_subcentral",
    "G_and_S_transv_frontopol",
    "G_and_S_cingul-Ant",
    "G_and_S_cingul-Mid-Ant",
    "G_and_S_cingul-Mid-Post",
    "G_cingul-Post-dorsal",
    "G_cingul-Post-ventral",
    "G_cuneus",
    "G_front_inf-Opercular",
    "G_front_inf-Orbital",
    "G_front_inf-Triangul",
    "G_front_middle",
    "G_front_sup",
    "G_Ins_lg_and_S_cent_ins",
    "G_insular_short",
    "G_occipital_middle",
    "G_occipital_sup",
    "G_oc-temp_lat-fusifor",
    "G_oc-temp_med-Lingual",
    "G_oc-temp_med-Parahip",
    "G_orbital",
    "G_pariet_inf-Angular",
    "G_pariet_inf-Supramar",
    "G_parietal_sup",
    "G_postcentral",
    "G_precentral",
    "G_precuneus",
    "G_rectus",
    "G_subcallosal",
    "G_temp_sup-G_T_transv",
    "G_temp_sup-Lateral",
    "G_temp_sup-Plan_polar",
    "G_temp_sup-Plan_tempo",
    "G_temporal_inf",
    "G_temporal_middle",
    "Lat_Fis-ant-Horizont",
    "Lat_Fis-ant-Vertical",
    "Lat_Fis-post",
    "Pole_occipital",
    "Pole_temporal",
    "S_calcarine",
    "S_central",
    "S_cingul-Marginalis",
    "S_circular_insula_ant",
    "S_circular_insula_inf",
    "S_circular_insula_sup",
    "S_collat_transv_ant",
    "S_collat_transv_post",
    "S_front_inf",
    "S_front_middle",
    "S_front_sup",
    "S_interm_prim-Jensen",
    "S_intrapariet_and_P_trans",
    "S_oc_middle_and_Lunatus",
    "S_oc_sup_and_transversal",
    "S_occipital_ant",
    "S_oc-temp_lat",
    "S_oc-temp_med_and_Lingual",
    "S_orbital_lateral",
    "S_orbital_med-olfact",
    "S_orbital-H_Shaped",
    "S_parieto_occipital",
    "S_pericallosal",
    "S_postcentral",
    "S_precentral-inf-part",
    "S_precentral-sup-part",
    "S_suborbital",
    "S_subparietal",
    "S_temporal_inf",
    "S_temporal_sup",
    "S_temporal_transverse",
};

ParcelKind kind_of(const std::string& label) {
  if (label == "G_temp_sup-G_T_transv" || label == "S_temporal_transverse")
    return ParcelKind::primary;
  if (label == "G_temp_sup-Plan_tempo" || label == "G_temp_sup-Lateral") return ParcelKind::belt;
  if (label == "S_temporal_sup" || label == "G_temp_sup-Plan_polar" || label == "Lat_Fis-post")
    return ParcelKind::adjacent;
  return ParcelKind::other;
}

// Lognormal sigma with mean / median = exp(sigma^2 / 2) = 260 / 140.
const double kSigma = std::sqrt(2 * std::log(260.0 / 140.0));

}  // namespace

std::size_t Parcellation::parcel_of(std::size_t v) const {
  const auto it = std::upper_bound(voxels.begin(), voxels.end(), v,
                                   [](std::size_t x, const mpi::Range& r) { return x < r.end; });
  if (it == voxels.end()) throw ConfigError("voxel " + std::to_string(v) + " is in no parcel");
  return static_cast<std::size_t>(it - voxels.begin());
}

Parcellation destrieux_parcellation(std::size_t voxels, std::uint64_t seed) {
  Parcellation p;
  for (const char* hemi : {"lh.", "rh."})
    for (const char* label : kDestrieux) {
      p.names.push_back(std::string(hemi) + label);
      p.kind.push_back(kind_of(label));
    }
  // Relative sizes: the mean (exp(sigma^2 / 2)) for auditory parcels.
  std::mt19937_64 rng(seed ^ 0x5041524345ULL);
  std::lognormal_distribution<double> size(0.0, kSigma);
  std::vector<double> weight;
  for (ParcelKind k : p.kind) {
    const double drawn = size(rng);
    weight.push_back(k == ParcelKind::other ? drawn : std::exp(kSigma * kSigma / 2));
  }
  // Largest remainder, with a voxel for every parcel first where possible.
  const std::size_t n = p.size();
  const std::size_t floor_each = voxels >= n ? 1 : 0;
  const double total = std::accumulate(weight.begin(), weight.end(), 0.0);
  const double spread = double(voxels - floor_each * n);
  std::vector<std::size_t> count(n);
  std::vector<std::pair<double, std::size_t>> remainder;
  std::size_t given = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double share = spread * weight[i] / total;
    count[i] = floor_each + static_cast<std::size_t>(share);
    given += count[i];
    remainder.emplace_back(share - std::floor(share), i);
  }
  std::sort(remainder.begin(), remainder.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (std::size_t k = 0; given < voxels; ++k, ++given) ++count[remainder[k % n].second];
  std::size_t at = 0;
  for (std::size_t i = 0; i < n; ++i) {
    p.voxels.push_back({at, at + count[i]});
    at += count[i];
  }
  return p;
}

}  // namespace b2m::analysis
