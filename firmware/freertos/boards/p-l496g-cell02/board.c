/*
 * board.c - P-L496G-CELL02 (32L496GDISCOVERY + BG96 on the STMod+ connector) for the FreeRTOS
 * port, written against the STM32CubeL4 HAL (the user's STM32CUBE_L4_PATH).
 *
 *   console  USART2, PA2 TX / PD6 RX (AF7): the ST-LINK virtual COM port; polled TX
 *   modem    USART1, PB6 TX / PG10 RX / PG11 CTS / PG12 RTS (AF7), 115200 8N1 with RTS/CTS;
 *            RX interrupt (RXNE) into the port's stream buffer
 *   BG96     PD3 PWR_EN (power key), PB2 RST (high = reset), PA0 DTR (low = awake)
 *
 * Clocks: MSI 4 MHz -> PLL -> 80 MHz SYSCLK, voltage scale 1, 4 flash wait states. SysTick
 * belongs to the kernel; the HAL's time base is the kernel's tick once the scheduler runs and
 * the DWT cycle counter before (HAL_InitTick / HAL_GetTick below), so HAL timeouts work in both.
 * PG2..PG15 sit in the VDDIO2 domain: it is switched on before port G is configured.
 */
#include <stddef.h>
#include <stdint.h>

#include "FreeRTOS.h"
#include "task.h"

#include "stm32l4xx_hal.h"

#include "nce_board.h"
#include "nce_board_config.h"
#include "nce_config.h"

#define MODEM_BAUD 115200u
#define CONSOLE_BAUD 115200u

#ifndef NCE_BOARD_MODEM_FLOW_CONTROL
#define NCE_BOARD_MODEM_FLOW_CONTROL 1 /* the BG96 add-on wires RTS/CTS */
#endif

#if NCE_BOARD_UART_IRQ_PRIORITY < NCE_BOARD_MAX_SYSCALL_PRIORITY || \
    NCE_BOARD_UART_IRQ_PRIORITY >= (1 << NCE_BOARD_PRIO_BITS)
#error "NCE_BOARD_UART_IRQ_PRIORITY must lie in [max syscall priority, lowest priority]"
#endif

static UART_HandleTypeDef s_console;
static UART_HandleTypeDef s_modem;
static volatile uint32_t s_rx_errors;

/* The config block: erased (0xFF) until `hil image stamp` writes one into the image. */
#define FF4 0xFFu, 0xFFu, 0xFFu, 0xFFu
#define FF16 FF4, FF4, FF4, FF4
#define FF64 FF16, FF16, FF16, FF16
__attribute__((section(".nce_config"), used)) static const uint8_t s_config_block[NCE_CONFIG_BLOCK_SIZE] = {
    FF64, FF64, FF64, FF64};

/* ---- HAL time base ----------------------------------------------------------------------- */

/* The HAL calls this from HAL_Init and HAL_RCC_ClockConfig: no timer interrupt is started. */
HAL_StatusTypeDef HAL_InitTick(uint32_t TickPriority)
{
    (void)TickPriority;
    CoreDebug->DEMCR |= CoreDebug_DEMCR_TRCENA_Msk;
    DWT->CYCCNT = 0u;
    DWT->CTRL |= DWT_CTRL_CYCCNTENA_Msk;
    return HAL_OK;
}

uint32_t HAL_GetTick(void)
{
    if (xTaskGetSchedulerState() != taskSCHEDULER_NOT_STARTED) {
        return xPortIsInsideInterrupt() ? (uint32_t)xTaskGetTickCountFromISR() : (uint32_t)xTaskGetTickCount();
    }
    /* Before the scheduler: the first ~53 s at 80 MHz, ample for the clock and UART set-up. */
    return DWT->CYCCNT / (SystemCoreClock / 1000u);
}

static void delay_ms_before_scheduler(uint32_t ms)
{
    uint32_t start = HAL_GetTick();

    while (HAL_GetTick() - start < ms) {
    }
}

/* ---- clocks, pins, UARTs ------------------------------------------------------------------ */

