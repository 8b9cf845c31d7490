// The passes of one subject's encode over its responses, after the inputs
// are checked and the output opened (encode_job.cpp). Only one fold's factors
// are in memory at a time, so the peak grows neither with the folds nor with
// V:
//
//   1. factorize: this rank's folds and the refit, each parked in a scratch
//      file as soon as it is made (the design is freed after this);
//   2. passes over the responses, each scoring as many folds as
//      --factor-memory holds: validation scores per fold and voxel, written
//      to the output's checkpoint (a killed run resumes per fold and block).
//      With several fold groups a group scores its own folds and may hand
//      pieces to groups with fewer factorizations (plan_fold_shares), whose
//      ranks receive those folds' factors;
//   3. single precision only: voxels whose best alphas are within float
//      rounding are rescored in double, fold by fold;
//   4. one final pass: fold scores summed in fold order, alpha chosen, refit,
//      test scores, results written, block marked done.
#pragma once

#include <cstddef>
#include <vector>

#include "analysis/feature_alignment.hpp"
#include "io/h5_file.hpp"
#include "io/output_file.hpp"
#include "jobs/encode_job.hpp"
#include "jobs/study_files.hpp"
#include "jobs/subjects.hpp"
#include "mpi/partition.hpp"
#include "mpi/rank_grid.hpp"

namespace b2m::jobs {

// Runs (or resumes) one subject's encode into `out`, from the unstandardized
// design, which it frees once factorized. Collective over `comm`; T is the
// working precision of the per-voxel products.
template <class T>
void encode_passes(const EncodeOptions& o, const Subject& subject, const ResponsesLayout& layout,
                   const std::vector<mpi::Range>& folds, const std::vector<double>& alphas,
                   const mpi::RankGrid& grid, io::OutputFile& out, const io::H5File& responses,
                   analysis::Design design, const mpi::Comm& comm);

}  // namespace b2m::jobs
