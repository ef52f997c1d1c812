"""Reading an upload into memory only, with a byte cap: never a temporary file."""

import io

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

FIELD = "file"


class CappedMemoryUpload(FileUploadHandler):
    """Keeps up to `limit` + 1 bytes of the one `file` part in memory and drops the rest,
    so that an oversized file is reported (not written to disk, not a 500). Any other
    file part, or a second `file`, is skipped unread and noted in `refused`."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit
        self.size = 0
        self.taken = False
        self.refused: list[str] = []

    def new_file(self, field_name, *args, **kwargs):
        if field_name != FIELD or self.taken:
            self.refused.append(field_name)
            raise SkipFile()
        super().new_file(field_name, *args, **kwargs)
        self.taken = True
        self.buffer = io.BytesIO()
        self.size = 0

    def receive_data_chunk(self, raw_data, start):
        self.size += len(raw_data)
        room = self.limit + 1 - self.buffer.tell()
        if room > 0:
            self.buffer.write(raw_data[:room])
        return None  # no other handler, and nothing on disk

    def file_complete(self, file_size):
        self.buffer.seek(0)
        upload = InMemoryUploadedFile(
            self.buffer, self.field_name, self.file_name, self.content_type, self.size, self.charset
        )
        upload.too_big = self.size > self.limit
        return upload
