#include "jobs/generate_rows.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "cluster/process.hpp"
#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/checksum.hpp"
#include "io/wav_file.hpp"

namespace b2m::jobs {
namespace {

namespace fs = std::filesystem;

std::string record_path(const std::string& dir, std::size_t row) {
  return dir + "/rows/" + std::to_string(row) + ".json";
}

std::string format(const char* pattern, double a, double b = 0) {
  char text[160];
  std::snprintf(text, sizeof text, pattern, a, b);
  return text;
}

// A record from an earlier run that still holds: made by a run with this
// fingerprint, valid, and its file unchanged.
bool reusable(const std::string& dir, std::size_t row, const std::string& fingerprint,
              RowRecord& out) {
  std::ifstream in(record_path(dir, row));
  if (!in) return false;
  try {
    const RowRecord r = row_record(nlohmann::json::parse(in));
    const std::string file = dir + "/" + r.file;
    if (!r.ok || r.fingerprint != fingerprint || r.row != row || !fs::exists(file) ||
        io::file_checksum(file) != r.checksum)
      return false;
    out = r;
    out.reused = true;
    return true;
  } catch (const std::exception&) {
    return false;  // a record cut short or not ours: generate the row again
  }
}

}  // namespace

nlohmann::json to_json(const RowRecord& r) {
  return {{"row", r.row},
          {"clip", r.clip},
          {"file", r.file},
          {"checksum", r.checksum},
          {"seed", r.seed},
          {"attempts", r.attempts},
          {"seconds", r.seconds},
          {"ok", r.ok},
          {"reused", r.reused},
          {"error", r.error},
          {"fingerprint", r.fingerprint}};
}

RowRecord row_record(const nlohmann::json& j) {
  RowRecord r;
  r.row = j.at("row").get<std::size_t>();
  r.clip = j.at("clip").get<std::string>();
  r.file = j.at("file").get<std::string>();
  r.checksum = j.at("checksum").get<std::string>();
  r.seed = j.at("seed").get<std::uint64_t>();
  r.attempts = j.at("attempts").get<int>();
  r.seconds = j.at("seconds").get<double>();
  r.ok = j.at("ok").get<bool>();
  r.reused = j.at("reused").get<bool>();
  r.error = j.at("error").get<std::string>();
  r.fingerprint = j.at("fingerprint").get<std::string>();
  return r;
}

std::string wav_problem(const std::string& path, int rate, double seconds) {
  if (!fs::exists(path)) return "the generator wrote no file " + path;
  io::Audio a;
  try {
    a = io::read_wav(path);
  } catch (const Error& e) {
    return e.what();
  }
  if (a.rate != rate)
    return path + ": sampled at " + std::to_string(a.rate) + " Hz, expected " +
           std::to_string(rate) + " Hz";
  if (std::abs(a.seconds() - seconds) > std::max(0.02, 0.01 * seconds))
    return path + format(": lasts %.3f s, expected %g s", a.seconds(), seconds);
  double sum = 0;
  for (float s : a.samples) {
    if (!std::isfinite(s)) return path + ": holds a non-finite sample";
    sum += double(s) * s;
  }
  const double rms = a.samples.empty() ? 0 : std::sqrt(sum / double(a.samples.size()));
  if (!(rms >= 1e-4)) return path + format(": silent (RMS %.2g, below 1e-4)", rms);
  return "";
}

std::vector<RowRecord> generate_rows(Generator& g, const GeneratorCall& base,
                                     const std::vector<std::size_t>& rows,
                                     const std::vector<std::string>& clips, const std::string& dir,
                                     const FarmSettings& settings, const std::string& fingerprint) {
  for (const char* sub : {"/rows", "/logs", "/work"}) fs::create_directories(dir + sub);
  std::vector<RowRecord> out(rows.size());
  std::unordered_map<std::size_t, std::size_t> at;  // row -> position in `out`
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    at[rows[i]] = i;
    RowRecord& r = out[i];
    if (reusable(dir, rows[i], fingerprint, r)) continue;
    r.row = rows[i];
    r.clip = clips.at(rows[i]);
    r.file = r.clip + ".wav";
    r.seed = base.seed + rows[i];
    r.fingerprint = fingerprint;
    pending.push_back(rows[i]);
  }
  using Clock = std::chrono::steady_clock;
  for (int attempt = 1; attempt <= settings.retries + 1 && !pending.empty(); ++attempt) {
    if (attempt > 1) usleep(useconds_t(1e6 * settings.backoff_s * std::pow(2.0, attempt - 2)));
    std::vector<std::size_t> failed;
    for (std::size_t b = 0; b < pending.size(); b += settings.batch) {
      GeneratorCall call = base;
      call.rows.assign(
          pending.begin() + std::ptrdiff_t(b),
          pending.begin() + std::ptrdiff_t(std::min(pending.size(), b + settings.batch)));
      const std::string tag = "rows-" + std::to_string(call.rows.front()) + "-" +
                              std::to_string(call.rows.back()) + "-attempt-" +
                              std::to_string(attempt);
      call.out_dir = dir + "/work/" + tag;
      fs::remove_all(call.out_dir);
      fs::create_directories(call.out_dir);
      const std::string log = dir + "/logs/" + tag + ".log";
      fs::remove(log);
      const auto start = Clock::now();
      const GeneratorOutcome outcome = g.run(call, log);
      // Slurm's time limit or scancel (passed on to the call): stop here,
      // keeping the rows done; a rerun resumes.
      if (const int sig = cluster::forwarded_signal())
        throw Error("generate: stopped by signal " + std::to_string(sig) +
                    " in the call for rows " + tag + " of " + dir +
                    "; the rows done are kept and a rerun generates the rest");
      const double each =
          std::chrono::duration<double>(Clock::now() - start).count() / double(call.rows.size());
      for (std::size_t row : call.rows) {
        RowRecord& r = out[at.at(row)];
        ++r.attempts;
        r.seconds += each;
        const std::string made = call.out_dir + "/" + std::to_string(row) + ".wav";
        std::string problem = wav_problem(made, base.rate, base.seconds);
        if (problem.empty()) {
          const std::string final_path = dir + "/" + r.file;
          fs::rename(made, final_path);
          r.checksum = io::file_checksum(final_path);
          r.ok = true;
          r.error.clear();
          io::write_file_atomically(record_path(dir, row), {to_json(r).dump() + "\n"});
          continue;
        }
        if (outcome.status == cluster::kTimedOut)
          problem += "; the generator was ended at its time limit";
        else if (outcome.status != 0)
          problem += "; the generator exited with status " + std::to_string(outcome.status);
        if (!outcome.log.empty()) {
          const std::string tail = cluster::log_tail(outcome.log);
          problem +=
              "; its output (" + outcome.log + ")" + (tail.empty() ? " is empty" : ":\n" + tail);
        }
        r.error = problem;
        failed.push_back(row);
      }
      fs::remove_all(call.out_dir);
    }
    pending = std::move(failed);
  }
  for (std::size_t row : pending)  // (rows that never validated: a rerun tries them again)
    io::write_file_atomically(record_path(dir, row), {to_json(out[at.at(row)]).dump() + "\n"});
  return out;
}

}  // namespace b2m::jobs
