# `cmake --install` puts the binary, the man page and the three completion files where a
# distribution expects them. Run as: cmake -DBUILD=<build dir> -DPREFIX=<scratch dir> -P install_test.cmake
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --prefix ${PREFIX} RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()
set(CMAKE_INSTALL_LIBDIR lib)  # only bin, man and share are used; this keeps GNUInstallDirs quiet
include(GNUInstallDirs)
foreach(f ${CMAKE_INSTALL_BINDIR}/herald
          ${CMAKE_INSTALL_MANDIR}/man1/herald.1
          ${CMAKE_INSTALL_DATADIR}/bash-completion/completions/herald
          ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions/_herald
          ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d/herald.fish)
  if(NOT EXISTS ${PREFIX}/${f})
    message(FATAL_ERROR "cmake --install did not put ${f} under the prefix")
  endif()
endforeach()
execute_process(COMMAND ${PREFIX}/${CMAKE_INSTALL_BINDIR}/herald version RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "^herald ")
  message(FATAL_ERROR "the installed herald does not run: ${rc} ${out}")
endif()
file(REMOVE_RECURSE ${PREFIX})
message(STATUS "install ok")
