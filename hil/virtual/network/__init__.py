"""The emulated 1NCE core network: SIM inventory, registration and PDP decisions, usage metering,
SMS routing, sessions, Data Streamer events, and the netlink server simulated modems connect to."""
