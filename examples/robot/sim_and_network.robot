*** Settings ***
Documentation     SIM, attach and signal on a rig of its own (modem mode).
Library           hil.robot    lab=virtual
Suite Setup       Open Rig
Suite Teardown    Close Rig

*** Test Cases ***
SIM Is Ready And Known To 1NCE
    SIM Should Be Ready

Modem Attaches Roaming
    ${seconds}=    Attach Modem    timeout_s=60
    Should Be True    ${seconds} < 60

Signal Is Usable
    Check Should Pass    signal

APN Gives An IP
    Check Should Pass    apn
