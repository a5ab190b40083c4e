# mps2-an385: Arm MPS2 AN385 (Cortex-M3, 25 MHz) as QEMU models it: UART0 console, UART1 modem.
set(FREERTOS_PORT GCC_ARM_CM3)
set(NCE_CPU_FLAGS -mcpu=cortex-m3 -mthumb -mfloat-abi=soft)
set(NCE_LINKER_SCRIPT "${NCE_BOARD_DIR}/mps2-an385.ld")
set(NCE_BOARD_SOURCES
    "${NCE_BOARD_DIR}/startup.c"
    "${NCE_BOARD_DIR}/board.c")
# QEMU board: nce_platform_exit() ends the run through semihosting with the app's status.
set(NCE_BOARD_DEFINITIONS NCE_BOARD_SEMIHOSTING=1)
