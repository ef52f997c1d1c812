"""The default tier's broker: kombu's file transport, with messages written atomically.

kombu creates a message file, then locks it, then writes it. A worker listing the
folder in between opens an empty file, and the JSON error that follows stops the worker
for good ("Unrecoverable error: JSONDecodeError"); every later test then waits for a
worker that is gone. Here a message is written under a name the worker does not read
and renamed into place once complete: a rename within one folder is atomic.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")  # matches no queue
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
