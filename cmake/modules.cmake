# myclothes_module(NAME DEPS ...): a static library from every .cpp under src/NAME.
function(myclothes_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.cpp)
  list(FILTER sources EXCLUDE REGEX "/src/app/main\\.cpp$")  # the program itself, not a layer
  if(NOT sources)
    # A layer with headers only (or none yet) still takes part in the graph.
    add_library(mc_${name} INTERFACE)
    target_include_directories(mc_${name} INTERFACE ${CMAKE_SOURCE_DIR}/src)
    target_link_libraries(mc_${name} INTERFACE ${ARG_DEPS} myclothes_options)
    return()
  endif()
  add_library(mc_${name} STATIC ${sources})
  target_include_directories(mc_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(mc_${name} PUBLIC ${ARG_DEPS} myclothes_options PRIVATE myclothes_warnings)
endfunction()

# myclothes_tests(LEVEL): one test program per folder tests/LEVEL/MODULE, linked to mc_MODULE.
# File names say what a test needs (*_test.cpp nothing, *_pgtest.cpp PostgreSQL, *_redistest.cpp Redis, *_ddbtest.cpp DynamoDB Local);
# the CTest labels follow from them, so `ctest -L unit` runs without services.
function(myclothes_tests level)
  file(GLOB module_dirs LIST_DIRECTORIES true ${CMAKE_SOURCE_DIR}/tests/${level}/*)
  foreach(dir ${module_dirs})
    if(NOT IS_DIRECTORY ${dir})
      continue()
    endif()
    get_filename_component(module ${dir} NAME)
    file(GLOB sources CONFIGURE_DEPENDS ${dir}/*.cpp)
    if(NOT sources)
      continue()
    endif()
    set(labels ${level})
    foreach(src ${sources})
      if(src MATCHES "_pgtest\\.cpp$")
        list(APPEND labels pg)
      elseif(src MATCHES "_redistest\\.cpp$")
        list(APPEND labels redis)
      elseif(src MATCHES "_ddbtest\\.cpp$")
        list(APPEND labels dynamodb)
      endif()
    endforeach()
    list(REMOVE_DUPLICATES labels)
    set(target ${level}_${module})
    add_executable(${target} ${sources})
    set(lib mc_${module})
    if(NOT TARGET ${lib})
      set(lib mc_web)
    endif()
    target_link_libraries(${target} PRIVATE ${lib} myclothes_fakes GTest::gmock GTest::gtest_main myclothes_options
                                            myclothes_warnings)
    target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/tests)
    target_compile_definitions(${target} PRIVATE MYCLOTHES_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
    # Labels are set by a second include file that runs after the discovered tests are defined: a list
    # value (e.g. "integration;pg") does not survive gtest_discover_tests' PROPERTIES.
    gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60 TEST_LIST ${target}_TESTS)
    set(label_file ${CMAKE_CURRENT_BINARY_DIR}/${target}_labels.cmake)
    file(WRITE ${label_file} "foreach(t IN LISTS ${target}_TESTS)\n"
                             "  set_tests_properties(\"\${t}\" PROPERTIES LABELS \"${labels}\")\n"
                             "endforeach()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${label_file})
  endforeach()
endfunction()
