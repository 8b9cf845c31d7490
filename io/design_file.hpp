// The design file (docs/formats.md): /train/X [n, p] and /test/X [m, p],
// float64, optionally /train/run and the test clip ids on /test.
#pragma once

#include <string>
#include <vector>

#include "io/h5_file.hpp"
#include "io/h5_matrix.hpp"
#include "io/responses_file.hpp"

namespace b2m::io {

struct DesignMatrices {
  ColMajor<double> train_x, test_x;
  std::vector<std::string> test_clips;  // empty where the file does not say
};

// Reads and checks a design: 2-D datasets of finite values with as many
// features in training as in test; errors name the file and dataset.
[[nodiscard]] DesignMatrices read_design(const H5File& f);

// The layout of a subject's responses that a design must fit: as many
// training and test rows (errors name both files), at least 2 test rows,
// and the test clips from the responses' own ids, else the design's.
[[nodiscard]] ResponsesLayout responses_for(const H5File& responses, const DesignMatrices& design,
                                            const std::string& design_source);

// Writes one (only rank 0's data), with the run of each training row.
void write_design(H5File& f, const DesignMatrices& design, const std::vector<int>& train_run);

}  // namespace b2m::io
