# Writes a man page for one of lro's programs with help2man, from the program's own --help (and
# each subcommand's --help, as a COMMANDS section), so the page never drifts from the flags.
# cmake -DHELP2MAN=... -DPROGRAM=... -DNAME=... -DSUMMARY=... -DVERSION=... -DOUTPUT=... -P this
execute_process(COMMAND ${PROGRAM} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} --help failed (${rc})")
endif()

# CLI11 lists subcommands under "Subcommands:" (or "SUBCOMMANDS:"), one "  name  summary" a line.
set(commands)
string(REGEX MATCH "[Ss][Uu][Bb][Cc][Oo][Mm][Mm][Aa][Nn][Dd][Ss]:\n(  [^\n]*\n)+" block "${help}")
string(REGEX MATCHALL "\n  [a-z][a-z-]*" names "${block}")
foreach(name IN LISTS names)
  string(STRIP "${name}" name)
  list(APPEND commands ${name})
endforeach()

get_filename_component(dir ${OUTPUT} DIRECTORY)
file(MAKE_DIRECTORY ${dir})
set(include_option)
if(commands)
  set(include_file ${OUTPUT}.h2m)
  set(include_option --include=${include_file})
  file(WRITE ${include_file} "[COMMANDS]\n")
  foreach(command IN LISTS commands)
    execute_process(COMMAND ${PROGRAM} ${command} --help OUTPUT_VARIABLE text RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "${PROGRAM} ${command} --help failed (${rc})")
    endif()
    # Text that starts with a dot or backslash would be read as a roff request.
    string(REPLACE "\\" "\\e" text "${text}")
    string(REPLACE "\n." "\n\\&." text "${text}")
    file(APPEND ${include_file} ".SS \"${NAME} ${command}\"\n.nf\n${text}\n.fi\n")
  endforeach()
endif()

execute_process(
  COMMAND ${HELP2MAN} --no-info --no-discard-stderr --section=1 --version-string=${VERSION}
          --name=${SUMMARY} ${include_option} --output=${OUTPUT} ${PROGRAM}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed for ${PROGRAM} (${rc})")
endif()
