# Cross build of simd/ + ops/ + their tests for aarch64 (Debian's
# g++-aarch64-linux-gnu); the static test binaries run under qemu-aarch64.
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake \
#         -DNORMRT_KERNELS_ONLY=ON
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(NORMRT_CROSS_PREFIX aarch64-linux-gnu-)
set(CMAKE_C_COMPILER ${NORMRT_CROSS_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${NORMRT_CROSS_PREFIX}g++)
# The per-ISA objects are merged with ld -r and localized with objcopy, and the
# ISA-object check reads them with nm/objdump: all must be the aarch64 binutils.
foreach(tool LINKER OBJCOPY NM OBJDUMP AR RANLIB)
  string(TOLOWER ${tool} name)
  if(name STREQUAL "linker")
    set(name ld)
  endif()
  find_program(CMAKE_${tool} ${NORMRT_CROSS_PREFIX}${name} REQUIRED)
endforeach()

set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)  # xsimd is header-only, in /usr/include
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# Static binaries need no aarch64 sysroot at run time (qemu-aarch64 -L not needed).
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
# FindOpenMP would pick libgomp.so, which a static link cannot use.
execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libgomp.a
                OUTPUT_VARIABLE NORMRT_LIBGOMP_A OUTPUT_STRIP_TRAILING_WHITESPACE)
set(OpenMP_gomp_LIBRARY ${NORMRT_LIBGOMP_A} CACHE FILEPATH "static libgomp for aarch64")

set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
