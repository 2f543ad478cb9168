"""Writing a file atomically: a temporary file in the same folder, flushed and fsynced, then os.replace."""
import os
import tempfile


def write_atomically(filename, data):
    folder = os.path.dirname(os.path.abspath(filename))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".minidl-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, filename)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
