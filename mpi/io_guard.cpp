#include "mpi/io_guard.hpp"

#include <mpi.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

namespace b2m::mpi {
namespace {

struct OpenFile {
  std::string path;
  bool failed = false;  // a write failed: later writes are dropped
};

// All state is touched by the thread that makes MPI calls, and by the
// watchdog only through its own copy of the message.
std::mutex& state_mutex() {
  static std::mutex m;
  return m;
}

std::map<MPI_File, OpenFile>& files() {
  static std::map<MPI_File, OpenFile> open;
  return open;
}

std::string& pending() {
  static std::string message;
  return message;
}

[[noreturn]] void abort_after_grace(const std::string& message) {
  const double grace = io_failure_grace_seconds();
  std::this_thread::sleep_for(std::chrono::duration<double>(grace));
  int rank = -1;
  PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::fprintf(stderr,
               "b2m: error on rank %d: %s; the job did not end within %.0f s of the failure, "
               "so it is aborted\n",
               rank, message.c_str(), grace);
  std::fflush(stderr);
  PMPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}

// The reason a write to `path` failed when the MPI-IO layer lost errno
// (ROMIO's collective writes return MPI_ERR_IO alone): what the file
// system says about itself, or 0.
int file_system_state(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  struct statvfs fs {};
  if (path.empty() || statvfs(dir.c_str(), &fs) != 0) return 0;
  if ((fs.f_flag & ST_RDONLY) != 0) return EROFS;
  if (fs.f_bavail == 0) return ENOSPC;
  return 0;
}

std::string describe(const char* what, const std::string& path, int code, int error) {
  std::string message = std::string(what) + " " + (path.empty() ? "a file" : path) + " failed: ";
  if (error == 0 && std::strcmp(what, "reading") != 0) error = file_system_state(path);
  if (error != 0) return message + std::strerror(error);
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  PMPI_Error_string(code, text, &length);
  return message.append(text, static_cast<std::size_t>(length));
}

// Records a failure (the first one pending wins) and arms the watchdog once.
void record(const std::string& message) {
  {
    const std::lock_guard<std::mutex> lock(state_mutex());
    if (pending().empty()) pending() = message;
  }
  static std::once_flag armed;
  std::call_once(armed, [&] { std::thread(abort_after_grace, message).detach(); });
}

// The file's entry, or null for a file not opened through MPI_File_open here.
OpenFile* entry(MPI_File fh) {
  const auto it = files().find(fh);
  return it == files().end() ? nullptr : &it->second;
}

// A write-like call (write, sync, resize) that HDF5 is told succeeded. A
// collective call is always made, since peers wait for this rank's part; an
// independent one is skipped once the file has failed. `moved`: for a
// transfer, whether it moved everything (ompio returns MPI_SUCCESS from a
// write the disk refused part of, with errno set and the shortfall in the
// status).
template <class Call, class Moved>
int hide_failure(const char* what, MPI_File fh, bool collective, Call call, Moved moved) {
  OpenFile* file = entry(fh);
  if (file != nullptr && file->failed && !collective) return MPI_SUCCESS;
  errno = 0;
  const int code = call();
  const int error = errno;
  if (code == MPI_SUCCESS && moved()) return MPI_SUCCESS;
  record(describe(what, file != nullptr ? file->path : std::string(), code, error));
  if (file != nullptr) file->failed = true;
  return MPI_SUCCESS;
}

// A transfer call wrapped for hide_failure. Sizes are compared in bytes
// (HDF5 transfers derived datatypes built on bytes); after a hidden
// failure the status says that everything was moved, as HDF5 checks it.
template <class Call>
int hide_transfer_failure(const char* what, MPI_File fh, bool collective, int count,
                          MPI_Datatype type, MPI_Status* status, Call call) {
  MPI_Status local;
  MPI_Status* used = status == MPI_STATUS_IGNORE ? &local : status;
  int type_size = 0;
  PMPI_Type_size(type, &type_size);
  const MPI_Count bytes = MPI_Count(count) * type_size;
  bool whole = true;
  const int code = hide_failure(
      what, fh, collective, [&] { return call(used); },
      [&] {
        MPI_Count n = 0;
        whole = PMPI_Get_elements_x(used, MPI_BYTE, &n) != MPI_SUCCESS || n == MPI_UNDEFINED ||
                n >= bytes;
        return whole;
      });
  if (!whole || entry(fh) == nullptr || entry(fh)->failed)
    PMPI_Status_set_elements_x(used, MPI_BYTE, bytes);
  return code;
}

bool always() {
  return true;
}

template <class Call>
int checked_read(MPI_File fh, Call call) {
  errno = 0;
  const int code = call();
  if (code != MPI_SUCCESS) {
    const OpenFile* file = entry(fh);
    record(describe("reading", file != nullptr ? file->path : std::string(), code, errno));
  }
  return code;
}

}  // namespace

bool io_guard_linked() noexcept {
  return true;
}

std::string take_io_failure() {
  const std::lock_guard<std::mutex> lock(state_mutex());
  std::string message;
  message.swap(pending());
  return message;
}

void defer_io_failure(const std::string& message) {
  record(message);
}

double io_failure_grace_seconds() noexcept {
  const char* text = std::getenv("B2M_IO_FAILURE_GRACE");
  const double seconds = text != nullptr ? std::atof(text) : 0.0;
  return seconds > 0 ? seconds : 10.0;
}

}  // namespace b2m::mpi

