"""The network core: guarded SMTP/IMAP probes, what their errors mean, the Sent
folder, the provider directory and the autodetection cascade.

Plain Python with no Django import (checked by import-linter): functions take
settings and return result dataclasses; the Django app around it supplies
configuration, storage and tasks.
"""
