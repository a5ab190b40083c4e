/*
 * main.c - the FreeRTOS firmware: port and board, the app's tasks, the scheduler.
 */
#include "FreeRTOS.h"
#include "task.h"

#include "nce_app_tasks.h"
#include "nce_port.h"

int main(void)
{
    nce_port_init();
    nce_app_tasks_start();
    vTaskStartScheduler();
    return 0; /* not reached: the scheduler does not return with static idle memory */
}
