#include "analysis/study_tables.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "analysis/summary_stats.hpp"

namespace b2m::analysis {

io::SummaryTable per_space_summary(const io::SummaryTable& decode_rows) {
  io::SummaryTable table({io::text("space"), io::count("subjects"), io::mean_sd("identification"),
                          io::mean_sd("embedding_r")});
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
    table.add({{"space", space},
               {"subjects", id.size()},
               {"identification", {io::number(mi), io::number(si)}},
               {"embedding_r", {io::number(me), io::number(se)}}});
  }
  return table;
}

}  // namespace b2m::analysis
