# SPDX-License-Identifier: BSD-2-Clause
# Install rules and the Debian packages (CPack DEB), included from the top CMakeLists.txt.
#
# Components:
#   flowkit        the tools, scripts/flowdump-ssh, man pages, docs, systemd units and the
#                  sysusers.d entry; package `flowkit`.
#   nfdump_compat  nfcapd, sfcapd, nfdump and nfexpire as symbolic links to flowkit's tools
#                  (and their man pages); package `flowkit-nfdump-compat`, which conflicts
#                  with Debian's nfdump and nfdump-sflow. `cmake --install` installs it only
#                  with -DFLOWKIT_NFDUMP_NAMES=ON (or `--component nfdump_compat`); cpack
#                  always builds it.
#
# Paths that end up inside installed files (the units' ExecStart) are filled in at install
# time from the prefix actually used, so `cmake --install --prefix X`, the default
# /usr/local and the packages' /usr all get units pointing at their own binaries.
include(GNUInstallDirs)

option(FLOWKIT_NFDUMP_NAMES
       "cmake --install also installs nfcapd/sfcapd/nfdump/nfexpire links to flowkit's tools" OFF)

set(FLOWKIT_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "systemd unit directory, relative to the prefix")
set(FLOWKIT_SYSUSERSDIR "lib/sysusers.d" CACHE STRING
    "sysusers.d directory, relative to the prefix")
set(CMAKE_INSTALL_DEFAULT_COMPONENT_NAME flowkit)