namespace guard = b2m::mpi;

extern "C" {

// A failed open is returned to HDF5 (every rank fails it alike); its
// reason is kept for the message.
int MPI_File_open(MPI_Comm comm, const char* filename, int amode, MPI_Info info, MPI_File* fh) {
  errno = 0;
  const int code = PMPI_File_open(comm, filename, amode, info, fh);
  const int error = errno;
  if (code != MPI_SUCCESS) {
    const std::lock_guard<std::mutex> lock(guard::state_mutex());
    if (guard::pending().empty())
      guard::pending() = guard::describe("opening", filename, code, error);
    return code;
  }
  guard::files()[*fh] = guard::OpenFile{filename, false};
  return code;
}

int MPI_File_close(MPI_File* fh) {
  const MPI_File file = *fh;
  const int code = guard::hide_failure(
      "closing", file, true, [&] { return PMPI_File_close(fh); }, guard::always);
  guard::files().erase(file);
  return code;
}

int MPI_File_write_at(MPI_File fh, MPI_Offset offset, const void* buf, int count,
                      MPI_Datatype datatype, MPI_Status* status) {
  return guard::hide_transfer_failure(
      "writing", fh, false, count, datatype, status,
      [&](MPI_Status* used) { return PMPI_File_write_at(fh, offset, buf, count, datatype, used); });
}

int MPI_File_write_at_all(MPI_File fh, MPI_Offset offset, const void* buf, int count,
                          MPI_Datatype datatype, MPI_Status* status) {
  return guard::hide_transfer_failure(
      "writing", fh, true, count, datatype, status, [&](MPI_Status* used) {
        return PMPI_File_write_at_all(fh, offset, buf, count, datatype, used);
      });
}

// A failed read is returned to HDF5 as it is; it arms the watchdog, in
// case HDF5's error path leaves the ranks in different collectives.
int MPI_File_read_at(MPI_File fh, MPI_Offset offset, void* buf, int count, MPI_Datatype datatype,
                     MPI_Status* status) {
  return guard::checked_read(
      fh, [&] { return PMPI_File_read_at(fh, offset, buf, count, datatype, status); });
}

int MPI_File_read_at_all(MPI_File fh, MPI_Offset offset, void* buf, int count,
                         MPI_Datatype datatype, MPI_Status* status) {
  return guard::checked_read(
      fh, [&] { return PMPI_File_read_at_all(fh, offset, buf, count, datatype, status); });
}

int MPI_File_sync(MPI_File fh) {
  return guard::hide_failure(
      "syncing", fh, true, [&] { return PMPI_File_sync(fh); }, guard::always);
}

int MPI_File_set_size(MPI_File fh, MPI_Offset size) {
  return guard::hide_failure(
      "resizing", fh, true, [&] { return PMPI_File_set_size(fh, size); }, guard::always);
}

}  // extern "C"
