*** Settings ***
Documentation     Firmware mode: flash the bare-metal image (QEMU on the virtual lab) and read
...               its console.
Library           hil.robot    lab=virtual
Suite Setup       Open Rig    mode=firmware
Suite Teardown    Close Rig

*** Test Cases ***
Firmware Boots Attaches And Sends
    Flash Firmware
    Console Should Show    I boot version=\\S+ board=mps2-an385    timeout=30
    Console Should Show    I attached stat=5    timeout=60
    Console Should Show    I uplink_ack proto=coap .* code=2\\.04    timeout=60

Firmware Mode Checks
    Check Should Pass    sim_ready
    Check Should Pass    uplink_udp
