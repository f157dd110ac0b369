# lro_set_warnings(target): the project's warning set; errors unless LRO_WARNINGS_AS_ERRORS is OFF.
function(lro_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # g++ 12 reports moves of std::variant (our StatusOr) as "maybe uninitialized" at -O2: a
    # known false positive (GCC bugs 105562, 107919). clang, which CI also builds with
    # -Werror, keeps checking uninitialized reads.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # Thread-safety analysis: the LRO_GUARDED_BY / LRO_REQUIRES annotations of
    # src/wire/thread_safety.h are checked (g++ ignores them).
    target_compile_options(${target} PRIVATE -Wthread-safety)
  endif()
  if(LRO_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
