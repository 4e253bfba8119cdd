"""The whole randfile system on a local two-account cloud: moto server, real Terraform, real wiring.

``python -m localcloud demo|invoke|down`` is the entry point; ``make demo`` calls it.
"""
