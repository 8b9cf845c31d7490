#include "analysis/study_tables.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "analysis/summary_stats.hpp"

namespace b2m::analysis {

std::pair<double, double> paper_identification(const std::string& space) {
  // Denk et al. (2023), Table 2: identification accuracy among the test
  // clips, mean +- sd over the five subjects.
  static const std::map<std::string, std::pair<double, double>> table = {
      {"mulan_music", {0.876, 0.015}},
      {"w2v_bert", {0.837, 0.005}},
      {"mulan_text", {0.817, 0.014}},
      {"soundstream", {0.674, 0.016}}};
  const auto found = table.find(space);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  return found == table.end() ? std::pair{nan, nan} : found->second;
}

io::SummaryTable per_space_summary(const io::SummaryTable& decode_rows) {
  io::SummaryTable table({io::text("space"), io::count("subjects"), io::mean_sd("identification"),
                          io::mean_sd("embedding_r"), io::mean_sd("paper_identification")});
  std::vector<std::string> spaces;
  for (const auto& r : decode_rows.rows())
    if (std::find(spaces.begin(), spaces.end(), r.at("space")) == spaces.end())
      spaces.push_back(r.at("space"));
  for (const std::string& space : spaces) {
    std::vector<double> id, er;
    for (const auto& r : decode_rows.rows())
      if (r.at("space") == space) {
        id.push_back(io::number_or_nan(r.at("identification")));
        er.push_back(io::number_or_nan(r.at("embedding_r")));
      }
    const auto [mi, si] = mean_sd(id);
    const auto [me, se] = mean_sd(er);
    const std::pair<double, double> paper = paper_identification(space);
    table.add({{"space", space},
               {"subjects", id.size()},
               {"identification", {io::number(mi), io::number(si)}},
               {"embedding_r", {io::number(me), io::number(se)}},
               {"paper_identification", {io::number(paper.first), io::number(paper.second)}}});
  }
  return table;
}

}  // namespace b2m::analysis
