*** Settings ***
Documentation     Energy Saver uplinks over UDP and CoAP, device authentication, downlink.
Library           hil.robot    lab=virtual
Suite Setup       Open Rig    mode=modem    modem=bg95
Suite Teardown    Close Rig

*** Test Cases ***
UDP Uplink Decodes To The Values Sent
    ${saving}=    Uplink Should Decode To    udp    temperature_c10=231    humidity=45
    Should Be True    ${saving} >= 10

CoAP Uplink Decodes To The Values Sent
    Uplink Should Decode To    coap    battery_mv=3550

Bootstrap Returns The PSK
    ${length}=    Bootstrap Should Return PSK
    Should Be True    ${length} >= 8

Downlink Arrives
    Downlink Should Arrive
