/*
 * stm32l4xx_hal_conf.h - the STM32CubeL4 HAL modules and oscillator values this board uses
 * (the HAL includes this file by name; its shape follows the HAL's stm32l4xx_hal_conf_template.h).
 */
#ifndef STM32L4XX_HAL_CONF_H
#define STM32L4XX_HAL_CONF_H

#ifdef __cplusplus
extern "C" {
#endif

#define HAL_MODULE_ENABLED
#define HAL_CORTEX_MODULE_ENABLED
#define HAL_DMA_MODULE_ENABLED /* the UART driver references the DMA API */
#define HAL_FLASH_MODULE_ENABLED
#define HAL_GPIO_MODULE_ENABLED
#define HAL_PWR_MODULE_ENABLED
#define HAL_RCC_MODULE_ENABLED
#define HAL_UART_MODULE_ENABLED

/* Oscillators of the 32L496GDISCOVERY: no HSE fitted, LSE 32.768 kHz. */
#define HSE_VALUE 8000000u
#define HSE_STARTUP_TIMEOUT 100u
#define MSI_VALUE 4000000u
#define HSI_VALUE 16000000u
#define HSI48_VALUE 48000000u
#define LSI_VALUE 32000u
#define LSE_VALUE 32768u
#define LSE_STARTUP_TIMEOUT 5000u
#define EXTERNAL_SAI1_CLOCK_VALUE 2097000u
#define EXTERNAL_SAI2_CLOCK_VALUE 2097000u

#define VDD_VALUE 3300u
/* The HAL time base is not a timer interrupt here (board.c overrides HAL_InitTick/HAL_GetTick);
 * the value only has to be a valid priority. */
#define TICK_INT_PRIORITY 15u
#define USE_RTOS 0u
#define PREFETCH_ENABLE 0u
#define INSTRUCTION_CACHE_ENABLE 1u
#define DATA_CACHE_ENABLE 1u

#define USE_HAL_UART_REGISTER_CALLBACKS 0u
#define USE_SPI_CRC 0u

#ifdef HAL_RCC_MODULE_ENABLED
#include "stm32l4xx_hal_rcc.h"
#endif
#ifdef HAL_GPIO_MODULE_ENABLED
#include "stm32l4xx_hal_gpio.h"
#endif
#ifdef HAL_DMA_MODULE_ENABLED
#include "stm32l4xx_hal_dma.h"
#endif
#ifdef HAL_CORTEX_MODULE_ENABLED
#include "stm32l4xx_hal_cortex.h"
#endif
#ifdef HAL_FLASH_MODULE_ENABLED
#include "stm32l4xx_hal_flash.h"
#endif
#ifdef HAL_PWR_MODULE_ENABLED
#include "stm32l4xx_hal_pwr.h"
#endif
#ifdef HAL_UART_MODULE_ENABLED
#include "stm32l4xx_hal_uart.h"
#endif

/* No USE_FULL_ASSERT: assert_param compiles to nothing. */
#define assert_param(expr) ((void)0U)

#ifdef __cplusplus
}
#endif

#endif /* STM32L4XX_HAL_CONF_H */
