# fetch.cmake -- `cmake -P` step of the build: installs the charting library pinned in
# web/package-lock.json into the build tree with `npm ci` (from npm's cache when it has
# the packages, else from the npm registry), so the report and dashboard can embed it.
#   -DNPM=path/to/npm -DSRC=<source>/web -DDST=<build>/web
#   -DDEV=ON also installs the devDependencies: playwright-core, which the browser
#   tests drive Debian's chromium with (web/check_page.js).
file(MAKE_DIRECTORY "${DST}")
foreach(name package.json package-lock.json)
  configure_file("${SRC}/${name}" "${DST}/${name}" COPYONLY)
endforeach()
set(omit --omit=dev)
if(DEV)
  set(omit)
endif()
execute_process(
  COMMAND "${NPM}" ci ${omit} --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error
  WORKING_DIRECTORY "${DST}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT EXISTS "${DST}/node_modules/echarts/dist/echarts.min.js")
  message(FATAL_ERROR
    "hpsearch: could not install the charting library (Apache ECharts) with `npm ci` in "
    "${DST}:\n${out}${err}\n"
    "The HTML report and the dashboard embed it at build time, which needs npm and, the first "
    "time, the npm registry. Install Node.js and npm (scripts/install-deps.sh build), or "
    "configure with -DHPS_WEB_CHARTS=OFF to build without charts (see docs/report.md).")
endif()
file(TOUCH "${DST}/echarts.stamp")
