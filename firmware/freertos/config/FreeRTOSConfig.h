/*
 * FreeRTOSConfig.h - kernel configuration of the nce-hil firmware (FreeRTOS-Kernel V11.x).
 *
 * Board facts (CPU clock, implemented NVIC priority bits) come from the board's
 * nce_board_config.h; everything else is the same on every board. All kernel objects are
 * allocated statically: the firmware has no heap.
 */
#ifndef FREERTOS_CONFIG_H
#define FREERTOS_CONFIG_H

#include "nce_board_config.h" /* NCE_BOARD_CPU_CLOCK_HZ, NCE_BOARD_PRIO_BITS */

#define configCPU_CLOCK_HZ NCE_BOARD_CPU_CLOCK_HZ
/* 1 kHz: nce_platform_now_ms() is the tick count and wraps like a 32-bit millisecond counter. */
#define configTICK_RATE_HZ 1000
#define configTICK_TYPE_WIDTH_IN_BITS TICK_TYPE_WIDTH_32_BITS

#define configUSE_PREEMPTION 1
#define configUSE_TIME_SLICING 1
#define configUSE_PORT_OPTIMISED_TASK_SELECTION 1
#define configMAX_PRIORITIES 5
#define configMINIMAL_STACK_SIZE 128
#define configMAX_TASK_NAME_LEN 12
#define configIDLE_SHOULD_YIELD 1
#define configUSE_TASK_NOTIFICATIONS 1
#define configUSE_MUTEXES 1
#define configUSE_RECURSIVE_MUTEXES 0
#define configUSE_COUNTING_SEMAPHORES 0
#define configUSE_QUEUE_SETS 0
#define configQUEUE_REGISTRY_SIZE 0
#define configUSE_CO_ROUTINES 0
#define configUSE_TIMERS 0
#define configUSE_IDLE_HOOK 0
#define configUSE_TICK_HOOK 0
#define configUSE_TRACE_FACILITY 0
#define configUSE_STATS_FORMATTING_FUNCTIONS 0
#define configGENERATE_RUN_TIME_STATS 0
#define configENABLE_BACKWARD_COMPATIBILITY 0
#define configUSE_NEWLIB_REENTRANT 0

/* No heap: tasks, queues, stream buffers and mutexes are created with the *Static APIs, and the
 * kernel provides the idle task's memory itself (V11). */
#define configSUPPORT_STATIC_ALLOCATION 1
#define configSUPPORT_DYNAMIC_ALLOCATION 0
#define configKERNEL_PROVIDED_STATIC_MEMORY 1
/* Timers are off; V11.1 still compiles its timer-task memory (dropped by --gc-sections). */
#define configTIMER_TASK_STACK_DEPTH configMINIMAL_STACK_SIZE

/* Method 2 checks the stack's watermark pattern on every switch; the hook logs and exits. */
#define configCHECK_FOR_STACK_OVERFLOW 2

/* Interrupt priorities for a core with NCE_BOARD_PRIO_BITS implemented bits (3 on Cortex-M3
 * mps2-an385, 4 on STM32L4): 0 is the most urgent. The kernel runs at the lowest priority; an ISR
 * that calls a FromISR API must have a priority number >= configLIBRARY_MAX_SYSCALL_INTERRUPT_PRIORITY
 * (NCE_BOARD_UART_IRQ_PRIORITY is checked against it in the port). */
#define configPRIO_BITS NCE_BOARD_PRIO_BITS
#define configLIBRARY_LOWEST_INTERRUPT_PRIORITY ((1 << configPRIO_BITS) - 1)
#define configLIBRARY_MAX_SYSCALL_INTERRUPT_PRIORITY NCE_BOARD_MAX_SYSCALL_PRIORITY
#define configKERNEL_INTERRUPT_PRIORITY (configLIBRARY_LOWEST_INTERRUPT_PRIORITY << (8 - configPRIO_BITS))
#define configMAX_SYSCALL_INTERRUPT_PRIORITY (configLIBRARY_MAX_SYSCALL_INTERRUPT_PRIORITY << (8 - configPRIO_BITS))

/* The vector table maps vPortSVCHandler / xPortPendSVHandler directly; the kernel checks it. */
#define configCHECK_HANDLER_INSTALLATION 1

/* A failed assertion logs "<ms> E error cause=assert where=<file>:<line>" and exits (QEMU) or
 * resets (hardware): see src/hooks.c. */
void nce_port_assert_failed(const char *file, int line);
#define configASSERT(x)                                \
    do {                                               \
        if ((x) == 0) {                                \
            nce_port_assert_failed(__FILE__, __LINE__); \
        }                                              \
    } while (0)

#define INCLUDE_vTaskDelay 1
#define INCLUDE_xTaskDelayUntil 1
#define INCLUDE_vTaskDelete 0
#define INCLUDE_vTaskSuspend 1
#define INCLUDE_xTaskGetSchedulerState 1
#define INCLUDE_xTaskGetCurrentTaskHandle 1
#define INCLUDE_uxTaskGetStackHighWaterMark 1
#define INCLUDE_pcTaskGetName 1

#endif /* FREERTOS_CONFIG_H */
