# Per-ISA kernel objects and the ODR trap (DESIGN.md section 2).
#
# Every kernel body is a template over the xsimd arch. Each ISA instantiates
# them in translation units compiled with that ISA's flags only. Inline
# functions and template instances emitted there (std::sqrt, xsimd helpers,
# std::vector members...) are COMDAT/weak: the final link keeps ONE copy for the
# whole program, possibly the -mavx512f one, which then runs on an AVX2 CPU.
# The fix: link each ISA's objects into one relocatable object with the COMDAT
# groups dissolved (ld -r --force-group-allocation), then make every defined
# symbol local except the ISA's entry points (objcopy -G '*kernels_<isa>*').
# tests/isa/check_isa_objects.sh proves it on the built objects.

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(NORMRT_ISAS scalar avx2 avx512)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(NORMRT_ISAS scalar neon)
else()
  set(NORMRT_ISAS scalar)
endif()

set(NORMRT_ISA_FLAGS_scalar "")
set(NORMRT_ISA_FLAGS_avx2 -mavx2 -mfma -mf16c)
# GCC 12 flags its own avx512 intrinsic headers (_mm512_undefined_ps) as maybe-uninitialized,
# and as uninitialized under -fsanitize=address. The same kernel bodies are still
# checked for both warnings in the scalar and avx2 units.
set(NORMRT_ISA_FLAGS_avx512 -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma -mf16c
    -Wno-maybe-uninitialized -Wno-uninitialized)
set(NORMRT_ISA_FLAGS_neon "")

if(NOT CMAKE_LINKER OR NOT CMAKE_OBJCOPY)
  message(FATAL_ERROR "normrt needs ld and objcopy (binutils) for the per-ISA objects")
endif()

# normrt_isa_objects(<target> OPS <op>...)
# For each ISA in NORMRT_ISAS and each op, generates a translation unit that
# instantiates ops/src/<op>.kernel.hpp for that ISA, builds them with the ISA's
# flags, and adds the localized relocatable object <isa>_kernels.o to <target>.
function(normrt_isa_objects target)
  cmake_parse_arguments(ARG "" "" "OPS;INCLUDES;LIBS" ${ARGN})
  foreach(isa IN LISTS NORMRT_ISAS)
    set(sources)
    foreach(op IN LISTS ARG_OPS)
      set(OP ${op})
      set(ISA ${isa})
      set(src ${CMAKE_CURRENT_BINARY_DIR}/isa/${op}_${isa}.cpp)
      configure_file(${PROJECT_SOURCE_DIR}/cmake/isa_entry.cpp.in ${src} @ONLY)
      list(APPEND sources ${src})
    endforeach()
    set(objlib ${target}_${isa}_objs)
    add_library(${objlib} OBJECT ${sources})
    target_include_directories(${objlib} PRIVATE ${ARG_INCLUDES})
    target_link_libraries(${objlib} PRIVATE ${ARG_LIBS})
    target_compile_options(${objlib} PRIVATE ${NORMRT_ISA_FLAGS_${isa}}
                           -fvisibility=hidden -fvisibility-inlines-hidden)
    target_compile_definitions(${objlib} PRIVATE NORMRT_ISA_UNIT=${isa})
    set(combined ${CMAKE_CURRENT_BINARY_DIR}/${isa}_kernels.o)
    add_custom_command(
      OUTPUT ${combined}
      COMMAND ${CMAKE_LINKER} -r --force-group-allocation -o ${combined}.tmp
              $<TARGET_OBJECTS:${objlib}>
      COMMAND ${CMAKE_OBJCOPY} -w -G "*kernels_${isa}*" ${combined}.tmp ${combined}
      COMMAND ${CMAKE_COMMAND} -E remove ${combined}.tmp
      DEPENDS ${objlib} $<TARGET_OBJECTS:${objlib}>
      COMMAND_EXPAND_LISTS
      COMMENT "Localizing ${isa} kernel symbols")
    target_sources(${target} PRIVATE ${combined})
    set_source_files_properties(${combined} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
    set_property(GLOBAL APPEND PROPERTY NORMRT_ISA_COMBINED_OBJECTS ${combined})
  endforeach()
endfunction()
