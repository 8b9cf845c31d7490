// Small files (summary tables, .npy copies of results) written whole and
// atomically: into `<path>.partial`, flushed to disk, then renamed to
// `<path>`, so that a reader sees the old file or the new one, never a
// half-written one. The directory is created if needed. Errors name the
// file and say why (e.g. "No space left on device"); the partial file is
// removed.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace b2m::io {

// Writes the concatenation of `pieces` to `path`.
void write_file_atomically(const std::string& path, std::initializer_list<std::string_view> pieces);

// The two halves, for a file that must appear only after another one
// (decode's .npy copies, after the result they copy): stage_file writes
// staged_path(path) (`<path>.partial`) and flushes it to disk;
// promote_file renames it to `path`.
void stage_file(const std::string& path, std::initializer_list<std::string_view> pieces);
[[nodiscard]] std::string staged_path(const std::string& path);
void promote_file(const std::string& path);

}  // namespace b2m::io
