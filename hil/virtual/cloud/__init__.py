"""The emulated 1NCE cloud: Management API, 1NCE OS (Device Integrator, Authenticator, Energy Saver,
Inspector, Cloud Integrator, Controller), SMS Forwarder and Data Streamer."""
