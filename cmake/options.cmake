add_library(myclothes_warnings INTERFACE)
target_compile_options(myclothes_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                    -Wold-style-cast -Wcast-align -Woverloaded-virtual
                                                    -Wno-missing-field-initializers)
# GCC 12 reports -Wrestrict (and -Wstringop-overflow/-overread) inside libstdc++'s std::string at -O2 where
# no overlap is possible (GCC bugs 105329, 105651): off for GCC 12, so -Werror keeps meaning our warnings.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(myclothes_warnings INTERFACE -Wno-restrict)
endif()
if(MYCLOTHES_WERROR)
  target_compile_options(myclothes_warnings INTERFACE -Werror)
endif()

add_library(myclothes_options INTERFACE)
target_compile_definitions(myclothes_options INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW
                                                       SPDLOG_FMT_EXTERNAL)
target_link_libraries(myclothes_options INTERFACE Threads::Threads)
if(MYCLOTHES_SANITIZE)
  target_compile_options(myclothes_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                     -fno-sanitize-recover=undefined)
  target_link_options(myclothes_options INTERFACE -fsanitize=address,undefined)
endif()
