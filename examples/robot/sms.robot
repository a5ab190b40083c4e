*** Settings ***
Documentation     SMS both ways, checked from the device and from the 1NCE API.
Library           hil.robot    lab=virtual
Suite Setup       Open Rig
Suite Teardown    Close Rig

*** Test Cases ***
Device Sends An SMS
    Send SMS From Device    timeout_s=30

Device Receives An SMS
    Device Should Receive SMS    timeout_s=30
