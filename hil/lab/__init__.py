"""The virtual lab: rigs made of simulated parts, run with the same checks as hardware rigs."""
