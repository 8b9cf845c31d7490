// Summaries across the subjects of a study, from the per-unit summary rows
// of a stage.
#pragma once

#include <string>
#include <utility>

#include "io/summary_table.hpp"

namespace b2m::analysis {

// The paper's Table 2: per space (in order of first appearance), the
// subjects and identification and embedding r as mean +- sample sd over
// them, from decode's rows (columns space, identification, embedding_r),
// and beside them the paper's own identification accuracy for the spaces
// it reports (NaN for others).
[[nodiscard]] io::SummaryTable per_space_summary(const io::SummaryTable& decode_rows);

// The paper's Table 2 identification accuracy (mean, sd over its 5
// subjects) of a space by b2m's name for it; NaNs for a space it lacks.
[[nodiscard]] std::pair<double, double> paper_identification(const std::string& space);

}  // namespace b2m::analysis
