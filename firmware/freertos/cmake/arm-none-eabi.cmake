# Toolchain file for arm-none-eabi-gcc (Debian/Ubuntu gcc-arm-none-eabi, or Arm GNU Toolchain).
# Usage: cmake -S firmware/freertos -B build -DCMAKE_TOOLCHAIN_FILE=firmware/freertos/cmake/arm-none-eabi.cmake
# Set ARM_TOOLCHAIN_DIR (a directory containing bin/arm-none-eabi-gcc) when it is not on PATH.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(ARM_TOOLCHAIN_DIR "$ENV{ARM_TOOLCHAIN_DIR}" CACHE PATH "Directory holding bin/arm-none-eabi-gcc (empty: PATH)")
if(ARM_TOOLCHAIN_DIR)
    set(_nce_prefix "${ARM_TOOLCHAIN_DIR}/bin/arm-none-eabi-")
else()
    set(_nce_prefix "arm-none-eabi-")
endif()

set(CMAKE_C_COMPILER "${_nce_prefix}gcc")
set(CMAKE_ASM_COMPILER "${_nce_prefix}gcc")
set(CMAKE_OBJCOPY "${_nce_prefix}objcopy" CACHE FILEPATH "objcopy")
set(CMAKE_SIZE "${_nce_prefix}size" CACHE FILEPATH "size")

# The compiler check links a test program, which needs a linker script on bare metal.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
