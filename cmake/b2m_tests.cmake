# Test helpers. Every MPI test runs at each rank count through one function,
# built on FindMPI's MPIEXEC_* variables and labelled `mpi`.
set(B2M_MPIEXEC_FLAGS --oversubscribe)
# The environment of MPI-initialising tests; PMIX_MCA_psec=native and
# OMPI_MCA_pml=ob1: see mpirun_command in tests/reference/harness.py.
set(B2M_MPI_TEST_ENV "OPENBLAS_NUM_THREADS=1;PMIX_MCA_psec=native;OMPI_MCA_pml=ob1")
execute_process(COMMAND id -u OUTPUT_VARIABLE B2M_UID OUTPUT_STRIP_TRAILING_WHITESPACE)
if(B2M_UID STREQUAL "0")
  list(APPEND B2M_MPIEXEC_FLAGS --allow-run-as-root)
endif()

# Serial unit tests (GoogleTest; MPI is initialised on one rank by the shared main).
function(b2m_add_unit_test name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE b2m_test_support)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 300 ENVIRONMENT "${B2M_MPI_TEST_ENV}")
endfunction()

# b2m_add_mpi_test(NAME n SOURCES ... RANKS 1 2 4): one ctest per rank count.
function(b2m_add_mpi_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;RANKS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE b2m_test_support)
  foreach(ranks IN LISTS ARG_RANKS)
    add_test(NAME ${ARG_NAME}_np${ranks}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${ranks} ${B2M_MPIEXEC_FLAGS}
                     ${MPIEXEC_PREFLAGS} $<TARGET_FILE:${ARG_NAME}> ${MPIEXEC_POSTFLAGS})
    set_tests_properties(${ARG_NAME}_np${ranks} PROPERTIES LABELS mpi TIMEOUT 600
                         ENVIRONMENT "${B2M_MPI_TEST_ENV}")
  endforeach()
endfunction()

# A script test that drives the b2m binary at several rank counts.
function(b2m_add_script_test name script)
  cmake_parse_arguments(ARG "" "LABEL" "RANKS;ARGS" ${ARGN})
  foreach(ranks IN LISTS ARG_RANKS)
    add_test(NAME ${name}_np${ranks}
             COMMAND ${B2M_PYTHON} ${script} --b2m $<TARGET_FILE:b2m> --ranks ${ranks}
                     --work-dir ${CMAKE_CURRENT_BINARY_DIR}/work/${name}_np${ranks} ${ARG_ARGS})
    set_tests_properties(${name}_np${ranks} PROPERTIES LABELS "${ARG_LABEL}" TIMEOUT 600
                         ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
  endforeach()
endfunction()

# Every public header compiles on its own.
function(b2m_add_header_check)
  set(sources)
  foreach(layer core mpi io solvers analysis jobs)
    file(GLOB headers RELATIVE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/${layer}/*.hpp)
    foreach(header IN LISTS headers)
      string(REPLACE "/" "_" stem ${header})
      set(out ${CMAKE_CURRENT_BINARY_DIR}/header_check/${stem}.cpp)
      file(WRITE ${out} "#include \"${header}\"\n")
      list(APPEND sources ${out})
    endforeach()
  endforeach()
  add_library(b2m_header_check OBJECT ${sources})
  target_link_libraries(b2m_header_check PRIVATE b2m_jobs)
endfunction()
