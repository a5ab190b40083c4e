"""Front ends over the same checks, rigs and results DB as `hil run`: the pytest plugin
(`hil.frontends.pytest_plugin`, registered as the `nce_hil` pytest11 entry point) and the Robot
Framework library (`hil.robot`). What both share lives here: `recorder` (a results-DB run that
several processes can share), `rigs` (rigs opened through `hil.run.wiring`, one process per rig)
and `tee` (a rig console that a pytest-embedded Dut can watch while checks read it too)."""
