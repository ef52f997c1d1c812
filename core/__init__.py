"""The ground floor: crypto, counters and limits, task dispatch, batch writing and staff roles.

Every app may import it; it imports no app.
"""
