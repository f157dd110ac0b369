# The client's layers (docs/client.md, "How the client is laid out"): each folder under
# src/client is an OBJECT library whose objects go into liblro, and each may include only what
# its layer may use. On Debian, curl's and Boost's headers sit in the compiler's default search
# path, so leaving an include path out cannot forbid them: instead each layer gets a folder of
# guard headers, searched first, with the names of what it must not include (curl, Asio, Beast,
# and the headers of the layers above it). Each guard is an #error naming the rule, so a
# wrong-way include, direct or through another header, fails the build where it is written.

set(LRO_GUARD_CURL curl/curl.h curl/easy.h curl/multi.h)
# Every Asio and Beast header includes its config header first.
set(LRO_GUARD_ASIO boost/asio.hpp boost/asio/detail/config.hpp boost/beast.hpp
  boost/beast/core/detail/config.hpp lro/asio.h)

# The headers of the given layers of src/client, as they are included ("client/engine/x.h").
function(lro_layer_headers out)
  set(headers)
  foreach(layer ${ARGN})
    file(GLOB names RELATIVE ${PROJECT_SOURCE_DIR}/src
      CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/client/${layer}/*.h)
    list(APPEND headers ${names})
  endforeach()
  set(${out} ${headers} PARENT_SCOPE)
endfunction()

# lro_guard_includes(TARGET LAYER HEADER...): TARGET, code of LAYER, fails to compile when it
# includes any HEADER.
function(lro_guard_includes target layer)
  set(dir ${PROJECT_BINARY_DIR}/layer_guards/${layer})
  foreach(header ${ARGN})
    file(CONFIGURE OUTPUT ${dir}/${header} CONTENT
"#error \"lro layers: src/client/${layer} may not include <${header}> (docs/client.md: How the client is laid out)\"
")
  endforeach()
  target_include_directories(${target} BEFORE PRIVATE ${dir})
endfunction()

# lro_forbid_link(TARGET LIBRARY...): configuring fails when TARGET links any LIBRARY, directly
# or through the libraries it links (lrod must not link the client or libcurl). Checked on the
# target graph, so it holds whatever the linker would drop (--as-needed) or keep.
function(lro_forbid_link target)
  set(seen ${target})
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue current)
    foreach(property LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
      get_target_property(libraries ${current} ${property})
      if(NOT libraries)
        continue()
      endif()
      foreach(library ${libraries})
        string(REGEX REPLACE "^\\$<(LINK_ONLY|BUILD_INTERFACE):(.*)>$" "\\2" library "${library}")
        if(library IN_LIST seen)
          continue()
        endif()
        list(APPEND seen ${library})
        if(library IN_LIST ARGN)
          message(FATAL_ERROR "${target} links ${library} (through ${current}); it must not "
                              "(docs/client.md: How the client is laid out)")
        endif()
        if(TARGET ${library})
          list(APPEND queue ${library})
        endif()
      endforeach()
    endforeach()
  endwhile()
endfunction()