static void clock_init(void)
{
    RCC_OscInitTypeDef osc = {0};
    RCC_ClkInitTypeDef clk = {0};

    __HAL_RCC_PWR_CLK_ENABLE();
    if (HAL_PWREx_ControlVoltageScaling(PWR_REGULATOR_VOLTAGE_SCALE1) != HAL_OK) {
        nce_port_fatal("clock", "voltage_scaling");
    }
    osc.OscillatorType = RCC_OSCILLATORTYPE_MSI;
    osc.MSIState = RCC_MSI_ON;
    osc.MSICalibrationValue = RCC_MSICALIBRATION_DEFAULT;
    osc.MSIClockRange = RCC_MSIRANGE_6; /* 4 MHz */
    osc.PLL.PLLState = RCC_PLL_ON;
    osc.PLL.PLLSource = RCC_PLLSOURCE_MSI;
    osc.PLL.PLLM = 1;
    osc.PLL.PLLN = 40; /* 4 MHz * 40 = 160 MHz VCO */
    osc.PLL.PLLP = RCC_PLLP_DIV7;
    osc.PLL.PLLQ = RCC_PLLQ_DIV2;
    osc.PLL.PLLR = RCC_PLLR_DIV2; /* 80 MHz SYSCLK */
    if (HAL_RCC_OscConfig(&osc) != HAL_OK) {
        nce_port_fatal("clock", "pll");
    }
    clk.ClockType = RCC_CLOCKTYPE_SYSCLK | RCC_CLOCKTYPE_HCLK | RCC_CLOCKTYPE_PCLK1 | RCC_CLOCKTYPE_PCLK2;
    clk.SYSCLKSource = RCC_SYSCLKSOURCE_PLLCLK;
    clk.AHBCLKDivider = RCC_SYSCLK_DIV1;
    clk.APB1CLKDivider = RCC_HCLK_DIV1;
    clk.APB2CLKDivider = RCC_HCLK_DIV1;
    if (HAL_RCC_ClockConfig(&clk, FLASH_LATENCY_4) != HAL_OK) {
        nce_port_fatal("clock", "sysclk");
    }
}

static void pin_af(GPIO_TypeDef *port, uint32_t pins, uint32_t alternate)
{
    GPIO_InitTypeDef pin = {0};

    pin.Pin = pins;
    pin.Mode = GPIO_MODE_AF_PP;
    pin.Pull = GPIO_PULLUP;
    pin.Speed = GPIO_SPEED_FREQ_VERY_HIGH;
    pin.Alternate = alternate;
    HAL_GPIO_Init(port, &pin);
}

static void pin_output(GPIO_TypeDef *port, uint32_t pins, GPIO_PinState initial)
{
    GPIO_InitTypeDef pin = {0};

    HAL_GPIO_WritePin(port, pins, initial);
    pin.Pin = pins;
    pin.Mode = GPIO_MODE_OUTPUT_PP;
    pin.Pull = GPIO_NOPULL;
    pin.Speed = GPIO_SPEED_FREQ_LOW;
    HAL_GPIO_Init(port, &pin);
}

/* Called by HAL_UART_Init for each UART: clocks and pins. */
void HAL_UART_MspInit(UART_HandleTypeDef *huart)
{
    if (huart->Instance == USART2) {
        __HAL_RCC_USART2_CLK_ENABLE();
        __HAL_RCC_GPIOA_CLK_ENABLE();
        __HAL_RCC_GPIOD_CLK_ENABLE();
        pin_af(GPIOA, GPIO_PIN_2, GPIO_AF7_USART2);
        pin_af(GPIOD, GPIO_PIN_6, GPIO_AF7_USART2);
    } else if (huart->Instance == USART1) {
        __HAL_RCC_USART1_CLK_ENABLE();
        __HAL_RCC_GPIOB_CLK_ENABLE();
        __HAL_RCC_GPIOG_CLK_ENABLE();
        pin_af(GPIOB, GPIO_PIN_6, GPIO_AF7_USART1);
        pin_af(GPIOG, GPIO_PIN_10 | GPIO_PIN_11 | GPIO_PIN_12, GPIO_AF7_USART1);
    }
}

static void uart_init(UART_HandleTypeDef *huart, USART_TypeDef *instance, uint32_t baud, uint32_t flow)
{
    huart->Instance = instance;
    huart->Init.BaudRate = baud;
    huart->Init.WordLength = UART_WORDLENGTH_8B;
    huart->Init.StopBits = UART_STOPBITS_1;
    huart->Init.Parity = UART_PARITY_NONE;
    huart->Init.Mode = UART_MODE_TX_RX;
    huart->Init.HwFlowCtl = flow;
    huart->Init.OverSampling = UART_OVERSAMPLING_16;
    huart->Init.OneBitSampling = UART_ONE_BIT_SAMPLE_DISABLE;
    huart->AdvancedInit.AdvFeatureInit = UART_ADVFEATURE_NO_INIT;
    if (HAL_UART_Init(huart) != HAL_OK) {
        nce_port_fatal("uart", instance == USART1 ? "modem" : "console");
    }
}

