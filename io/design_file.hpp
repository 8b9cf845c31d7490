// The design file (docs/formats.md): /train/X [n, p] and /test/X [m, p],
// float64, optionally /train/run and the test clip ids on /test.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "io/h5_file.hpp"
#include "io/h5_matrix.hpp"
#include "io/responses_file.hpp"

namespace b2m::io {

struct DesignMatrices {
  ColMajor<double> train_x, test_x;
  std::vector<std::string> test_clips;  // empty where the file does not say
  std::vector<int> train_run;           // run label of each training row; empty likewise
  // Test rows at the start of each clip that hold features of the clips
  // shown before it: the largest FIR delay (/test attribute
  // carry_over_rows); unset where the file does not say.
  std::optional<std::size_t> carry_over_rows;
};

// Reads and checks a design: 2-D datasets of finite values with as many
// features in training as in test; errors name the file and dataset.
[[nodiscard]] DesignMatrices read_design(const H5File& f);

// The layout of a subject's responses, with the design fitted to it: as
// many test rows, at least 2 of them, and the test clips from the
// responses' own ids, else the design's. Training rows: as many as the
// responses have, or, where the responses name the scan of each row
// (/train/volume), the design's rows of those scans, run by run (the
// design then needs /train/run and as many runs). Errors name both files.
[[nodiscard]] ResponsesLayout responses_for(const H5File& responses, DesignMatrices& design,
                                            const std::string& design_source);

// Writes one (only rank 0's data).
void write_design(H5File& f, const DesignMatrices& design);

}  // namespace b2m::io
