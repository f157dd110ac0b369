# Installation and Debian packages. Three install components, one package each:
#   dev    -> liblro-dev  libraries, headers, lroConfig.cmake (find_package) and lro.pc (pkg-config)
#   cli    -> lro         the lro command, its bash completion and man page
#   server -> lrod        the lrod server, its man page, systemd unit, /etc/lrod/lrod.toml and the
#                         maintainer scripts that create the lrod user and /var/lib/lrod
# `cpack -G DEB` in the build directory (or scripts/package-check.sh) builds the three .debs.

include(CMakePackageConfigHelpers)

# The prefix the packages install into; the unit's ExecStart names the binary under it.
set(LRO_PACKAGE_PREFIX "/usr" CACHE STRING "Install prefix of the Debian packages")

# --- dev: find_package(lro) and pkg-config --------------------------------------------------
install(DIRECTORY include/lro DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(EXPORT lroTargets NAMESPACE lro:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/lro
  COMPONENT dev)
configure_package_config_file(cmake/lroConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/lroConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/lro)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/lroConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/lroConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/lroConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/lro COMPONENT dev)

# lro.pc finds its prefix from its own place (${pcfiledir}), so it is right under any prefix.
file(RELATIVE_PATH LRO_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(packaging/lro.pc.in ${CMAKE_CURRENT_BINARY_DIR}/lro.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/lro.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT dev)

# --- cli: bash completion ---------------------------------------------------------------------
install(FILES packaging/lro/lro.bash-completion DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  RENAME lro COMPONENT cli)

# --- server: systemd unit and configuration ---------------------------------------------------
# Absolute places (/etc, /lib/systemd) belong to the package only: EXCLUDE_FROM_ALL keeps them
# out of a plain `cmake --install build --prefix DIR`, which must not write to the machine.
configure_file(packaging/lrod/lrod.service.in ${CMAKE_CURRENT_BINARY_DIR}/lrod.service @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/lrod.service DESTINATION /lib/systemd/system
  COMPONENT server EXCLUDE_FROM_ALL)
install(FILES packaging/lrod/lrod.toml DESTINATION /etc/lrod COMPONENT server EXCLUDE_FROM_ALL)

# --- man pages, generated at build time from the programs' --help -----------------------------
# Sanitizer builds (CI's second build) are never packaged: their programs are not run here.
find_program(LRO_HELP2MAN help2man)
if(LRO_SANITIZE OR LRO_TSAN)
  # nothing: no man pages
elseif(LRO_HELP2MAN AND NOT CMAKE_CROSSCOMPILING)
  set(lro_man_pages)
  foreach(page "lro_cli|lro|start, wait on, inspect or cancel long-running operations over HTTP|cli"
               "lrod|lrod|the long-running operations server|server")
    string(REPLACE "|" ";" page "${page}")
    list(GET page 0 target)
    list(GET page 1 name)
    list(GET page 2 summary)
    list(GET page 3 component)
    set(out ${CMAKE_CURRENT_BINARY_DIR}/man/${name}.1)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -DHELP2MAN=${LRO_HELP2MAN} -DPROGRAM=$<TARGET_FILE:${target}>
              -DNAME=${name} "-DSUMMARY=${summary}" -DVERSION=${PROJECT_VERSION} -DOUTPUT=${out}
              -P ${PROJECT_SOURCE_DIR}/cmake/LroManPage.cmake
      DEPENDS ${target} ${PROJECT_SOURCE_DIR}/cmake/LroManPage.cmake
      COMMENT "Generating the man page ${name}(1)" VERBATIM)
    list(APPEND lro_man_pages ${out})
    install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT ${component})
  endforeach()
  add_custom_target(lro_man_pages ALL DEPENDS ${lro_man_pages})
else()
  message(STATUS "help2man not found: the man pages of lro and lrod are not built "
                 "(apt-get install help2man)")
endif()

# --- Debian packages --------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lro)
set(CPACK_PACKAGE_VENDOR "lro")
set(CPACK_PACKAGE_CONTACT "lro maintainers <lro@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX ${LRO_PACKAGE_PREFIX})
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL dev cli server)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Runtime dependencies of the programs come from dpkg-shlibdeps (libcurl4, libsqlite3-0, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME liblro-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "liblro: long-running operations over HTTP, client library (development files)\n"
  "Static libraries (liblro, liblro_testing, liblro_server), headers, a CMake package\n"
  "(find_package(lro): lro::client, lro::testing, lro::server) and lro.pc for pkg-config.")
# What lroConfig.cmake and lro.pc ask for.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libboost-json1.81-dev, libboost-url1.81-dev, libcurl4-openssl-dev | libcurl-dev, libsqlite3-dev")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME lro)
set(CPACK_COMPONENT_CLI_DESCRIPTION
  "command line client for long-running operations over HTTP\n"
  "lro starts an operation against any API with the 202 + Location / Operation-Location\n"
  "conventions (Microsoft Fabric, Azure, Google), shows its progress and writes its result;\n"
  "it waits on, inspects, cancels or resumes one by URL or resume token.")

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME lrod)
set(CPACK_COMPONENT_SERVER_DESCRIPTION
  "server for long-running operations over HTTP\n"
  "lrod hosts long-running operations with the Fabric or Azure conventions on a durable\n"
  "SQLite store, as a systemd service (lrod.service) running as the lrod user, with its\n"
  "state under /var/lib/lrod and its configuration in /etc/lrod/lrod.toml.")
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/lrod/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/lrod/postinst
  ${PROJECT_SOURCE_DIR}/packaging/lrod/prerm
  ${PROJECT_SOURCE_DIR}/packaging/lrod/postrm)

include(CPack)