/* BG96 power-up: reset released, then a PWRKEY pulse; the app's sync waits for the boot. */
static void modem_power_on(void)
{
    __HAL_RCC_GPIOA_CLK_ENABLE();
    __HAL_RCC_GPIOB_CLK_ENABLE();
    __HAL_RCC_GPIOD_CLK_ENABLE();
    pin_output(GPIOA, GPIO_PIN_0, GPIO_PIN_RESET); /* DTR low: the modem stays awake */
    pin_output(GPIOB, GPIO_PIN_2, GPIO_PIN_RESET); /* RST released */
    pin_output(GPIOD, GPIO_PIN_3, GPIO_PIN_RESET);
    delay_ms_before_scheduler(100u);
    HAL_GPIO_WritePin(GPIOD, GPIO_PIN_3, GPIO_PIN_SET);
    delay_ms_before_scheduler(200u);
    HAL_GPIO_WritePin(GPIOD, GPIO_PIN_3, GPIO_PIN_RESET);
}

void nce_board_init(void)
{
    (void)HAL_Init(); /* NVIC priority grouping 4 (all bits pre-emption), as the kernel needs */
    clock_init();
    HAL_PWREx_EnableVddIO2(); /* port G (modem RX/CTS/RTS) is powered from VDDIO2 */
    uart_init(&s_console, USART2, CONSOLE_BAUD, UART_HWCONTROL_NONE);
    uart_init(&s_modem, USART1, MODEM_BAUD,
              NCE_BOARD_MODEM_FLOW_CONTROL ? UART_HWCONTROL_RTS_CTS : UART_HWCONTROL_NONE);
    HAL_NVIC_SetPriority(USART1_IRQn, NCE_BOARD_UART_IRQ_PRIORITY, 0u);
    modem_power_on();
}

void nce_board_modem_rx_enable(void)
{
    __HAL_UART_CLEAR_FLAG(&s_modem, UART_CLEAR_OREF | UART_CLEAR_FEF | UART_CLEAR_NEF);
    __HAL_UART_ENABLE_IT(&s_modem, UART_IT_RXNE);
    __HAL_UART_ENABLE_IT(&s_modem, UART_IT_ERR);
    HAL_NVIC_EnableIRQ(USART1_IRQn);
}

/* The modem UART's interrupt (the startup file's weak USART1_IRQHandler). The HAL's IRQ handler is
 * not used: the port wants every byte as it comes, not a fixed-length transfer. */
void USART1_IRQHandler(void)
{
    uint8_t bytes[16];
    size_t n = 0;

    if (__HAL_UART_GET_FLAG(&s_modem, UART_FLAG_ORE) || __HAL_UART_GET_FLAG(&s_modem, UART_FLAG_FE) ||
        __HAL_UART_GET_FLAG(&s_modem, UART_FLAG_NE)) {
        __HAL_UART_CLEAR_FLAG(&s_modem, UART_CLEAR_OREF | UART_CLEAR_FEF | UART_CLEAR_NEF);
        s_rx_errors++;
    }
    while (__HAL_UART_GET_FLAG(&s_modem, UART_FLAG_RXNE) && n < sizeof bytes) {
        bytes[n++] = (uint8_t)(s_modem.Instance->RDR & 0xFFu);
    }
    if (n > 0u) {
        nce_port_modem_rx_from_isr(bytes, n);
    }
}

/* Polled transmit by register: usable from any context (tasks, ISRs, fault handlers), unlike
 * HAL_UART_Transmit, which locks the handle. */
static void uart_write(UART_HandleTypeDef *huart, const uint8_t *data, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        while (!__HAL_UART_GET_FLAG(huart, UART_FLAG_TXE)) {
        }
        huart->Instance->TDR = data[i];
    }
    while (!__HAL_UART_GET_FLAG(huart, UART_FLAG_TC)) {
    }
}

void nce_board_console_write(const char *text, size_t len)
{
    uart_write(&s_console, (const uint8_t *)text, len);
}

int nce_board_modem_write(const uint8_t *data, size_t len)
{
    uart_write(&s_modem, data, len);
    return (int)len;
}

uint32_t nce_board_modem_rx_errors(void)
{
    return s_rx_errors;
}

const uint8_t *nce_board_config_block(void)
{
    return s_config_block;
}

uint32_t nce_board_entropy(void)
{
    /* The 96-bit unique device ID differs between devices; the cycle count between boots. */
    const volatile uint32_t *uid = (const volatile uint32_t *)UID_BASE;

    return uid[0] ^ (uid[1] << 7) ^ (uid[2] << 13) ^ DWT->CYCCNT;
}

void nce_board_exit(int status)
{
    (void)status; /* the app logged it: hardware has no one to hand it to, so start over */
    NVIC_SystemReset();
    for (;;) {
    }
}

/* The startup file calls __libc_init_array, which calls _init; the link has no crti.o
 * (-nostartfiles) and the firmware has no constructors to run. */
void _init(void);
void _init(void)
{
}

/* Fault handlers: one error line, then a reset (nce_port_fatal). */
void HardFault_Handler(void);
void HardFault_Handler(void)
{
    nce_port_fatal("hardfault", "cpu");
}
