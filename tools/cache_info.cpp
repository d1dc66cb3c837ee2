#include "cache_info.hpp"

#include <cstdio>
#include <fstream>

namespace normrt::bench {
namespace {

bool read_line(const std::string& path, std::string& out) {
  std::ifstream in(path);
  return static_cast<bool>(std::getline(in, out));
}

CacheSizes detect() {
  CacheSizes sizes;
  bool saw_l2 = false;
  for (int index = 0; index < 16; ++index) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index);
    std::string level, type, size;
    if (!read_line(dir + "/level", level)) break;
    if (!read_line(dir + "/type", type) || !read_line(dir + "/size", size)) continue;
    if (type != "Data" && type != "Unified") continue;  // instruction caches do not hold data
    const int64_t bytes = parse_cache_size(size);
    if (bytes <= 0) continue;
    if (level == "1") sizes.l1d = bytes;
    if (level == "2") sizes.l2 = bytes, saw_l2 = true;
    if (level == "3") sizes.l3 = bytes;
  }
  sizes.detected = saw_l2;
  // A CPU without L3 (or hiding it): the last level is L2, and "L3-resident"
  // degenerates to a size between L2 and DRAM.
  if (sizes.l3 < sizes.l2) sizes.l3 = 4 * sizes.l2;
  return sizes;
}

}  // namespace

CacheSizes cache_sizes() {
  static const CacheSizes sizes = detect();
  return sizes;
}

int64_t parse_cache_size(const std::string& text) {
  std::size_t i = 0;
  int64_t value = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    value = value * 10 + (text[i] - '0');
    if (value > (int64_t(1) << 40)) return -1;
  }
  if (i == 0) return -1;
  const std::string unit = text.substr(i);
  if (unit.empty()) return value;
  if (unit == "K") return value << 10;
  if (unit == "M") return value << 20;
  if (unit == "G") return value << 30;
  return -1;
}

std::string format_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1024 && u < 3) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, v == double(int64_t(v)) ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace normrt::bench
