# One static library per layer; a layer links only the layers below it, so a
# wrong-direction include fails to link as well as to read.
function(b2m_add_layer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  add_library(b2m_${name} STATIC ${ARG_SOURCES})
  target_include_directories(b2m_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(b2m_${name} PUBLIC ${ARG_DEPENDS})
endfunction()