# Binaries and the ssh forwarder for consoles on another host than the collector.
install(TARGETS ${FLOWKIT_TOOLS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/flowdump-ssh DESTINATION ${CMAKE_INSTALL_BINDIR})

# Man pages, compressed as Debian policy wants them (man reads both forms).
file(GLOB FLOWKIT_MAN_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.[18])
set(FLOWKIT_MAN_GZ)
foreach(page ${FLOWKIT_MAN_SOURCES})
  get_filename_component(name ${page} NAME)
  string(REGEX REPLACE "^.*\\.([18])$" "\\1" section ${name})
  set(gz ${PROJECT_BINARY_DIR}/man/${name}.gz)
  add_custom_command(OUTPUT ${gz}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND sh -c "gzip -n -9 -c \"$1\" > \"$2\"" sh ${page} ${gz}
    DEPENDS ${page} VERBATIM)
  list(APPEND FLOWKIT_MAN_GZ ${gz})
  install(FILES ${gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
add_custom_target(man_pages ALL DEPENDS ${FLOWKIT_MAN_GZ})

# Documentation; LICENSE as `copyright`, the name Debian looks for.
set(FLOWKIT_DOCS ${PROJECT_SOURCE_DIR}/README.md)
file(GLOB FLOWKIT_DOC_PAGES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${FLOWKIT_DOCS} ${FLOWKIT_DOC_PAGES} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR}
        RENAME copyright)
install(FILES ${PROJECT_SOURCE_DIR}/dist/examples/flowcapd.conf.example
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The Debian changelog, compressed, in both packages' doc directories (Debian policy 12.7).
# Its first entry names the version the packages get.
set(FLOWKIT_CHANGELOG ${PROJECT_SOURCE_DIR}/dist/debian/changelog)
file(STRINGS ${FLOWKIT_CHANGELOG} changelog_head LIMIT_COUNT 1)
if(NOT changelog_head MATCHES "^flowkit \\(${PROJECT_VERSION}-1\\) ")
  message(WARNING "dist/debian/changelog starts with '${changelog_head}', not flowkit "
                  "${PROJECT_VERSION}-1: add an entry for this version before packaging")
endif()
set(FLOWKIT_CHANGELOG_GZ ${PROJECT_BINARY_DIR}/changelog.Debian.gz)
add_custom_command(OUTPUT ${FLOWKIT_CHANGELOG_GZ}
  COMMAND sh -c "gzip -n -9 -c \"$1\" > \"$2\"" sh ${FLOWKIT_CHANGELOG} ${FLOWKIT_CHANGELOG_GZ}
  DEPENDS ${FLOWKIT_CHANGELOG} VERBATIM)
add_custom_target(debian_changelog ALL DEPENDS ${FLOWKIT_CHANGELOG_GZ})
install(FILES ${FLOWKIT_CHANGELOG_GZ} DESTINATION ${CMAKE_INSTALL_DOCDIR})

# systemd: the collector template, the expiry service and its timer, the system user. The
# two services are configured at install time in a directory of their own under $TMPDIR (or
# /tmp), removed after, not in the build tree: `sudo cmake --install build` would leave a
# root-owned directory there that the user's `rm -rf build` cannot remove.
if(IS_ABSOLUTE "${FLOWKIT_SYSTEMD_UNITDIR}")
  set(unit_dest "${FLOWKIT_SYSTEMD_UNITDIR}")
else()
  set(unit_dest "\${CMAKE_INSTALL_PREFIX}/${FLOWKIT_SYSTEMD_UNITDIR}")
endif()
install(CODE "
  set(FLOWKIT_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  set(FLOWKIT_DOCDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\")
  set(tmp \"\$ENV{TMPDIR}\")
  if(NOT tmp)
    set(tmp /tmp)
  endif()
  execute_process(COMMAND mktemp -d \"\${tmp}/flowkit-units.XXXXXX\"
                  OUTPUT_VARIABLE units OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR \"mktemp -d in \${tmp} failed: cannot configure the systemd units\")
  endif()
  foreach(unit flowcapd@.service flowexpire@.service)
    configure_file(\"${PROJECT_SOURCE_DIR}/dist/systemd/\${unit}.in\" \"\${units}/\${unit}\"
                   @ONLY)
  endforeach()
  file(INSTALL DESTINATION \"${unit_dest}\" TYPE FILE
       FILES \"\${units}/flowcapd@.service\" \"\${units}/flowexpire@.service\")
  file(REMOVE_RECURSE \"\${units}\")
")
install(FILES ${PROJECT_SOURCE_DIR}/dist/systemd/flowexpire@.timer
        DESTINATION ${FLOWKIT_SYSTEMD_UNITDIR})
install(FILES ${PROJECT_SOURCE_DIR}/dist/sysusers.d/flowkit.conf
        DESTINATION ${FLOWKIT_SYSUSERSDIR})

# nfdump's names as relative symbolic links, made once here and installed as links.
set(compat_exclude EXCLUDE_FROM_ALL)
if(FLOWKIT_NFDUMP_NAMES)
  set(compat_exclude)
endif()
set(compat_dir ${PROJECT_BINARY_DIR}/nfdump-names)
file(MAKE_DIRECTORY ${compat_dir}/bin ${compat_dir}/man1 ${compat_dir}/man8)
# alias:tool:man section (the collector's page is in section 8, the others in 1).
set(compat_links nfcapd:flowcapd:8 sfcapd:flowcapd:8 nfdump:flowdump:1 nfexpire:flowexpire:1)
set(compat_bins)
set(compat_mans_1)
set(compat_mans_8)
foreach(pair ${compat_links})
  string(REPLACE ":" ";" pair ${pair})
  list(GET pair 0 alias)
  list(GET pair 1 tool)
  list(GET pair 2 sec)
  file(CREATE_LINK ${tool} ${compat_dir}/bin/${alias} SYMBOLIC)
  file(CREATE_LINK ${tool}.${sec}.gz ${compat_dir}/man${sec}/${alias}.${sec}.gz SYMBOLIC)
  list(APPEND compat_bins ${compat_dir}/bin/${alias})
  list(APPEND compat_mans_${sec} ${compat_dir}/man${sec}/${alias}.${sec}.gz)
endforeach()
install(FILES ${compat_bins} DESTINATION ${CMAKE_INSTALL_BINDIR}
        COMPONENT nfdump_compat ${compat_exclude})
install(FILES ${compat_mans_1} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        COMPONENT nfdump_compat ${compat_exclude})
install(FILES ${compat_mans_8} DESTINATION ${CMAKE_INSTALL_MANDIR}/man8
        COMPONENT nfdump_compat ${compat_exclude})
# Debian wants a copyright file and the changelog in every package's own doc directory.
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/flowkit-nfdump-compat RENAME copyright
        COMPONENT nfdump_compat ${compat_exclude})
install(FILES ${FLOWKIT_CHANGELOG_GZ}
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/flowkit-nfdump-compat
        COMPONENT nfdump_compat ${compat_exclude})

# Debian packages: `scripts/package` or `cpack -G DEB` in a built tree.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME flowkit)
set(CPACK_PACKAGE_VENDOR "flowkit")
set(CPACK_PACKAGE_CONTACT "flowkit maintainers <maintainers@users.noreply.r-seed-2852327a.example>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL flowkit nfdump_compat)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# `package_source` must not sweep up build trees or the repository.
set(CPACK_SOURCE_IGNORE_FILES "/build[^/]*/" "/\\.git/" "/out/")

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_FLOWKIT_PACKAGE_NAME flowkit)
set(CPACK_DEBIAN_FLOWKIT_DESCRIPTION
    "NetFlow/IPFIX/sFlow collector and query tools compatible with nfdump\n\
flowcapd collects NetFlow v1/v5/v7/v9, IPFIX and sFlow v5 into nfdump 1.7 files;\n\
flowdump reads nfdump 1.6 and 1.7 files with nfdump's options and output formats;\n\
flowexpire keeps flow directories within size and age limits; flowprobe turns\n\
captured packets into NetFlow v5/v9/IPFIX exports or nfdump files; flowdump-ssh\n\
runs flowdump on a collector host over ssh. Includes systemd units\n\
flowcapd@.service and flowexpire@.timer running as the user flowkit.")
# dpkg-shlibdeps derives the library packages from the binaries (libc6 and libpcap0.8; also
# liblz4-1, libzstd1, ... with FLOWKIT_STATIC_LIBS=OFF); passwd provides useradd for the
# postinst fallback.
set(CPACK_DEBIAN_FLOWKIT_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_FLOWKIT_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_FLOWKIT_PACKAGE_RECOMMENDS "openssh-client")
set(CPACK_DEBIAN_FLOWKIT_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/dist/debian/postinst;${PROJECT_SOURCE_DIR}/dist/debian/postrm")

# The compat package takes nfdump's command names, so it must never sit beside Debian's
# nfdump: Conflicts makes dpkg refuse and apt ask to remove nfdump; no Replaces, so no file
# of nfdump is ever overwritten silently.
set(CPACK_DEBIAN_NFDUMP_COMPAT_PACKAGE_NAME flowkit-nfdump-compat)
set(CPACK_DEBIAN_NFDUMP_COMPAT_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_NFDUMP_COMPAT_DESCRIPTION
    "nfdump command names for flowkit\n\
Installs nfcapd, sfcapd, nfdump and nfexpire as links to flowkit's flowcapd, flowdump\n\
and flowexpire, for consoles and scripts that call nfdump's tools by name.\n\
Conflicts with Debian's nfdump and nfdump-sflow packages.")
set(CPACK_DEBIAN_NFDUMP_COMPAT_PACKAGE_DEPENDS
    "flowkit (= ${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE})")
set(CPACK_DEBIAN_NFDUMP_COMPAT_PACKAGE_CONFLICTS "nfdump, nfdump-sflow")
set(CPACK_DEBIAN_NFDUMP_COMPAT_PACKAGE_PROVIDES "nfdump, nfdump-sflow")

include(CPack)
