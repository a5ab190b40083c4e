CPU := cortex-m3
