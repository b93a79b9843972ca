# Embeds src/lua/*.lua into one C header at build time: each file NAME.lua
# becomes the string literal macro LUA_SRC_NAME (upper case), so the scripts
# live as real Lua files (lintable, runnable with redis-cli --eval) and the
# binary still carries them.
#   cmake -DOUT=header.h -DIN="a.lua|b.lua" -P scripts/embed_lua.cmake
string(REPLACE "|" ";" IN "${IN}")
set(text "/* Generated from the files of src/lua by scripts/embed_lua.cmake: do not edit. */\n")
string(APPEND text "#ifndef SHOPSYNC_LUA_SCRIPTS_H\n#define SHOPSYNC_LUA_SCRIPTS_H\n")
foreach(f ${IN})
  get_filename_component(name ${f} NAME_WE)
  string(TOUPPER ${name} upper)
  file(READ ${f} body)
  string(REPLACE "\\" "\\\\" body "${body}")
  string(REPLACE "\"" "\\\"" body "${body}")
  string(REPLACE "\n" "\\n\" \\\n    \"" body "${body}")
  string(APPEND text "#define LUA_SRC_${upper} \\\n    \"${body}\"\n")
endforeach()
string(APPEND text "#endif\n")
# Rewrite only on change, so unchanged scripts rebuild nothing.
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUT} "${text}")
endif()
