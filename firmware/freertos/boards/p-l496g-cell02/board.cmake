# P-L496G-CELL02: STM32L496AG (Cortex-M4F, 80 MHz) + Quectel BG96, the board of 1NCE's FreeRTOS
# blueprint. The ST HAL and CMSIS come from the user like the kernel: STM32CUBE_L4_PATH is a
# STM32CubeL4 package (github.com/STMicroelectronics/STM32CubeL4, with its submodules), nothing of
# it lives in this repository.
set(FREERTOS_PORT GCC_ARM_CM4F)
set(NCE_CPU_FLAGS -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard)
set(NCE_LINKER_SCRIPT "${NCE_BOARD_DIR}/stm32l496ag.ld")

set(STM32CUBE_L4_PATH "$ENV{STM32CUBE_L4_PATH}" CACHE PATH "STM32CubeL4 package (HAL + CMSIS)")
if(NOT STM32CUBE_L4_PATH)
    message(FATAL_ERROR
        "STM32CUBE_L4_PATH is not set: BOARD=p-l496g-cell02 needs ST's STM32CubeL4 package "
        "(-DSTM32CUBE_L4_PATH=<checkout of github.com/STMicroelectronics/STM32CubeL4 with submodules>)")
endif()
set(_nce_hal "${STM32CUBE_L4_PATH}/Drivers/STM32L4xx_HAL_Driver")
set(_nce_cmsis_device "${STM32CUBE_L4_PATH}/Drivers/CMSIS/Device/ST/STM32L4xx")
set(_nce_startup "${_nce_cmsis_device}/Source/Templates/gcc/startup_stm32l496xx.s")
set(_nce_system "${_nce_cmsis_device}/Source/Templates/system_stm32l4xx.c")
foreach(_nce_required "${_nce_hal}/Src/stm32l4xx_hal_uart.c" "${_nce_cmsis_device}/Include/stm32l496xx.h"
        "${STM32CUBE_L4_PATH}/Drivers/CMSIS/Include/core_cm4.h" "${_nce_startup}" "${_nce_system}")
    if(NOT EXISTS "${_nce_required}")
        message(FATAL_ERROR "STM32CUBE_L4_PATH='${STM32CUBE_L4_PATH}' is not a STM32CubeL4 package "
            "with its submodules: ${_nce_required} is missing")
    endif()
endforeach()

# The HAL modules stm32l4xx_hal_conf.h enables, compiled with the HAL's own warning level.
set(_nce_hal_modules hal hal_cortex hal_dma hal_dma_ex hal_flash hal_flash_ex hal_gpio hal_pwr hal_pwr_ex
    hal_rcc hal_rcc_ex hal_uart hal_uart_ex)
set(_nce_hal_sources "")
foreach(_nce_module IN LISTS _nce_hal_modules)
    list(APPEND _nce_hal_sources "${_nce_hal}/Src/stm32l4xx_${_nce_module}.c")
endforeach()
add_library(nce_board_hal STATIC ${_nce_hal_sources})
target_include_directories(nce_board_hal SYSTEM PUBLIC
    "${NCE_BOARD_DIR}" "${_nce_hal}/Inc" "${_nce_cmsis_device}/Include" "${STM32CUBE_L4_PATH}/Drivers/CMSIS/Include")
target_compile_definitions(nce_board_hal PUBLIC STM32L496xx USE_HAL_DRIVER)

# The CMSIS startup (vector table, Reset_Handler: .data copy, .bss zero, SystemInit) and
# SystemInit itself are linked whole with the port (an OBJECT library), like the mps2 startup.
set(NCE_BOARD_SOURCES "${NCE_BOARD_DIR}/board.c" "${_nce_startup}" "${_nce_system}")
set_source_files_properties("${_nce_startup}" "${_nce_system}" PROPERTIES COMPILE_OPTIONS "-Wno-error;-Wno-pedantic")
# Hardware: nce_platform_exit() resets the board. The kit's modem is a BG96.
set(NCE_BOARD_DEFINITIONS NCE_BOARD_SEMIHOSTING=0 NCE_DEMO_MODEM_DIALECT=NCE_DIALECT_BG96)
