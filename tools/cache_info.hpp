#pragma once
// Data-cache sizes of this CPU, read from Linux sysfs
// (/sys/devices/system/cpu/cpu0/cache/index*/{level,type,size}); where that
// is unavailable (other OS, containers hiding sysfs), typical sizes of a
// current x86 server core stand in and `detected` is false.
#include <cstdint>
#include <string>

namespace normrt::bench {

struct CacheSizes {
  int64_t l1d = 32 << 10;  // bytes, one instance (per core)
  int64_t l2 = 1 << 20;    // bytes, one instance (per core on current CPUs)
  int64_t l3 = 32 << 20;   // bytes, the instance cpu0 shares with its neighbours
  bool detected = false;   // true when at least L2 was read from sysfs
};

CacheSizes cache_sizes();  // detected once per process

// Parses a sysfs cache size ("32K", "1024K", "32M", "1G", "512"); -1 when malformed.
int64_t parse_cache_size(const std::string& text);

// "512 KiB", "16 MiB", "1.5 GiB".
std::string format_bytes(int64_t bytes);

}  // namespace normrt::bench
