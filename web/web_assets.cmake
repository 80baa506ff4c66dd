# web_assets.cmake -- included by the top-level CMakeLists.txt after the CLI objects
# target: builds the web assets of `hpsearch report` and `hpsearch dashboard` into
# ${CMAKE_BINARY_DIR}/generated/web_assets.c, compiled into the hpsearch binary.
#
# The charting library (Apache ECharts, pinned by web/package-lock.json) comes from the
# npm registry through `npm ci` at build time; npm's cache serves later builds offline.
# Without npm the configure step stops with a message saying what to install, unless
# -DHPS_WEB_CHARTS=OFF, which builds pages that show the summary and say that charts
# were left out.
option(HPS_WEB_CHARTS "Embed the charting library (npm ci at build time)" ON)

set(HPS_WEB_SRC ${PROJECT_SOURCE_DIR}/web)
set(HPS_WEB_BUILD ${CMAKE_BINARY_DIR}/web)
set(HPS_WEB_C ${CMAKE_BINARY_DIR}/generated/web_assets.c)
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/generated)

if(HPS_WEB_CHARTS)
  find_program(HPS_NPM NAMES npm)
  if(NOT HPS_NPM)
    message(FATAL_ERROR
      "hpsearch: npm not found. The HTML report and the dashboard embed Apache ECharts from "
      "the npm registry at build time: install Node.js and npm (scripts/install-deps.sh "
      "build, or apt-get install nodejs npm), or configure with -DHPS_WEB_CHARTS=OFF to "
      "build without charts.")
  endif()
  set(HPS_ECHARTS_JS ${HPS_WEB_BUILD}/node_modules/echarts/dist/echarts.min.js)
  add_custom_command(
    OUTPUT ${HPS_WEB_BUILD}/echarts.stamp
    COMMAND ${CMAKE_COMMAND} -DNPM=${HPS_NPM} -DSRC=${HPS_WEB_SRC} -DDST=${HPS_WEB_BUILD}
            -DDEV=${HPS_TESTS} -P ${HPS_WEB_SRC}/fetch.cmake
    DEPENDS ${HPS_WEB_SRC}/package.json ${HPS_WEB_SRC}/package-lock.json ${HPS_WEB_SRC}/fetch.cmake
    COMMENT "Installing the charting library (npm ci)"
    VERBATIM)
  set(HPS_WEB_DEPS ${HPS_WEB_BUILD}/echarts.stamp)
else()
  set(HPS_ECHARTS_JS "")
  set(HPS_WEB_DEPS)
endif()

add_custom_command(
  OUTPUT ${HPS_WEB_C}
  COMMAND ${CMAKE_COMMAND} -DOUT=${HPS_WEB_C} -DAPP=${HPS_WEB_SRC}/app.js
          -DCSS=${HPS_WEB_SRC}/style.css -DECHARTS=${HPS_ECHARTS_JS}
          -DECHARTS_PACKAGE=${HPS_WEB_BUILD}/node_modules/echarts/package.json
          -P ${HPS_WEB_SRC}/embed.cmake
  DEPENDS ${HPS_WEB_DEPS} ${HPS_WEB_SRC}/app.js ${HPS_WEB_SRC}/style.css ${HPS_WEB_SRC}/embed.cmake
  COMMENT "Embedding the report and dashboard assets"
  VERBATIM)
target_sources(hpsearch_cli_objects PRIVATE ${HPS_WEB_C})
