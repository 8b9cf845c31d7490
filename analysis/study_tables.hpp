// Summaries across the subjects of a study, from the per-unit summary rows
// of a stage.
#pragma once

#include "io/summary_table.hpp"

namespace b2m::analysis {

// The paper's Table 2: per space (in order of first appearance), the
// subjects and identification and embedding r as mean +- sample sd over
// them, from decode's rows (columns space, identification, embedding_r).
[[nodiscard]] io::SummaryTable per_space_summary(const io::SummaryTable& decode_rows);

}  // namespace b2m::analysis
