#include "onnx/external_data.hpp"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>

#include "normrt/error.hpp"

namespace normrt::rt {

namespace fs = std::filesystem;

namespace {

// True when `inner` is `outer` or lies below it (both normalized).
bool is_within(const fs::path& outer, const fs::path& inner) {
  auto o = outer.begin(), i = inner.begin();
  for (; o != outer.end(); ++o, ++i) {
    if (o->empty()) continue;  // trailing separator of a directory path
    if (i == inner.end() || *o != *i) return false;
  }
  return true;
}

int64_t parse_size(const std::string& text, const char* key, const std::string& what) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    throw Error(what + ": external data " + key + " '" + text + "' is not a non-negative integer");
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE || v > static_cast<unsigned long long>(std::numeric_limits<int64_t>::max()))
    throw Error(what + ": external data " + key + " '" + text + "' is out of range");
  return static_cast<int64_t>(v);
}

}  // namespace

std::string resolve_external_path(const std::string& model_dir, const std::string& location,
                                  const std::string& what) {
  if (model_dir.empty())
    throw Error(what + ": uses external data, which needs the model's folder "
                "(load the model from a file)");
  const fs::path loc(location);
  if (location.empty()) throw Error(what + ": external data has no location");
  if (loc.is_absolute() || loc.has_root_name() || loc.has_root_directory())
    throw Error(what + ": external data location '" + location +
                "' is an absolute path; it must be relative to the model's folder");
  const fs::path normal = loc.lexically_normal();
  if (normal.empty() || *normal.begin() == ".." || normal == ".")
    throw Error(what + ": external data location '" + location + "' escapes the model's folder");
  // Symlinks could still lead out: compare the resolved paths too.
  std::error_code ec;
  const fs::path base = fs::weakly_canonical(fs::path(model_dir), ec);
  if (ec) throw Error(what + ": cannot resolve the model's folder '" + model_dir + "'");
  const fs::path full = fs::weakly_canonical(base / normal, ec);
  if (ec) throw Error(what + ": cannot resolve external data location '" + location + "'");
  if (!is_within(base, full))
    throw Error(what + ": external data location '" + location +
                "' resolves outside the model's folder");
  return full.string();
}

Tensor read_external_data(const onnx::TensorProto& proto, DType dtype, const Dims& dims,
                          const std::string& model_dir, const std::string& what) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset") offset = parse_size(kv.value(), "offset", what);
    else if (kv.key() == "length") length = parse_size(kv.value(), "length", what);
  }
  const std::string path = resolve_external_path(model_dir, location, what);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw Error(what + ": external data file '" + location + "' does not exist");
  const auto file_size = static_cast<int64_t>(fs::file_size(path, ec));
  if (ec) throw Error(what + ": cannot read external data file '" + location + "'");
  const int64_t count = element_count(dims, what);
  const auto elem = static_cast<int64_t>(dtype_size(dtype));
  if (count > file_size / elem)
    throw Error(what + ": shape " + dims_string(dims) + " needs more bytes than external data file '" +
                location + "' holds");
  const int64_t want = count * elem;
  if (length >= 0 && length != want)
    throw Error(what + ": external data length " + std::to_string(length) + " does not match " +
                std::to_string(want) + " bytes of shape " + dims_string(dims));
  if (offset > file_size || want > file_size - offset)
    throw Error(what + ": external data [" + std::to_string(offset) + ", +" +
                std::to_string(want) + ") lies beyond the end of '" + location + "' (" +
                std::to_string(file_size) + " bytes)");
  Tensor out(dtype, dims);
  std::ifstream in(path, std::ios::binary);
  in.seekg(offset);
  in.read(static_cast<char*>(out.data()), want);
  if (!in) throw Error(what + ": failed to read external data from '" + location + "'");
  return out;
}

}  // namespace normrt::rt
