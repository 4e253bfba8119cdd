"""randfile on the local two-account cloud (localcloud): its settings, accounts, demo and checks.

``python -m randfile_localcloud demo|invoke|down`` is the entry point; ``make demo`` calls it.
"""
